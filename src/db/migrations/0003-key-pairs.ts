import type { SchemaMigration } from './migration.js';
import { binaryText } from './migration.js';

/**
 * EC2 key pairs: the public half only (EC2 hands the private key out once and keeps nothing of it), in OpenSSH form
 * so the node controller can put it on an instance's config drive as it is.
 */
export const keyPairsMigration: SchemaMigration = {
  name: '0003-key-pairs',
  async up(db, dialect) {
    await db.schema
      .createTable('key_pairs')
      .addColumn('key_pair_id', binaryText(dialect), (col) => col.primaryKey())
      .addColumn('account_id', 'text', (col) => col.notNull().references('accounts.account_id'))
      .addColumn('key_name', binaryText(dialect), (col) => col.notNull())
      .addColumn('key_type', 'text', (col) => col.notNull())
      .addColumn('fingerprint', 'text', (col) => col.notNull())
      .addColumn('public_key', 'text', (col) => col.notNull())
      .addColumn('created_at', 'text', (col) => col.notNull())
      .addUniqueConstraint('key_pairs_name', ['account_id', 'key_name'])
      .execute();
  },
};
