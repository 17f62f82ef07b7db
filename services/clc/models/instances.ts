import { createHash, randomBytes } from 'node:crypto';
import type { Kysely, Selectable } from 'kysely';
import type { Instance, Reservation, Tag } from '../../../src/aws/generated/ec2-types.js';
import type { ClusterInstance } from '../../../src/clients/cluster-controller.js';
import type {
  Database,
  InstanceAction,
  InstanceStateName,
  InstancesTable,
  ReservationsTable,
} from '../../../src/db/schema.js';
import { isUniqueViolation, withTransaction } from '../../../src/db/transaction.js';
import { releaseAddressOf } from './addresses.js';
import { ec2Errors } from './ec2-errors.js';
import { cloudPropertyRegistry, integerCloudProperty } from './cloud-properties.js';
import { assertResourceId, newResourceId } from './ec2-ids.js';
import { applyTagSpecifications, onlyNamed, registerResource, tagsOf, unregisterResource } from './resources.js';
import { addGroupMember, removeGroupMember } from './security-groups.js';
import { detachVolumesOf } from './volumes.js';

/**
 * Instances and their reservations, as the API sees them: what was asked for, the state AWS names, and the work
 * (dispatch to the zone, a stop or terminate) the scheduler still has to carry out. State moves as AWS moves it:
 * `pending -> running -> stopping -> stopped`, `shutting-down -> terminated`; terminated instances stay visible for
 * an hour (the property `cloud.instances.terminated_visible_seconds`), then are forgotten.
 */

type Db = Kysely<Database>;
type InstanceRow = Selectable<InstancesTable>;
type ReservationRow = Selectable<ReservationsTable>;

/** EC2's state codes (the low byte of `State.Code`). */
export const stateCodes: Readonly<Record<InstanceStateName, number>> = {
  pending: 0,
  running: 16,
  'shutting-down': 32,
  terminated: 48,
  stopping: 64,
  stopped: 80,
};

/** How long a terminated instance stays in `DescribeInstances` unless the operator changed it. */
export const terminatedRetentionMs =
  Number(cloudPropertyRegistry['cloud.instances.terminated_visible_seconds'].default) * 1000;

/** The retention now: the cloud property `cloud.instances.terminated_visible_seconds`, read when it is needed. */
async function currentTerminatedRetentionMs(db: Db): Promise<number> {
  return (await integerCloudProperty(db, 'cloud.instances.terminated_visible_seconds')) * 1000;
}

/** Everything `RunInstances` decided for a launch, after validation. */
export interface LaunchPlan {
  zone: string;
  imageId: string;
  kernelId?: string;
  ramdiskId?: string;
  instanceType: string;
  architecture: string;
  virtualizationType: string;
  keyName?: string;
  userData?: string;
  groupIds: readonly string[];
  clientToken?: string;
  tagSpecifications?: Parameters<typeof applyTagSpecifications>[4];
  disableApiTermination?: boolean;
  disableApiStop?: boolean;
}

export interface InstanceRecord extends InstanceRow {
  tags: Tag[];
  groups: { GroupId: string; GroupName: string }[];
}

const rebootable = new Set<InstanceStateName>(['running']);

/**
 * Writes a reservation of `count` pending instances in one transaction (with their tags and group memberships), or
 * hands back the reservation an earlier request with the same `ClientToken` made. The same token with different
 * parameters is `IdempotentParameterMismatch`, as EC2 answers it.
 */
export async function createReservation(
  db: Db,
  accountId: string,
  plan: LaunchPlan,
  count: { min: number; max: number },
  fits: (zone: string) => Promise<number>,
): Promise<{ reservationId: string; reused: boolean }> {
  const requestHash = createHash('sha256')
    .update(JSON.stringify({ ...plan, count }))
    .digest('hex');
  const reused = plan.clientToken === undefined ? undefined : await findByToken(db, accountId, plan.clientToken);
  if (reused) return { reservationId: checkRetry(reused, requestHash), reused: true };
  const available = await fits(plan.zone);
  if (available < count.min) {
    throw ec2Errors.insufficientCapacity(
      `There is not enough capacity for ${count.min} ${plan.instanceType} instance(s) in ${plan.zone} ` +
        `(room for ${available}).`,
    );
  }
  const launching = Math.min(count.max, available);
  try {
    return await withTransaction(db, async (trx) => {
      const reservationId = newResourceId('reservation');
      const now = new Date().toISOString();
      await trx
        .insertInto('reservations')
        .values({
          reservation_id: reservationId,
          account_id: accountId,
          client_token: plan.clientToken ?? null,
          request_hash: requestHash,
          created_at: now,
        })
        .execute();
      for (let index = 0; index < launching; index++) {
        const instanceId = newResourceId('instance');
        await trx
          .insertInto('instances')
          .values({
            instance_id: instanceId,
            account_id: accountId,
            reservation_id: reservationId,
            launch_index: index,
            zone: plan.zone,
            image_id: plan.imageId,
            kernel_id: plan.kernelId ?? null,
            ramdisk_id: plan.ramdiskId ?? null,
            instance_type: plan.instanceType,
            architecture: plan.architecture,
            virtualization_type: plan.virtualizationType,
            key_name: plan.keyName ?? null,
            user_data: plan.userData ?? null,
            client_token: plan.clientToken ?? null,
            mac_address: localMac(),
            state: 'pending',
            state_reason_code: 'pending',
            state_reason_message: 'pending',
            state_transition_reason: '',
            dispatched: 0,
            pending_action: null,
            node_name: null,
            node_reachable: 1,
            private_ip_address: null,
            public_ip_address: null,
            launch_time: now,
            state_changed_at: now,
            disable_api_termination: plan.disableApiTermination ? 1 : 0,
            disable_api_stop: plan.disableApiStop ? 1 : 0,
          })
          .execute();
        await registerResource(trx, accountId, 'instance', instanceId);
        await addGroupMember(trx, accountId, instanceId, plan.groupIds);
        await applyTagSpecifications(trx, accountId, 'instance', instanceId, plan.tagSpecifications);
      }
      return { reservationId, reused: false };
    });
  } catch (error) {
    // Two requests with one token at once: the first one's reservation is the answer to both.
    if (plan.clientToken !== undefined && isUniqueViolation(error)) {
      const winner = await findByToken(db, accountId, plan.clientToken);
      if (winner) return { reservationId: checkRetry(winner, requestHash), reused: true };
    }
    throw error;
  }
}

function findByToken(db: Db, accountId: string, clientToken: string): Promise<ReservationRow | undefined> {
  return db
    .selectFrom('reservations')
    .selectAll()
    .where('account_id', '=', accountId)
    .where('client_token', '=', clientToken)
    .executeTakeFirst();
}

function checkRetry(reservation: ReservationRow, requestHash: string): string {
  if (reservation.request_hash !== requestHash) {
    throw ec2Errors.idempotentParameterMismatch();
  }
  return reservation.reservation_id;
}

/** A locally administered unicast MAC (`d0:0d:...`, as Eucalyptus numbered its instances' interfaces). */
function localMac(): string {
  return ['d0', '0d', ...[...randomBytes(4)].map((byte) => byte.toString(16).padStart(2, '0'))].join(':');
}

/**
 * The account's instances (those named, or all), with tags and groups, in id order. Terminated ones older than the
 * retention are left out even before they are forgotten. Names an id the account does not have: NotFound.
 */
export async function listInstances(
  db: Db,
  accountId: string,
  input: { instanceIds?: readonly string[]; reservationId?: string } = {},
): Promise<InstanceRecord[]> {
  const ids = input.instanceIds ?? [];
  for (const id of ids) assertResourceId('instance', id);
  let query = db.selectFrom('instances').selectAll().where('account_id', '=', accountId);
  if (ids.length > 0 && ids.length <= 500) query = query.where('instance_id', 'in', [...ids]);
  if (input.reservationId !== undefined) query = query.where('reservation_id', '=', input.reservationId);
  const cutoff = new Date(Date.now() - (await currentTerminatedRetentionMs(db))).toISOString();
  let rows = (await query.orderBy('instance_id').execute()).filter(
    (row) => row.state !== 'terminated' || row.state_changed_at >= cutoff,
  );
  rows = onlyNamed(rows, ids, (row) => row.instance_id, 'instance');
  return decorate(db, accountId, rows);
}

/**
 * One page of the account's instances in id order, after `afterId`, read as a page from the database (no filters:
 * `DescribeInstances` with only `MaxResults`/`NextToken`, the listing a large account pages through).
 */
export async function listInstancesPage(
  db: Db,
  accountId: string,
  page: { afterId?: string; limit: number },
): Promise<{ records: InstanceRecord[]; more: boolean }> {
  const cutoff = new Date(Date.now() - (await currentTerminatedRetentionMs(db))).toISOString();
  let query = db
    .selectFrom('instances')
    .selectAll()
    .where('account_id', '=', accountId)
    .where((eb) => eb.or([eb('state', '!=', 'terminated'), eb('state_changed_at', '>=', cutoff)]));
  if (page.afterId !== undefined) query = query.where('instance_id', '>', page.afterId);
  const rows = await query
    .orderBy('instance_id')
    .limit(page.limit + 1)
    .execute();
  return { records: await decorate(db, accountId, rows.slice(0, page.limit)), more: rows.length > page.limit };
}

async function decorate(db: Db, accountId: string, rows: InstanceRow[]): Promise<InstanceRecord[]> {
  if (rows.length === 0) return [];
  const ids = rows.map((row) => row.instance_id);
  const tags = await tagsOf(db, accountId, ids);
  // A page of instances asks for its own members only; a whole account's listing reads the account's at once.
  let membershipQuery = db
    .selectFrom('security_group_members as m')
    .innerJoin('security_groups as g', 'g.group_id', 'm.group_id')
    .select(['m.member_id', 'g.group_id', 'g.group_name'])
    .where('m.account_id', '=', accountId);
  if (ids.length <= 1000) membershipQuery = membershipQuery.where('m.member_id', 'in', ids);
  const memberships = await membershipQuery.orderBy('g.group_id').execute();
  const groups = new Map<string, { GroupId: string; GroupName: string }[]>();
  for (const row of memberships) {
    const list = groups.get(row.member_id) ?? [];
    list.push({ GroupId: row.group_id, GroupName: row.group_name });
    groups.set(row.member_id, list);
  }
  return rows.map((row) => ({
    ...row,
    tags: tags.get(row.instance_id) ?? [],
    groups: groups.get(row.instance_id) ?? [],
  }));
}

/** An instance as EC2's `Instance` shape says it. */
export function toEc2Instance(record: InstanceRecord): Instance {
  const privateIp = record.private_ip_address ?? undefined;
  const reason =
    record.state_reason_code !== null
      ? { Code: record.state_reason_code, Message: record.state_reason_message ?? record.state_reason_code }
      : undefined;
  return {
    InstanceId: record.instance_id,
    ImageId: record.image_id,
    State: { Code: stateCodes[record.state], Name: record.state },
    PrivateDnsName: privateIp ? `ip-${privateIp.replace(/\./g, '-')}.${record.zone}.compute.internal` : '',
    PublicDnsName: '',
    StateTransitionReason: record.state_transition_reason ?? '',
    ...(record.key_name !== null && { KeyName: record.key_name }),
    AmiLaunchIndex: record.launch_index,
    ProductCodes: [],
    InstanceType: record.instance_type,
    LaunchTime: new Date(record.launch_time),
    Placement: { AvailabilityZone: record.zone, GroupName: '', Tenancy: 'default' },
    ...(record.kernel_id !== null && { KernelId: record.kernel_id }),
    ...(record.ramdisk_id !== null && { RamdiskId: record.ramdisk_id }),
    Monitoring: { State: 'disabled' },
    ...(privateIp && { PrivateIpAddress: privateIp }),
    ...(record.public_ip_address !== null && { PublicIpAddress: record.public_ip_address }),
    ...(reason && { StateReason: reason }),
    Architecture: record.architecture,
    RootDeviceType: 'instance-store',
    RootDeviceName: '/dev/sda1',
    BlockDeviceMappings: [],
    VirtualizationType: record.virtualization_type,
    ...(record.client_token !== null && { ClientToken: record.client_token }),
    Hypervisor: 'xen',
    SecurityGroups: record.groups,
    SourceDestCheck: true,
    EbsOptimized: false,
    Tags: record.tags,
  };
}

/** Instances grouped into EC2's reservations, in reservation then launch order. */
export function toReservations(records: readonly InstanceRecord[]): Reservation[] {
  const byReservation = new Map<string, InstanceRecord[]>();
  for (const record of records) {
    const list = byReservation.get(record.reservation_id) ?? [];
    list.push(record);
    byReservation.set(record.reservation_id, list);
  }
  return [...byReservation].map(([reservationId, members]) => ({
    ReservationId: reservationId,
    OwnerId: members[0]?.account_id,
    Groups: [],
    Instances: members.sort((a, b) => a.launch_index - b.launch_index).map(toEc2Instance),
  }));
}

export interface StateChange {
  InstanceId: string;
  PreviousState: { Code: number; Name: InstanceStateName };
  CurrentState: { Code: number; Name: InstanceStateName };
}

/** What each action does to the state at once, and from which states it may start. */
const actions: Readonly<
  Record<
    InstanceAction,
    { from: ReadonlySet<InstanceStateName>; to?: InstanceStateName; idle?: ReadonlySet<InstanceStateName> }
  >
> = {
  terminate: {
    from: new Set(['pending', 'running', 'stopping', 'stopped']),
    to: 'shutting-down',
    idle: new Set(['shutting-down', 'terminated']),
  },
  stop: { from: new Set(['running', 'pending']), to: 'stopping', idle: new Set(['stopping', 'stopped']) },
  start: { from: new Set(['stopped']), to: 'pending', idle: new Set(['pending', 'running']) },
  reboot: { from: rebootable },
};

/**
 * Accepts `action` for every instance named (all or none): moves each to the state AWS reports at once (`stopping`,
 * `shutting-down` ...) and records the work for the scheduler. An instance already where the action leads is left
 * alone; one in a state the action cannot start from is `IncorrectInstanceState`.
 */
export async function requestAction(
  db: Db,
  accountId: string,
  instanceIds: readonly string[],
  action: InstanceAction,
): Promise<StateChange[]> {
  return withTransaction(db, async (trx) => {
    const records = await listInstances(trx, accountId, { instanceIds });
    const rule = actions[action];
    const changes: StateChange[] = [];
    const now = new Date().toISOString();
    for (const id of new Set(instanceIds)) {
      const record = records.find((candidate) => candidate.instance_id === id) as InstanceRecord;
      const previous = record.state;
      if (rule.idle?.has(previous)) {
        changes.push(change(id, previous, previous));
        continue;
      }
      const protection = protectedFrom[action];
      if (protection && record[protection.column] === 1) {
        throw ec2Errors.operationNotPermitted(
          `The instance '${id}' may not be ${pastTense[action]}. Modify its '${protection.attribute}' instance attribute and try again.`,
        );
      }
      if (!rule.from.has(previous)) {
        throw ec2Errors.incorrectState(
          'IncorrectInstanceState',
          `The instance '${id}' is not in a state from which it can be ${pastTense[action]}.`,
        );
      }
      // Never dispatched: nothing runs anywhere, so a terminate ends it here and now.
      const notDispatched = record.dispatched === 0 && action === 'terminate';
      const next = notDispatched ? 'terminated' : (rule.to ?? previous);
      await trx
        .updateTable('instances')
        .set({
          state: next,
          pending_action: notDispatched ? null : action,
          state_changed_at: next === previous ? record.state_changed_at : now,
          state_transition_reason: transitionReason(action, now),
          ...(action === 'terminate' || action === 'stop'
            ? {
                state_reason_code: 'Client.UserInitiatedShutdown',
                state_reason_message: 'Client.UserInitiatedShutdown: User initiated shutdown',
              }
            : { state_reason_code: null, state_reason_message: null }),
          ...(notDispatched && { dispatched: 1 }),
        })
        .where('instance_id', '=', id)
        .execute();
      if (action === 'terminate') await releaseHeldResources(trx, id);
      changes.push(change(id, previous, next));
    }
    return changes;
  });
}

/** Turns an instance's protection from TerminateInstances or StopInstances on or off. */
export async function setProtection(
  db: Db,
  instanceId: string,
  change: { column: 'disable_api_termination' | 'disable_api_stop'; value: boolean },
): Promise<void> {
  await db
    .updateTable('instances')
    .set({ [change.column]: change.value ? 1 : 0 })
    .where('instance_id', '=', instanceId)
    .execute();
}

/** The actions an instance's API protection refuses (DisableApiTermination, DisableApiStop), by its column. */
const protectedFrom: Partial<
  Record<InstanceAction, { column: 'disable_api_termination' | 'disable_api_stop'; attribute: string }>
> = {
  terminate: { column: 'disable_api_termination', attribute: 'disableApiTermination' },
  stop: { column: 'disable_api_stop', attribute: 'disableApiStop' },
};

const pastTense: Record<InstanceAction, string> = {
  terminate: 'terminated',
  stop: 'stopped',
  start: 'started',
  reboot: 'rebooted',
};

function transitionReason(action: InstanceAction, at: string): string {
  if (action === 'stop' || action === 'terminate') return `User initiated (${at.replace('T', ' ').slice(0, 19)} GMT)`;
  return '';
}

function change(id: string, previous: InstanceStateName, current: InstanceStateName): StateChange {
  return {
    InstanceId: id,
    PreviousState: { Code: stateCodes[previous], Name: previous },
    CurrentState: { Code: stateCodes[current], Name: current },
  };
}

/** Instances accepted and not yet taken by their zone, oldest first, for the scheduler. */
export function instancesToDispatch(db: Db): Promise<InstanceRow[]> {
  return db
    .selectFrom('instances')
    .selectAll()
    .where('dispatched', '=', 0)
    .where('state', '=', 'pending')
    .orderBy('launch_time')
    .orderBy('reservation_id')
    .orderBy('launch_index')
    .execute();
}

/** The types of a zone's instances accepted and not yet taken by it: room the zone's report does not show as used. */
export async function undispatchedTypes(db: Db, zone: string): Promise<string[]> {
  const rows = await db
    .selectFrom('instances')
    .select('instance_type')
    .where('zone', '=', zone)
    .where('dispatched', '=', 0)
    .where('state', '=', 'pending')
    .execute();
  return rows.map((row) => row.instance_type);
}

/** Instances with an action still to carry out at their zone. */
export function instancesWithActions(db: Db): Promise<InstanceRow[]> {
  return db
    .selectFrom('instances')
    .selectAll()
    .where('pending_action', 'is not', null)
    .where('dispatched', '=', 1)
    .orderBy('state_changed_at')
    .execute();
}

/** Live instances of a zone, for reconciling with what its cluster controller reports. */
export function liveInstancesOfZone(db: Db, zone: string): Promise<InstanceRow[]> {
  return db
    .selectFrom('instances')
    .selectAll()
    .where('zone', '=', zone)
    .where('dispatched', '=', 1)
    .where('state', '!=', 'terminated')
    .execute();
}

export async function markDispatched(db: Db, instanceId: string): Promise<void> {
  await db.updateTable('instances').set({ dispatched: 1 }).where('instance_id', '=', instanceId).execute();
}

/** The zone could not take the instance at all: it ends, with the reason, as AWS ends a launch that failed. */
export async function failLaunch(db: Db, instanceId: string, reason: { code: string; message: string }): Promise<void> {
  await db
    .updateTable('instances')
    .set({
      state: 'terminated',
      dispatched: 1,
      pending_action: null,
      state_reason_code: reason.code,
      state_reason_message: `${reason.code}: ${reason.message}`,
      state_changed_at: new Date().toISOString(),
    })
    .where('instance_id', '=', instanceId)
    .execute();
  await releaseHeldResources(db, instanceId);
}

export async function clearAction(db: Db, instanceId: string, action: InstanceAction): Promise<void> {
  await db
    .updateTable('instances')
    .set({ pending_action: null })
    .where('instance_id', '=', instanceId)
    .where('pending_action', '=', action)
    .execute();
}

/**
 * Takes in what the zone reports of an instance. The zone's view wins except where the API has accepted an action
 * not yet carried out (the instance stays `stopping` until the zone says `stopped`), and a terminated instance never
 * comes back.
 */
export async function applyReport(db: Db, row: InstanceRow, report: ClusterInstance | undefined): Promise<void> {
  const now = new Date().toISOString();
  if (!report) {
    // The zone answered and does not have it: it is gone.
    await db
      .updateTable('instances')
      .set({
        state: 'terminated',
        pending_action: null,
        state_changed_at: now,
        ...(row.state !== 'shutting-down' && {
          state_reason_code: 'Server.InternalError',
          state_reason_message: 'Server.InternalError: the instance is no longer on any node of its zone',
        }),
      })
      .where('instance_id', '=', row.instance_id)
      .execute();
    await releaseHeldResources(db, row.instance_id);
    return;
  }
  let state = report.state;
  if (row.pending_action === 'terminate' && state !== 'terminated') state = 'shutting-down';
  if (row.pending_action === 'stop' && state !== 'stopped' && state !== 'terminated') state = 'stopping';
  if (row.pending_action === 'start' && state === 'stopped') state = 'pending';
  const reason = report.stateReason;
  await db
    .updateTable('instances')
    .set({
      state,
      node_name: report.nodeName ?? row.node_name,
      node_reachable: report.nodeReachable ? 1 : 0,
      private_ip_address: report.privateIpAddress ?? row.private_ip_address,
      ...(state !== row.state && { state_changed_at: now }),
      ...(reason
        ? { state_reason_code: reason.code, state_reason_message: `${reason.code}: ${reason.message}` }
        : state === 'running'
          ? { state_reason_code: null, state_reason_message: null }
          : {}),
      ...(state === 'terminated' && { pending_action: null }),
    })
    .where('instance_id', '=', row.instance_id)
    .execute();
  if (state === 'terminated') await releaseHeldResources(db, row.instance_id);
}

/** Forgets terminated instances past the retention: rows, tags and group memberships. */
export async function forgetTerminated(db: Db, now = new Date()): Promise<number> {
  const cutoff = new Date(now.getTime() - (await currentTerminatedRetentionMs(db))).toISOString();
  const rows = await db
    .selectFrom('instances')
    .select('instance_id')
    .where('state', '=', 'terminated')
    .where('state_changed_at', '<', cutoff)
    .execute();
  for (const { instance_id: id } of rows) {
    await withTransaction(db, async (trx) => {
      await releaseHeldResources(trx, id);
      await removeGroupMember(trx, id);
      await unregisterResource(trx, id);
      await trx.deleteFrom('instances').where('instance_id', '=', id).execute();
    });
  }
  return rows.length;
}

/** The instance's row, if the account has it. */
export async function requireInstance(db: Db, accountId: string, instanceId: string): Promise<InstanceRecord> {
  const [record] = await listInstances(db, accountId, { instanceIds: [instanceId] });
  return record as InstanceRecord;
}

/** The public IP the instance shows: its Elastic IP, set and cleared by the address model. */
export async function setPublicIp(db: Db, instanceId: string, ip: string | null): Promise<void> {
  await db.updateTable('instances').set({ public_ip_address: ip }).where('instance_id', '=', instanceId).execute();
}

/**
 * A terminated instance lets go of its Elastic IP (which stays allocated), its volumes (which become available) and
 * its security groups (which may then be deleted, as on AWS, though the instance stays visible for an hour).
 */
async function releaseHeldResources(db: Db, instanceId: string): Promise<void> {
  await releaseAddressOf(db, instanceId);
  await detachVolumesOf(db, instanceId);
  await removeGroupMember(db, instanceId);
}
