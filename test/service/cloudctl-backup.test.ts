import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { CreateBucketCommand, DeleteBucketCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import t from 'tap';
import { adminCall, adminCertificateName, type AdminAccount } from '../../src/cloud/admin-client.js';
import { openBackup } from '../../src/cloud/backup-archive.js';
import { downloadBackupFile } from '../../src/cloud/backup-transfer.js';
import type { CreatedBackup, RestoredBackup } from '../../src/cloud/backup.js';
import { readCloudFile } from '../../src/cloud/cloud-file.js';
import { localLayout, type LocalDaemon } from '../../src/local/local-cloud.js';
import { PkiStore } from '../../src/pki/pki-store.js';
import { projectRoot, runCli, runCommand, temporaryDir } from '../helpers/cli.js';
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

/** A daemon's resident memory now and its peak since the last reset, in bytes (/proc/PID/status). */
function memoryOf(pid: number): { rss: number; peak: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)![1]) * 1024;
  return { rss: kib('VmRSS'), peak: kib('VmHWM') };
}

/** cloudctl under GNU time: its exit code, output, and the peak resident memory of the process, in bytes. */
async function cloudctlMeasured(args: string[]) {
  const result = await runCommand('/usr/bin/time', [
    '-f',
    'maxrss %M',
    process.execPath,
    join(projectRoot, 'bin', 'cloudctl.js'),
    ...args,
    '--cloud',
    cloudFile,
    '--json',
  ]);
  const maxRss = Number(/maxrss (\d+)\s*$/.exec(result.stderr)?.[1]) * 1024;
  return { ...result, maxRss };
}

t.test('a backup of metadata larger than a process should hold is streamed: memory stays flat', async (t) => {
  // Small objects live in Walrus's metadata database: 2,600 of 60 KiB make it over 150 MiB.
  const s3 = cloud.s3();
  await s3.send(new CreateBucketCommand({ Bucket: 'many-small' }));
  const pattern = randomBytes(4096);
  const count = 2600;
  let next = 0;
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      while (next < count) {
        const index = next++;
        const body = Buffer.alloc(60 * 1024);
        for (let offset = 0; offset < body.length; offset += pattern.length) pattern.copy(body, offset);
        body.write(`object ${index} `);
        await s3.send(new PutObjectCommand({ Bucket: 'many-small', Key: `small/${index}`, Body: body }));
      }
    }),
  );

  const layout = localLayout(cloud.dir);
  const daemons = JSON.parse(readFileSync(layout.daemonsFile, 'utf8')) as LocalDaemon[];
  const daemon = (component: string) => daemons.find((each) => each.component === component)!;
  const watched = [daemon('walrus'), daemon('clc')];
  // Linux resets a process's peak resident memory (VmHWM) when "5" is written to its clear_refs.
  const before = watched.map((each) => {
    writeFileSync(`/proc/${each.pid}/clear_refs`, '5');
    return memoryOf(each.pid);
  });
  const baseline = await cloudctlMeasured(['accounts', 'list']);
  t.equal(baseline.code, 0, `cloudctl accounts list: ${baseline.stderr}`);

  const output = join(temporaryDir('backup-large'), 'large.tgz');
  const measured = await cloudctlMeasured(['backup', 'create', '--output', output]);
  t.equal(measured.code, 0, `cloudctl backup create: ${measured.stderr}`);
  const created = JSON.parse(measured.stdout) as CreatedBackup;
  const walrusFile = created.manifest.files.find((file) => file.fileName === 'walrus.sqlite')!;
  t.ok(walrusFile.sizeBytes > 150 * 2 ** 20, `Walrus's metadata is ${(walrusFile.sizeBytes / 2 ** 20).toFixed(0)} MiB`);

  // Far below the metadata's own size: holding it whole once (let alone in base64) would pass this. What is left is
  // a garbage collector's slack for the buffers that streamed through.
  const limit = 96 * 2 ** 20;
  watched.forEach((each, index) => {
    const grew = memoryOf(each.pid).peak - before[index]!.rss;
    t.ok(grew < limit, `${each.name}'s peak memory grew ${(grew / 2 ** 20).toFixed(0)} MiB during the backup`);
  });
  const cloudctlGrew = measured.maxRss - baseline.maxRss;
  t.ok(
    cloudctlGrew < limit,
    `cloudctl's peak memory: ${(measured.maxRss / 2 ** 20).toFixed(0)} MiB, ${(cloudctlGrew / 2 ** 20).toFixed(0)} MiB over a plain call`,
  );

  // Nothing is left behind: the copies staged on the clc and on Walrus are gone, and so is cloudctl's folder.
  for (const each of watched) {
    const staging = join(
      (JSON.parse(readFileSync(each.config, 'utf8')) as { dataDir: string }).dataDir,
      'backup-staging',
    );
    t.same(existsSync(staging) ? readdirSync(staging) : [], [], `${each.name} keeps no staged copy`);
  }
  t.same(readdirSync(join(output, '..')), ['large.tgz'], 'only the archive beside it');
  // The archive is whole: every file matches the manifest's checksum (unpacked beside it, not in a small /tmp).
  const opened = await openBackup(output);
  t.teardown(opened.close);
  t.equal(statSync(join(opened.dir, 'walrus.sqlite')).size, walrusFile.sizeBytes);
  t.equal(join(opened.dir, '..'), join(output, '..'));
  // A discarded backup's files are gone from the admin endpoint too.
  const url = `${current().endpoints.admin}/backups/${'0'.repeat(24)}/walrus.sqlite`;
  const adminTls = PkiStore.open(current().pkiDir).hostCredentials(adminCertificateName);
  await t.rejects(downloadBackupFile(url, adminTls, join(output, '..', 'x'), 'walrus.sqlite'), {
    message: 'walrus.sqlite: the peer answered HTTP 404: NoSuchBackup: no such backup file (discarded, or expired)',
  });
});
