import {
  CreateAccessKeyCommand,
  CreateUserCommand,
  DeleteAccessKeyCommand,
  DeleteUserCommand,
  GetUserCommand,
  ListAccessKeysCommand,
  ListUsersCommand,
} from '@aws-sdk/client-iam';
import { GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import { DescribeRegionsCommand, DescribeTagsCommand } from '@aws-sdk/client-ec2';
import t from 'tap';
import { runCommand } from '../helpers/cli.js';
import { startClc } from '../helpers/clc.js';

// The clc daemon's IAM, STS and admin interfaces with the real SDK clients and both aws CLIs: accounts made through
// the admin SOAP interface, users and keys through IAM, and each account sealed off from the others.
const clc = await startClc(t);

t.test('the admin key is the admin account root; STS says so', async (t) => {
  const identity = await clc.sts().send(new GetCallerIdentityCommand({}));
  t.same(
    { Account: identity.Account, Arn: identity.Arn, UserId: identity.UserId },
    { Account: '000000000000', Arn: 'arn:aws:iam::000000000000:root', UserId: '000000000000' },
  );
});

t.test('an account from the admin interface gets a working root key; its users get working keys', async (t) => {
  const research = await clc.newAccount('research');
  t.match(research, { accountId: /^\d{12}$/, accessKeyId: /^AKIA[A-Z2-7]{16}$/ });
  const iam = clc.iam(research);
  const created = await iam.send(new CreateUserCommand({ UserName: 'alice', Path: '/team/' }));
  t.match(created.User, {
    UserName: 'alice',
    Path: '/team/',
    Arn: `arn:aws:iam::${research.accountId}:user/team/alice`,
    UserId: /^AIDA[A-Z2-7]{17}$/,
  });
  t.type(created.User?.CreateDate, Date);
  const key = await iam.send(new CreateAccessKeyCommand({ UserName: 'alice' }));
  const alice = { accessKeyId: key.AccessKey!.AccessKeyId!, secretAccessKey: key.AccessKey!.SecretAccessKey! };
  t.equal(key.AccessKey?.UserName, 'alice');

  const asAlice = await clc.sts(alice).send(new GetCallerIdentityCommand({}));
  t.same(
    { Account: asAlice.Account, Arn: asAlice.Arn, UserId: asAlice.UserId },
    { Account: research.accountId, Arn: created.User?.Arn, UserId: created.User?.UserId },
  );
  // A user without a name in the call acts on itself.
  const own = await clc.iam(alice).send(new GetUserCommand({}));
  t.equal(own.User?.UserName, 'alice');
  const ownKeys = await clc.iam(alice).send(new ListAccessKeysCommand({}));
  t.same(
    ownKeys.AccessKeyMetadata?.map((entry) => entry.AccessKeyId),
    [alice.accessKeyId],
  );

  const listed = await iam.send(new ListUsersCommand({}));
  t.same(
    listed.Users?.map((user) => user.UserName),
    ['alice'],
  );
  await t.rejects(iam.send(new DeleteUserCommand({ UserName: 'alice' })), {
    name: 'DeleteConflict',
    message: 'Cannot delete entity, must delete access keys first.',
  });
  await iam.send(new DeleteAccessKeyCommand({ UserName: 'alice', AccessKeyId: alice.accessKeyId }));
  await t.rejects(clc.sts(alice).send(new GetCallerIdentityCommand({})), {
    name: 'InvalidClientTokenId',
    $metadata: { httpStatusCode: 403 },
  });
  await iam.send(new DeleteUserCommand({ UserName: 'alice' }));
  await t.rejects(iam.send(new GetUserCommand({ UserName: 'alice' })), {
    name: 'NoSuchEntity',
    message: 'The user with name alice cannot be found.',
    $metadata: { httpStatusCode: 404 },
  });
});

t.test('no account sees or touches another account’s users', async (t) => {
  const one = await clc.newAccount('isolation-one');
  const two = await clc.newAccount('isolation-two');
  await clc.iam(one).send(new CreateUserCommand({ UserName: 'bob' }));
  const seenByTwo = await clc.iam(two).send(new ListUsersCommand({}));
  t.same(seenByTwo.Users, [], 'account two lists no users');
  for (const command of [
    new GetUserCommand({ UserName: 'bob' }),
    new DeleteUserCommand({ UserName: 'bob' }),
    new CreateAccessKeyCommand({ UserName: 'bob' }),
    new ListAccessKeysCommand({ UserName: 'bob' }),
  ]) {
    await t.rejects(clc.iam(two).send(command as never), { name: 'NoSuchEntity' }, command.constructor.name);
  }
  // Account two may have its own bob.
  await clc.iam(two).send(new CreateUserCommand({ UserName: 'bob' }));
  const oneUsers = await clc.iam(one).send(new ListUsersCommand({}));
  t.equal(oneUsers.Users?.length, 1);
});

t.test('bad signatures get the service’s own errors', async (t) => {
  const wrongSecret = { accessKeyId: clc.admin.accessKeyId, secretAccessKey: 'x'.repeat(40) };
  await t.rejects(clc.ec2(wrongSecret).send(new DescribeRegionsCommand({})), {
    name: 'AuthFailure',
    $metadata: { httpStatusCode: 401 },
  });
  await t.rejects(clc.sts(wrongSecret).send(new GetCallerIdentityCommand({})), {
    name: 'SignatureDoesNotMatch',
    $metadata: { httpStatusCode: 403 },
  });
  const unknown = { accessKeyId: 'AKIAUNKNOWNUNKNOWN23', secretAccessKey: 'x'.repeat(40) };
  await t.rejects(clc.iam(unknown).send(new ListUsersCommand({})), { name: 'InvalidClientTokenId' });
  const unsigned = await fetchStatus(`${clc.url}/?Action=DescribeRegions&Version=2016-11-15`);
  t.equal(unsigned.status, 401);
  t.match(unsigned.body, /<Code>AuthFailure<\/Code>/);
});

t.test('EC2 DryRun answers DryRunOperation once the caller is known', async (t) => {
  await t.rejects(clc.ec2().send(new DescribeTagsCommand({ DryRun: true })), {
    name: 'DryRunOperation',
    $metadata: { httpStatusCode: 412 },
  });
});

t.test('an action the cloud does not offer answers as AWS does, through both CLIs', async (t) => {
  const v1 = await runCommand('aws', ['--endpoint-url', clc.url, 'ec2', 'describe-vpn-gateways'], {
    env: clc.awsEnv(),
  });
  t.equal(v1.code, 255, v1.stderr);
  t.match(v1.stderr, /\(UnsupportedOperation\) when calling the DescribeVpnGateways operation/);
  const v2 = await runCommand('/usr/bin/aws', ['--endpoint-url', clc.url, 'iam', 'list-roles'], {
    env: clc.awsEnv(),
  });
  t.equal(v2.code, 254, v2.stderr);
  t.match(v2.stderr, /\(InvalidAction\) when calling the ListRoles operation/);
  const ok = await runCommand('/usr/bin/aws', ['--endpoint-url', clc.url, 'sts', 'get-caller-identity'], {
    env: clc.awsEnv(),
  });
  t.equal(ok.code, 0, ok.stderr);
  t.equal(JSON.parse(ok.stdout).Account, '000000000000');
});

t.test('the admin interface refuses deleting the admin account and a non-empty one', async (t) => {
  const admin = await clc.adminClient();
  await t.rejects(admin.call('DeleteAccount', { accountName: 'admin' }), {
    code: 'DeleteConflict',
    message: "Cannot delete account admin: it is the cloud's administrative account.",
  });
  const full = await clc.newAccount('full-one');
  await clc.iam(full).send(new CreateUserCommand({ UserName: 'carol' }));
  await t.rejects(admin.call('DeleteAccount', { accountName: 'full-one' }), { code: 'DeleteConflict' });
  const deleted = await admin.call<{ account: { accountName: string } }>('DeleteAccount', {
    accountName: 'full-one',
    force: true,
  });
  t.equal(deleted.account.accountName, 'full-one');
  await t.rejects(clc.sts(full).send(new GetCallerIdentityCommand({})), { name: 'InvalidClientTokenId' });
  const listed = await admin.call<{ accounts: { accountName: string }[] }>('ListAccounts');
  t.notOk([listed.accounts].flat().some((account) => account.accountName === 'full-one'));
});

async function fetchStatus(url: string): Promise<{ status: number; body: string }> {
  const result = await runCommand('curl', ['-sS', '--cacert', clc.caBundle, '-w', '\n%{http_code}', url]);
  const lines = result.stdout.trimEnd().split('\n');
  return { status: Number(lines.pop()), body: lines.join('\n') };
}
