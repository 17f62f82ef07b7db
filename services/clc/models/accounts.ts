import { CompiledQuery, type InferResult, type Kysely, type Selectable } from 'kysely';
import { dialectOf, type DialectName } from '../../../src/db/dialect.js';
import { isUniqueViolation, withTransaction } from '../../../src/db/transaction.js';
import type {
  AccessKeyStatus,
  AccessKeysTable,
  AccountStatus,
  AccountsTable,
  Database,
  UsersTable,
} from '../../../src/db/schema.js';
import { integerCloudProperty } from './cloud-properties.js';
import { iamErrors } from './iam-errors.js';
import { generateAccessKey, generateAccountId, generateUserId, rootArn, userArn } from './iam-ids.js';

/**
 * Accounts, IAM users and access keys: the cloud's identities. Account functions serve the admin interface; user and
 * key functions take the caller's account id (the scope every IAM call runs in) and IAM-shaped input, and return
 * IAM-shaped output, so an IAM handler passes both through. Nothing of one account is visible from another: a user
 * or key outside the scope is reported missing, exactly as one that does not exist.
 */

/** The account `bootstrapAdmin` creates at first start. Its id is all zeros, as LocalStack's default account. */
export const adminAccountName = 'admin';
export const adminAccountId = '000000000000';

/** IAM's quota of access keys per user; the root identity of an account has the same. */
export const accessKeysPerUser = 2;

export interface Account {
  accountId: string;
  accountName: string;
  status: AccountStatus;
  createdAt: Date;
}

export interface SecretKey {
  accessKeyId: string;
  secretAccessKey: string;
}

/** IAM's `User`. */
export interface User {
  Path: string;
  UserName: string;
  UserId: string;
  Arn: string;
  CreateDate: Date;
}

/** IAM's `AccessKeyMetadata`; `UserName` is absent for the account's root keys. */
export interface AccessKeyMetadata {
  UserName?: string;
  AccessKeyId: string;
  Status: AccessKeyStatus;
  CreateDate: Date;
}

/** IAM's `AccessKey`: the metadata and, this once, the secret. */
export interface AccessKey extends AccessKeyMetadata {
  SecretAccessKey: string;
}

/** Who signs with an access key. */
export interface Principal {
  accountId: string;
  accountName: string;
  /** Absent for the account's root identity. */
  userName?: string;
  userId?: string;
  arn: string;
  isRoot: boolean;
}

export interface KeyCredential {
  secretAccessKey: string;
  principal: Principal;
}

/** The IAM paging members. */
export interface PageRequest {
  Marker?: string;
  MaxItems?: number;
}

/** The database, or a transaction on it: each function joins a transaction it is given instead of opening one. */
type Db = Kysely<Database>;

export class BootstrapError extends Error {
  override name = 'BootstrapError';
}

/**
 * Makes sure the admin account exists and owns the configured root access key: the first start creates both; later
 * starts with the same key change nothing; a new key (the operator rotated it in the config) is added beside the old
 * one. Refuses a key id that already belongs to someone else or has another secret.
 */
export async function bootstrapAdmin(
  db: Db,
  key: SecretKey,
): Promise<{ account: Account; accountCreated: boolean; keyCreated: boolean }> {
  if (!/^[A-Z0-9]{16,128}$/.test(key.accessKeyId)) {
    throw new BootstrapError(`the admin access key id ${key.accessKeyId} is malformed (16 to 128 of A-Z, 0-9)`);
  }
  if (key.secretAccessKey.length < 16) throw new BootstrapError('the admin secret access key is too short');
  return withTransaction(db, async (trx) => {
    let row = await trx.selectFrom('accounts').selectAll().where('account_id', '=', adminAccountId).executeTakeFirst();
    const accountCreated = row === undefined;
    if (row === undefined) {
      const clash = await findAccountByName(trx, adminAccountName);
      if (clash) {
        throw new BootstrapError(
          `account ${adminAccountName} exists with id ${clash.account_id}, not the admin account id ${adminAccountId}`,
        );
      }
      row = { account_id: adminAccountId, account_name: adminAccountName, status: 'ACTIVE', created_at: now() };
      await trx.insertInto('accounts').values(row).execute();
    }
    const existing = await trx
      .selectFrom('access_keys')
      .selectAll()
      .where('access_key_id', '=', key.accessKeyId)
      .executeTakeFirst();
    if (existing && (existing.account_id !== adminAccountId || existing.user_id !== null)) {
      throw new BootstrapError(`access key ${key.accessKeyId} belongs to another identity, not the admin account`);
    }
    if (existing && existing.secret_access_key !== key.secretAccessKey) {
      throw new BootstrapError(`access key ${key.accessKeyId} is in the database with a different secret`);
    }
    if (!existing) await insertKey(trx, adminAccountId, null, key);
    return { account: toAccount(row), accountCreated, keyCreated: !existing };
  });
}

/** A new account with a root access key, whose secret is returned this once. */
export async function createAccount(
  db: Db,
  input: { accountName: string },
): Promise<{ account: Account; rootAccessKey: SecretKey }> {
  const { accountName } = input;
  validateAccountName(accountName);
  try {
    return await withTransaction(db, async (trx) => {
      if (await findAccountByName(trx, accountName)) throw iamErrors.accountAlreadyExists(accountName);
      let accountId = generateAccountId();
      while (await accountIdTaken(trx, accountId)) accountId = generateAccountId();
      const row = { account_id: accountId, account_name: accountName, status: 'ACTIVE' as const, created_at: now() };
      await trx.insertInto('accounts').values(row).execute();
      const { accessKeyId, secretAccessKey } = await newKey(trx, accountId, null);
      return { account: toAccount(row), rootAccessKey: { accessKeyId, secretAccessKey } };
    });
  } catch (error) {
    // A concurrent creation of the same name that committed first.
    if (isUniqueViolation(error)) throw iamErrors.accountAlreadyExists(accountName);
    throw error;
  }
}

export async function listAccounts(db: Db): Promise<Account[]> {
  const rows = await db.selectFrom('accounts').selectAll().orderBy('account_name').execute();
  return rows.map(toAccount);
}

export async function getAccount(db: Db, accountName: string): Promise<Account> {
  const row = await findAccountByName(db, accountName);
  if (!row) throw iamErrors.noSuchAccount(accountName);
  return toAccount(row);
}

/**
 * Deletes an account and its root keys. Refused while it has users, unless `force`, which deletes them and their
 * keys too. The admin account is never deleted: the next start would only bring it back.
 */
export async function deleteAccount(db: Db, input: { accountName: string; force?: boolean }): Promise<Account> {
  const { accountName, force = false } = input;
  return withTransaction(db, async (trx) => {
    const row = await findAccountByName(trx, accountName);
    if (!row) throw iamErrors.noSuchAccount(accountName);
    if (row.account_id === adminAccountId) throw iamErrors.adminAccountUndeletable(accountName);
    const users = await countRows(trx, 'users', row.account_id);
    if (users > 0 && !force) throw iamErrors.accountNotEmpty(accountName, users);
    await trx.deleteFrom('access_keys').where('account_id', '=', row.account_id).execute();
    await trx.deleteFrom('users').where('account_id', '=', row.account_id).execute();
    await trx.deleteFrom('accounts').where('account_id', '=', row.account_id).execute();
    return toAccount(row);
  });
}

export async function createUser(db: Db, accountId: string, input: { UserName: string; Path?: string }): Promise<User> {
  const { UserName, Path = '/' } = input;
  validateUserName(UserName, 'userName', 64);
  validatePath(Path, 'path');
  try {
    return await withTransaction(db, async (trx) => {
      if (await findUser(trx, accountId, UserName)) throw iamErrors.userAlreadyExists(UserName);
      const quota = await integerCloudProperty(trx, 'iam.users.max_per_account');
      if ((await countRows(trx, 'users', accountId)) >= quota) throw iamErrors.userQuota(quota);
      let userId = generateUserId();
      while (await trx.selectFrom('users').select('user_id').where('user_id', '=', userId).executeTakeFirst()) {
        userId = generateUserId();
      }
      const row = {
        user_id: userId,
        account_id: accountId,
        user_name: UserName,
        user_name_key: nameKey(UserName),
        path: Path,
        created_at: now(),
      };
      await trx.insertInto('users').values(row).execute();
      return toUser(row);
    });
  } catch (error) {
    if (isUniqueViolation(error)) throw iamErrors.userAlreadyExists(UserName);
    throw error;
  }
}

/** IAM names are case-insensitive: `Alice` finds `alice`. */
export async function getUser(db: Db, accountId: string, input: { UserName: string }): Promise<User> {
  validateUserName(input.UserName, 'userName', 128);
  return toUser(await requireUser(db, accountId, input.UserName));
}

/** Users in name order (case-insensitive), those whose path starts with `PathPrefix`, a page at a time. */
export async function listUsers(
  db: Db,
  accountId: string,
  input: { PathPrefix?: string } & PageRequest = {},
): Promise<{ Users: User[]; IsTruncated: boolean; Marker?: string }> {
  const { PathPrefix = '/' } = input;
  validatePathPrefix(PathPrefix);
  const page = pageRequest(input, 'users');
  let query = db.selectFrom('users').selectAll().where('account_id', '=', accountId);
  if (PathPrefix !== '/') {
    // substr rather than LIKE: SQLite's LIKE ignores case, and `_` and `%` in a path would be wildcards.
    query = query.where((eb) => eb(eb.fn('substr', ['path', eb.lit(1), eb.lit(PathPrefix.length)]), '=', PathPrefix));
  }
  if (page.after !== undefined) query = query.where('user_name_key', '>', page.after);
  const rows = await query
    .orderBy('user_name_key')
    .limit(page.maxItems + 1)
    .execute();
  const { items, ...more } = paged(rows, page, 'users', (row) => row.user_name_key);
  return { Users: items.map(toUser), ...more };
}

/** IAM refuses to delete a user who still has access keys. */
export async function deleteUser(db: Db, accountId: string, input: { UserName: string }): Promise<void> {
  validateUserName(input.UserName, 'userName', 128);
  await withTransaction(db, async (trx) => {
    const user = await requireUser(trx, accountId, input.UserName);
    const key = await trx
      .selectFrom('access_keys')
      .select('access_key_id')
      .where('user_id', '=', user.user_id)
      .executeTakeFirst();
    if (key) throw iamErrors.userHasAccessKeys();
    await trx.deleteFrom('users').where('user_id', '=', user.user_id).execute();
  });
}

/**
 * A new active key for the user, or for the account's root identity when `UserName` is absent (the handler passes
 * the calling user's own name when an IAM user calls without one). The secret is returned this once.
 */
export async function createAccessKey(
  db: Db,
  accountId: string,
  input: { UserName?: string } = {},
): Promise<AccessKey> {
  const { UserName } = input;
  if (UserName !== undefined) validateUserName(UserName, 'userName', 128);
  return withTransaction(db, async (trx) => {
    const user = UserName === undefined ? undefined : await requireUser(trx, accountId, UserName);
    const held = await keysOf(trx, accountId, user?.user_id ?? null)
      .select((eb) => eb.fn.countAll<number | string>().as('n'))
      .executeTakeFirstOrThrow();
    if (Number(held.n) >= accessKeysPerUser) throw iamErrors.accessKeyQuota(accessKeysPerUser);
    const key = await newKey(trx, accountId, user?.user_id ?? null);
    return {
      ...(user && { UserName: user.user_name }),
      AccessKeyId: key.accessKeyId,
      Status: 'Active',
      SecretAccessKey: key.secretAccessKey,
      CreateDate: new Date(key.createdAt),
    };
  });
}

/** The keys of a user, or the account's root keys when `UserName` is absent; no secrets. */
export async function listAccessKeys(
  db: Db,
  accountId: string,
  input: { UserName?: string } & PageRequest = {},
): Promise<{ AccessKeyMetadata: AccessKeyMetadata[]; IsTruncated: boolean; Marker?: string }> {
  const { UserName } = input;
  if (UserName !== undefined) validateUserName(UserName, 'userName', 128);
  const page = pageRequest(input, 'keys');
  const user = UserName === undefined ? undefined : await requireUser(db, accountId, UserName);
  let query = keysOf(db, accountId, user?.user_id ?? null).select(['access_key_id', 'status', 'created_at']);
  if (page.after !== undefined) query = query.where('access_key_id', '>', page.after);
  const rows = await query
    .orderBy('access_key_id')
    .limit(page.maxItems + 1)
    .execute();
  const toMetadata = (row: (typeof rows)[number]): AccessKeyMetadata => ({
    ...(user && { UserName: user.user_name }),
    AccessKeyId: row.access_key_id,
    Status: row.status,
    CreateDate: new Date(row.created_at),
  });
  const { items, ...more } = paged(rows, page, 'keys', (row) => row.access_key_id);
  return { AccessKeyMetadata: items.map(toMetadata), ...more };
}

/** Activates or deactivates a key; an inactive key no longer signs requests. */
export async function updateAccessKey(
  db: Db,
  accountId: string,
  input: { UserName?: string; AccessKeyId: string; Status: AccessKeyStatus },
): Promise<void> {
  if (input.Status !== 'Active' && input.Status !== 'Inactive') throw iamErrors.invalidStatus(String(input.Status));
  await withTransaction(db, async (trx) => {
    const key = await requireKey(trx, accountId, input);
    await trx
      .updateTable('access_keys')
      .set({ status: input.Status })
      .where('access_key_id', '=', key.access_key_id)
      .execute();
  });
}

export async function deleteAccessKey(
  db: Db,
  accountId: string,
  input: { UserName?: string; AccessKeyId: string },
): Promise<void> {
  await withTransaction(db, async (trx) => {
    const key = await requireKey(trx, accountId, input);
    await trx.deleteFrom('access_keys').where('access_key_id', '=', key.access_key_id).execute();
  });
}

/**
 * The secret and owner of an active key of an active account, for checking a signature; `undefined` for an unknown,
 * inactive or suspended one. One query on the key's primary key, compiled once per engine: this runs for every
 * request, and building the query would cost as much as running it.
 */
export async function lookupAccessKey(db: Db, accessKeyId: string): Promise<KeyCredential | undefined> {
  const dialect = dialectOf(db);
  let template = lookupTemplates.get(dialect);
  if (!template) {
    template = lookupQuery(db, lookupSentinel).compile();
    lookupTemplates.set(dialect, template);
  }
  const parameters = template.parameters.map((value) => (value === lookupSentinel ? accessKeyId : value));
  const { rows } = await db.executeQuery(CompiledQuery.raw(template.sql, parameters) as typeof template);
  const row = rows[0];
  if (!row) return undefined;
  const base = { accountId: row.account_id, accountName: row.account_name };
  const principal: Principal =
    row.user_id !== null && row.user_name !== null && row.path !== null
      ? {
          ...base,
          userName: row.user_name,
          userId: row.user_id,
          arn: userArn(row.account_id, row.path, row.user_name),
          isRoot: false,
        }
      : { ...base, arn: rootArn(row.account_id), isRoot: true };
  return { secretAccessKey: row.secret_access_key, principal };
}

const lookupSentinel = '\u0000access-key-id';
const lookupTemplates = new Map<DialectName, CompiledQuery<LookupRow>>();
type LookupRow = InferResult<ReturnType<typeof lookupQuery>>[number];

function lookupQuery(db: Db, accessKeyId: string) {
  return db
    .selectFrom('access_keys as k')
    .innerJoin('accounts as a', 'a.account_id', 'k.account_id')
    .leftJoin('users as u', 'u.user_id', 'k.user_id')
    .select(['k.secret_access_key', 'k.account_id', 'a.account_name', 'u.user_id', 'u.user_name', 'u.path'])
    .where('k.access_key_id', '=', accessKeyId)
    .where('k.status', '=', 'Active')
    .where('a.status', '=', 'ACTIVE');
}

const iamNamePattern = /^[\w+=,.@-]+$/;
const pathPattern = /^(?:\/|\/[\x21-\x7e]+\/)$/;
const pathPrefixPattern = /^\/[\x21-\x7f]*$/;
/** Like an AWS account alias: what also reads well in a hostname. */
const accountNamePattern = /^[a-z0-9](?:[a-z0-9]|-(?!-)){1,61}[a-z0-9]$/;

function validateUserName(name: string, member: string, max: number): void {
  if (name.length < 1) throw iamErrors.tooShort(member, 1);
  if (name.length > max) throw iamErrors.tooLong(member, max);
  if (!iamNamePattern.test(name)) throw iamErrors.invalidName(member);
}

function validatePath(path: string, member: string): void {
  if (path.length < 1) throw iamErrors.tooShort(member, 1);
  if (path.length > 512) throw iamErrors.tooLong(member, 512);
  if (!pathPattern.test(path)) throw iamErrors.invalidPath(member);
}

function validatePathPrefix(prefix: string): void {
  if (prefix.length < 1) throw iamErrors.tooShort('pathPrefix', 1);
  if (prefix.length > 512) throw iamErrors.tooLong('pathPrefix', 512);
  if (!pathPrefixPattern.test(prefix)) throw iamErrors.invalidPathPrefix();
}

function validateAccountName(name: string): void {
  if (!accountNamePattern.test(name)) throw iamErrors.invalidAccountName(name);
}

interface Page {
  maxItems: number;
  after?: string;
}

function pageRequest(input: PageRequest, list: string): Page {
  const { MaxItems = 100, Marker } = input;
  if (!Number.isInteger(MaxItems) || MaxItems < 1 || MaxItems > 1000) {
    throw iamErrors.outOfRange('maxItems', MaxItems, 1, 1000);
  }
  if (Marker === undefined) return { maxItems: MaxItems };
  if (Marker.length < 1) throw iamErrors.tooShort('marker', 1);
  if (Marker.length > 320) throw iamErrors.tooLong('marker', 320);
  const decoded = Buffer.from(Marker, 'base64url').toString('utf8');
  const prefix = `${list}:`;
  if (!decoded.startsWith(prefix) || encodeMarker(list, decoded.slice(prefix.length)) !== Marker) {
    throw iamErrors.invalidMarker();
  }
  return { maxItems: MaxItems, after: decoded.slice(prefix.length) };
}

function encodeMarker(list: string, after: string): string {
  return Buffer.from(`${list}:${after}`, 'utf8').toString('base64url');
}

/** The page out of `maxItems + 1` rows (one more tells whether there is a next page), and the marker to it. */
function paged<Row>(
  rows: Row[],
  page: Page,
  list: string,
  keyOf: (row: Row) => string,
): { items: Row[]; IsTruncated: boolean; Marker?: string } {
  const items = rows.slice(0, page.maxItems);
  const last = items.at(-1);
  if (rows.length <= page.maxItems || last === undefined) return { items, IsTruncated: false };
  return { items, IsTruncated: true, Marker: encodeMarker(list, keyOf(last)) };
}

type AccountRow = Selectable<AccountsTable>;
type UserRow = Selectable<UsersTable>;
type KeyRow = Selectable<AccessKeysTable>;

function now(): string {
  return new Date().toISOString();
}

function nameKey(name: string): string {
  return name.toLowerCase();
}

function toAccount(row: AccountRow): Account {
  return {
    accountId: row.account_id,
    accountName: row.account_name,
    status: row.status,
    createdAt: new Date(row.created_at),
  };
}

function toUser(row: UserRow): User {
  return {
    Path: row.path,
    UserName: row.user_name,
    UserId: row.user_id,
    Arn: userArn(row.account_id, row.path, row.user_name),
    CreateDate: new Date(row.created_at),
  };
}

function findAccountByName(db: Db, accountName: string) {
  return db.selectFrom('accounts').selectAll().where('account_name', '=', accountName).executeTakeFirst();
}

async function accountIdTaken(db: Db, accountId: string): Promise<boolean> {
  const row = await db
    .selectFrom('accounts')
    .select('account_id')
    .where('account_id', '=', accountId)
    .executeTakeFirst();
  return row !== undefined;
}

function findUser(db: Db, accountId: string, userName: string): Promise<UserRow | undefined> {
  return db
    .selectFrom('users')
    .selectAll()
    .where('account_id', '=', accountId)
    .where('user_name_key', '=', nameKey(userName))
    .executeTakeFirst();
}

async function requireUser(db: Db, accountId: string, userName: string): Promise<UserRow> {
  const user = await findUser(db, accountId, userName);
  if (!user) throw iamErrors.noSuchUser(userName);
  return user;
}

/** The key, if it belongs to the named user (or to the root identity when no user is named) of this account. */
async function requireKey(
  db: Db,
  accountId: string,
  input: { UserName?: string; AccessKeyId: string },
): Promise<KeyRow> {
  if (input.UserName !== undefined) validateUserName(input.UserName, 'userName', 128);
  const user = input.UserName === undefined ? undefined : await requireUser(db, accountId, input.UserName);
  const key = await keysOf(db, accountId, user?.user_id ?? null)
    .selectAll()
    .where('access_key_id', '=', input.AccessKeyId)
    .executeTakeFirst();
  if (!key) throw iamErrors.noSuchAccessKey(input.AccessKeyId);
  return key;
}

/** The keys of one user, or the root keys (`userId` null), of an account. */
function keysOf(db: Db, accountId: string, userId: string | null) {
  const query = db.selectFrom('access_keys').where('account_id', '=', accountId);
  return userId === null ? query.where('user_id', 'is', null) : query.where('user_id', '=', userId);
}

async function countRows(db: Db, table: 'users' | 'access_keys', accountId: string): Promise<number> {
  const row = await db
    .selectFrom(table)
    .select((eb) => eb.fn.countAll<number | string>().as('n'))
    .where('account_id', '=', accountId)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

async function newKey(db: Db, accountId: string, userId: string | null): Promise<SecretKey & { createdAt: string }> {
  let key = generateAccessKey();
  while (
    await db
      .selectFrom('access_keys')
      .select('access_key_id')
      .where('access_key_id', '=', key.accessKeyId)
      .executeTakeFirst()
  ) {
    key = generateAccessKey();
  }
  return { ...key, createdAt: await insertKey(db, accountId, userId, key) };
}

async function insertKey(db: Db, accountId: string, userId: string | null, key: SecretKey): Promise<string> {
  const createdAt = now();
  await db
    .insertInto('access_keys')
    .values({
      access_key_id: key.accessKeyId,
      account_id: accountId,
      user_id: userId,
      secret_access_key: key.secretAccessKey,
      status: 'Active',
      created_at: createdAt,
    })
    .execute();
  return createdAt;
}
