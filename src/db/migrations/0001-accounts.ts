import { sql } from 'kysely';
import { binaryText, type SchemaMigration } from './migration.js';

/**
 * Accounts, IAM users and access keys. Foreign keys do not cascade: deleting an account or user deletes what it
 * owns explicitly, so a table added later that still points at it stops the deletion instead of losing rows.
 */
export const accountsMigration: SchemaMigration = {
  name: '0001-accounts',
  async up(db, dialect) {
    await db.schema
      .createTable('accounts')
      .addColumn('account_id', 'text', (col) => col.primaryKey())
      .addColumn('account_name', binaryText(dialect), (col) => col.notNull().unique())
      .addColumn('status', 'text', (col) => col.notNull().check(sql`status in ('ACTIVE', 'SUSPENDED')`))
      .addColumn('created_at', 'text', (col) => col.notNull())
      .execute();

    await db.schema
      .createTable('users')
      .addColumn('user_id', 'text', (col) => col.primaryKey())
      .addColumn('account_id', 'text', (col) => col.notNull().references('accounts.account_id'))
      .addColumn('user_name', 'text', (col) => col.notNull())
      .addColumn('user_name_key', binaryText(dialect), (col) => col.notNull())
      .addColumn('path', binaryText(dialect), (col) => col.notNull())
      .addColumn('created_at', 'text', (col) => col.notNull())
      .addUniqueConstraint('users_account_name_unique', ['account_id', 'user_name_key'])
      .execute();

    await db.schema
      .createTable('access_keys')
      .addColumn('access_key_id', 'text', (col) => col.primaryKey())
      .addColumn('account_id', 'text', (col) => col.notNull().references('accounts.account_id'))
      .addColumn('user_id', 'text', (col) => col.references('users.user_id'))
      .addColumn('secret_access_key', 'text', (col) => col.notNull())
      .addColumn('status', 'text', (col) => col.notNull().check(sql`status in ('Active', 'Inactive')`))
      .addColumn('created_at', 'text', (col) => col.notNull())
      .execute();
    await db.schema.createIndex('access_keys_owner').on('access_keys').columns(['account_id', 'user_id']).execute();
    await db.schema.createIndex('access_keys_user').on('access_keys').column('user_id').execute();
  },
};
