import type { SchemaMigration } from './migration.js';
import { binaryText } from './migration.js';

/**
 * Machine, kernel and ramdisk images (Eucalyptus's EMI, EKI and ERI; `ami-`, `aki-`, `ari-` ids here), and who
 * besides the owner may launch each: one row per grantee, an account id or `all` for a public image. Block device
 * mappings are JSON: they are only ever read back whole.
 */
export const imagesMigration: SchemaMigration = {
  name: '0005-images',
  async up(db, dialect) {
    await db.schema
      .createTable('images')
      .addColumn('image_id', binaryText(dialect), (col) => col.primaryKey())
      .addColumn('account_id', 'text', (col) => col.notNull().references('accounts.account_id'))
      .addColumn('name', binaryText(dialect), (col) => col.notNull())
      .addColumn('image_type', 'text', (col) => col.notNull())
      .addColumn('image_location', 'text')
      .addColumn('architecture', 'text', (col) => col.notNull())
      .addColumn('virtualization_type', 'text', (col) => col.notNull())
      .addColumn('root_device_type', 'text', (col) => col.notNull())
      .addColumn('root_device_name', 'text')
      .addColumn('kernel_id', 'text')
      .addColumn('ramdisk_id', 'text')
      .addColumn('description', 'text')
      .addColumn('block_device_mappings', 'text', (col) => col.notNull())
      .addColumn('state', 'text', (col) => col.notNull())
      .addColumn('created_at', 'text', (col) => col.notNull())
      .addUniqueConstraint('images_name', ['account_id', 'name'])
      .execute();

    await db.schema
      .createTable('image_launch_permissions')
      .addColumn('image_id', binaryText(dialect), (col) => col.notNull().references('images.image_id'))
      .addColumn('grantee', binaryText(dialect), (col) => col.notNull())
      .addPrimaryKeyConstraint('image_launch_permissions_pk', ['image_id', 'grantee'])
      .execute();
    await db.schema
      .createIndex('image_launch_permissions_grantee')
      .on('image_launch_permissions')
      .column('grantee')
      .execute();
  },
};
