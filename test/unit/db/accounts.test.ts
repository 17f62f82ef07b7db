import t from 'tap';
import {
  adminAccountId,
  bootstrapAdmin,
  BootstrapError,
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
  lookupAccessKey,
  updateAccessKey,
  type User,
} from '../../../services/clc/models/accounts.js';
import { backends } from './backends.js';
import { expectServiceError } from '../../helpers/clc-models.js';

const accessKeyIdForm = /^AKIA[A-Z2-7]{16}$/;
const userIdForm = /^AIDA[A-Z2-7]{17}$/;
const adminKey = { accessKeyId: 'AKIAADMINADMINADMIN2', secretAccessKey: 'admin-secret-admin-secret-admin-secret-0' };

const noSuchUser = (name: string) => ({
  code: 'NoSuchEntity',
  status: 404,
  message: `The user with name ${name} cannot be found.`,
});
const noSuchKey = (id: string) => ({
  code: 'NoSuchEntity',
  status: 404,
  message: `The Access Key with id ${id} cannot be found.`,
});
const validation = (message: string) => ({ code: 'ValidationError', status: 400, message });
const badUserName = validation(
  'The specified value for userName is invalid. It must contain only alphanumeric characters and/or the following: ' +
    '+=,.@_-',
);

for (const backend of await backends(t)) {
  t.test(backend.name, async (t) => {
    t.test('bootstrapAdmin creates the admin account once', async (t) => {
      const db = await backend.fresh(t);
      const first = await bootstrapAdmin(db, adminKey);
      t.match(first, { accountCreated: true, keyCreated: true });
      t.match(first.account, { accountId: adminAccountId, accountName: 'admin', status: 'ACTIVE' });
      t.type(first.account.createdAt, Date);

      const again = await bootstrapAdmin(db, adminKey);
      t.same(again, { ...first, accountCreated: false, keyCreated: false }, 'a second start changes nothing');
      t.equal((await listAccounts(db)).length, 1);
      t.equal((await listAccessKeys(db, adminAccountId)).AccessKeyMetadata.length, 1);

      t.same(await lookupAccessKey(db, adminKey.accessKeyId), {
        secretAccessKey: adminKey.secretAccessKey,
        principal: {
          accountId: adminAccountId,
          accountName: 'admin',
          arn: `arn:aws:iam::${adminAccountId}:root`,
          isRoot: true,
        },
      });

      const rotated = {
        accessKeyId: 'AKIAADMINADMINADMIN3',
        secretAccessKey: 'another-secret-another-secret-another-se',
      };
      t.match(await bootstrapAdmin(db, rotated), { accountCreated: false, keyCreated: true }, 'a new key is added');
      t.ok(await lookupAccessKey(db, rotated.accessKeyId));
      t.ok(await lookupAccessKey(db, adminKey.accessKeyId), 'the old key still works');
    });

    t.test('bootstrapAdmin refuses keys it cannot trust, without showing secrets', async (t) => {
      const db = await backend.fresh(t);
      await bootstrapAdmin(db, adminKey);
      const changed = { ...adminKey, secretAccessKey: 'not-the-stored-secret-not-the-stored-sec' };
      const error = await bootstrapAdmin(db, changed).catch((error: unknown) => error);
      t.type(error, BootstrapError);
      t.match((error as Error).message, /different secret/);
      t.notMatch((error as Error).message, /secret-/);

      const { rootAccessKey } = await createAccount(db, { accountName: 'other' });
      await t.rejects(bootstrapAdmin(db, { ...rootAccessKey }), { message: /belongs to another identity/ });
      await t.rejects(bootstrapAdmin(db, { accessKeyId: 'bad id', secretAccessKey: 'x'.repeat(40) }), BootstrapError);
      await t.rejects(bootstrapAdmin(db, { accessKeyId: 'AKIAOKAYOKAYOKAYOKAY', secretAccessKey: 'short' }));
    });

    t.test('accounts: create, list, get, delete', async (t) => {
      const db = await backend.fresh(t);
      const created = await createAccount(db, { accountName: 'research' });
      t.match(created.account, { accountId: /^\d{12}$/, accountName: 'research', status: 'ACTIVE' });
      t.match(created.rootAccessKey, { accessKeyId: accessKeyIdForm, secretAccessKey: /^.{40}$/ });
      t.same((await lookupAccessKey(db, created.rootAccessKey.accessKeyId))?.principal, {
        accountId: created.account.accountId,
        accountName: 'research',
        arn: `arn:aws:iam::${created.account.accountId}:root`,
        isRoot: true,
      });

      await expectServiceError(t, createAccount(db, { accountName: 'research' }), {
        code: 'EntityAlreadyExists',
        status: 409,
        message: 'Account with name research already exists.',
      });
      for (const accountName of ['', 'ab', 'Research', 'two--hyphens', '-edge', 'edge-', 'a'.repeat(64), 'spa ce']) {
        await t.rejects(createAccount(db, { accountName }), { code: 'ValidationError' }, accountName);
      }

      await createAccount(db, { accountName: 'alpha' });
      await createAccount(db, { accountName: 'zulu-9' });
      t.same(
        (await listAccounts(db)).map((account) => account.accountName),
        ['alpha', 'research', 'zulu-9'],
      );
      t.same(await getAccount(db, 'research'), created.account);
      await expectServiceError(t, getAccount(db, 'nobody'), {
        code: 'NoSuchEntity',
        status: 404,
        message: 'The account with name nobody cannot be found.',
      });

      t.same(await deleteAccount(db, { accountName: 'research' }), created.account);
      t.equal(await lookupAccessKey(db, created.rootAccessKey.accessKeyId), undefined, 'its root key is gone');
      await expectServiceError(t, deleteAccount(db, { accountName: 'research' }), {
        code: 'NoSuchEntity',
        status: 404,
        message: 'The account with name research cannot be found.',
      });
    });

    t.test('deleting an account with users needs force; the admin account stays', async (t) => {
      const db = await backend.fresh(t);
      await bootstrapAdmin(db, adminKey);
      const { account } = await createAccount(db, { accountName: 'busy' });
      await createUser(db, account.accountId, { UserName: 'one' });
      await createUser(db, account.accountId, { UserName: 'two' });
      const key = await createAccessKey(db, account.accountId, { UserName: 'one' });

      await expectServiceError(t, deleteAccount(db, { accountName: 'busy' }), {
        code: 'DeleteConflict',
        status: 409,
        message: 'Cannot delete account busy: it still has 2 users. Delete them first, or force the deletion.',
      });
      t.ok(await lookupAccessKey(db, key.AccessKeyId), 'a refused deletion deletes nothing');

      await deleteAccount(db, { accountName: 'busy', force: true });
      t.equal(await lookupAccessKey(db, key.AccessKeyId), undefined);
      t.same(await listUsers(db, account.accountId), { Users: [], IsTruncated: false });

      await expectServiceError(t, deleteAccount(db, { accountName: 'admin', force: true }), {
        code: 'DeleteConflict',
        status: 409,
        message: "Cannot delete account admin: it is the cloud's administrative account.",
      });
    });

    t.test('users: create, get, delete, and IAM errors', async (t) => {
      const db = await backend.fresh(t);
      const { account } = await createAccount(db, { accountName: 'people' });
      const id = account.accountId;

      const alice = await createUser(db, id, { UserName: 'Alice' });
      t.match(alice, { Path: '/', UserName: 'Alice', UserId: userIdForm, Arn: `arn:aws:iam::${id}:user/Alice` });
      t.type(alice.CreateDate, Date);
      const bob = await createUser(db, id, { UserName: 'bob+ops=1,x.y@z_w-v', Path: '/division/team/' });
      t.equal(bob.Arn, `arn:aws:iam::${id}:user/division/team/bob+ops=1,x.y@z_w-v`);

      t.same(await getUser(db, id, { UserName: 'Alice' }), alice);
      t.same(await getUser(db, id, { UserName: 'ALICE' }), alice, 'names are case-insensitive');
      await expectServiceError(t, createUser(db, id, { UserName: 'aLiCe' }), {
        code: 'EntityAlreadyExists',
        status: 409,
        message: 'User with name aLiCe already exists.',
      });
      await expectServiceError(t, getUser(db, id, { UserName: 'carol' }), noSuchUser('carol'));
      await expectServiceError(t, deleteUser(db, id, { UserName: 'carol' }), noSuchUser('carol'));

      const cases: [string, () => Promise<unknown>, ReturnType<typeof validation>][] = [
        ['empty', () => createUser(db, id, { UserName: '' }), validation(lengthMin('userName', 1))],
        [
          '65 characters',
          () => createUser(db, id, { UserName: 'a'.repeat(65) }),
          validation(lengthMax('userName', 64)),
        ],
        ['a space', () => createUser(db, id, { UserName: 'bad name' }), badUserName],
        ['a slash', () => createUser(db, id, { UserName: 'bad/name' }), badUserName],
        ['non-ASCII', () => createUser(db, id, { UserName: 'zoë' }), badUserName],
        [
          'get, 129 characters',
          () => getUser(db, id, { UserName: 'a'.repeat(129) }),
          validation(lengthMax('userName', 128)),
        ],
        [
          'path without the closing slash',
          () => createUser(db, id, { UserName: 'p', Path: '/a' }),
          validation(
            'The specified value for path is invalid. It must begin and end with / and contain only alphanumeric ' +
              'characters and/or / characters.',
          ),
        ],
        [
          '513-character path',
          () => createUser(db, id, { UserName: 'p', Path: `/${'a'.repeat(511)}/` }),
          validation(lengthMax('path', 512)),
        ],
      ];
      for (const [name, call, expected] of cases) {
        t.test(name, (t) => expectServiceError(t, call(), expected));
      }

      await createAccessKey(db, id, { UserName: 'alice' });
      await expectServiceError(t, deleteUser(db, id, { UserName: 'Alice' }), {
        code: 'DeleteConflict',
        status: 409,
        message: 'Cannot delete entity, must delete access keys first.',
      });
      for (const key of (await listAccessKeys(db, id, { UserName: 'alice' })).AccessKeyMetadata) {
        await deleteAccessKey(db, id, { UserName: 'alice', AccessKeyId: key.AccessKeyId });
      }
      await deleteUser(db, id, { UserName: 'alice' });
      await expectServiceError(t, getUser(db, id, { UserName: 'Alice' }), noSuchUser('Alice'));
      const again = await createUser(db, id, { UserName: 'Alice' });
      t.not(again.UserId, alice.UserId, 'a new user of the same name is a new identity');
    });

    t.test('listUsers pages in name order, with a path prefix', async (t) => {
      const db = await backend.fresh(t);
      const { account } = await createAccount(db, { accountName: 'many' });
      const id = account.accountId;
      const users: [string, string][] = [
        ['zed', '/'],
        ['B2', '/eng/'],
        ['a.b', '/eng/web/'],
        ['A_c', '/Eng/'],
        ['a-b', '/ops/'],
        ['b', '/eng_x/'],
        ['c@x', '/engxx/'],
        ['B1', '/eng/db/'],
      ];
      for (const [UserName, Path] of users) await createUser(db, id, { UserName, Path });
      const byName = users.map(([name]) => name).sort((a, b) => (a.toLowerCase() < b.toLowerCase() ? -1 : 1));

      const pages: User[][] = [];
      let Marker: string | undefined;
      for (;;) {
        const page = await listUsers(db, id, { MaxItems: 3, ...(Marker !== undefined && { Marker }) });
        pages.push(page.Users);
        t.equal(page.IsTruncated, page.Marker !== undefined, 'a marker exactly when truncated');
        if (!page.IsTruncated) break;
        Marker = page.Marker;
      }
      t.same(
        pages.map((page) => page.length),
        [3, 3, 2],
      );
      t.same(
        pages.flat().map((user) => user.UserName),
        byName,
        'every user once, by name regardless of case',
      );
      t.same(
        (await listUsers(db, id)).Users.map((user) => user.UserName),
        byName,
        'one page by default',
      );

      const names = async (PathPrefix: string) =>
        (await listUsers(db, id, { PathPrefix })).Users.map((user) => user.UserName);
      t.same(
        await names('/eng/'),
        ['B1', 'B2', 'a.b'].sort((a, b) => (a.toLowerCase() < b.toLowerCase() ? -1 : 1)),
      );
      t.same(await names('/eng_'), ['b'], '_ is not a wildcard');
      t.same(await names('/Eng'), ['A_c'], 'paths are case-sensitive');
      t.same(await names('/eng'), ['a.b', 'b', 'B1', 'B2', 'c@x']);
      t.same(await names('/nowhere/'), []);

      const prefixed = await listUsers(db, id, { PathPrefix: '/eng', MaxItems: 2 });
      t.same(
        prefixed.Users.map((user) => user.UserName),
        ['a.b', 'b'],
      );
      const rest = await listUsers(db, id, { PathPrefix: '/eng', MaxItems: 2, Marker: prefixed.Marker! });
      t.same(
        rest.Users.map((user) => user.UserName),
        ['B1', 'B2'],
      );

      for (const MaxItems of [0, 1001, 1.5, -1]) {
        await expectServiceError(
          t,
          listUsers(db, id, { MaxItems }),
          validation(
            `1 validation error detected: Value '${MaxItems}' at 'maxItems' failed to satisfy constraint: Member ` +
              'must have value between 1 and 1000',
          ),
        );
      }
      const keysMarker = Buffer.from('keys:AKIAAAAAAAAAAAAAAAAA').toString('base64url');
      for (const bad of ['garbage!', Buffer.from('users').toString('base64url'), keysMarker]) {
        await expectServiceError(
          t,
          listUsers(db, id, { Marker: bad }),
          validation('The specified value for marker is invalid.'),
        );
      }
      await expectServiceError(
        t,
        listUsers(db, id, { PathPrefix: 'eng' }),
        validation(
          'The specified value for pathPrefix is invalid. It must begin with the / character and contain only ' +
            'alphanumeric characters and/or / characters.',
        ),
      );
    });

    t.test('access keys: create, list, update, delete, quota', async (t) => {
      const db = await backend.fresh(t);
      const { account, rootAccessKey } = await createAccount(db, { accountName: 'keys' });
      const id = account.accountId;
      const user = await createUser(db, id, { UserName: 'dev', Path: '/team/' });

      const first = await createAccessKey(db, id, { UserName: 'DEV' });
      t.match(first, {
        UserName: 'dev',
        AccessKeyId: accessKeyIdForm,
        Status: 'Active',
        SecretAccessKey: /^[A-Za-z0-9]{40}$/,
      });
      t.type(first.CreateDate, Date);
      const second = await createAccessKey(db, id, { UserName: 'dev' });
      await expectServiceError(t, createAccessKey(db, id, { UserName: 'dev' }), {
        code: 'LimitExceeded',
        status: 409,
        message: 'Cannot exceed quota for AccessKeysPerUser: 2',
      });
      await expectServiceError(t, createAccessKey(db, id, { UserName: 'ghost' }), noSuchUser('ghost'));

      const listed = await listAccessKeys(db, id, { UserName: 'dev' });
      t.same(
        listed.AccessKeyMetadata,
        [first, second]
          .map(({ SecretAccessKey: _, ...metadata }) => metadata)
          .sort((a, b) => (a.AccessKeyId < b.AccessKeyId ? -1 : 1)),
        'no secrets in the listing',
      );
      t.equal(listed.IsTruncated, false);
      const onePage = await listAccessKeys(db, id, { UserName: 'dev', MaxItems: 1 });
      t.equal(onePage.IsTruncated, true);
      const nextPage = await listAccessKeys(db, id, { UserName: 'dev', MaxItems: 1, Marker: onePage.Marker! });
      t.same([...onePage.AccessKeyMetadata, ...nextPage.AccessKeyMetadata], listed.AccessKeyMetadata);

      t.same((await lookupAccessKey(db, first.AccessKeyId))?.principal, {
        accountId: id,
        accountName: 'keys',
        userName: 'dev',
        userId: user.UserId,
        arn: `arn:aws:iam::${id}:user/team/dev`,
        isRoot: false,
      });
      t.equal((await lookupAccessKey(db, first.AccessKeyId))?.secretAccessKey, first.SecretAccessKey);
      t.equal(await lookupAccessKey(db, 'AKIAAAAAAAAAAAAAAAAA'), undefined, 'an unknown key');

      await updateAccessKey(db, id, { UserName: 'dev', AccessKeyId: first.AccessKeyId, Status: 'Inactive' });
      t.equal(await lookupAccessKey(db, first.AccessKeyId), undefined, 'an inactive key signs nothing');
      t.equal(
        (await listAccessKeys(db, id, { UserName: 'dev' })).AccessKeyMetadata.find(
          (key) => key.AccessKeyId === first.AccessKeyId,
        )?.Status,
        'Inactive',
      );
      await updateAccessKey(db, id, { UserName: 'dev', AccessKeyId: first.AccessKeyId, Status: 'Active' });
      t.ok(await lookupAccessKey(db, first.AccessKeyId));
      await expectServiceError(
        t,
        updateAccessKey(db, id, { UserName: 'dev', AccessKeyId: first.AccessKeyId, Status: 'Sleeping' as 'Active' }),
        validation(
          "1 validation error detected: Value 'Sleeping' at 'status' failed to satisfy constraint: Member must " +
            'satisfy enum value set: [Active, Inactive]',
        ),
      );

      // The root identity: keys without a user, under the same quota.
      const rootKeys = await listAccessKeys(db, id);
      t.same(
        rootKeys.AccessKeyMetadata.map((key) => key.AccessKeyId),
        [rootAccessKey.accessKeyId],
      );
      t.notOk('UserName' in rootKeys.AccessKeyMetadata[0]!, 'root keys have no user name');
      const secondRoot = await createAccessKey(db, id);
      t.notOk('UserName' in secondRoot);
      t.equal((await lookupAccessKey(db, secondRoot.AccessKeyId))?.principal.isRoot, true);
      await t.rejects(createAccessKey(db, id), { code: 'LimitExceeded' });

      // Without a user name the key must be one of the root identity's.
      await expectServiceError(
        t,
        deleteAccessKey(db, id, { AccessKeyId: first.AccessKeyId }),
        noSuchKey(first.AccessKeyId),
      );
      await expectServiceError(
        t,
        deleteAccessKey(db, id, { UserName: 'dev', AccessKeyId: secondRoot.AccessKeyId }),
        noSuchKey(secondRoot.AccessKeyId),
      );
      await deleteAccessKey(db, id, { UserName: 'dev', AccessKeyId: first.AccessKeyId });
      t.equal(await lookupAccessKey(db, first.AccessKeyId), undefined);
      await expectServiceError(
        t,
        deleteAccessKey(db, id, { UserName: 'dev', AccessKeyId: first.AccessKeyId }),
        noSuchKey(first.AccessKeyId),
      );
      await deleteAccessKey(db, id, { AccessKeyId: secondRoot.AccessKeyId });
      t.ok(await createAccessKey(db, id, { UserName: 'dev' }), 'a deleted key frees its place in the quota');
    });

    t.test("one account cannot see or touch another's users and keys", async (t) => {
      const db = await backend.fresh(t);
      const a = await createAccount(db, { accountName: 'tenant-a' });
      const b = await createAccount(db, { accountName: 'tenant-b' });
      const [idA, idB] = [a.account.accountId, b.account.accountId];
      const alice = await createUser(db, idA, { UserName: 'alice' });
      const key = await createAccessKey(db, idA, { UserName: 'alice' });

      await expectServiceError(t, getUser(db, idB, { UserName: 'alice' }), noSuchUser('alice'));
      await expectServiceError(t, deleteUser(db, idB, { UserName: 'alice' }), noSuchUser('alice'));
      await expectServiceError(t, listAccessKeys(db, idB, { UserName: 'alice' }), noSuchUser('alice'));
      await expectServiceError(t, createAccessKey(db, idB, { UserName: 'alice' }), noSuchUser('alice'));
      await expectServiceError(
        t,
        deleteAccessKey(db, idB, { UserName: 'alice', AccessKeyId: key.AccessKeyId }),
        noSuchUser('alice'),
      );
      await expectServiceError(
        t,
        deleteAccessKey(db, idB, { AccessKeyId: key.AccessKeyId }),
        noSuchKey(key.AccessKeyId),
      );
      await expectServiceError(
        t,
        deleteAccessKey(db, idB, { AccessKeyId: a.rootAccessKey.accessKeyId }),
        noSuchKey(a.rootAccessKey.accessKeyId),
      );
      await expectServiceError(
        t,
        updateAccessKey(db, idB, { AccessKeyId: key.AccessKeyId, Status: 'Inactive' }),
        noSuchKey(key.AccessKeyId),
      );
      t.same(await listUsers(db, idB), { Users: [], IsTruncated: false });
      t.same(
        (await listAccessKeys(db, idB)).AccessKeyMetadata.map((k) => k.AccessKeyId),
        [b.rootAccessKey.accessKeyId],
      );

      const otherAlice = await createUser(db, idB, { UserName: 'alice' });
      t.not(otherAlice.UserId, alice.UserId, 'the same name in another account is another user');
      t.equal(otherAlice.Arn, `arn:aws:iam::${idB}:user/alice`);
      t.ok(await lookupAccessKey(db, key.AccessKeyId), "A's key is untouched");
      t.same(await getUser(db, idA, { UserName: 'alice' }), alice);
    });

    t.test('concurrent requests respect the quota and unique names', async (t) => {
      const db = await backend.fresh(t);
      const { account } = await createAccount(db, { accountName: 'racing' });
      const id = account.accountId;
      await createUser(db, id, { UserName: 'racer' });

      const keys = await Promise.allSettled(
        Array.from({ length: 6 }, () => createAccessKey(db, id, { UserName: 'racer' })),
      );
      t.equal(keys.filter((result) => result.status === 'fulfilled').length, 2, 'two keys made it');
      for (const result of keys) {
        if (result.status === 'rejected') t.match(result.reason, { code: 'LimitExceeded' });
      }

      const users = await Promise.allSettled(Array.from({ length: 5 }, () => createUser(db, id, { UserName: 'same' })));
      t.equal(users.filter((result) => result.status === 'fulfilled').length, 1, 'one user made it');
      for (const result of users) {
        if (result.status === 'rejected') t.match(result.reason, { code: 'EntityAlreadyExists' });
      }
    });
  });
}

function lengthMax(member: string, max: number): string {
  return (
    `1 validation error detected: Value at '${member}' failed to satisfy constraint: Member must have length less ` +
    `than or equal to ${max}`
  );
}

function lengthMin(member: string, min: number): string {
  return (
    `1 validation error detected: Value at '${member}' failed to satisfy constraint: Member must have length ` +
    `greater than or equal to ${min}`
  );
}
