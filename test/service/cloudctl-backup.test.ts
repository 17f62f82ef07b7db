import { existsSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CreateBucketCommand, DeleteBucketCommand } from '@aws-sdk/client-s3';
import t from 'tap';
import { adminCall, type AdminAccount } from '../../src/cloud/admin-client.js';
import type { CreatedBackup, RestoredBackup } from '../../src/cloud/backup.js';
import { readCloudFile } from '../../src/cloud/cloud-file.js';
import { runCli, runCommand, temporaryDir } from '../helpers/cli.js';
import { startLocalCloud } from '../helpers/local-cloud.js';

// cloudctl backup against one real local cloud: a backup taken while it runs, changes after it, a restore that
// brings the cloud back to the backup's state (accounts in the clc, buckets in Walrus).
const cloud = await startLocalCloud(t);
const cloudFile = join(cloud.dir, 'cloud.json');
/** cloud.json as it is now: a restore restarts the local cloud on new ports. */
const current = () => readCloudFile(cloudFile);

async function cloudctl(args: string[]) {
  return runCli('cloudctl', [...args, '--cloud', cloudFile, '--json']);
}

async function ok<T>(args: string[]): Promise<T> {
  const result = await cloudctl(args);
  if (result.code !== 0) throw new Error(`cloudctl ${args.join(' ')} exited ${result.code}: ${result.stdout}`);
  return JSON.parse(result.stdout) as T;
}

t.test('backup while running, delete an account and a bucket, restore: both are back', async (t) => {
  await adminCall(current(), 'CreateAccount', { accountName: 'keepme' });
  const s3 = cloud.s3();
  await s3.send(new CreateBucketCommand({ Bucket: 'kept-bucket' }));
  const output = join(temporaryDir('backup'), 'cloud.tgz');
  const created = await ok<CreatedBackup>(['backup', 'create', '--output', output]);
  t.equal(created.path, output, '--json prints the path');
  t.equal(statSync(output).mode & 0o777, 0o600, 'the archive holds secret keys: 0600');
  t.match(created.manifest.files, [
    { component: 'clc', engine: 'sqlite', fileName: 'clc.sqlite', sha256: /^[0-9a-f]{64}$/ },
    { component: 'walrus', engine: 'sqlite', fileName: 'walrus.sqlite' },
  ]);
  const listing = await runCommand('tar', ['-tzf', output]);
  t.same(listing.stdout.trim().split('\n').sort(), ['clc.sqlite', 'manifest.json', 'walrus.sqlite']);
  t.equal((await cloudctl(['backup', 'create', '--output', output])).code, 6, 'never overwrites a backup');

  await adminCall(current(), 'DeleteAccount', { accountName: 'keepme' });
  await s3.send(new DeleteBucketCommand({ Bucket: 'kept-bucket' }));
  await s3.send(new CreateBucketCommand({ Bucket: 'after-backup' }));

  t.equal((await cloudctl(['backup', 'restore', output])).code, 2, 'asks first; no terminal, no --yes');
  const damaged = join(temporaryDir('backup-bad'), 'bad.tgz');
  writeFileSync(damaged, 'not an archive');
  t.equal((await cloudctl(['backup', 'restore', damaged, '--yes'])).code, 3, 'a damaged archive is refused');
  const restored = await ok<RestoredBackup>(['backup', 'restore', output, '--yes']);
  t.match(restored.steps, [/^stopped /, /^restored clc\.sqlite/, /^restored walrus\.sqlite/, /^started /]);

  // The local cloud came back on new ports: read its cloud.json again.
  t.ok(existsSync(current().caBundle));
  const accounts = (await ok<{ accounts: AdminAccount[] }>(['accounts', 'list'])).accounts.map((a) => a.accountName);
  t.ok(accounts.includes('keepme'), 'the deleted account is back');
  const buckets = await runCommand('aws', ['s3api', 'list-buckets', '--query', 'Buckets[].Name', '--output', 'text'], {
    env: cloud.awsEnv(),
  });
  t.equal(buckets.code, 0, buckets.stderr);
  const names = buckets.stdout.trim().split(/\s+/);
  t.ok(names.includes('kept-bucket'), 'the deleted bucket is back');
  t.notOk(names.includes('after-backup'), 'a bucket made after the backup is not');
});
