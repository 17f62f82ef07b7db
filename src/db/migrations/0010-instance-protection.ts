import type { SchemaMigration } from './migration.js';

/**
 * An instance's protection from the API (`DisableApiTermination`, `DisableApiStop`): 1 while TerminateInstances or
 * StopInstances must refuse it. Set at RunInstances or by ModifyInstanceAttribute.
 */
export const instanceProtectionMigration: SchemaMigration = {
  name: '0010-instance-protection',
  async up(db) {
    // One column per statement: SQLite's ALTER TABLE adds one at a time.
    await db.schema
      .alterTable('instances')
      .addColumn('disable_api_termination', 'integer', (col) => col.notNull().defaultTo(0))
      .execute();
    await db.schema
      .alterTable('instances')
      .addColumn('disable_api_stop', 'integer', (col) => col.notNull().defaultTo(0))
      .execute();
  },
};
