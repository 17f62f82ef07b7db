import { accountsMigration } from './0001-accounts.js';
import type { SchemaMigration } from './migration.js';

/** Every migration this code knows, in the order they apply. */
export const schemaMigrations: readonly SchemaMigration[] = [accountsMigration];
