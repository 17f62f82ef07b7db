import {
  AllocateAddressCommand,
  AssociateAddressCommand,
  AttachVolumeCommand,
  CreateSnapshotCommand,
  CreateTagsCommand,
  CreateVolumeCommand,
  DeleteSnapshotCommand,
  DeleteVolumeCommand,
  DescribeAddressesCommand,
  DescribeInstancesCommand,
  DescribeSnapshotsCommand,
  DescribeTagsCommand,
  DescribeVolumesCommand,
  DetachVolumeCommand,
  DisassociateAddressCommand,
  ReleaseAddressCommand,
  TerminateInstancesCommand,
  type EC2Client,
} from '@aws-sdk/client-ec2';
import t, { type Test } from 'tap';
import { defaultSqliteFile, openDatabase } from '../../src/db/open-database.js';
import { startClc } from '../helpers/clc.js';
import { recordInstance } from '../helpers/clc-models.js';

// Elastic IPs, volumes and snapshots through the real daemon with the real SDK: what one account allocates or
// creates, another neither sees, changes nor uses. The pool has two addresses (198.51.100.1 and .2).
const clc = await startClc(t, { publicAddresses: ['198.51.100.0/30'] });
const [alice, bob] = await Promise.all(['alice', 'bob'].map((name) => clc.newAccount(name)));
if (!alice || !bob) throw new Error('accounts were not created');
const zone = clc.zones[0] ?? '';

// This clc runs no cluster controller, so no launch reaches `running`. The instances these actions need are written
// into the daemon's own database as its scheduler records an instance its zone reported running, in one transaction
// so the scheduler never sees one half-made.
const db = await openDatabase({ sqliteFile: defaultSqliteFile(clc.dataDir) });
t.teardown(() => db.destroy());

async function rejectsWith(t: Test, promise: Promise<unknown>, code: string, message: string | RegExp, status = 400) {
  await t.rejects(promise, { name: code, message, $metadata: { httpStatusCode: status } }, code);
}

const publicIpOf = async (ec2: EC2Client, instanceId: string) =>
  (await ec2.send(new DescribeInstancesCommand({ InstanceIds: [instanceId] }))).Reservations?.[0]?.Instances?.[0]
    ?.PublicIpAddress;

const aliceEc2 = clc.ec2(alice);
const bobEc2 = clc.ec2(bob);
const aliceInstance = await recordInstance(db, alice.accountId, { zone, privateIp: '10.1.0.5' });
const bobInstance = await recordInstance(db, bob.accountId, { zone, privateIp: '10.1.0.9' });

t.test('Elastic IPs: allocate, associate, move, disassociate, release; the pool runs out', async (t) => {
  const allocated = await aliceEc2.send(
    new AllocateAddressCommand({
      Domain: 'vpc',
      TagSpecifications: [{ ResourceType: 'elastic-ip', Tags: [{ Key: 'Name', Value: 'front' }] }],
    }),
  );
  t.match(allocated, {
    PublicIp: '198.51.100.1',
    AllocationId: /^eipalloc-[0-9a-f]{17}$/,
    Domain: 'vpc',
    NetworkBorderGroup: clc.region,
  });
  const allocationId = allocated.AllocationId ?? '';
  const second = await bobEc2.send(new AllocateAddressCommand({}));
  t.equal(second.PublicIp, '198.51.100.2');
  await rejectsWith(
    t,
    aliceEc2.send(new AllocateAddressCommand({})),
    'AddressLimitExceeded',
    'The maximum number of addresses has been reached.',
  );

  const { AssociationId } = await aliceEc2.send(
    new AssociateAddressCommand({ AllocationId: allocationId, InstanceId: aliceInstance }),
  );
  t.match(AssociationId, /^eipassoc-[0-9a-f]{17}$/);
  t.equal(await publicIpOf(aliceEc2, aliceInstance), '198.51.100.1', 'DescribeInstances shows the address');
  const { Addresses } = await aliceEc2.send(
    new DescribeAddressesCommand({ Filters: [{ Name: 'instance-id', Values: [aliceInstance] }] }),
  );
  t.match(Addresses, [
    {
      AllocationId: allocationId,
      AssociationId,
      InstanceId: aliceInstance,
      PrivateIpAddress: '10.1.0.5',
      PublicIp: '198.51.100.1',
      Domain: 'vpc',
      Tags: [{ Key: 'Name', Value: 'front' }],
    },
  ]);
  t.equal(Addresses?.length, 1);

  const spare = await recordInstance(db, alice.accountId, { zone, privateIp: '10.1.0.6' });
  await rejectsWith(
    t,
    aliceEc2.send(
      new AssociateAddressCommand({ AllocationId: allocationId, InstanceId: spare, AllowReassociation: false }),
    ),
    'Resource.AlreadyAssociated',
    `resource ${allocationId} is already associated with associate-id ${AssociationId}`,
  );
  const moved = await aliceEc2.send(new AssociateAddressCommand({ AllocationId: allocationId, InstanceId: spare }));
  t.equal(await publicIpOf(aliceEc2, spare), '198.51.100.1');
  t.equal(await publicIpOf(aliceEc2, aliceInstance), undefined, 'moved away from the first instance');

  await rejectsWith(
    t,
    aliceEc2.send(new ReleaseAddressCommand({ AllocationId: allocationId })),
    'InvalidIPAddress.InUse',
    'Address 198.51.100.1 is in use.',
  );
  await aliceEc2.send(new DisassociateAddressCommand({ AssociationId: moved.AssociationId }));
  t.equal(await publicIpOf(aliceEc2, spare), undefined);

  // Terminating an instance ends its association; the address stays the account's.
  await aliceEc2.send(new AssociateAddressCommand({ AllocationId: allocationId, InstanceId: spare }));
  await aliceEc2.send(new TerminateInstancesCommand({ InstanceIds: [spare] }));
  const [afterTerminate] =
    (await aliceEc2.send(new DescribeAddressesCommand({ AllocationIds: [allocationId] }))).Addresses ?? [];
  t.match(afterTerminate, { AllocationId: allocationId, PublicIp: '198.51.100.1' });
  t.notOk(afterTerminate?.AssociationId, 'disassociated by the terminate');

  await aliceEc2.send(new ReleaseAddressCommand({ AllocationId: allocationId }));
  await rejectsWith(
    t,
    aliceEc2.send(new DescribeAddressesCommand({ AllocationIds: [allocationId] })),
    'InvalidAllocationID.NotFound',
    `The allocation ID '${allocationId}' does not exist`,
  );
  t.equal((await aliceEc2.send(new AllocateAddressCommand({}))).PublicIp, '198.51.100.1', 'back in the pool');
});

t.test('another account neither sees, changes nor uses an address', async (t) => {
  const { Addresses: [mine] = [] } = await aliceEc2.send(new DescribeAddressesCommand({}));
  const allocationId = mine?.AllocationId ?? '';
  const publicIp = mine?.PublicIp ?? '';
  const { AssociationId } = await aliceEc2.send(
    new AssociateAddressCommand({ AllocationId: allocationId, InstanceId: aliceInstance }),
  );
  const { Addresses: bobs = [] } = await bobEc2.send(new DescribeAddressesCommand({}));
  t.same(
    bobs.map((address) => address.PublicIp),
    ['198.51.100.2'],
    'bob sees only his own',
  );
  const notFound = `The allocation ID '${allocationId}' does not exist`;
  const notYours = `The address '${publicIp}' does not belong to you.`;
  await rejectsWith(
    t,
    bobEc2.send(new DescribeAddressesCommand({ AllocationIds: [allocationId] })),
    'InvalidAllocationID.NotFound',
    notFound,
  );
  await rejectsWith(
    t,
    bobEc2.send(new AssociateAddressCommand({ AllocationId: allocationId, InstanceId: bobInstance })),
    'InvalidAllocationID.NotFound',
    notFound,
  );
  await rejectsWith(
    t,
    bobEc2.send(new AssociateAddressCommand({ PublicIp: publicIp, InstanceId: bobInstance })),
    'AuthFailure',
    notYours,
  );
  await rejectsWith(
    t,
    bobEc2.send(new DisassociateAddressCommand({ AssociationId })),
    'InvalidAssociationID.NotFound',
    `The association ID '${AssociationId}' does not exist`,
  );
  await rejectsWith(
    t,
    bobEc2.send(new ReleaseAddressCommand({ AllocationId: allocationId })),
    'InvalidAllocationID.NotFound',
    notFound,
  );
  await rejectsWith(t, bobEc2.send(new ReleaseAddressCommand({ PublicIp: publicIp })), 'AuthFailure', notYours);
  await rejectsWith(
    t,
    bobEc2.send(new CreateTagsCommand({ Resources: [allocationId], Tags: [{ Key: 'mine', Value: 'now' }] })),
    'InvalidAllocationID.NotFound',
    /does not exist/,
  );
  const bobAllocation = bobs[0]?.AllocationId ?? '';
  await rejectsWith(
    t,
    bobEc2.send(new AssociateAddressCommand({ AllocationId: bobAllocation, InstanceId: aliceInstance })),
    'InvalidInstanceID.NotFound',
    `The instance ID '${aliceInstance}' does not exist`,
  );
  t.equal(await publicIpOf(aliceEc2, aliceInstance), publicIp, "alice's association is untouched");
});

t.test('volumes: create, describe, attach, detach, delete', async (t) => {
  const created = await aliceEc2.send(
    new CreateVolumeCommand({
      AvailabilityZone: zone,
      Size: 10,
      VolumeType: 'gp3',
      TagSpecifications: [{ ResourceType: 'volume', Tags: [{ Key: 'Name', Value: 'data' }] }],
    }),
  );
  t.match(created, {
    VolumeId: /^vol-[0-9a-f]{17}$/,
    Size: 10,
    AvailabilityZone: zone,
    State: 'creating',
    VolumeType: 'gp3',
    Iops: 3000,
    Throughput: 125,
    Encrypted: false,
    CreateTime: Date,
    Tags: [{ Key: 'Name', Value: 'data' }],
  });
  const volumeId = created.VolumeId ?? '';
  t.match((await aliceEc2.send(new DescribeVolumesCommand({ VolumeIds: [volumeId] }))).Volumes, [
    { VolumeId: volumeId, State: 'available', Attachments: [] },
  ]);
  await rejectsWith(
    t,
    aliceEc2.send(new CreateVolumeCommand({ AvailabilityZone: 'elsewhere-1a', Size: 1 })),
    'InvalidParameterValue',
    'Invalid availability zone: [elsewhere-1a]',
  );
  await rejectsWith(
    t,
    aliceEc2.send(new CreateVolumeCommand({ AvailabilityZone: zone, Size: 20000 })),
    'InvalidParameterValue',
    'Volume of 20000GiB is too large for volume type gp2; maximum is 16384GiB.',
  );

  const attaching = await aliceEc2.send(
    new AttachVolumeCommand({ VolumeId: volumeId, InstanceId: aliceInstance, Device: '/dev/sdf' }),
  );
  t.match(attaching, { VolumeId: volumeId, InstanceId: aliceInstance, Device: '/dev/sdf', State: 'attaching' });
  const attachedFilter = [{ Name: 'attachment.instance-id', Values: [aliceInstance] }];
  t.match((await aliceEc2.send(new DescribeVolumesCommand({ Filters: attachedFilter }))).Volumes, [
    {
      VolumeId: volumeId,
      State: 'in-use',
      Attachments: [{ InstanceId: aliceInstance, Device: '/dev/sdf', State: 'attached', DeleteOnTermination: false }],
    },
  ]);
  await rejectsWith(
    t,
    aliceEc2.send(new DeleteVolumeCommand({ VolumeId: volumeId })),
    'VolumeInUse',
    `Volume ${volumeId} is currently attached to ${aliceInstance}`,
  );
  t.match(await aliceEc2.send(new DetachVolumeCommand({ VolumeId: volumeId })), { State: 'detaching' });
  await rejectsWith(
    t,
    aliceEc2.send(new DetachVolumeCommand({ VolumeId: volumeId })),
    'IncorrectState',
    `Volume '${volumeId}' is in the 'available' state.`,
  );

  const pages: string[] = [];
  for (let i = 0; i < 5; i++) {
    await aliceEc2.send(new CreateVolumeCommand({ AvailabilityZone: zone, Size: 1 }));
  }
  let NextToken: string | undefined;
  do {
    const page = await aliceEc2.send(new DescribeVolumesCommand({ MaxResults: 5, NextToken }));
    pages.push(...(page.Volumes ?? []).map((volume) => volume.VolumeId ?? ''));
    NextToken = page.NextToken;
  } while (NextToken);
  t.equal(new Set(pages).size, 6, 'six volumes over two pages, none twice');

  await aliceEc2.send(new DeleteVolumeCommand({ VolumeId: volumeId }));
  await rejectsWith(
    t,
    aliceEc2.send(new DescribeVolumesCommand({ VolumeIds: [volumeId] })),
    'InvalidVolume.NotFound',
    `The volume '${volumeId}' does not exist`,
  );
});

t.test('snapshots: create, describe, restore, delete', async (t) => {
  const { VolumeId: volumeId = '' } = await aliceEc2.send(new CreateVolumeCommand({ AvailabilityZone: zone, Size: 4 }));
  const snapshot = await aliceEc2.send(
    new CreateSnapshotCommand({ VolumeId: volumeId, Description: 'before upgrade' }),
  );
  t.match(snapshot, {
    SnapshotId: /^snap-[0-9a-f]{17}$/,
    VolumeId: volumeId,
    State: 'pending',
    VolumeSize: 4,
    OwnerId: alice.accountId,
    Description: 'before upgrade',
    StartTime: Date,
  });
  const snapshotId = snapshot.SnapshotId ?? '';
  t.match((await aliceEc2.send(new DescribeSnapshotsCommand({ OwnerIds: ['self'] }))).Snapshots, [
    { SnapshotId: snapshotId, State: 'completed', Progress: '100%', VolumeSize: 4 },
  ]);
  const restored = await aliceEc2.send(new CreateVolumeCommand({ AvailabilityZone: zone, SnapshotId: snapshotId }));
  t.match(restored, { SnapshotId: snapshotId, Size: 4 });
  const { Tags } = await aliceEc2.send(
    new DescribeTagsCommand({ Filters: [{ Name: 'resource-id', Values: [snapshotId] }] }),
  );
  t.same(Tags, []);
  await aliceEc2.send(new DeleteSnapshotCommand({ SnapshotId: snapshotId }));
  await rejectsWith(
    t,
    aliceEc2.send(new DescribeSnapshotsCommand({ SnapshotIds: [snapshotId] })),
    'InvalidSnapshot.NotFound',
    `The snapshot '${snapshotId}' does not exist`,
  );
});

t.test('another account neither sees, changes nor uses a volume or snapshot', async (t) => {
  const { VolumeId: volumeId = '' } = await aliceEc2.send(new CreateVolumeCommand({ AvailabilityZone: zone, Size: 2 }));
  const { SnapshotId: snapshotId = '' } = await aliceEc2.send(new CreateSnapshotCommand({ VolumeId: volumeId }));
  const volumeGone = `The volume '${volumeId}' does not exist`;
  const snapshotGone = `The snapshot '${snapshotId}' does not exist`;
  t.same((await bobEc2.send(new DescribeVolumesCommand({}))).Volumes, []);
  t.same((await bobEc2.send(new DescribeSnapshotsCommand({}))).Snapshots, []);
  t.same((await bobEc2.send(new DescribeSnapshotsCommand({ OwnerIds: [alice.accountId] }))).Snapshots, []);
  await rejectsWith(
    t,
    bobEc2.send(new DescribeVolumesCommand({ VolumeIds: [volumeId] })),
    'InvalidVolume.NotFound',
    volumeGone,
  );
  await rejectsWith(
    t,
    bobEc2.send(new AttachVolumeCommand({ VolumeId: volumeId, InstanceId: bobInstance, Device: '/dev/sdf' })),
    'InvalidVolume.NotFound',
    volumeGone,
  );
  await rejectsWith(
    t,
    bobEc2.send(new DeleteVolumeCommand({ VolumeId: volumeId })),
    'InvalidVolume.NotFound',
    volumeGone,
  );
  await rejectsWith(
    t,
    bobEc2.send(new CreateSnapshotCommand({ VolumeId: volumeId })),
    'InvalidVolume.NotFound',
    volumeGone,
  );
  await rejectsWith(
    t,
    bobEc2.send(new DescribeSnapshotsCommand({ SnapshotIds: [snapshotId] })),
    'InvalidSnapshot.NotFound',
    snapshotGone,
  );
  await rejectsWith(
    t,
    bobEc2.send(new CreateVolumeCommand({ AvailabilityZone: zone, SnapshotId: snapshotId })),
    'InvalidSnapshot.NotFound',
    snapshotGone,
  );
  await rejectsWith(
    t,
    bobEc2.send(new DeleteSnapshotCommand({ SnapshotId: snapshotId })),
    'InvalidSnapshot.NotFound',
    snapshotGone,
  );
  const { VolumeId: bobVolume = '' } = await bobEc2.send(new CreateVolumeCommand({ AvailabilityZone: zone, Size: 2 }));
  await rejectsWith(
    t,
    bobEc2.send(new AttachVolumeCommand({ VolumeId: bobVolume, InstanceId: aliceInstance, Device: '/dev/sdg' })),
    'InvalidInstanceID.NotFound',
    `The instance ID '${aliceInstance}' does not exist`,
  );
  t.match((await aliceEc2.send(new DescribeVolumesCommand({ VolumeIds: [volumeId] }))).Volumes, [
    { State: 'available', Attachments: [] },
  ]);
  t.equal((await aliceEc2.send(new DescribeSnapshotsCommand({ SnapshotIds: [snapshotId] }))).Snapshots?.length, 1);
});
