import { createHash } from 'node:crypto';
import type { Kysely, Selectable } from 'kysely';
import type {
  AttachVolumeOutput,
  Snapshot,
  Tag,
  TagSpecification,
  Volume,
} from '../../../src/aws/generated/ec2-types.js';
import { commonErrors } from '../../../src/aws/service-error.js';
import type { Database, SnapshotsTable, VolumeState, VolumesTable } from '../../../src/db/schema.js';
import { isUniqueViolation, withTransaction } from '../../../src/db/transaction.js';
import { ec2Errors } from './ec2-errors.js';
import { assertResourceId, newResourceId, resourceTypes } from './ec2-ids.js';
import { requireInstance } from './instances.js';
import { applyTagSpecifications, onlyNamed, registerResource, tagsOf, unregisterResource } from './resources.js';

/**
 * EBS-style volumes and snapshots, as the API sees them. The clc keeps the books: what exists, in which zone, in
 * which state, attached where. The bytes are the zone's storage controller's (sc.wsdl), reached through a
 * `VolumeBackend` the cloud may inject; without one (as now, before the sc is wired) volumes and snapshots are
 * records only: `creating` becomes `available`, `attaching` becomes `attached`, `pending` becomes `completed` at once,
 * and no disk reaches any instance.
 */

type Db = Kysely<Database>;
type VolumeRow = Selectable<VolumesTable>;
type SnapshotRow = Selectable<SnapshotsTable>;

/**
 * What fulfils the books in a zone. Each call does its work and resolves when it is done (or rejects); the model
 * writes the transitional state first and the settled one after. A volume's attach is where the storage controller
 * exports the volume to the instance's node and the zone's cluster controller (cc.wsdl `AttachVolume`, with the
 * export as its `target`) hands it to the instance; detach is the reverse.
 */
export interface VolumeBackend {
  createVolume(volume: {
    volumeId: string;
    zone: string;
    sizeGiB: number;
    volumeType: string;
    snapshotId?: string;
  }): Promise<void>;
  deleteVolume(volume: { volumeId: string; zone: string }): Promise<void>;
  attach(attachment: {
    volumeId: string;
    zone: string;
    instanceId: string;
    device: string;
    accountId: string;
  }): Promise<void>;
  detach(attachment: {
    volumeId: string;
    zone: string;
    instanceId: string;
    device: string;
    force: boolean;
  }): Promise<void>;
  createSnapshot(snapshot: { snapshotId: string; volumeId: string; zone: string }): Promise<void>;
  deleteSnapshot(snapshot: { snapshotId: string; zone: string }): Promise<void>;
}

export interface VolumeRecord extends VolumeRow {
  tags: Tag[];
}

export interface SnapshotRecord extends SnapshotRow {
  tags: Tag[];
}

/** The volume types this cloud offers, with EC2's size limits for each (GiB). */
export const volumeTypes: Readonly<Record<string, { minGiB: number; maxGiB: number }>> = {
  standard: { minGiB: 1, maxGiB: 1024 },
  gp2: { minGiB: 1, maxGiB: 16384 },
  gp3: { minGiB: 1, maxGiB: 16384 },
};
const defaultVolumeType = 'gp2';
const gp3Limits = { iops: { min: 3000, max: 16000 }, throughput: { min: 125, max: 1000 } };
const descriptionMaxLength = 255;

/** Device names a volume can take, as the node controller maps them: `/dev/sdf`, `/dev/xvdf`, `/dev/vdf` are `vdf`. */
const devicePattern = /^(?:\/dev\/)?(?:sd|xvd|vd|hd)([b-z])$/;

export interface CreateVolumeRequest {
  AvailabilityZone: string;
  Size?: number;
  SnapshotId?: string;
  VolumeType?: string;
  Iops?: number;
  Throughput?: number;
  Encrypted?: boolean;
  KmsKeyId?: string;
  MultiAttachEnabled?: boolean;
  OutpostArn?: string;
  ClientToken?: string;
  TagSpecifications?: TagSpecification[];
}

export interface VolumeOptions {
  /** The cloud's zones by name. */
  zones: readonly string[];
  backend?: VolumeBackend;
}

/**
 * Writes a new volume (`creating`), then has the backend create it (`available`, or `error` if the backend fails,
 * as EC2 reports a volume it could not create). Returns the volume as it was written, as `CreateVolume` answers. A
 * retry with the same `ClientToken` returns the first volume; the token with other parameters is refused.
 */
export async function createVolume(
  db: Db,
  accountId: string,
  request: CreateVolumeRequest,
  options: VolumeOptions,
): Promise<VolumeRecord> {
  if (!options.zones.includes(request.AvailabilityZone)) throw ec2Errors.invalidZone(request.AvailabilityZone);
  if (request.Encrypted === true || request.KmsKeyId !== undefined) {
    throw ec2Errors.unsupported('Encrypted volumes are not supported by this cloud.');
  }
  if (request.MultiAttachEnabled === true) {
    throw ec2Errors.unsupported('Multi-Attach volumes are not supported by this cloud.');
  }
  if (request.OutpostArn !== undefined) throw ec2Errors.unsupported('Outposts are not supported by this cloud.');
  const volumeType = request.VolumeType ?? defaultVolumeType;
  const limits = Object.hasOwn(volumeTypes, volumeType) ? volumeTypes[volumeType] : undefined;
  if (!limits) {
    throw commonErrors.invalidParameterValue(
      'volumeType',
      volumeType,
      `Valid types: ${Object.keys(volumeTypes).join(', ')}.`,
    );
  }
  const snapshot =
    request.SnapshotId === undefined ? undefined : await requireSnapshot(db, accountId, request.SnapshotId);
  if (snapshot && snapshot.state !== 'completed') {
    throw ec2Errors.snapshotIncorrectState(snapshot.snapshot_id, snapshot.state);
  }
  const size = request.Size ?? snapshot?.volume_size_gib;
  if (size === undefined) throw commonErrors.missingParameter('size or snapshotId');
  if (!Number.isInteger(size) || size < limits.minGiB) {
    throw ec2Errors.invalidParameterValue(`Volume of ${size}GiB is too small; minimum is ${limits.minGiB}GiB.`);
  }
  if (size > limits.maxGiB) {
    throw ec2Errors.invalidParameterValue(
      `Volume of ${size}GiB is too large for volume type ${volumeType}; maximum is ${limits.maxGiB}GiB.`,
    );
  }
  if (snapshot && size < snapshot.volume_size_gib) {
    throw ec2Errors.invalidParameterValue(
      `Volume of size ${size} is smaller than snapshot '${snapshot.snapshot_id}', expect size >= ${snapshot.volume_size_gib}`,
    );
  }
  const { iops, throughput } = performanceOf(volumeType, size, request);

  const requestHash = createHash('sha256')
    .update(JSON.stringify([request.AvailabilityZone, size, volumeType, iops, throughput, request.SnapshotId ?? null]))
    .digest('hex');
  if (request.ClientToken !== undefined) {
    const earlier = await findByToken(db, accountId, request.ClientToken, requestHash);
    if (earlier) return earlier;
  }
  let created: VolumeRecord;
  try {
    created = await withTransaction(db, async (trx) => {
      const row: VolumeRow = {
        volume_id: newResourceId('volume'),
        account_id: accountId,
        zone: request.AvailabilityZone,
        size_gib: size,
        volume_type: volumeType,
        iops,
        throughput,
        snapshot_id: snapshot?.snapshot_id ?? null,
        state: 'creating',
        client_token: request.ClientToken ?? null,
        request_hash: requestHash,
        instance_id: null,
        device: null,
        device_slot: null,
        attach_state: null,
        attach_time: null,
        created_at: new Date().toISOString(),
      };
      await trx.insertInto('volumes').values(row).execute();
      await registerResource(trx, accountId, 'volume', row.volume_id);
      await applyTagSpecifications(trx, accountId, 'volume', row.volume_id, request.TagSpecifications);
      return { ...row, tags: (await tagsOf(trx, accountId, [row.volume_id])).get(row.volume_id) ?? [] };
    });
  } catch (error) {
    // Two requests with one token at once: the first one's volume answers both.
    if (request.ClientToken !== undefined && isUniqueViolation(error)) {
      const winner = await findByToken(db, accountId, request.ClientToken, requestHash);
      if (winner) return winner;
    }
    throw error;
  }
  const settled = await settle(
    options.backend?.createVolume({
      volumeId: created.volume_id,
      zone: created.zone,
      sizeGiB: size,
      volumeType,
      ...(created.snapshot_id !== null && { snapshotId: created.snapshot_id }),
    }),
  );
  await setVolumeState(db, created.volume_id, settled ? 'available' : 'error');
  return created;
}

/** EC2's provisioned performance: gp2 has 3 IOPS per GiB (100 to 16000), gp3 a baseline it may raise. */
function performanceOf(
  volumeType: string,
  size: number,
  request: Pick<CreateVolumeRequest, 'Iops' | 'Throughput'>,
): { iops: number | null; throughput: number | null } {
  if (volumeType !== 'gp3') {
    if (request.Iops !== undefined) {
      throw commonErrors.invalidParameterCombination(`The parameter iops is not supported for ${volumeType} volumes.`);
    }
    if (request.Throughput !== undefined) {
      throw commonErrors.invalidParameterCombination(
        `The parameter throughput is not supported for ${volumeType} volumes.`,
      );
    }
    return { iops: volumeType === 'gp2' ? Math.min(16000, Math.max(100, 3 * size)) : null, throughput: null };
  }
  const iops = request.Iops ?? gp3Limits.iops.min;
  const throughput = request.Throughput ?? gp3Limits.throughput.min;
  if (!Number.isInteger(iops) || iops < gp3Limits.iops.min || iops > gp3Limits.iops.max) {
    throw ec2Errors.invalidParameterValue(
      `The iops for gp3 volumes must be between ${gp3Limits.iops.min} and ${gp3Limits.iops.max}.`,
    );
  }
  if (!Number.isInteger(throughput) || throughput < gp3Limits.throughput.min || throughput > gp3Limits.throughput.max) {
    throw ec2Errors.invalidParameterValue(
      `The throughput for gp3 volumes must be between ${gp3Limits.throughput.min} and ${gp3Limits.throughput.max} MiB/s.`,
    );
  }
  return { iops, throughput };
}

async function findByToken(
  db: Db,
  accountId: string,
  clientToken: string,
  requestHash: string,
): Promise<VolumeRecord | undefined> {
  const row = await db
    .selectFrom('volumes')
    .selectAll()
    .where('account_id', '=', accountId)
    .where('client_token', '=', clientToken)
    .executeTakeFirst();
  if (!row) return undefined;
  if (row.request_hash !== requestHash) throw ec2Errors.idempotentParameterMismatch();
  return { ...row, tags: (await tagsOf(db, accountId, [row.volume_id])).get(row.volume_id) ?? [] };
}

/** Whether the backend's work (none without a backend) succeeded. */
async function settle(work: Promise<void> | undefined): Promise<boolean> {
  try {
    await work;
    return true;
  } catch {
    return false;
  }
}

async function setVolumeState(db: Db, volumeId: string, state: VolumeState): Promise<void> {
  await db.updateTable('volumes').set({ state }).where('volume_id', '=', volumeId).execute();
}

/** The account's volumes (those named, or all) in id order; an id it does not have is NotFound. */
export async function listVolumes(
  db: Db,
  accountId: string,
  input: { volumeIds?: readonly string[] } = {},
): Promise<VolumeRecord[]> {
  const ids = input.volumeIds ?? [];
  for (const id of ids) assertResourceId('volume', id);
  let query = db.selectFrom('volumes').selectAll().where('account_id', '=', accountId);
  if (ids.length > 0 && ids.length <= 500) query = query.where('volume_id', 'in', [...ids]);
  const rows = onlyNamed(await query.orderBy('volume_id').execute(), ids, (row) => row.volume_id, 'volume');
  const tags = await tagsOf(
    db,
    accountId,
    rows.map((row) => row.volume_id),
  );
  return rows.map((row) => ({ ...row, tags: tags.get(row.volume_id) ?? [] }));
}

async function requireVolume(db: Db, accountId: string, volumeId: string): Promise<VolumeRow> {
  assertResourceId('volume', volumeId);
  const row = await db
    .selectFrom('volumes')
    .selectAll()
    .where('account_id', '=', accountId)
    .where('volume_id', '=', volumeId)
    .executeTakeFirst();
  if (!row) throw ec2Errors.notFound(resourceTypes.volume.notFound, 'volume', volumeId);
  return row;
}

function attachmentOf(row: VolumeRow): AttachVolumeOutput | undefined {
  if (row.instance_id === null || row.attach_state === null) return undefined;
  return {
    AttachTime: new Date(row.attach_time ?? row.created_at),
    Device: row.device ?? undefined,
    InstanceId: row.instance_id,
    State: row.attach_state,
    VolumeId: row.volume_id,
    DeleteOnTermination: false,
  };
}

/** A volume as EC2's `Volume` shape says it. */
export function toEc2Volume(record: VolumeRecord): Volume {
  const attachment = attachmentOf(record);
  return {
    VolumeId: record.volume_id,
    Size: record.size_gib,
    SnapshotId: record.snapshot_id ?? '',
    AvailabilityZone: record.zone,
    State: record.state,
    CreateTime: new Date(record.created_at),
    Attachments: attachment ? [attachment] : [],
    VolumeType: record.volume_type,
    ...(record.iops !== null && { Iops: record.iops }),
    ...(record.throughput !== null && { Throughput: record.throughput }),
    Encrypted: false,
    MultiAttachEnabled: false,
    Tags: record.tags,
  };
}

export interface AttachVolumeRequest {
  VolumeId: string;
  InstanceId: string;
  Device: string;
}

/**
 * Attaches an available volume to one of the account's running or stopped instances in the volume's zone, at a
 * device the instance has free. Answers with the attachment `attaching`; it is `attached` once the backend has
 * done it (at once without one). A backend that fails leaves the volume available and the error to the caller.
 */
export async function attachVolume(
  db: Db,
  accountId: string,
  request: AttachVolumeRequest,
  backend?: VolumeBackend,
): Promise<AttachVolumeOutput> {
  const slot = devicePattern.exec(request.Device)?.[1];
  let attached: VolumeRow;
  try {
    attached = await withTransaction(db, async (trx) => {
      const volume = await requireVolume(trx, accountId, request.VolumeId);
      const instance = await requireInstance(trx, accountId, request.InstanceId);
      if (slot === undefined) {
        throw commonErrors.invalidParameterValue(
          'device',
          request.Device,
          `${request.Device} is not a valid EBS device name.`,
        );
      }
      if (volume.state === 'in-use') {
        throw ec2Errors.volumeInUse(`${volume.volume_id} is already attached to an instance`);
      }
      if (volume.state !== 'available') throw ec2Errors.volumeIncorrectState(volume.volume_id, volume.state);
      if (volume.zone !== instance.zone) throw ec2Errors.volumeZoneMismatch(volume.volume_id, instance.instance_id);
      if (instance.state !== 'running' && instance.state !== 'stopped') {
        throw ec2Errors.incorrectState(
          'IncorrectInstanceState',
          `Instance '${instance.instance_id}' is not 'running' or 'stopped'.`,
        );
      }
      const taken = await trx
        .selectFrom('volumes')
        .select('volume_id')
        .where('instance_id', '=', instance.instance_id)
        .where('device_slot', '=', slot)
        .executeTakeFirst();
      if (taken) throw ec2Errors.deviceInUse(request.Device);
      const row: VolumeRow = {
        ...volume,
        state: 'in-use',
        instance_id: instance.instance_id,
        device: request.Device,
        device_slot: slot,
        attach_state: 'attaching',
        attach_time: new Date().toISOString(),
      };
      const updated = await trx
        .updateTable('volumes')
        .set({
          state: row.state,
          instance_id: row.instance_id,
          device: row.device,
          device_slot: row.device_slot,
          attach_state: row.attach_state,
          attach_time: row.attach_time,
        })
        .where('volume_id', '=', volume.volume_id)
        .where('state', '=', 'available')
        .executeTakeFirst();
      // Attached elsewhere since it was read.
      if (Number(updated.numUpdatedRows) === 0) {
        throw ec2Errors.volumeInUse(`${volume.volume_id} is already attached to an instance`);
      }
      return row;
    });
  } catch (error) {
    // Another volume took the device at the same moment.
    if (isUniqueViolation(error)) throw ec2Errors.deviceInUse(request.Device);
    throw error;
  }
  try {
    await backend?.attach({
      volumeId: attached.volume_id,
      zone: attached.zone,
      instanceId: attached.instance_id as string,
      device: request.Device,
      accountId,
    });
  } catch (error) {
    await clearAttachment(db, attached.volume_id);
    throw error;
  }
  await db
    .updateTable('volumes')
    .set({ attach_state: 'attached' })
    .where('volume_id', '=', attached.volume_id)
    .execute();
  return attachmentOf(attached) as AttachVolumeOutput;
}

async function clearAttachment(db: Db, volumeId: string): Promise<void> {
  await db
    .updateTable('volumes')
    .set({
      state: 'available',
      instance_id: null,
      device: null,
      device_slot: null,
      attach_state: null,
      attach_time: null,
    })
    .where('volume_id', '=', volumeId)
    .execute();
}

export interface DetachVolumeRequest {
  VolumeId: string;
  InstanceId?: string;
  Device?: string;
  Force?: boolean;
}

/**
 * Detaches an attached volume, which becomes available once the backend has let go of it. `Force` detaches it in
 * the books even when the backend fails (as EC2's forced detach, for an instance that does not answer).
 */
export async function detachVolume(
  db: Db,
  accountId: string,
  request: DetachVolumeRequest,
  backend?: VolumeBackend,
): Promise<AttachVolumeOutput> {
  if (request.InstanceId !== undefined) assertResourceId('instance', request.InstanceId);
  const detaching = await withTransaction(db, async (trx) => {
    const volume = await requireVolume(trx, accountId, request.VolumeId);
    if (volume.state !== 'in-use' || volume.instance_id === null) {
      throw ec2Errors.volumeIncorrectState(volume.volume_id, volume.state);
    }
    if (
      (request.InstanceId !== undefined && request.InstanceId !== volume.instance_id) ||
      (request.Device !== undefined && request.Device !== volume.device)
    ) {
      throw ec2Errors.attachmentNotFound(volume.volume_id, request.InstanceId ?? volume.instance_id);
    }
    if (volume.attach_state === 'detaching') return volume;
    await trx
      .updateTable('volumes')
      .set({ attach_state: 'detaching' })
      .where('volume_id', '=', volume.volume_id)
      .execute();
    return { ...volume, attach_state: 'detaching' as const };
  });
  try {
    await backend?.detach({
      volumeId: detaching.volume_id,
      zone: detaching.zone,
      instanceId: detaching.instance_id as string,
      device: detaching.device ?? '',
      force: request.Force === true,
    });
  } catch (error) {
    if (request.Force !== true) {
      await db
        .updateTable('volumes')
        .set({ attach_state: 'attached' })
        .where('volume_id', '=', detaching.volume_id)
        .execute();
      throw error;
    }
  }
  await clearAttachment(db, detaching.volume_id);
  return attachmentOf(detaching) as AttachVolumeOutput;
}

/** The instance is gone (terminated): its volumes are available again. */
export async function detachVolumesOf(db: Db, instanceId: string): Promise<void> {
  await db
    .updateTable('volumes')
    .set({
      state: 'available',
      instance_id: null,
      device: null,
      device_slot: null,
      attach_state: null,
      attach_time: null,
    })
    .where('instance_id', '=', instanceId)
    .execute();
}

/** Deletes a volume that is not attached; a backend that fails leaves it as it was. */
export async function deleteVolume(
  db: Db,
  accountId: string,
  volumeId: string,
  backend?: VolumeBackend,
): Promise<void> {
  const volume = await withTransaction(db, async (trx) => {
    const row = await requireVolume(trx, accountId, volumeId);
    if (row.state === 'in-use') {
      throw ec2Errors.volumeInUse(
        `Volume ${row.volume_id} is currently attached to ${row.instance_id ?? 'an instance'}`,
      );
    }
    if (row.state !== 'available' && row.state !== 'error') {
      throw ec2Errors.volumeIncorrectState(row.volume_id, row.state);
    }
    await setVolumeState(trx, row.volume_id, 'deleting');
    return row;
  });
  try {
    await backend?.deleteVolume({ volumeId: volume.volume_id, zone: volume.zone });
  } catch (error) {
    await setVolumeState(db, volume.volume_id, volume.state);
    throw error;
  }
  await withTransaction(db, async (trx) => {
    await trx.deleteFrom('volumes').where('volume_id', '=', volume.volume_id).execute();
    await unregisterResource(trx, volume.volume_id);
  });
}

export interface CreateSnapshotRequest {
  VolumeId: string;
  Description?: string;
  TagSpecifications?: TagSpecification[];
}

/**
 * Takes a snapshot of an available or attached volume: written `pending`, `completed` once the backend has taken
 * it (at once without one), `error` if it fails. Returns it as it was written, as `CreateSnapshot` answers.
 */
export async function createSnapshot(
  db: Db,
  accountId: string,
  request: CreateSnapshotRequest,
  backend?: VolumeBackend,
): Promise<SnapshotRecord> {
  const description = request.Description ?? '';
  if (description.length > descriptionMaxLength) {
    throw commonErrors.invalidParameterValue(
      'description',
      description,
      `Length exceeds maximum of ${descriptionMaxLength} characters.`,
    );
  }
  const created = await withTransaction(db, async (trx) => {
    const volume = await requireVolume(trx, accountId, request.VolumeId);
    if (volume.state !== 'available' && volume.state !== 'in-use') {
      throw ec2Errors.volumeIncorrectState(volume.volume_id, volume.state);
    }
    const row: SnapshotRow = {
      snapshot_id: newResourceId('snapshot'),
      account_id: accountId,
      volume_id: volume.volume_id,
      volume_size_gib: volume.size_gib,
      zone: volume.zone,
      description,
      state: 'pending',
      progress: '0%',
      start_time: new Date().toISOString(),
    };
    await trx.insertInto('snapshots').values(row).execute();
    await registerResource(trx, accountId, 'snapshot', row.snapshot_id);
    await applyTagSpecifications(trx, accountId, 'snapshot', row.snapshot_id, request.TagSpecifications);
    return { ...row, tags: (await tagsOf(trx, accountId, [row.snapshot_id])).get(row.snapshot_id) ?? [] };
  });
  const settled = await settle(
    backend?.createSnapshot({ snapshotId: created.snapshot_id, volumeId: created.volume_id, zone: created.zone }),
  );
  await db
    .updateTable('snapshots')
    .set(settled ? { state: 'completed', progress: '100%' } : { state: 'error' })
    .where('snapshot_id', '=', created.snapshot_id)
    .execute();
  return created;
}

export interface ListSnapshotsRequest {
  snapshotIds?: readonly string[];
  ownerIds?: readonly string[];
  restorableByUserIds?: readonly string[];
}

/**
 * The snapshots the account may see, in id order: its own, since snapshots are not shared in this cloud (so an
 * owner other than `self` or the account, or `RestorableByUserIds` naming only others, finds none). A named id the
 * account does not have is NotFound.
 */
export async function listSnapshots(
  db: Db,
  accountId: string,
  input: ListSnapshotsRequest = {},
): Promise<SnapshotRecord[]> {
  const ids = input.snapshotIds ?? [];
  for (const id of ids) assertResourceId('snapshot', id);
  let rows = await db
    .selectFrom('snapshots')
    .selectAll()
    .where('account_id', '=', accountId)
    .orderBy('snapshot_id')
    .execute();
  rows = onlyNamed(rows, ids, (row) => row.snapshot_id, 'snapshot');
  const isSelf = (id: string) => id === 'self' || id === accountId;
  if (input.ownerIds?.length && !input.ownerIds.some(isSelf)) rows = [];
  if (input.restorableByUserIds?.length && !input.restorableByUserIds.some(isSelf)) rows = [];
  const tags = await tagsOf(
    db,
    accountId,
    rows.map((row) => row.snapshot_id),
  );
  return rows.map((row) => ({ ...row, tags: tags.get(row.snapshot_id) ?? [] }));
}

async function requireSnapshot(db: Db, accountId: string, snapshotId: string): Promise<SnapshotRow> {
  assertResourceId('snapshot', snapshotId);
  const row = await db
    .selectFrom('snapshots')
    .selectAll()
    .where('account_id', '=', accountId)
    .where('snapshot_id', '=', snapshotId)
    .executeTakeFirst();
  if (!row) throw ec2Errors.notFound(resourceTypes.snapshot.notFound, 'snapshot', snapshotId);
  return row;
}

/** A snapshot as EC2's `Snapshot` shape says it. */
export function toEc2Snapshot(record: SnapshotRecord): Snapshot {
  return {
    SnapshotId: record.snapshot_id,
    VolumeId: record.volume_id,
    State: record.state,
    StartTime: new Date(record.start_time),
    Progress: record.progress,
    OwnerId: record.account_id,
    VolumeSize: record.volume_size_gib,
    Description: record.description,
    Encrypted: false,
    StorageTier: 'standard',
    Tags: record.tags,
  };
}

/** Deletes a snapshot, unless an image of the account is registered from it (`InvalidSnapshot.InUse`). */
export async function deleteSnapshot(
  db: Db,
  accountId: string,
  snapshotId: string,
  backend?: VolumeBackend,
): Promise<void> {
  const snapshot = await requireSnapshot(db, accountId, snapshotId);
  const image = await db
    .selectFrom('images')
    .select('image_id')
    .where('account_id', '=', accountId)
    .where('block_device_mappings', 'like', `%"${snapshotId}"%`)
    .executeTakeFirst();
  if (image) throw ec2Errors.snapshotInUse(snapshotId, image.image_id);
  await backend?.deleteSnapshot({ snapshotId, zone: snapshot.zone });
  await withTransaction(db, async (trx) => {
    await trx.deleteFrom('snapshots').where('snapshot_id', '=', snapshotId).execute();
    await unregisterResource(trx, snapshotId);
  });
}
