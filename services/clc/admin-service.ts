import type { Kysely } from 'kysely';
import type { SoapOperation } from '../../src/soap/soap-service.js';
import type { Database } from '../../src/db/schema.js';
import type { BackupStaging } from './cloud-backup.js';
// One wire shape for the clc and cloudctl.
import type { BackupSchedule } from '../../src/cloud/backup-schedule.js';
import {
  createAccessKey,
  createAccount,
  createUser,
  deleteAccessKey,
  deleteAccount,
  deleteUser,
  getAccount,
  getUser,
  listAccessKeys,
  listAccounts,
  listUsers,
  type User,
} from './models/accounts.js';
import { getCloudProperty, listCloudProperties, setCloudProperty } from './models/cloud-properties.js';

export interface AdminServiceOptions {
  /**
   * `CreateBackup`: a consistent copy of the clc's database and Walrus's metadata, kept on the clc's disk for the
   * caller to fetch (`GET <admin>/backups/ID/FILE`) and then `DiscardBackup`.
   */
  backups?: Pick<BackupStaging, 'stage' | 'discard'>;
  /** `DescribeBackupSchedule`: the scheduled backups' settings and the archives they wrote. */
  backupSchedule?: () => Promise<BackupSchedule>;
}

/** An IAM user as the admin interface shows it. */
function adminUser(accountName: string, user: User) {
  return {
    accountName,
    userName: user.UserName,
    userId: user.UserId,
    arn: user.Arn,
    path: user.Path,
    createdAt: user.CreateDate,
  };
}

const text = (value: unknown) => String(value ?? '');
const flag = (value: unknown) => value === true || value === 'true';

/**
 * The operations of `wsdl/admin.wsdl`, by wire name: what `cloudctl accounts|users|credentials|properties|backup`
 * call. The route in front of them lets through only the cloud CA's `admin` certificate; the operator's name arrives
 * as the message's `userId`.
 */
export function adminOperations(
  db: Kysely<Database>,
  options: AdminServiceOptions = {},
): Record<string, SoapOperation> {
  return {
    async CreateAccount(input, { log, userId }) {
      const created = await createAccount(db, { accountName: text(input.accountName) });
      log.info({ operator: userId, accountId: created.account.accountId }, 'account created');
      return created as unknown as Record<string, unknown>;
    },
    async ListAccounts() {
      return { accounts: await listAccounts(db) };
    },
    async DeleteAccount(input, { log, userId }) {
      const force = flag(input.force);
      const account = await deleteAccount(db, { accountName: text(input.accountName), force });
      log.info({ operator: userId, accountId: account.accountId, force }, 'account deleted');
      return { account };
    },

    async ListUsers(input) {
      const account = await getAccount(db, text(input.accountName));
      const users: User[] = [];
      let marker: string | undefined;
      do {
        const page = await listUsers(db, account.accountId, { MaxItems: 1000, Marker: marker });
        users.push(...page.Users);
        marker = page.Marker;
      } while (marker);
      return { users: users.map((user) => adminUser(account.accountName, user)) };
    },
    async CreateUser(input, { log, userId }) {
      const account = await getAccount(db, text(input.accountName));
      const user = await createUser(db, account.accountId, { UserName: text(input.userName) });
      log.info({ operator: userId, accountId: account.accountId, user: user.UserName }, 'user created');
      return { user: adminUser(account.accountName, user) };
    },
    /** IAM refuses to delete a user with access keys; `force` deletes them first. */
    async DeleteUser(input, { log, userId }) {
      const account = await getAccount(db, text(input.accountName));
      const UserName = text(input.userName);
      const user = adminUser(account.accountName, await getUser(db, account.accountId, { UserName }));
      if (flag(input.force)) {
        const keys = await listAccessKeys(db, account.accountId, { UserName });
        for (const key of keys.AccessKeyMetadata) {
          await deleteAccessKey(db, account.accountId, { UserName, AccessKeyId: key.AccessKeyId });
        }
      }
      await deleteUser(db, account.accountId, { UserName });
      log.info({ operator: userId, accountId: account.accountId, user: UserName }, 'user deleted');
      return { user };
    },
    /** A new access key for a user, or for the account's root identity when no user is named. */
    async CreateAccessKey(input, { log, userId }) {
      const account = await getAccount(db, text(input.accountName));
      const UserName = input.userName ? text(input.userName) : undefined;
      const key = await createAccessKey(db, account.accountId, UserName === undefined ? {} : { UserName });
      log.info({ operator: userId, accountId: account.accountId, user: UserName, key: key.AccessKeyId }, 'key created');
      return {
        accessKey: {
          accountId: account.accountId,
          accountName: account.accountName,
          ...(UserName !== undefined && { userName: key.UserName }),
          accessKeyId: key.AccessKeyId,
          secretAccessKey: key.SecretAccessKey,
        },
      };
    },

    async ListProperties() {
      return { properties: await listCloudProperties(db) };
    },
    async GetProperty(input) {
      return { property: await getCloudProperty(db, text(input.name)) };
    },
    async SetProperty(input, { log, userId }) {
      const set = await setCloudProperty(db, { name: text(input.name), value: text(input.value), operator: userId });
      log.info({ operator: userId, property: set.property.name, value: set.property.value }, 'property set');
      return set as unknown as Record<string, unknown>;
    },

    async CreateBackup(_input, { log, userId }) {
      if (!options.backups) throw new Error('this cloud controller was started without a backup source');
      const { backupId, createdAt, parts } = await options.backups.stage();
      log.info({ operator: userId, backupId, parts: parts.map((p) => [p.fileName, p.sizeBytes]) }, 'backup taken');
      return { backupId, createdAt, parts } as unknown as Record<string, unknown>;
    },
    async DiscardBackup(input, { log, userId }) {
      if (!options.backups) throw new Error('this cloud controller was started without a backup source');
      const backupId = text(input.backupId);
      const discarded = options.backups.discard(backupId);
      log.info({ operator: userId, backupId, discarded }, 'backup discarded');
      return { discarded };
    },
    async DescribeBackupSchedule() {
      if (!options.backupSchedule) throw new Error('this cloud controller was started without scheduled backups');
      return (await options.backupSchedule()) as unknown as Record<string, unknown>;
    },
  };
}
