import { sql } from 'kysely';
import type { SchemaMigration } from './migration.js';
import { binaryText } from './migration.js';

/**
 * EBS-style volumes and snapshots as the API sees them. A volume has at most one attachment, kept on its row; the
 * attachment's slot (the device letter, `f` for `/dev/sdf`, `/dev/xvdf` or `/dev/vdf`, which name the same disk on a
 * node) is unique per instance, so two volumes never take one device even when attached at once. Snapshots outlive
 * the volume they were taken of, so their `volume_id` references nothing.
 */
export const volumesMigration: SchemaMigration = {
  name: '0008-volumes',
  async up(db, dialect) {
    await db.schema
      .createTable('volumes')
      .addColumn('volume_id', binaryText(dialect), (col) => col.primaryKey())
      .addColumn('account_id', 'text', (col) => col.notNull().references('accounts.account_id'))
      .addColumn('zone', 'text', (col) => col.notNull())
      .addColumn('size_gib', 'integer', (col) => col.notNull())
      .addColumn('volume_type', 'text', (col) => col.notNull())
      .addColumn('iops', 'integer')
      .addColumn('throughput', 'integer')
      .addColumn('snapshot_id', 'text')
      .addColumn('state', 'text', (col) =>
        col.notNull().check(sql`state in ('creating', 'available', 'in-use', 'deleting', 'error')`),
      )
      .addColumn('client_token', 'text')
      .addColumn('request_hash', 'text')
      .addColumn('instance_id', 'text')
      .addColumn('device', 'text')
      .addColumn('device_slot', 'text')
      .addColumn('attach_state', 'text', (col) =>
        col.check(sql`attach_state is null or attach_state in ('attaching', 'attached', 'detaching')`),
      )
      .addColumn('attach_time', 'text')
      .addColumn('created_at', 'text', (col) => col.notNull())
      .execute();
    await db.schema.createIndex('volumes_account').on('volumes').columns(['account_id', 'volume_id']).execute();
    // NULL tokens and NULL attachments are distinct in both engines.
    await db.schema
      .createIndex('volumes_client_token')
      .unique()
      .on('volumes')
      .columns(['account_id', 'client_token'])
      .execute();
    await db.schema
      .createIndex('volumes_attachment_slot')
      .unique()
      .on('volumes')
      .columns(['instance_id', 'device_slot'])
      .execute();

    await db.schema
      .createTable('snapshots')
      .addColumn('snapshot_id', binaryText(dialect), (col) => col.primaryKey())
      .addColumn('account_id', 'text', (col) => col.notNull().references('accounts.account_id'))
      .addColumn('volume_id', 'text', (col) => col.notNull())
      .addColumn('volume_size_gib', 'integer', (col) => col.notNull())
      .addColumn('zone', 'text', (col) => col.notNull())
      .addColumn('description', 'text', (col) => col.notNull())
      .addColumn('state', 'text', (col) => col.notNull().check(sql`state in ('pending', 'completed', 'error')`))
      .addColumn('progress', 'text', (col) => col.notNull())
      .addColumn('start_time', 'text', (col) => col.notNull())
      .execute();
    await db.schema.createIndex('snapshots_account').on('snapshots').columns(['account_id', 'snapshot_id']).execute();
  },
};
