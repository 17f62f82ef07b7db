import type { SchemaMigration } from './migration.js';
import { binaryText } from './migration.js';

/**
 * What every EC2 resource shares: one row per resource id naming its owner and type, so tags, ownership checks and
 * `DescribeTags` work for every type without knowing its table; and the tags themselves. Each resource type's own
 * table comes with the migration that adds the type.
 */
export const ec2ResourcesMigration: SchemaMigration = {
  name: '0002-ec2-resources',
  async up(db, dialect) {
    await db.schema
      .createTable('ec2_resources')
      .addColumn('resource_id', binaryText(dialect), (col) => col.primaryKey())
      .addColumn('account_id', 'text', (col) => col.notNull().references('accounts.account_id'))
      .addColumn('resource_type', 'text', (col) => col.notNull())
      .addColumn('created_at', 'text', (col) => col.notNull())
      .execute();
    await db.schema
      .createIndex('ec2_resources_owner')
      .on('ec2_resources')
      .columns(['account_id', 'resource_type'])
      .execute();

    await db.schema
      .createTable('ec2_tags')
      .addColumn('resource_id', binaryText(dialect), (col) => col.notNull().references('ec2_resources.resource_id'))
      .addColumn('account_id', 'text', (col) => col.notNull())
      .addColumn('tag_key', binaryText(dialect), (col) => col.notNull())
      .addColumn('tag_value', 'text', (col) => col.notNull())
      .addPrimaryKeyConstraint('ec2_tags_pk', ['resource_id', 'tag_key'])
      .execute();
    await db.schema.createIndex('ec2_tags_account').on('ec2_tags').columns(['account_id', 'tag_key']).execute();
  },
};
