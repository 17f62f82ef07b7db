import type { SchemaMigration } from './migration.js';
import { binaryText } from './migration.js';

/**
 * Elastic IP addresses: one row per address an account holds, taken from the cloud's public pool (the clc config's
 * `publicAddresses`). The unique address column is what keeps two concurrent allocations from both getting one
 * address; an address is associated with at most one instance and an instance has at most one address.
 */
export const addressesMigration: SchemaMigration = {
  name: '0007-addresses',
  async up(db, dialect) {
    await db.schema
      .createTable('addresses')
      .addColumn('allocation_id', binaryText(dialect), (col) => col.primaryKey())
      .addColumn('account_id', 'text', (col) => col.notNull().references('accounts.account_id'))
      .addColumn('public_ip', binaryText(dialect), (col) => col.notNull().unique())
      .addColumn('domain', 'text', (col) => col.notNull())
      .addColumn('association_id', binaryText(dialect), (col) => col.unique())
      .addColumn('instance_id', 'text', (col) => col.unique())
      .addColumn('private_ip_address', 'text')
      .addColumn('allocated_at', 'text', (col) => col.notNull())
      .addColumn('associated_at', 'text')
      .execute();
    await db.schema.createIndex('addresses_account').on('addresses').columns(['account_id', 'allocation_id']).execute();
  },
};
