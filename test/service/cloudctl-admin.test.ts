import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  DescribeInstancesCommand,
  RunInstancesCommand,
  TerminateInstancesCommand,
  waitUntilInstanceRunning,
} from '@aws-sdk/client-ec2';
import { CreateUserCommand, DeleteUserCommand } from '@aws-sdk/client-iam';
import t from 'tap';
import type { WrittenCredentials } from '../../src/cloud/credential-files.js';
import type { AdminUser } from '../../src/cloud/users.js';
import { readCloudFile } from '../../src/cloud/cloud-file.js';
import { importImage } from '../../src/cloud/images.js';
import { setProperty, type CloudProperty } from '../../src/cloud/properties.js';
import { runCli, runCommand, temporaryDir } from '../helpers/cli.js';
import { startLocalCloud } from '../helpers/local-cloud.js';

// cloudctl's admin commands (properties, users, credentials, backup) against one real local cloud, their effects
// confirmed with the aws CLI and the SDK, as an operator and a user would see them. Steps that only set the scene
// call the same functions in this process: each cloudctl run costs a Node start and its module loading.
const cloud = await startLocalCloud(t);
const cloudFile = join(cloud.dir, 'cloud.json');

interface CliFailure {
  error: { code: string; message: string; hint?: string };
}

/** A cloudctl run with --json; `error` is its `{"error": ...}` output when it failed. */
async function cloudctl(args: string[]) {
  const result = await runCli('cloudctl', [...args, '--cloud', cloudFile, '--json']);
  const error = result.code !== 0 && result.stdout ? (JSON.parse(result.stdout) as CliFailure).error : undefined;
  return { ...result, error };
}

/** A cloudctl run that must succeed, and its --json result. */
async function ok<T>(args: string[]): Promise<T> {
  const result = await cloudctl(args);
  if (result.code !== 0) throw new Error(`cloudctl ${args.join(' ')} exited ${result.code}: ${result.stdout}`);
  return JSON.parse(result.stdout) as T;
}

const research = await cloud.newAccount('research');
/** cloud.json as it is now: a restore restarts the local cloud on new ports. */
const current = () => readCloudFile(cloudFile);
type PropertyChange = { property: CloudProperty; previousValue?: string };

t.test('properties list, get and set, with did-you-mean and validation', async (t) => {
  const { properties } = await ok<{ properties: CloudProperty[] }>(['properties', 'list']);
  const named = (name: string) => properties.find((property) => property.name === name);
  t.same(
    properties.map((property) => property.name),
    properties.map((property) => property.name).sort(),
    'sorted by name',
  );
  t.match(named('cloud.instances.terminated_visible_seconds'), { value: '3600', isDefault: true, type: 'integer' });
  t.match(named('iam.users.max_per_account'), { value: '5000', defaultValue: '5000', isDefault: true });

  const typo = await cloudctl(['properties', 'get', 'cloud.instance.terminated_visible_seconds']);
  t.equal(typo.code, 4, 'an unknown name is "not found"');
  t.match(typo.error, {
    code: 'notFound',
    message: /no cloud property .*Did you mean cloud\.instances\.terminated_visible_seconds\?/,
    hint: /cloudctl properties list/,
  });
  const far = await cloudctl(['properties', 'set', 'walrus.nothing.like.it', '1']);
  t.equal(far.code, 4);
  t.notMatch(far.error?.message, /Did you mean/, 'no suggestion when nothing is close');

  for (const [value, why] of [
    ['many', /expected a whole number/],
    ['0', /expected 1 to 100000/],
  ] as const) {
    const bad = await cloudctl(['properties', 'set', 'iam.users.max_per_account', value]);
    t.equal(bad.code, 2, `${value} is refused as a usage error`);
    t.match(bad.error, { message: why, hint: /cloudctl properties get/ });
  }
  const set = await ok<PropertyChange>(['properties', 'set', 'iam.users.max_per_account', '0100']);
  t.match(set, { previousValue: '5000', property: { value: '100', isDefault: false, updatedBy: String } });
  t.match((await ok<PropertyChange>(['properties', 'get', 'iam.users.max_per_account'])).property, { value: '100' });
  const reset = await ok<PropertyChange>(['properties', 'set', 'iam.users.max_per_account', '5000']);
  t.match(reset.property, { value: '5000', isDefault: true }, 'the default value returns it to the default');
});

t.test('iam.users.max_per_account takes effect at once, for IAM and cloudctl alike', async (t) => {
  const iam = cloud.iam(research);
  await iam.send(new CreateUserCommand({ UserName: 'q1' }));
  await ok(['properties', 'set', 'iam.users.max_per_account', '2']);
  t.teardown(() => setProperty(current(), 'iam.users.max_per_account', '5000'));
  const env = cloud.awsEnv(research);
  const second = await runCommand('aws', ['iam', 'create-user', '--user-name', 'q2'], { env });
  t.equal(second.code, 0, second.stderr);
  const third = await runCommand('aws', ['iam', 'create-user', '--user-name', 'q3'], { env });
  t.not(third.code, 0);
  t.match(third.stderr, /LimitExceeded.*UsersPerAccount: 2/);
  const viaCloudctl = await cloudctl(['users', 'create', 'q3', '--account', 'research']);
  t.equal(viaCloudctl.code, 6);
  t.match(viaCloudctl.error?.hint, /cloudctl properties set/);
  await setProperty(current(), 'iam.users.max_per_account', '3');
  t.equal(
    (await runCommand('aws', ['iam', 'create-user', '--user-name', 'q3'], { env })).code,
    0,
    'raised: room again',
  );
  for (const user of ['q1', 'q2', 'q3']) await iam.send(new DeleteUserCommand({ UserName: user }));
});

t.test('cloud.instances.terminated_visible_seconds: a terminated instance leaves DescribeInstances', async (t) => {
  const files = temporaryDir('admin-image');
  writeFileSync(join(files, 'disk.img'), Buffer.alloc(4096, 1));
  const imported = await importImage(current(), { name: 'visible', bucket: 'images', disk: join(files, 'disk.img') });
  const ec2 = cloud.ec2();
  const run = await ec2.send(new RunInstancesCommand({ ImageId: imported.imageId, MinCount: 1, MaxCount: 1 }));
  const instanceId = run.Instances![0]!.InstanceId!;
  await waitUntilInstanceRunning({ client: ec2, maxWaitTime: 60 }, { InstanceIds: [instanceId] });
  await ec2.send(new TerminateInstancesCommand({ InstanceIds: [instanceId] }));
  const stateOf = async () => {
    const answer = await ec2.send(new DescribeInstancesCommand({}));
    const instance = answer.Reservations?.flatMap((r) => r.Instances ?? []).find((i) => i.InstanceId === instanceId);
    return instance?.State?.Name;
  };
  const deadline = Date.now() + 30_000;
  while ((await stateOf()) !== 'terminated' && Date.now() < deadline) await new Promise((r) => setTimeout(r, 250));
  t.equal(await stateOf(), 'terminated', 'visible while terminated, by default for an hour');
  await ok(['properties', 'set', 'cloud.instances.terminated_visible_seconds', '0']);
  t.teardown(() => setProperty(current(), 'cloud.instances.terminated_visible_seconds', '3600'));
  t.equal(await stateOf(), undefined, 'gone from DescribeInstances as soon as the property says so');
});

t.test('users create, list and delete; IAM sees the same users', async (t) => {
  const created = await ok<{ user: AdminUser }>(['users', 'create', 'alice', '--account', 'research']);
  t.match(created.user, { userName: 'alice', arn: `arn:aws:iam::${research.accountId}:user/alice` });
  t.equal((await cloudctl(['users', 'create', 'alice', '--account', 'research'])).code, 6, 'a second alice: conflict');
  t.equal((await cloudctl(['users', 'list', '--account', 'nowhere'])).code, 4, 'an unknown account: not found');
  const { users } = await ok<{ users: AdminUser[] }>(['users', 'list', '--account', 'research']);
  t.same(
    users.map((u) => u.userName),
    ['alice'],
  );
  const listed = await runCommand('aws', ['iam', 'list-users', '--query', 'Users[].UserName', '--output', 'text'], {
    env: cloud.awsEnv(research),
  });
  t.equal(listed.stdout.trim(), 'alice');
});

t.test('credentials: an access key written as AWS config, credentials and eucarc, 0600, that work', async (t) => {
  const dir = join(temporaryDir('creds'), 'alice');
  const written = await ok<WrittenCredentials>([
    'credentials',
    '--account',
    'research',
    '--user',
    'alice',
    '--output-dir',
    dir,
  ]);
  t.match(written, {
    accountName: 'research',
    userName: 'alice',
    accessKeyId: /^AKIA/,
    profile: 'local-research-alice',
  });
  t.notOk('secretAccessKey' in written, 'the secret is not printed');
  for (const file of ['config', 'credentials', 'eucarc']) {
    t.equal(statSync(join(dir, file)).mode & 0o777, 0o600, `${file} is 0600`);
  }
  t.match(readFileSync(join(dir, 'credentials'), 'utf8'), written.accessKeyId);
  const aliceArn = `arn:aws:iam::${research.accountId}:user/alice`;
  // The machine sets AWS_CA_BUNDLE to the system bundle; the written config names the cloud CA instead.
  const clean = { AWS_CA_BUNDLE: undefined, AWS_ACCESS_KEY_ID: undefined, AWS_SECRET_ACCESS_KEY: undefined };
  const byFiles = await runCommand('aws', ['sts', 'get-caller-identity', '--profile', written.profile], {
    env: { ...clean, AWS_CONFIG_FILE: written.files.config, AWS_SHARED_CREDENTIALS_FILE: written.files.credentials },
  });
  t.equal(byFiles.code, 0, byFiles.stderr);
  t.equal(JSON.parse(byFiles.stdout).Arn, aliceArn, 'the AWS CLI profile signs as alice');
  const byEucarc = await runCommand('bash', ['-c', `. '${written.files.eucarc}' && aws sts get-caller-identity`], {
    env: { ...clean, AWS_CONFIG_FILE: undefined, AWS_SHARED_CREDENTIALS_FILE: undefined, AWS_PROFILE: undefined },
  });
  t.equal(byEucarc.code, 0, byEucarc.stderr);
  t.equal(JSON.parse(byEucarc.stdout).Arn, aliceArn, 'sourcing eucarc is all a shell needs');

  const again = await cloudctl(['credentials', '--account', 'research', '--user', 'alice', '--output-dir', dir]);
  t.equal(again.code, 6, 'existing credentials are never overwritten');
  const root = await ok<WrittenCredentials>([
    'credentials',
    '--account',
    'research',
    '--output-dir',
    join(dir, '..', 'root'),
  ]);
  const rootIdentity = await runCommand('aws', ['sts', 'get-caller-identity'], {
    env: { ...clean, AWS_CONFIG_FILE: root.files.config, AWS_SHARED_CREDENTIALS_FILE: root.files.credentials },
  });
  t.equal(JSON.parse(rootIdentity.stdout).Arn, `arn:aws:iam::${research.accountId}:root`, 'no --user: the root key');
  const byDefault = await ok<WrittenCredentials>(['credentials', '--account', 'research', '--user', 'alice']);
  t.equal(byDefault.dir, join(cloud.dir, 'credentials', 'research-alice'), 'by default beside cloud.json');
});

t.test('users delete refuses a user with keys unless --force', async (t) => {
  const refused = await cloudctl(['users', 'delete', 'alice', '--account', 'research', '--yes']);
  t.equal(refused.code, 6);
  t.match(refused.error, { message: /DeleteConflict/, hint: /--force/ });
  t.equal((await cloudctl(['users', 'delete', 'alice', '--account', 'research'])).code, 2, 'no terminal, no --yes');
  await ok(['users', 'delete', 'alice', '--account', 'research', '--force', '--yes']);
  t.same((await ok<{ users: AdminUser[] }>(['users', 'list', '--account', 'research'])).users, []);
});
