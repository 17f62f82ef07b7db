import { randomBytes } from 'node:crypto';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { parse } from 'yaml';
import type { CloudFile } from '../../src/cloud/cloud-file.js';
import { runCli, runCommand, temporaryDir } from '../helpers/cli.js';

const dir = temporaryDir('local');

/** Gone, or a zombie waiting for whatever reaps orphans here (the daemons are detached, so not ours to reap). */
function processGone(pid: number): boolean {
  try {
    return /^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, 'utf8'));
  } catch {
    return true;
  }
}
t.teardown(() => runCli('cloudctl', ['local', 'down', '--dir', dir]));

const up = await runCli('cloudctl', ['local', 'up', '--dir', dir, '--json']);
t.equal(up.code, 0, `local up: ${up.stderr}`);
const result = JSON.parse(up.stdout) as {
  cloudFile: string;
  awsConfig: string;
  daemons: { name: string; pid: number }[];
};
const cloud = JSON.parse(readFileSync(join(dir, 'cloud.json'), 'utf8')) as CloudFile;

/** The aws CLI pointed at this cloud by its aws-config alone, trusting only the cloud CA. */
const awsEnv = {
  AWS_CONFIG_FILE: result.awsConfig,
  AWS_CA_BUNDLE: cloud.caBundle,
  AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
};

t.test('local up starts every component and writes cloud.json and aws-config', async (t) => {
  t.same(result.daemons.map((daemon) => daemon.name).sort(), [
    'cc-mallee-1a',
    'clc',
    'nc-local',
    'sc-mallee-1a',
    'walrus',
  ]);
  t.match(cloud, {
    name: 'local',
    region: 'mallee-1',
    zone: 'mallee-1a',
    endpoints: { ec2: /^https:\/\/127\.0\.0\.1:\d+$/, s3: /^https:\/\/127\.0\.0\.1:\d+$/, iam: String, sts: String },
    credentials: { accessKeyId: /^AKIA[A-Z2-7]{16}$/, secretAccessKey: /^[A-Za-z0-9]{40}$/ },
  });
  for (const secret of ['cloud.json', 'aws-config', 'etc/clc.json', 'pki/ca-key.pem']) {
    t.equal(statSync(join(dir, secret)).mode & 0o777, 0o600, `${secret} is 0600`);
  }
});

t.test('local status shows every daemon healthy', async (t) => {
  const status = await runCli('cloudctl', ['local', 'status', '--dir', dir, '--json']);
  t.equal(status.code, 0);
  const { healthy, daemons } = JSON.parse(status.stdout);
  t.equal(healthy, true);
  t.equal(daemons.length, 5);
  const nc = daemons.find((daemon: { component: string }) => daemon.component === 'nc');
  t.match(nc.health.hypervisor, { uri: 'test:///default', virtualization: String });
  const clc = daemons.find((daemon: { component: string }) => daemon.component === 'clc');
  t.same(Object.values(clc.health.peers), ['ok', 'ok'], 'clc reaches cc and sc over mTLS');
  const walrus = daemons.find((daemon: { component: string }) => daemon.component === 'walrus');
  t.equal(walrus.health.clc, 'reachable', 'walrus reaches the clc (for credentials) over mTLS');
  const table = await runCli('cloudctl', ['local', 'status', '--dir', dir]);
  t.match(table.stdout, /^NAME\s+COMPONENT\s+PID\s+URL\s+STATE/);
  t.match(table.stdout, /clc\s+clc\s+\d+\s+https:\/\/127\.0\.0\.1:\d+\s+healthy/);
});

t.test('the aws CLIs reach the cloud through aws-config, over TLS checked against the cloud CA', async (t) => {
  // Both CLIs sign with the admin key from aws-config and the clc knows it: the request arrived, verified, answered.
  const v1 = await runCommand('aws', ['sts', 'get-caller-identity'], { env: awsEnv });
  t.equal(v1.code, 0, v1.stderr);
  t.equal(JSON.parse(v1.stdout).Arn, 'arn:aws:iam::000000000000:root');
  const v2 = await runCommand('/usr/bin/aws', ['--endpoint-url', cloud.endpoints.sts, 'sts', 'get-caller-identity'], {
    env: awsEnv,
  });
  t.equal(v2.code, 0, v2.stderr);
  t.equal(JSON.parse(v2.stdout).Account, '000000000000');
  const notYet = await runCommand('aws', ['ec2', 'describe-vpn-gateways'], { env: awsEnv });
  t.equal(notYet.code, 255, 'AWS CLI v1 exits 255 on a service error');
  t.match(notYet.stderr, /\(UnsupportedOperation\) when calling the DescribeVpnGateways operation/);
  const s3 = await runCommand('aws', ['s3api', 'list-buckets'], { env: awsEnv });
  t.equal(s3.code, 0, s3.stderr);
  t.same(JSON.parse(s3.stdout).Buckets, [], 'Walrus answers, with no buckets yet');
  const untrusted = await runCommand('aws', ['sts', 'get-caller-identity'], {
    env: { ...awsEnv, AWS_CA_BUNDLE: '/etc/ssl/certs/ca-certificates.crt', AWS_MAX_ATTEMPTS: '1' },
  });
  t.match(untrusted.stderr, /SSL validation failed/, 'without the cloud CA the endpoint is not trusted');
});

t.test('an image uploaded to Walrus runs: the node fetches it from there over mTLS', async (t) => {
  const image = join(dir, 'guest.img');
  writeFileSync(image, randomBytes(256 * 1024));
  const aws = (args: string[], env: NodeJS.ProcessEnv = {}) => runCommand('aws', args, { env: { ...awsEnv, ...env } });
  t.equal((await aws(['s3', 'mb', 's3://images'])).code, 0);
  // Stored encrypted (SSE-S3): Walrus decrypts it for the node.
  t.equal((await aws(['s3', 'cp', image, 's3://images/guest.img', '--sse', 'AES256'])).code, 0);
  const registered = await aws([
    'ec2',
    'register-image',
    '--name',
    'from-walrus',
    '--image-location',
    'images/guest.img',
  ]);
  t.equal(registered.code, 0, registered.stderr);
  const imageId = JSON.parse(registered.stdout).ImageId as string;
  const missing = await aws(['ec2', 'register-image', '--name', 'not-there', '--image-location', 'images/none.img']);
  t.match(missing.stderr, /\(InvalidManifest\)/, 'an image Walrus does not have is refused');
  const customerKey = ['--sse-c', 'AES256', '--sse-c-key', 'k'.repeat(32)];
  t.equal((await aws(['s3', 'cp', image, 's3://images/customer.img', ...customerKey])).code, 0);
  const sealed = await aws(['ec2', 'register-image', '--name', 'sse-c', '--image-location', 'images/customer.img']);
  t.match(
    sealed.stderr,
    /\(InvalidManifest\).*customer-provided key/s,
    "one sealed with a customer's key too, and why",
  );

  const run = await aws(['ec2', 'run-instances', '--image-id', imageId, '--instance-type', 't1.micro']);
  t.equal(run.code, 0, run.stderr);
  const instanceId = JSON.parse(run.stdout).Instances[0].InstanceId as string;
  const waited = await aws(['ec2', 'wait', 'instance-running', '--instance-ids', instanceId]);
  t.equal(waited.code, 0, waited.stderr);
  const cached = join(dir, 'data', 'nc-local', 'images', imageId);
  t.same(readFileSync(cached), readFileSync(image), 'the node cached the very bytes uploaded');

  // Another account may not register (and so launch) an image from a bucket it cannot read.
  const other = JSON.parse(
    (await runCli('cloudctl', ['accounts', 'create', 'image-thief', '--cloud', join(dir, 'cloud.json'), '--json']))
      .stdout,
  ).rootAccessKey;
  const stolen = await aws(['ec2', 'register-image', '--name', 'stolen', '--image-location', 'images/guest.img'], {
    AWS_ACCESS_KEY_ID: other.accessKeyId,
    AWS_SECRET_ACCESS_KEY: other.secretAccessKey,
  });
  t.match(stolen.stderr, /\(InvalidManifest\)/);
  await aws(['ec2', 'terminate-instances', '--instance-ids', instanceId]);
});

t.test('cloudctl accounts create, list and delete through the admin interface', async (t) => {
  const cloudFlag = ['--cloud', join(dir, 'cloud.json')];
  const created = await runCli('cloudctl', ['accounts', 'create', 'research', ...cloudFlag, '--json']);
  t.equal(created.code, 0, created.stderr);
  const { account, rootAccessKey } = JSON.parse(created.stdout);
  t.match(account, { accountName: 'research', accountId: /^\d{12}$/, status: 'ACTIVE' });
  const asResearch = await runCommand('aws', ['sts', 'get-caller-identity'], {
    env: {
      ...awsEnv,
      AWS_ACCESS_KEY_ID: rootAccessKey.accessKeyId,
      AWS_SECRET_ACCESS_KEY: rootAccessKey.secretAccessKey,
    },
  });
  t.equal(asResearch.code, 0, asResearch.stderr);
  t.equal(JSON.parse(asResearch.stdout).Account, account.accountId, 'the new root key signs for the new account');
  const again = await runCli('cloudctl', ['accounts', 'create', 'research', ...cloudFlag]);
  t.equal(again.code, 6, 'a second account of the same name is a conflict');
  const listed = await runCli('cloudctl', ['accounts', 'list', ...cloudFlag]);
  t.match(listed.stdout, /^ACCOUNT ID\s+NAME\s+STATUS\s+CREATED\n/);
  t.match(listed.stdout, new RegExp(`${account.accountId}\\s+research\\s+ACTIVE`));
  const yaml = await runCli('cloudctl', ['accounts', 'list', ...cloudFlag, '--output', 'yaml']);
  const listedYaml = parse(yaml.stdout) as { accountId: string; accountName: string }[];
  t.ok(
    listedYaml.some((entry) => entry.accountName === 'research' && entry.accountId === account.accountId),
    'YAML of every account',
  );
  const deleted = await runCli('cloudctl', ['accounts', 'delete', 'research', ...cloudFlag, '--yes']);
  t.equal(deleted.code, 0, deleted.stderr);
  const gone = await runCli('cloudctl', ['accounts', 'delete', 'research', ...cloudFlag, '--yes']);
  t.equal(gone.code, 4, 'deleting it twice: not found');
});

t.test('a second local up in the same folder is refused', async (t) => {
  const again = await runCli('cloudctl', ['local', 'up', '--dir', dir]);
  t.equal(again.code, 6);
  t.match(again.stderr, /^Error: A local cloud is already running in .*\nHint: See it with `cloudctl local status/);
});

t.test('a dead daemon shows in status with exit code 5', async (t) => {
  const walrus = result.daemons.find((daemon) => daemon.name === 'walrus')!;
  process.kill(walrus.pid, 'SIGKILL');
  const status = await runCli('cloudctl', ['local', 'status', '--dir', dir, '--json']);
  t.equal(status.code, 5);
  const parsed = JSON.parse(status.stdout);
  t.equal(parsed.healthy, false);
  t.match(
    parsed.daemons.find((daemon: { name: string }) => daemon.name === 'walrus'),
    { state: 'stopped' },
  );
});

t.test('local down stops everything; up again brings back the same cloud', async (t) => {
  const down = await runCli('cloudctl', ['local', 'down', '--dir', dir, '--json']);
  t.equal(down.code, 0);
  const stopped = JSON.parse(down.stdout).stopped as { name: string; pid: number; result: string }[];
  t.equal(stopped.find((entry) => entry.name === 'walrus')?.result, 'not running');
  t.ok(stopped.filter((entry) => entry.name !== 'walrus').every((entry) => entry.result === 'stopped'));
  for (const { pid } of result.daemons) t.ok(processGone(pid), `pid ${pid} is gone`);

  const status = await runCli('cloudctl', ['local', 'status', '--dir', dir]);
  t.equal(status.code, 4);
  t.match(status.stderr, /No local cloud in/);

  const again = await runCli('cloudctl', ['local', 'up', '--dir', dir, '--json']);
  t.equal(again.code, 0, again.stderr);
  t.equal(JSON.parse(again.stdout).cloud.credentials.accessKeyId, cloud.credentials.accessKeyId, 'same admin key');
  t.equal(readFileSync(join(dir, 'pki', 'ca.pem'), 'utf8'), readFileSync(cloud.caBundle, 'utf8'), 'same CA');
});
