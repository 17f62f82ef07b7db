import type { Kysely } from 'kysely';
import t from 'tap';
import type { Database } from '../../../src/db/schema.js';
import type { ClcContext } from '../../../services/clc/handlers/context.js';
import { addressHandlers } from '../../../services/clc/handlers/ec2/addresses.js';
import { tagHandlers } from '../../../services/clc/handlers/ec2/tags.js';
import { parseAddressPool } from '../../../services/clc/models/addresses.js';
import {
  forgetTerminated,
  listInstances,
  requestAction,
  terminatedRetentionMs,
  toEc2Instance,
} from '../../../services/clc/models/instances.js';
import { backends } from '../db/backends.js';
import { expectServiceError, recordInstance, rootContext } from '../../helpers/clc-models.js';

const zone = 'test-1a';

const instanceOf = (context: ClcContext, privateIp: string, state: 'running' | 'pending' = 'running') =>
  recordInstance(context.db, context.caller.accountId, { zone, privateIp, state });

const accountContext = (db: Kysely<Database>, name: string, pool = ['198.51.100.0/29']) =>
  rootContext(db, name, { zones: [{ name: zone }], addressPool: parseAddressPool(pool) });

async function publicIpOf(context: ClcContext, instanceId: string): Promise<string | undefined> {
  const [record] = await listInstances(context.db, context.caller.accountId, { instanceIds: [instanceId] });
  return toEc2Instance(record!).PublicIpAddress;
}

const { AllocateAddress, DescribeAddresses, AssociateAddress, DisassociateAddress, ReleaseAddress } = addressHandlers;
const allocationIdForm = /^eipalloc-[0-9a-f]{17}$/;
const associationIdForm = /^eipassoc-[0-9a-f]{17}$/;

t.test('the pool: addresses and ranges, without network and broadcast addresses', async (t) => {
  const pool = parseAddressPool(['198.51.100.0/29', '203.0.113.9', '198.51.100.4/30', '192.0.2.0/31']);
  t.same(
    [...pool.addresses()],
    [
      '192.0.2.0',
      '192.0.2.1',
      '198.51.100.1',
      '198.51.100.2',
      '198.51.100.3',
      '198.51.100.4',
      '198.51.100.5',
      '198.51.100.6',
      '203.0.113.9',
    ],
  );
  t.equal(pool.size, 9, 'the overlap counts once');
  t.ok(pool.has('198.51.100.6'));
  t.notOk(pool.has('198.51.100.7'), 'the broadcast address is not in it');
  t.notOk(pool.has('not an ip'));
  t.throws(() => parseAddressPool(['198.51.100.0/33']), /publicAddresses: '198.51.100.0\/33' is neither/);
  t.throws(() => parseAddressPool(['2001:db8::1']), /neither an IPv4 address nor a CIDR range/);
});

for (const backend of await backends(t)) {
  t.test(backend.name, async (t) => {
    t.test('AllocateAddress: the lowest free address, until the pool is empty', async (t) => {
      const db = await backend.fresh(t);
      const alice = await accountContext(db, 'alice');
      const first = await AllocateAddress(
        { TagSpecifications: [{ ResourceType: 'elastic-ip', Tags: [{ Key: 'role', Value: 'web' }] }] },
        alice,
      );
      t.match(first, {
        PublicIp: '198.51.100.1',
        AllocationId: allocationIdForm,
        Domain: 'vpc',
        PublicIpv4Pool: 'amazon',
        NetworkBorderGroup: 'test-1',
      });
      t.notOk('Tags' in first, 'AllocateAddress answers no tags');
      const classic = await AllocateAddress({ Domain: 'standard' }, alice);
      t.match(classic, { PublicIp: '198.51.100.2', Domain: 'standard' });
      t.match(await AllocateAddress({ Address: '198.51.100.6' }, alice), { PublicIp: '198.51.100.6' });
      await expectServiceError(t, AllocateAddress({ Address: '198.51.100.6' }, alice), {
        code: 'InvalidIPAddress.InUse',
        message: 'Address 198.51.100.6 is in use.',
      });
      await expectServiceError(t, AllocateAddress({ Address: '192.0.2.1' }, alice), {
        code: 'InvalidAddress.NotFound',
        message: "Address '192.0.2.1' not found.",
      });
      await expectServiceError(t, AllocateAddress({ Domain: 'classic' }, alice), {
        code: 'InvalidParameterValue',
        message: "Value (classic) for parameter Domain is invalid. Valid values are 'vpc' and 'standard'.",
      });
      const { Addresses = [] } = await DescribeAddresses({}, alice);
      t.same(
        Addresses.map((address) => address.PublicIp).sort(),
        [first, classic]
          .map((address) => address.PublicIp)
          .concat('198.51.100.6')
          .sort(),
      );
      t.same(Addresses.find((address) => address.AllocationId === first.AllocationId)?.Tags, [
        { Key: 'role', Value: 'web' },
      ]);

      // Two accounts racing for the last three addresses: each address goes to exactly one of them.
      const bob = await accountContext(db, 'bob');
      const results = await Promise.allSettled(
        [alice, bob, alice, bob, alice].map((context) => AllocateAddress({}, context)),
      );
      const won = results.flatMap((result) => (result.status === 'fulfilled' ? [result.value.PublicIp] : []));
      t.same(won.sort(), ['198.51.100.3', '198.51.100.4', '198.51.100.5'], 'no address allocated twice');
      for (const result of results.filter((result) => result.status === 'rejected')) {
        t.match((result as PromiseRejectedResult).reason, {
          code: 'AddressLimitExceeded',
          message: 'The maximum number of addresses has been reached.',
        });
      }
      await expectServiceError(t, AllocateAddress({}, bob), {
        code: 'AddressLimitExceeded',
        message: 'The maximum number of addresses has been reached.',
      });
      const noPool = { ...bob, cloud: { ...bob.cloud, addressPool: undefined } };
      await expectServiceError(t, AllocateAddress({}, noPool), {
        code: 'AddressLimitExceeded',
        message: /maximum number/,
      });
    });

    t.test('DescribeAddresses: ids, public IPs and filters', async (t) => {
      const db = await backend.fresh(t);
      const alice = await accountContext(db, 'alice');
      const web = await AllocateAddress({}, alice);
      const spare = await AllocateAddress({ Domain: 'standard' }, alice);
      const instanceId = await instanceOf(alice, '10.0.0.5');
      const { AssociationId } = await AssociateAddress(
        { AllocationId: web.AllocationId, InstanceId: instanceId },
        alice,
      );
      const ips = async (input: Parameters<typeof DescribeAddresses>[0]) =>
        ((await DescribeAddresses(input, alice)).Addresses ?? []).map((address) => address.PublicIp);
      const filter = (Name: string, ...Values: string[]) => ({ Filters: [{ Name, Values }] });
      t.same(await ips({ PublicIps: [spare.PublicIp ?? ''] }), [spare.PublicIp]);
      t.same(await ips({ AllocationIds: [web.AllocationId ?? ''] }), [web.PublicIp]);
      t.same(await ips(filter('instance-id', instanceId)), [web.PublicIp]);
      t.same(await ips(filter('association-id', AssociationId ?? '')), [web.PublicIp]);
      t.same(await ips(filter('private-ip-address', '10.0.0.*')), [web.PublicIp]);
      t.same(await ips(filter('domain', 'standard')), [spare.PublicIp]);
      t.same(await ips(filter('public-ip', '198.51.100.2')), ['198.51.100.2']);
      t.same(await ips(filter('allocation-id', spare.AllocationId ?? '')), [spare.PublicIp]);
      await tagHandlers.CreateTags(
        { Resources: [spare.AllocationId ?? ''], Tags: [{ Key: 'env', Value: 'test' }] },
        alice,
      );
      t.same(await ips(filter('tag:env', 'test')), [spare.PublicIp]);
      await expectServiceError(t, DescribeAddresses(filter('nope', 'x'), alice), {
        code: 'InvalidParameterValue',
        message: "The filter 'nope' is invalid",
      });
      await expectServiceError(t, DescribeAddresses({ PublicIps: ['198.51.100.5'] }, alice), {
        code: 'InvalidAddress.NotFound',
        message: "Address '198.51.100.5' not found.",
      });
      await expectServiceError(t, DescribeAddresses({ AllocationIds: ['eipalloc-0123456789abcdef0'] }, alice), {
        code: 'InvalidAllocationID.NotFound',
        message: "The allocation ID 'eipalloc-0123456789abcdef0' does not exist",
      });
      await expectServiceError(t, DescribeAddresses({ AllocationIds: ['eipalloc-x'] }, alice), {
        code: 'InvalidAllocationID.Malformed',
        message: 'Invalid id: "eipalloc-x"',
      });
    });

    t.test('AssociateAddress, reassociation, DisassociateAddress, and the instance’s public IP', async (t) => {
      const db = await backend.fresh(t);
      const alice = await accountContext(db, 'alice');
      const address = await AllocateAddress({}, alice);
      const other = await AllocateAddress({}, alice);
      const one = await instanceOf(alice, '10.0.0.5');
      const two = await instanceOf(alice, '10.0.0.6');

      const { AssociationId } = await AssociateAddress({ AllocationId: address.AllocationId, InstanceId: one }, alice);
      t.match(AssociationId, associationIdForm);
      t.equal(await publicIpOf(alice, one), address.PublicIp, 'the instance shows the address');
      t.match((await DescribeAddresses({ AllocationIds: [address.AllocationId ?? ''] }, alice)).Addresses, [
        { AssociationId, InstanceId: one, PrivateIpAddress: '10.0.0.5', PublicIp: address.PublicIp },
      ]);
      t.same(
        await AssociateAddress({ AllocationId: address.AllocationId, InstanceId: one }, alice),
        { AssociationId },
        'associating it where it is changes nothing',
      );

      await expectServiceError(
        t,
        AssociateAddress({ AllocationId: address.AllocationId, InstanceId: two, AllowReassociation: false }, alice),
        {
          code: 'Resource.AlreadyAssociated',
          message: `resource ${address.AllocationId} is already associated with associate-id ${AssociationId}`,
        },
      );
      const moved = await AssociateAddress({ PublicIp: address.PublicIp, InstanceId: two }, alice);
      t.not(moved.AssociationId, AssociationId, 'a move is a new association');
      t.equal(await publicIpOf(alice, one), undefined, 'the first instance lost it');
      t.equal(await publicIpOf(alice, two), address.PublicIp);

      // A second address for the same instance takes the place of the first.
      await AssociateAddress({ AllocationId: other.AllocationId, InstanceId: two }, alice);
      t.equal(await publicIpOf(alice, two), other.PublicIp);
      t.match((await DescribeAddresses({ AllocationIds: [address.AllocationId ?? ''] }, alice)).Addresses?.[0], {
        AssociationId: undefined,
        InstanceId: undefined,
      });

      await DisassociateAddress({ PublicIp: other.PublicIp }, alice);
      t.equal(await publicIpOf(alice, two), undefined);
      await DisassociateAddress({ PublicIp: other.PublicIp }, alice);
      t.pass('disassociating an unassociated address by public IP is a no-op');
      await expectServiceError(t, DisassociateAddress({ AssociationId: moved.AssociationId }, alice), {
        code: 'InvalidAssociationID.NotFound',
        message: `The association ID '${moved.AssociationId}' does not exist`,
      });

      const { AssociationId: again } = await AssociateAddress(
        { AllocationId: address.AllocationId, InstanceId: one },
        alice,
      );
      await DisassociateAddress({ AssociationId: again }, alice);
      t.equal(await publicIpOf(alice, one), undefined);

      const pending = await instanceOf(alice, '10.0.0.7', 'pending');
      await expectServiceError(
        t,
        AssociateAddress({ AllocationId: address.AllocationId, InstanceId: pending }, alice),
        {
          code: 'InvalidInstanceID',
          message: `The pending instance '${pending}' is not in a valid state for this operation.`,
        },
      );
      await expectServiceError(t, AssociateAddress({ AllocationId: address.AllocationId }, alice), {
        code: 'MissingParameter',
        message: 'The request must contain the parameter InstanceId',
      });
      await expectServiceError(
        t,
        AssociateAddress({ AllocationId: address.AllocationId, PublicIp: address.PublicIp, InstanceId: one }, alice),
        { code: 'InvalidParameterCombination', message: /not both/ },
      );
      await expectServiceError(
        t,
        AssociateAddress({ AllocationId: address.AllocationId, InstanceId: 'i-0123456789abcdef0' }, alice),
        {
          code: 'InvalidInstanceID.NotFound',
          message: "The instance ID 'i-0123456789abcdef0' does not exist",
        },
      );
    });

    t.test('ReleaseAddress: refused while associated; terminating the instance disassociates it', async (t) => {
      const db = await backend.fresh(t);
      const alice = await accountContext(db, 'alice');
      const address = await AllocateAddress({}, alice);
      const instanceId = await instanceOf(alice, '10.0.0.5');
      await AssociateAddress({ AllocationId: address.AllocationId, InstanceId: instanceId }, alice);
      await expectServiceError(t, ReleaseAddress({ AllocationId: address.AllocationId }, alice), {
        code: 'InvalidIPAddress.InUse',
        message: `Address ${address.PublicIp} is in use.`,
      });

      await requestAction(db, alice.caller.accountId, [instanceId], 'terminate');
      const [after] = (await DescribeAddresses({}, alice)).Addresses ?? [];
      t.match(after, { PublicIp: address.PublicIp, AllocationId: address.AllocationId });
      t.notOk(after?.AssociationId, 'terminating the instance ended the association; the address stays allocated');
      t.equal(await publicIpOf(alice, instanceId), undefined);

      await ReleaseAddress({ AllocationId: address.AllocationId }, alice);
      t.same((await DescribeAddresses({}, alice)).Addresses, []);
      await expectServiceError(t, ReleaseAddress({ AllocationId: address.AllocationId }, alice), {
        code: 'InvalidAllocationID.NotFound',
        message: `The allocation ID '${address.AllocationId}' does not exist`,
      });
      await expectServiceError(t, ReleaseAddress({ PublicIp: address.PublicIp }, alice), {
        code: 'AuthFailure',
        message: `The address '${address.PublicIp}' does not belong to you.`,
      });
      t.equal((await AllocateAddress({}, alice)).PublicIp, address.PublicIp, 'the address is back in the pool');
      t.same(
        (await db.selectFrom('ec2_resources').select('resource_id').where('resource_type', '=', 'elastic-ip').execute())
          .length,
        1,
        'the released allocation is unregistered',
      );

      // A classic address is disassociated on release, as EC2-Classic did.
      const classic = await AllocateAddress({ Domain: 'standard' }, alice);
      const other = await instanceOf(alice, '10.0.0.6');
      await AssociateAddress({ PublicIp: classic.PublicIp, InstanceId: other }, alice);
      await ReleaseAddress({ PublicIp: classic.PublicIp }, alice);
      t.equal(await publicIpOf(alice, other), undefined);

      // Forgetting a terminated instance also lets go of an association (one made by an older clc, say).
      const last = await instanceOf(alice, '10.0.0.8');
      const { AllocationId } = (await DescribeAddresses({}, alice)).Addresses?.[0] ?? {};
      await AssociateAddress({ AllocationId, InstanceId: last }, alice);
      await db.updateTable('instances').set({ state: 'terminated' }).where('instance_id', '=', last).execute();
      await forgetTerminated(db, new Date(Date.now() + terminatedRetentionMs + 60_000));
      t.notOk((await DescribeAddresses({}, alice)).Addresses?.[0]?.InstanceId);
    });

    t.test('accounts do not see, change or use each other’s addresses', async (t) => {
      const db = await backend.fresh(t);
      const alice = await accountContext(db, 'alice');
      const bob = await accountContext(db, 'bob');
      const address = await AllocateAddress({}, alice);
      const aliceInstance = await instanceOf(alice, '10.0.0.5');
      const bobInstance = await instanceOf(bob, '10.0.0.9');
      const { AssociationId } = await AssociateAddress(
        { AllocationId: address.AllocationId, InstanceId: aliceInstance },
        alice,
      );
      const id = address.AllocationId ?? '';
      const notFound = { code: 'InvalidAllocationID.NotFound', message: `The allocation ID '${id}' does not exist` };
      const notYours = { code: 'AuthFailure', message: `The address '${address.PublicIp}' does not belong to you.` };

      t.same((await DescribeAddresses({}, bob)).Addresses, [], 'bob sees none of them');
      await expectServiceError(t, DescribeAddresses({ AllocationIds: [id] }, bob), notFound);
      await expectServiceError(t, DescribeAddresses({ PublicIps: [address.PublicIp ?? ''] }, bob), {
        code: 'InvalidAddress.NotFound',
        message: `Address '${address.PublicIp}' not found.`,
      });
      await expectServiceError(t, AssociateAddress({ AllocationId: id, InstanceId: bobInstance }, bob), notFound);
      await expectServiceError(
        t,
        AssociateAddress({ PublicIp: address.PublicIp, InstanceId: bobInstance }, bob),
        notYours,
      );
      await expectServiceError(t, DisassociateAddress({ AssociationId }, bob), {
        code: 'InvalidAssociationID.NotFound',
        message: `The association ID '${AssociationId}' does not exist`,
      });
      await expectServiceError(t, DisassociateAddress({ PublicIp: address.PublicIp }, bob), notYours);
      await expectServiceError(t, ReleaseAddress({ AllocationId: id }, bob), notFound);
      await expectServiceError(t, ReleaseAddress({ PublicIp: address.PublicIp }, bob), notYours);
      await expectServiceError(
        t,
        tagHandlers.CreateTags({ Resources: [id], Tags: [{ Key: 'mine', Value: 'now' }] }, bob),
        {
          code: 'InvalidAllocationID.NotFound',
          message: new RegExp(`'${id}' does not exist`),
        },
      );
      const own = await AllocateAddress({}, bob);
      await expectServiceError(
        t,
        AssociateAddress({ AllocationId: own.AllocationId, InstanceId: aliceInstance }, bob),
        {
          code: 'InvalidInstanceID.NotFound',
          message: `The instance ID '${aliceInstance}' does not exist`,
        },
      );
      t.match((await DescribeAddresses({}, alice)).Addresses, [{ AllocationId: id, AssociationId, Tags: [] }]);
      t.equal(await publicIpOf(alice, aliceInstance), address.PublicIp, "alice's association is untouched");
    });
  });
}
