import type { Kysely } from 'kysely';
import t from 'tap';
import type { Database } from '../../../src/db/schema.js';
import type { ClcContext } from '../../../services/clc/handlers/context.js';
import { tagHandlers } from '../../../services/clc/handlers/ec2/tags.js';
import { volumeHandlers } from '../../../services/clc/handlers/ec2/volumes.js';
import { requestAction } from '../../../services/clc/models/instances.js';
import type { VolumeBackend } from '../../../services/clc/models/volumes.js';
import { backends } from '../db/backends.js';
import { expectServiceError, recordInstance, rootContext } from '../../helpers/clc-models.js';

const zoneA = 'test-1a';
const zoneB = 'test-1b';

const instanceOf = (context: ClcContext, zone = zoneA, state: 'running' | 'pending' = 'running') =>
  recordInstance(context.db, context.caller.accountId, { zone, state });

const accountContext = (db: Kysely<Database>, name: string, backend?: VolumeBackend) =>
  rootContext(db, name, { zones: [{ name: zoneA }, { name: zoneB }], volumes: backend });

const {
  CreateVolume,
  DescribeVolumes,
  DeleteVolume,
  AttachVolume,
  DetachVolume,
  CreateSnapshot,
  DescribeSnapshots,
  DeleteSnapshot,
} = volumeHandlers;

const volumeIdForm = /^vol-[0-9a-f]{17}$/;
const snapshotIdForm = /^snap-[0-9a-f]{17}$/;

async function volumeOf(context: ClcContext, VolumeId: string) {
  return (await DescribeVolumes({ VolumeIds: [VolumeId] }, context)).Volumes?.[0];
}

for (const backend of await backends(t)) {
  t.test(backend.name, async (t) => {
    t.test('CreateVolume: sizes, types, zones, tokens, tags', async (t) => {
      const db = await backend.fresh(t);
      const alice = await accountContext(db, 'alice');
      const created = await CreateVolume(
        {
          AvailabilityZone: zoneA,
          Size: 100,
          TagSpecifications: [{ ResourceType: 'volume', Tags: [{ Key: 'Name', Value: 'data' }] }],
        },
        alice,
      );
      t.match(created, {
        VolumeId: volumeIdForm,
        Size: 100,
        SnapshotId: '',
        AvailabilityZone: zoneA,
        State: 'creating',
        CreateTime: Date,
        Attachments: [],
        VolumeType: 'gp2',
        Iops: 300,
        Encrypted: false,
        MultiAttachEnabled: false,
        Tags: [{ Key: 'Name', Value: 'data' }],
      });
      t.match(await volumeOf(alice, created.VolumeId ?? ''), { State: 'available', Size: 100 }, 'available at once');
      t.match(await CreateVolume({ AvailabilityZone: zoneB, Size: 1, VolumeType: 'standard' }, alice), {
        VolumeType: 'standard',
        Iops: undefined,
      });
      t.match(await CreateVolume({ AvailabilityZone: zoneA, Size: 16384, VolumeType: 'gp3', Iops: 4000 }, alice), {
        VolumeType: 'gp3',
        Iops: 4000,
        Throughput: 125,
      });

      await expectServiceError(t, CreateVolume({ AvailabilityZone: 'test-1z', Size: 1 }, alice), {
        code: 'InvalidParameterValue',
        message: 'Invalid availability zone: [test-1z]',
      });
      await expectServiceError(t, CreateVolume({ AvailabilityZone: zoneA }, alice), {
        code: 'MissingParameter',
        message: 'The request must contain the parameter size or snapshotId',
      });
      await expectServiceError(t, CreateVolume({ AvailabilityZone: zoneA, Size: 0 }, alice), {
        code: 'InvalidParameterValue',
        message: 'Volume of 0GiB is too small; minimum is 1GiB.',
      });
      await expectServiceError(t, CreateVolume({ AvailabilityZone: zoneA, Size: 16385 }, alice), {
        code: 'InvalidParameterValue',
        message: 'Volume of 16385GiB is too large for volume type gp2; maximum is 16384GiB.',
      });
      await expectServiceError(
        t,
        CreateVolume({ AvailabilityZone: zoneA, Size: 2000, VolumeType: 'standard' }, alice),
        {
          code: 'InvalidParameterValue',
          message: 'Volume of 2000GiB is too large for volume type standard; maximum is 1024GiB.',
        },
      );
      await expectServiceError(t, CreateVolume({ AvailabilityZone: zoneA, Size: 8, VolumeType: 'io1' }, alice), {
        code: 'InvalidParameterValue',
        message: 'Value (io1) for parameter volumeType is invalid. Valid types: standard, gp2, gp3.',
      });
      await expectServiceError(t, CreateVolume({ AvailabilityZone: zoneA, Size: 8, Iops: 500 }, alice), {
        code: 'InvalidParameterCombination',
        message: 'The parameter iops is not supported for gp2 volumes.',
      });
      await expectServiceError(t, CreateVolume({ AvailabilityZone: zoneA, Size: 8, Encrypted: true }, alice), {
        code: 'UnsupportedOperation',
        message: 'Encrypted volumes are not supported by this cloud.',
      });

      const first = await CreateVolume({ AvailabilityZone: zoneA, Size: 8, ClientToken: 'once' }, alice);
      const retry = await CreateVolume({ AvailabilityZone: zoneA, Size: 8, ClientToken: 'once' }, alice);
      t.equal(retry.VolumeId, first.VolumeId, 'a retry with the token is the same volume');
      await expectServiceError(t, CreateVolume({ AvailabilityZone: zoneA, Size: 9, ClientToken: 'once' }, alice), {
        code: 'IdempotentParameterMismatch',
        message: /inconsistent with arguments used in previous request/,
      });
      t.equal((await DescribeVolumes({}, alice)).Volumes?.length, 4);
    });

    t.test('DescribeVolumes: ids, filters, pages', async (t) => {
      const db = await backend.fresh(t);
      const alice = await accountContext(db, 'alice');
      const ids: string[] = [];
      for (const size of [1, 2, 3, 4, 5, 6, 7]) {
        const zone = size % 2 === 0 ? zoneB : zoneA;
        ids.push((await CreateVolume({ AvailabilityZone: zone, Size: size }, alice)).VolumeId ?? '');
      }
      const instanceId = await instanceOf(alice);
      await AttachVolume({ VolumeId: ids[0] ?? '', InstanceId: instanceId, Device: '/dev/sdf' }, alice);
      const sizes = async (input: Parameters<typeof DescribeVolumes>[0]) =>
        ((await DescribeVolumes(input, alice)).Volumes ?? []).map((volume) => volume.Size).sort();
      const filter = (Name: string, ...Values: string[]) => ({ Filters: [{ Name, Values }] });
      t.same(await sizes({ VolumeIds: [ids[2] ?? '', ids[3] ?? ''] }), [3, 4]);
      t.same(await sizes(filter('availability-zone', zoneB)), [2, 4, 6]);
      t.same(await sizes(filter('size', '5', '7')), [5, 7]);
      t.same(await sizes(filter('status', 'in-use')), [1]);
      t.same(await sizes(filter('attachment.instance-id', instanceId)), [1]);
      t.same(await sizes(filter('attachment.status', 'attached')), [1]);
      t.same(await sizes(filter('attachment.device', '/dev/sdf')), [1]);
      t.same(await sizes(filter('volume-type', 'gp2')), [1, 2, 3, 4, 5, 6, 7]);
      t.same(await sizes(filter('volume-id', ids[6] ?? '')), [7]);
      t.same(await sizes(filter('snapshot-id', '')), [1, 2, 3, 4, 5, 6, 7]);
      await tagHandlers.CreateTags({ Resources: [ids[1] ?? ''], Tags: [{ Key: 'tier', Value: 'db' }] }, alice);
      t.same(await sizes(filter('tag:tier', 'db')), [2]);
      await expectServiceError(t, DescribeVolumes(filter('color', 'red'), alice), {
        code: 'InvalidParameterValue',
        message: "The filter 'color' is invalid",
      });
      await expectServiceError(t, DescribeVolumes({ VolumeIds: ['vol-0123456789abcdef0'] }, alice), {
        code: 'InvalidVolume.NotFound',
        message: "The volume 'vol-0123456789abcdef0' does not exist",
      });
      await expectServiceError(t, DescribeVolumes({ VolumeIds: ['vol-12'] }, alice), {
        code: 'InvalidVolumeID.Malformed',
        message: 'Invalid id: "vol-12"',
      });
      await expectServiceError(t, DescribeVolumes({ VolumeIds: [ids[0] ?? ''], MaxResults: 5 }, alice), {
        code: 'InvalidParameterCombination',
        message: 'The parameter volumeIds cannot be used with the parameter maxResults',
      });
      const seen: string[] = [];
      let NextToken: string | undefined;
      do {
        const page = await DescribeVolumes({ MaxResults: 5, NextToken }, alice);
        t.ok((page.Volumes?.length ?? 0) <= 5);
        seen.push(...(page.Volumes ?? []).map((volume) => volume.VolumeId ?? ''));
        NextToken = page.NextToken;
      } while (NextToken);
      t.same(seen, [...ids].sort(), 'every volume once over the pages, in id order');
    });

    t.test('AttachVolume and DetachVolume', async (t) => {
      const db = await backend.fresh(t);
      const alice = await accountContext(db, 'alice');
      const instanceId = await instanceOf(alice);
      const other = await instanceOf(alice);
      const { VolumeId: volumeId = '' } = await CreateVolume({ AvailabilityZone: zoneA, Size: 8 }, alice);
      const { VolumeId: second = '' } = await CreateVolume({ AvailabilityZone: zoneA, Size: 8 }, alice);
      const { VolumeId: elsewhere = '' } = await CreateVolume({ AvailabilityZone: zoneB, Size: 8 }, alice);

      const attached = await AttachVolume({ VolumeId: volumeId, InstanceId: instanceId, Device: '/dev/sdf' }, alice);
      t.match(attached, {
        VolumeId: volumeId,
        InstanceId: instanceId,
        Device: '/dev/sdf',
        State: 'attaching',
        AttachTime: Date,
        DeleteOnTermination: false,
      });
      t.match(await volumeOf(alice, volumeId), {
        State: 'in-use',
        Attachments: [{ VolumeId: volumeId, InstanceId: instanceId, Device: '/dev/sdf', State: 'attached' }],
      });
      await expectServiceError(t, AttachVolume({ VolumeId: volumeId, InstanceId: other, Device: '/dev/sdg' }, alice), {
        code: 'VolumeInUse',
        message: `${volumeId} is already attached to an instance`,
      });
      await expectServiceError(
        t,
        AttachVolume({ VolumeId: second, InstanceId: instanceId, Device: '/dev/xvdf' }, alice),
        {
          code: 'InvalidParameterValue',
          message: "Invalid value '/dev/xvdf' for unixDevice. Attachment point /dev/xvdf is already in use",
        },
      );
      await expectServiceError(
        t,
        AttachVolume({ VolumeId: second, InstanceId: instanceId, Device: '/dev/sda1' }, alice),
        {
          code: 'InvalidParameterValue',
          message: 'Value (/dev/sda1) for parameter device is invalid. /dev/sda1 is not a valid EBS device name.',
        },
      );
      await expectServiceError(
        t,
        AttachVolume({ VolumeId: elsewhere, InstanceId: instanceId, Device: '/dev/sdg' }, alice),
        {
          code: 'InvalidVolume.ZoneMismatch',
          message: `The volume '${elsewhere}' is not in the same availability zone as instance '${instanceId}'`,
        },
      );
      const pending = await instanceOf(alice, zoneA, 'pending');
      await expectServiceError(t, AttachVolume({ VolumeId: second, InstanceId: pending, Device: '/dev/sdg' }, alice), {
        code: 'IncorrectInstanceState',
        message: `Instance '${pending}' is not 'running' or 'stopped'.`,
      });
      await expectServiceError(t, DeleteVolume({ VolumeId: volumeId }, alice), {
        code: 'VolumeInUse',
        message: `Volume ${volumeId} is currently attached to ${instanceId}`,
      });
      // Two volumes for one device at once: one wins.
      const { VolumeId: third = '' } = await CreateVolume({ AvailabilityZone: zoneA, Size: 8 }, alice);
      const race = await Promise.allSettled(
        [second, third].map((VolumeId) => AttachVolume({ VolumeId, InstanceId: other, Device: '/dev/vdh' }, alice)),
      );
      t.same(race.map((result) => result.status).sort(), ['fulfilled', 'rejected'], 'one device, one volume');

      await expectServiceError(t, DetachVolume({ VolumeId: volumeId, InstanceId: other }, alice), {
        code: 'InvalidAttachment.NotFound',
        message: `The volume '${volumeId}' is not attached to instance '${other}'`,
      });
      const detached = await DetachVolume({ VolumeId: volumeId }, alice);
      t.match(detached, { VolumeId: volumeId, InstanceId: instanceId, Device: '/dev/sdf', State: 'detaching' });
      t.match(await volumeOf(alice, volumeId), { State: 'available', Attachments: [] });
      await expectServiceError(t, DetachVolume({ VolumeId: volumeId }, alice), {
        code: 'IncorrectState',
        message: `Volume '${volumeId}' is in the 'available' state.`,
      });

      // A terminated instance lets go of its volumes.
      await AttachVolume({ VolumeId: volumeId, InstanceId: instanceId, Device: '/dev/vdb' }, alice);
      await requestAction(db, alice.caller.accountId, [instanceId], 'terminate');
      t.match(await volumeOf(alice, volumeId), { State: 'available', Attachments: [] });
      await DeleteVolume({ VolumeId: volumeId }, alice);
      await expectServiceError(t, DeleteVolume({ VolumeId: volumeId }, alice), {
        code: 'InvalidVolume.NotFound',
        message: `The volume '${volumeId}' does not exist`,
      });
    });

    t.test('snapshots: create, describe, restore, delete', async (t) => {
      const db = await backend.fresh(t);
      const alice = await accountContext(db, 'alice');
      const { VolumeId: volumeId = '' } = await CreateVolume({ AvailabilityZone: zoneA, Size: 20 }, alice);
      const created = await CreateSnapshot(
        {
          VolumeId: volumeId,
          Description: 'nightly',
          TagSpecifications: [{ ResourceType: 'snapshot', Tags: [{ Key: 'when', Value: 'night' }] }],
        },
        alice,
      );
      t.match(created, {
        SnapshotId: snapshotIdForm,
        VolumeId: volumeId,
        State: 'pending',
        StartTime: Date,
        OwnerId: alice.caller.accountId,
        VolumeSize: 20,
        Description: 'nightly',
        Encrypted: false,
        Tags: [{ Key: 'when', Value: 'night' }],
      });
      const snapshotId = created.SnapshotId ?? '';
      const describe = async (input: Parameters<typeof DescribeSnapshots>[0]) =>
        ((await DescribeSnapshots(input, alice)).Snapshots ?? []).map((snapshot) => snapshot.SnapshotId);
      t.match((await DescribeSnapshots({ SnapshotIds: [snapshotId] }, alice)).Snapshots, [
        { SnapshotId: snapshotId, State: 'completed', Progress: '100%' },
      ]);
      const second = (await CreateSnapshot({ VolumeId: volumeId }, alice)).SnapshotId ?? '';
      t.same(await describe({ OwnerIds: ['self'] }), [snapshotId, second].sort());
      t.same(await describe({ OwnerIds: [alice.caller.accountId] }), [snapshotId, second].sort());
      t.same(await describe({ OwnerIds: ['amazon'] }), [], 'nothing is shared or public here');
      t.same(await describe({ RestorableByUserIds: ['self'] }), [snapshotId, second].sort());
      t.same(await describe({ RestorableByUserIds: ['all'] }), []);
      t.same(await describe({ Filters: [{ Name: 'description', Values: ['night*'] }] }), [snapshotId]);
      t.same(await describe({ Filters: [{ Name: 'tag:when', Values: ['night'] }] }), [snapshotId]);
      t.same(await describe({ Filters: [{ Name: 'volume-id', Values: [volumeId] }] }), [snapshotId, second].sort());
      t.same(await describe({ Filters: [{ Name: 'status', Values: ['pending'] }] }), []);
      t.same(
        await describe({ Filters: [{ Name: 'owner-id', Values: [alice.caller.accountId] }] }).then((l) => l.length),
        2,
      );

      const restored = await CreateVolume({ AvailabilityZone: zoneB, SnapshotId: snapshotId }, alice);
      t.match(restored, { SnapshotId: snapshotId, Size: 20, AvailabilityZone: zoneB });
      t.match(await CreateVolume({ AvailabilityZone: zoneA, SnapshotId: snapshotId, Size: 30 }, alice), { Size: 30 });
      await expectServiceError(t, CreateVolume({ AvailabilityZone: zoneA, SnapshotId: snapshotId, Size: 10 }, alice), {
        code: 'InvalidParameterValue',
        message: `Volume of size 10 is smaller than snapshot '${snapshotId}', expect size >= 20`,
      });
      t.same(
        ((await DescribeVolumes({ Filters: [{ Name: 'snapshot-id', Values: [snapshotId] }] }, alice)).Volumes ?? [])
          .length,
        2,
      );

      await expectServiceError(t, CreateSnapshot({ VolumeId: 'vol-0123456789abcdef0' }, alice), {
        code: 'InvalidVolume.NotFound',
        message: "The volume 'vol-0123456789abcdef0' does not exist",
      });
      await DeleteVolume({ VolumeId: volumeId }, alice);
      t.match(await describe({ SnapshotIds: [snapshotId] }), [snapshotId], 'a snapshot outlives its volume');
      await DeleteSnapshot({ SnapshotId: snapshotId }, alice);
      await expectServiceError(t, DescribeSnapshots({ SnapshotIds: [snapshotId] }, alice), {
        code: 'InvalidSnapshot.NotFound',
        message: `The snapshot '${snapshotId}' does not exist`,
      });
      await expectServiceError(t, DeleteSnapshot({ SnapshotId: snapshotId }, alice), {
        code: 'InvalidSnapshot.NotFound',
        message: `The snapshot '${snapshotId}' does not exist`,
      });
      await expectServiceError(t, CreateVolume({ AvailabilityZone: zoneA, SnapshotId: snapshotId }, alice), {
        code: 'InvalidSnapshot.NotFound',
        message: `The snapshot '${snapshotId}' does not exist`,
      });
      await expectServiceError(t, DeleteSnapshot({ SnapshotId: 'snap-1' }, alice), {
        code: 'InvalidSnapshotID.Malformed',
        message: 'Invalid id: "snap-1"',
      });
    });

    t.test('a volume backend does the work; its failures show', async (t) => {
      const db = await backend.fresh(t);
      const calls: string[] = [];
      const failing = new Set<string>();
      const recorder: VolumeBackend = Object.fromEntries(
        ['createVolume', 'deleteVolume', 'attach', 'detach', 'createSnapshot', 'deleteSnapshot'].map((name) => [
          name,
          async (input: { volumeId?: string; snapshotId?: string }) => {
            calls.push(`${name} ${input.volumeId ?? input.snapshotId}`);
            if (failing.has(name)) throw new Error(`${name} failed`);
          },
        ]),
      ) as unknown as VolumeBackend;
      const alice = await accountContext(db, 'alice', recorder);
      const instanceId = await instanceOf(alice);
      const { VolumeId: volumeId = '' } = await CreateVolume({ AvailabilityZone: zoneA, Size: 8 }, alice);
      await AttachVolume({ VolumeId: volumeId, InstanceId: instanceId, Device: '/dev/sdf' }, alice);
      const { SnapshotId: snapshotId = '' } = await CreateSnapshot({ VolumeId: volumeId }, alice);
      await DetachVolume({ VolumeId: volumeId }, alice);
      await DeleteSnapshot({ SnapshotId: snapshotId }, alice);
      await DeleteVolume({ VolumeId: volumeId }, alice);
      t.same(calls, [
        `createVolume ${volumeId}`,
        `attach ${volumeId}`,
        `createSnapshot ${volumeId}`,
        `detach ${volumeId}`,
        `deleteSnapshot ${snapshotId}`,
        `deleteVolume ${volumeId}`,
      ]);

      failing.add('createVolume');
      const { VolumeId: broken = '' } = await CreateVolume({ AvailabilityZone: zoneA, Size: 8 }, alice);
      t.equal((await volumeOf(alice, broken))?.State, 'error', 'a volume the backend could not create is in error');
      failing.clear();
      const { VolumeId: good = '' } = await CreateVolume({ AvailabilityZone: zoneA, Size: 8 }, alice);
      failing.add('attach');
      await t.rejects(AttachVolume({ VolumeId: good, InstanceId: instanceId, Device: '/dev/sdg' }, alice), {
        message: 'attach failed',
      });
      t.match(await volumeOf(alice, good), { State: 'available', Attachments: [] }, 'a failed attach leaves it free');
      failing.clear();
      await AttachVolume({ VolumeId: good, InstanceId: instanceId, Device: '/dev/sdg' }, alice);
      failing.add('detach');
      await t.rejects(DetachVolume({ VolumeId: good }, alice), { message: 'detach failed' });
      t.match(await volumeOf(alice, good), { State: 'in-use', Attachments: [{ State: 'attached' }] });
      await DetachVolume({ VolumeId: good, Force: true }, alice);
      t.match(await volumeOf(alice, good), { State: 'available' }, 'Force detaches even so');
      failing.add('createSnapshot');
      const { SnapshotId: failed = '' } = await CreateSnapshot({ VolumeId: good }, alice);
      t.match((await DescribeSnapshots({ SnapshotIds: [failed] }, alice)).Snapshots, [{ State: 'error' }]);
      failing.add('deleteVolume');
      await t.rejects(DeleteVolume({ VolumeId: good }, alice), { message: 'deleteVolume failed' });
      t.equal((await volumeOf(alice, good))?.State, 'available', 'a failed delete keeps the volume');
    });

    t.test('accounts do not see, change or use each other’s volumes and snapshots', async (t) => {
      const db = await backend.fresh(t);
      const alice = await accountContext(db, 'alice');
      const bob = await accountContext(db, 'bob');
      const { VolumeId: volumeId = '' } = await CreateVolume({ AvailabilityZone: zoneA, Size: 8 }, alice);
      const { SnapshotId: snapshotId = '' } = await CreateSnapshot({ VolumeId: volumeId }, alice);
      const aliceInstance = await instanceOf(alice);
      const bobInstance = await instanceOf(bob);
      const volumeNotFound = { code: 'InvalidVolume.NotFound', message: `The volume '${volumeId}' does not exist` };
      const snapshotNotFound = {
        code: 'InvalidSnapshot.NotFound',
        message: `The snapshot '${snapshotId}' does not exist`,
      };

      t.same((await DescribeVolumes({}, bob)).Volumes, []);
      t.same((await DescribeSnapshots({}, bob)).Snapshots, []);
      t.same((await DescribeSnapshots({ OwnerIds: [alice.caller.accountId] }, bob)).Snapshots, []);
      await expectServiceError(t, DescribeVolumes({ VolumeIds: [volumeId] }, bob), volumeNotFound);
      await expectServiceError(t, DescribeSnapshots({ SnapshotIds: [snapshotId] }, bob), snapshotNotFound);
      await expectServiceError(
        t,
        AttachVolume({ VolumeId: volumeId, InstanceId: bobInstance, Device: '/dev/sdf' }, bob),
        volumeNotFound,
      );
      await expectServiceError(t, DetachVolume({ VolumeId: volumeId }, bob), volumeNotFound);
      await expectServiceError(t, DeleteVolume({ VolumeId: volumeId }, bob), volumeNotFound);
      await expectServiceError(t, CreateSnapshot({ VolumeId: volumeId }, bob), volumeNotFound);
      await expectServiceError(t, DeleteSnapshot({ SnapshotId: snapshotId }, bob), snapshotNotFound);
      await expectServiceError(
        t,
        CreateVolume({ AvailabilityZone: zoneA, SnapshotId: snapshotId }, bob),
        snapshotNotFound,
      );
      await expectServiceError(
        t,
        tagHandlers.CreateTags({ Resources: [volumeId], Tags: [{ Key: 'mine', Value: 'now' }] }, bob),
        { code: 'InvalidVolume.NotFound', message: new RegExp(`'${volumeId}' does not exist`) },
      );
      const { VolumeId: bobVolume = '' } = await CreateVolume({ AvailabilityZone: zoneA, Size: 8 }, bob);
      await expectServiceError(
        t,
        AttachVolume({ VolumeId: bobVolume, InstanceId: aliceInstance, Device: '/dev/sdf' }, bob),
        {
          code: 'InvalidInstanceID.NotFound',
          message: `The instance ID '${aliceInstance}' does not exist`,
        },
      );
      t.match(await volumeOf(alice, volumeId), { State: 'available', Tags: [] }, "alice's volume is untouched");
      t.equal((await DescribeSnapshots({}, alice)).Snapshots?.length, 1);
    });
  });
}
