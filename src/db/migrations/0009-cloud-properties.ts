import type { SchemaMigration } from './migration.js';
import { binaryText } from './migration.js';

/**
 * Cloud-wide settings an operator changes with `cloudctl properties set` (Eucalyptus's `euctl`). Only values that
 * differ from the code's default have a row; the registry in services/clc/models/cloud-properties.ts knows each
 * property's type, default and validation, so the table stays plain text.
 */
export const cloudPropertiesMigration: SchemaMigration = {
  name: '0009-cloud-properties',
  async up(db, dialect) {
    await db.schema
      .createTable('cloud_properties')
      .addColumn('name', binaryText(dialect), (col) => col.primaryKey())
      .addColumn('value', 'text', (col) => col.notNull())
      .addColumn('updated_at', 'text', (col) => col.notNull())
      .addColumn('updated_by', 'text', (col) => col.notNull())
      .execute();
  },
};
