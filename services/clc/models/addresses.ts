import { isIPv4 } from 'node:net';
import type { Kysely, Selectable } from 'kysely';
import type { Address, Tag, TagSpecification } from '../../../src/aws/generated/ec2-types.js';
import { commonErrors } from '../../../src/aws/service-error.js';
import type { AddressesTable, Database } from '../../../src/db/schema.js';
import { isUniqueViolation, withTransaction } from '../../../src/db/transaction.js';
import { ec2Errors } from './ec2-errors.js';
import { assertResourceId, newResourceId, resourceTypes } from './ec2-ids.js';
import { requireInstance, setPublicIp } from './instances.js';
import { applyTagSpecifications, registerResource, tagsOf, unregisterResource } from './resources.js';

/**
 * Elastic IP addresses. The cloud has a pool of public IPv4 addresses (the clc config's `publicAddresses`); an
 * account allocates one, associates it with one of its running or stopped instances (whose `PublicIpAddress` it then
 * is), moves it, disassociates it and releases it back to the pool. Addresses of another account are reported as
 * EC2 reports them: missing by allocation id, "does not belong to you" by public IP.
 */

type Db = Kysely<Database>;
type AddressRow = Selectable<AddressesTable>;

export type AddressDomain = 'vpc' | 'standard';

export interface AddressRecord extends AddressRow {
  tags: Tag[];
}

/** The cloud's public addresses, in order; parsed once from the config. */
export interface AddressPool {
  readonly size: number;
  has(ip: string): boolean;
  addresses(): Iterable<string>;
}

function ipToNumber(ip: string): number {
  return ip.split('.').reduce((value, octet) => value * 256 + Number(octet), 0);
}

function numberToIp(value: number): string {
  return [24, 16, 8, 0].map((shift) => Math.floor(value / 2 ** shift) % 256).join('.');
}

/**
 * The pool from a list of addresses (`198.51.100.7`) and CIDR ranges (`198.51.100.0/28`). A range of four or more
 * addresses leaves out its network and broadcast addresses, which no host can use. Overlaps count once.
 */
export function parseAddressPool(specs: readonly string[]): AddressPool {
  const ranges: [number, number][] = [];
  for (const spec of specs) {
    const [address = '', prefixText, ...rest] = spec.trim().split('/');
    const prefix = prefixText === undefined ? 32 : Number(prefixText);
    if (
      !isIPv4(address) ||
      rest.length > 0 ||
      (prefixText !== undefined && !/^\d{1,2}$/.test(prefixText)) ||
      prefix > 32
    ) {
      throw new Error(`publicAddresses: '${spec}' is neither an IPv4 address nor a CIDR range`);
    }
    const size = 2 ** (32 - prefix);
    const start = Math.floor(ipToNumber(address) / size) * size;
    ranges.push(size >= 4 ? [start + 1, start + size - 2] : [start, start + size - 1]);
  }
  ranges.sort((a, b) => a[0] - b[0]);
  const merged: [number, number][] = [];
  for (const range of ranges) {
    const last = merged.at(-1);
    if (last && range[0] <= last[1] + 1) last[1] = Math.max(last[1], range[1]);
    else merged.push([...range]);
  }
  return {
    size: merged.reduce((sum, [start, end]) => sum + end - start + 1, 0),
    has(ip) {
      if (!isIPv4(ip)) return false;
      const value = ipToNumber(ip);
      return merged.some(([start, end]) => value >= start && value <= end);
    },
    *addresses() {
      for (const [start, end] of merged) for (let value = start; value <= end; value++) yield numberToIp(value);
    },
  };
}

export interface AllocateAddressRequest {
  domain?: string;
  /** A particular address of the pool. */
  address?: string;
  tagSpecifications?: readonly TagSpecification[];
}

/**
 * Takes the lowest free address of the pool (or the one asked for) for the account. Two allocations at once never
 * get the same address: the loser of the race on the unique `public_ip` tries the next free one.
 */
export async function allocateAddress(
  db: Db,
  accountId: string,
  pool: AddressPool | undefined,
  request: AllocateAddressRequest,
): Promise<AddressRecord> {
  const domain = request.domain ?? 'vpc';
  if (domain !== 'vpc' && domain !== 'standard') {
    throw commonErrors.invalidParameterValue('Domain', domain, "Valid values are 'vpc' and 'standard'.");
  }
  if (request.address !== undefined && !pool?.has(request.address)) {
    throw ec2Errors.addressNotFound(request.address);
  }
  if (!pool || pool.size === 0) throw ec2Errors.addressLimitExceeded();
  const attempts = 10;
  for (let attempt = 1; ; attempt++) {
    try {
      return await withTransaction(db, async (trx) => {
        const taken = new Set(
          (await trx.selectFrom('addresses').select('public_ip').execute()).map((r) => r.public_ip),
        );
        let ip = request.address;
        if (ip !== undefined && taken.has(ip)) throw ec2Errors.addressInUse(ip);
        if (ip === undefined) {
          for (const candidate of pool.addresses()) {
            if (!taken.has(candidate)) {
              ip = candidate;
              break;
            }
          }
        }
        if (ip === undefined) throw ec2Errors.addressLimitExceeded();
        const row: AddressRow = {
          allocation_id: newResourceId('elastic-ip'),
          account_id: accountId,
          public_ip: ip,
          domain,
          association_id: null,
          instance_id: null,
          private_ip_address: null,
          allocated_at: new Date().toISOString(),
          associated_at: null,
        };
        await trx.insertInto('addresses').values(row).execute();
        await registerResource(trx, accountId, 'elastic-ip', row.allocation_id);
        await applyTagSpecifications(trx, accountId, 'elastic-ip', row.allocation_id, request.tagSpecifications);
        return { ...row, tags: (await tagsOf(trx, accountId, [row.allocation_id])).get(row.allocation_id) ?? [] };
      });
    } catch (error) {
      if (attempt < attempts && isUniqueViolation(error)) continue;
      throw error;
    }
  }
}

/** The account's addresses (those named, or all) in allocation id order; one it does not hold is NotFound. */
export async function listAddresses(
  db: Db,
  accountId: string,
  input: { publicIps?: readonly string[]; allocationIds?: readonly string[] } = {},
): Promise<AddressRecord[]> {
  const ips = input.publicIps ?? [];
  const ids = input.allocationIds ?? [];
  for (const id of ids) assertResourceId('elastic-ip', id);
  const rows = await db
    .selectFrom('addresses')
    .selectAll()
    .where('account_id', '=', accountId)
    .orderBy('allocation_id')
    .execute();
  for (const ip of ips) if (!rows.some((row) => row.public_ip === ip)) throw ec2Errors.addressNotFound(ip);
  for (const id of ids) {
    if (!rows.some((row) => row.allocation_id === id)) throw allocationNotFound(id);
  }
  const named =
    ips.length + ids.length === 0
      ? rows
      : rows.filter((row) => ips.includes(row.public_ip) || ids.includes(row.allocation_id));
  const tags = await tagsOf(
    db,
    accountId,
    named.map((row) => row.allocation_id),
  );
  return named.map((row) => ({ ...row, tags: tags.get(row.allocation_id) ?? [] }));
}

/** An address as EC2's `Address` shape says it. */
export function toEc2Address(record: AddressRecord, region: string): Address {
  return {
    AllocationId: record.allocation_id,
    PublicIp: record.public_ip,
    Domain: record.domain,
    PublicIpv4Pool: 'amazon',
    NetworkBorderGroup: region,
    ...(record.association_id !== null && {
      AssociationId: record.association_id,
      InstanceId: record.instance_id ?? undefined,
      ...(record.private_ip_address !== null && { PrivateIpAddress: record.private_ip_address }),
    }),
    Tags: record.tags,
  };
}

export interface AddressReference {
  allocationId?: string;
  publicIp?: string;
}

function allocationNotFound(id: string) {
  return ec2Errors.notFound(resourceTypes['elastic-ip'].notFound, 'allocation ID', id);
}

/** The address named by allocation id or (for EC2-Classic scripts) public IP, if the account holds it. */
async function requireAddress(db: Db, accountId: string, reference: AddressReference): Promise<AddressRow> {
  const { allocationId, publicIp } = reference;
  if (allocationId !== undefined && publicIp !== undefined) {
    throw commonErrors.invalidParameterCombination(
      'You may specify public IP or allocation id, but not both in the same call',
    );
  }
  if (allocationId !== undefined) {
    assertResourceId('elastic-ip', allocationId);
    const row = await db
      .selectFrom('addresses')
      .selectAll()
      .where('account_id', '=', accountId)
      .where('allocation_id', '=', allocationId)
      .executeTakeFirst();
    if (!row) throw allocationNotFound(allocationId);
    return row;
  }
  if (publicIp !== undefined) {
    const row = await db
      .selectFrom('addresses')
      .selectAll()
      .where('account_id', '=', accountId)
      .where('public_ip', '=', publicIp)
      .executeTakeFirst();
    if (!row) throw ec2Errors.addressNotYours(publicIp);
    return row;
  }
  throw commonErrors.missingParameter('AllocationId');
}

/** Ends an address's association and clears the instance's public IP. */
async function clearAssociation(db: Db, row: Pick<AddressRow, 'allocation_id' | 'instance_id'>): Promise<void> {
  await db
    .updateTable('addresses')
    .set({ association_id: null, instance_id: null, private_ip_address: null, associated_at: null })
    .where('allocation_id', '=', row.allocation_id)
    .execute();
  if (row.instance_id !== null) await setPublicIp(db, row.instance_id, null);
}

export interface AssociateAddressRequest extends AddressReference {
  instanceId: string;
  /** `false`: refuse to move an address that is associated elsewhere (`Resource.AlreadyAssociated`). */
  allowReassociation?: boolean;
  privateIpAddress?: string;
}

/**
 * Associates the address with one of the account's running or stopped instances, whose public IP it becomes.
 * An address associated elsewhere moves (unless `allowReassociation` is `false`), and an address the instance had
 * before is disassociated, as EC2 does; associating it where it already is changes nothing.
 */
export async function associateAddress(
  db: Db,
  accountId: string,
  request: AssociateAddressRequest,
): Promise<{ associationId: string }> {
  return withTransaction(db, async (trx) => {
    const address = await requireAddress(trx, accountId, request);
    const instance = await requireInstance(trx, accountId, request.instanceId);
    if (instance.state !== 'running' && instance.state !== 'stopped') {
      throw ec2Errors.instanceNotValidState(instance.instance_id, instance.state);
    }
    if (request.privateIpAddress !== undefined && request.privateIpAddress !== instance.private_ip_address) {
      throw ec2Errors.invalidParameterValue(
        `The private IP address ${request.privateIpAddress} is not assigned to instance ${instance.instance_id}.`,
      );
    }
    if (address.instance_id === instance.instance_id && address.association_id !== null) {
      return { associationId: address.association_id };
    }
    if (address.association_id !== null) {
      if (request.allowReassociation === false) {
        throw ec2Errors.addressAlreadyAssociated(address.allocation_id, address.association_id);
      }
      await clearAssociation(trx, address);
    }
    const previous = await trx
      .selectFrom('addresses')
      .select(['allocation_id', 'instance_id'])
      .where('instance_id', '=', instance.instance_id)
      .executeTakeFirst();
    if (previous) await clearAssociation(trx, previous);
    const associationId = newResourceId('elastic-ip-association');
    await trx
      .updateTable('addresses')
      .set({
        association_id: associationId,
        instance_id: instance.instance_id,
        private_ip_address: instance.private_ip_address,
        associated_at: new Date().toISOString(),
      })
      .where('allocation_id', '=', address.allocation_id)
      .execute();
    await setPublicIp(trx, instance.instance_id, address.public_ip);
    return { associationId };
  });
}

/** Ends an association, named by its id or by the address's public IP (where none is a no-op, as in EC2). */
export async function disassociateAddress(
  db: Db,
  accountId: string,
  reference: { associationId?: string; publicIp?: string },
): Promise<void> {
  await withTransaction(db, async (trx) => {
    let row: AddressRow | undefined;
    if (reference.associationId !== undefined) {
      assertResourceId('elastic-ip-association', reference.associationId);
      row = await trx
        .selectFrom('addresses')
        .selectAll()
        .where('account_id', '=', accountId)
        .where('association_id', '=', reference.associationId)
        .executeTakeFirst();
      if (!row) {
        throw ec2Errors.notFound(
          resourceTypes['elastic-ip-association'].notFound,
          'association ID',
          reference.associationId,
        );
      }
    } else if (reference.publicIp !== undefined) {
      row = await requireAddress(trx, accountId, { publicIp: reference.publicIp });
    } else {
      throw commonErrors.missingParameter('AssociationId');
    }
    if (row.association_id !== null) await clearAssociation(trx, row);
  });
}

/**
 * Gives the address back to the pool. A VPC address must be disassociated first (`InvalidIPAddress.InUse`); an
 * EC2-Classic (`standard`) one is disassociated on the way, as EC2-Classic did.
 */
export async function releaseAddress(db: Db, accountId: string, reference: AddressReference): Promise<void> {
  await withTransaction(db, async (trx) => {
    const row = await requireAddress(trx, accountId, reference);
    if (row.association_id !== null) {
      if (row.domain === 'vpc') throw ec2Errors.addressInUse(row.public_ip);
      await clearAssociation(trx, row);
    }
    await trx.deleteFrom('addresses').where('allocation_id', '=', row.allocation_id).execute();
    await unregisterResource(trx, row.allocation_id);
  });
}

/** An instance is going away (terminated): its address stays allocated to the account, disassociated. */
export async function releaseAddressOf(db: Db, instanceId: string): Promise<void> {
  await db
    .updateTable('addresses')
    .set({ association_id: null, instance_id: null, private_ip_address: null, associated_at: null })
    .where('instance_id', '=', instanceId)
    .execute();
  await setPublicIp(db, instanceId, null);
}
