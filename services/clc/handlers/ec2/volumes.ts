import type { Ec2Operations } from '../../../../src/aws/generated/ec2-types.js';
import type { QueryHandlers } from '../../../../src/aws/protocol/query-dispatcher.js';
import { ec2Errors } from '../../models/ec2-errors.js';
import { filterItems, paginate, type FilterFields } from '../../models/filters.js';
import {
  attachVolume,
  createSnapshot,
  createVolume,
  deleteSnapshot,
  deleteVolume,
  detachVolume,
  listSnapshots,
  listVolumes,
  toEc2Snapshot,
  toEc2Volume,
  type SnapshotRecord,
  type VolumeRecord,
} from '../../models/volumes.js';
import type { ClcContext } from '../context.js';

const volumeFilters: FilterFields<VolumeRecord> = {
  'volume-id': (r) => r.volume_id,
  status: (r) => r.state,
  size: (r) => r.size_gib,
  'availability-zone': (r) => r.zone,
  'volume-type': (r) => r.volume_type,
  'snapshot-id': (r) => r.snapshot_id ?? '',
  'create-time': (r) => r.created_at,
  encrypted: () => false,
  'multi-attach-enabled': () => false,
  'attachment.instance-id': (r) => r.instance_id,
  'attachment.status': (r) => r.attach_state,
  'attachment.device': (r) => r.device,
  'attachment.attach-time': (r) => r.attach_time,
  'attachment.delete-on-termination': (r) => (r.instance_id === null ? null : false),
};

const snapshotFilters: FilterFields<SnapshotRecord> = {
  'snapshot-id': (r) => r.snapshot_id,
  'volume-id': (r) => r.volume_id,
  status: (r) => r.state,
  'owner-id': (r) => r.account_id,
  progress: (r) => r.progress,
  'start-time': (r) => r.start_time,
  'volume-size': (r) => r.volume_size_gib,
  description: (r) => r.description,
  encrypted: () => false,
  'storage-tier': () => 'standard',
};

export const volumeHandlers = {
  async CreateVolume(input, { db, caller, cloud }) {
    const record = await createVolume(db, caller.accountId, input, {
      zones: cloud.zones.map((zone) => zone.name),
      backend: cloud.volumes,
    });
    return toEc2Volume(record);
  },

  async DescribeVolumes(input, { db, caller }) {
    if (input.VolumeIds?.length && input.MaxResults !== undefined) throw ec2Errors.idsWithMaxResults('volumeIds');
    const records = await listVolumes(db, caller.accountId, { volumeIds: input.VolumeIds });
    const matching = filterItems(records, input.Filters, volumeFilters, { tagsOf: (record) => record.tags });
    const page = paginate(matching, (record) => record.volume_id, input, { min: 5, max: 500 });
    return { Volumes: page.items.map(toEc2Volume), NextToken: page.NextToken };
  },

  async DeleteVolume(input, { db, caller, cloud }) {
    await deleteVolume(db, caller.accountId, input.VolumeId, cloud.volumes);
  },

  async AttachVolume(input, { db, caller, cloud }) {
    return attachVolume(db, caller.accountId, input, cloud.volumes);
  },

  async DetachVolume(input, { db, caller, cloud }) {
    return detachVolume(db, caller.accountId, input, cloud.volumes);
  },

  async CreateSnapshot(input, { db, caller, cloud }) {
    if (input.OutpostArn !== undefined) throw ec2Errors.unsupported('Outposts are not supported by this cloud.');
    const record = await createSnapshot(db, caller.accountId, input, cloud.volumes);
    return toEc2Snapshot(record);
  },

  async DescribeSnapshots(input, { db, caller }) {
    if (input.SnapshotIds?.length && input.MaxResults !== undefined) {
      throw ec2Errors.idsWithMaxResults('snapshotIds');
    }
    const records = await listSnapshots(db, caller.accountId, {
      snapshotIds: input.SnapshotIds,
      ownerIds: input.OwnerIds,
      restorableByUserIds: input.RestorableByUserIds,
    });
    const matching = filterItems(records, input.Filters, snapshotFilters, { tagsOf: (record) => record.tags });
    const page = paginate(matching, (record) => record.snapshot_id, input, { min: 5, max: 1000 });
    return { Snapshots: page.items.map(toEc2Snapshot), NextToken: page.NextToken };
  },

  async DeleteSnapshot(input, { db, caller, cloud }) {
    await deleteSnapshot(db, caller.accountId, input.SnapshotId, cloud.volumes);
  },
} satisfies QueryHandlers<Ec2Operations, ClcContext>;
