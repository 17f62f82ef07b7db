import { sql } from 'kysely';
import type { SchemaMigration } from './migration.js';
import { binaryText } from './migration.js';

/**
 * Reservations and instances. An instance row is written, pending, in the same transaction as its reservation before
 * `RunInstances` answers; `dispatched` records whether its zone's cluster controller has taken it, and
 * `pending_action` an operation (stop, start, reboot, terminate) accepted but not yet carried out there, so a clc
 * that dies in between finishes the work when it starts again instead of losing it.
 */
export const instancesMigration: SchemaMigration = {
  name: '0006-instances',
  async up(db, dialect) {
    await db.schema
      .createTable('reservations')
      .addColumn('reservation_id', binaryText(dialect), (col) => col.primaryKey())
      .addColumn('account_id', 'text', (col) => col.notNull().references('accounts.account_id'))
      .addColumn('client_token', 'text')
      /** SHA-256 of the request's parameters, to tell a retry from a different request with the same token. */
      .addColumn('request_hash', 'text', (col) => col.notNull())
      .addColumn('created_at', 'text', (col) => col.notNull())
      .execute();
    // NULL tokens are distinct in both engines: requests without one never collide.
    await db.schema
      .createIndex('reservations_client_token')
      .unique()
      .on('reservations')
      .columns(['account_id', 'client_token'])
      .execute();

    await db.schema
      .createTable('instances')
      .addColumn('instance_id', binaryText(dialect), (col) => col.primaryKey())
      .addColumn('account_id', 'text', (col) => col.notNull().references('accounts.account_id'))
      .addColumn('reservation_id', 'text', (col) => col.notNull().references('reservations.reservation_id'))
      .addColumn('launch_index', 'integer', (col) => col.notNull())
      .addColumn('zone', 'text', (col) => col.notNull())
      .addColumn('image_id', 'text', (col) => col.notNull())
      .addColumn('kernel_id', 'text')
      .addColumn('ramdisk_id', 'text')
      .addColumn('instance_type', 'text', (col) => col.notNull())
      .addColumn('architecture', 'text', (col) => col.notNull())
      .addColumn('virtualization_type', 'text', (col) => col.notNull())
      .addColumn('key_name', 'text')
      .addColumn('user_data', 'text')
      .addColumn('client_token', 'text')
      .addColumn('mac_address', 'text', (col) => col.notNull())
      .addColumn('state', 'text', (col) =>
        col.notNull().check(sql`state in ('pending', 'running', 'stopping', 'stopped', 'shutting-down', 'terminated')`),
      )
      .addColumn('state_reason_code', 'text')
      .addColumn('state_reason_message', 'text')
      .addColumn('state_transition_reason', 'text')
      .addColumn('dispatched', 'integer', (col) => col.notNull().defaultTo(0))
      .addColumn('pending_action', 'text')
      .addColumn('node_name', 'text')
      .addColumn('node_reachable', 'integer', (col) => col.notNull().defaultTo(1))
      .addColumn('private_ip_address', 'text')
      .addColumn('public_ip_address', 'text')
      .addColumn('launch_time', 'text', (col) => col.notNull())
      .addColumn('state_changed_at', 'text', (col) => col.notNull())
      .execute();
    await db.schema.createIndex('instances_account').on('instances').columns(['account_id', 'instance_id']).execute();
    await db.schema.createIndex('instances_work').on('instances').columns(['dispatched', 'state']).execute();
  },
};
