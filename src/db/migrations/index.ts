import { accountsMigration } from './0001-accounts.js';
import { ec2ResourcesMigration } from './0002-ec2-resources.js';
import { keyPairsMigration } from './0003-key-pairs.js';
import { securityGroupsMigration } from './0004-security-groups.js';
import { imagesMigration } from './0005-images.js';
import { instancesMigration } from './0006-instances.js';
import { addressesMigration } from './0007-addresses.js';
import { volumesMigration } from './0008-volumes.js';
import { cloudPropertiesMigration } from './0009-cloud-properties.js';
import { instanceProtectionMigration } from './0010-instance-protection.js';
import type { SchemaMigration } from './migration.js';

/** Every migration this code knows, in the order they apply. */
export const schemaMigrations: readonly SchemaMigration[] = [
  accountsMigration,
  ec2ResourcesMigration,
  keyPairsMigration,
  securityGroupsMigration,
  imagesMigration,
  instancesMigration,
  addressesMigration,
  volumesMigration,
  cloudPropertiesMigration,
  instanceProtectionMigration,
];
