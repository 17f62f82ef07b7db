import { existsSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import t from 'tap';
import type { BackupSchedule } from '../../src/cloud/backup-schedule.js';
import type { CreatedBackup, RestoredBackup } from '../../src/cloud/backup.js';
import type { CloudFile } from '../../src/cloud/cloud-file.js';
import { awsCliEnv, type Credentials } from '../helpers/daemons.js';
import { runCli, runCliWatching, runCommand, temporaryDir } from '../helpers/cli.js';
import { startPostgres } from '../helpers/postgres.js';
import { allInOneCloudYaml, allInOnePorts, installerEnv, uninstallTestCloud } from '../helpers/installer.js';

// cloudctl backup against a cloud that `faststart install --all-in-one` really installed on this machine (local
// operator, Mallee's supervisor, real daemons on free ports, all under a temp prefix): a backup, an account deleted,
// a restore through the installed cloud's own service control, the account and its bucket back; then the clc's own
// scheduled backups, seen on disk and restorable.
t.setTimeout(6 * 60_000);

const dir = temporaryDir('cloudctl-backup');
const home = join(dir, 'home');
const env = installerEnv(home);

/** An all-in-one cloud `faststart install` puts under `dir/NAME`; `uninstall` ends it and everything it started. */
async function installAllInOne(name: string, databaseYaml = '') {
  const prefix = join(dir, name, 'root');
  const configFile = join(dir, `${name}.yaml`);
  writeFileSync(
    configFile,
    allInOneCloudYaml({ name, dataDir: join(dir, name, 'data'), ports: await allInOnePorts(), databaseYaml }),
  );
  const runDir = join(prefix, 'run', 'mallee', name);
  const installed = await runCli(
    'faststart',
    ['install', '--all-in-one', '--config', configFile, '--yes', '--no-smoke-test', '--prefix', prefix],
    { env },
  );
  const cloudctl = (...args: string[]) => runCli('cloudctl', [...args, '--cloud', name], { env });
  return {
    installed,
    dataDir: join(dir, name, 'data'),
    cloudctl,
    async ok<T>(...args: string[]): Promise<T> {
      const result = await cloudctl(...args, '--json');
      if (result.code !== 0) {
        throw new Error(`cloudctl ${args.join(' ')} exited ${result.code}: ${result.stderr}${result.stdout}`);
      }
      return JSON.parse(result.stdout) as T;
    },
    supervisorPids: () =>
      JSON.parse(readFileSync(join(runDir, 'supervisor-state.json'), 'utf8')).daemons as Record<
        string,
        { pid?: number }
      >,
    async uninstall() {
      await uninstallTestCloud(name, runDir, env);
    },
  };
}

const name = `bk${process.pid}`;
const cloud = await installAllInOne(name);
t.teardown(async () => {
  await cloud.uninstall();
  rmSync(dir, { recursive: true, force: true });
});
const { cloudctl, ok, supervisorPids } = cloud;

const cloudFile = () => JSON.parse(readFileSync(join(home, name, 'cloud.json'), 'utf8')) as CloudFile;
/** The aws CLI's s3api as the account `keys` belongs to, at the installed cloud's S3 endpoint. */
function s3api(keys: Credentials, ...args: string[]) {
  const cloud = cloudFile();
  return runCommand('aws', ['s3api', '--endpoint-url', cloud.endpoints.s3, ...args], {
    env: awsCliEnv(keys, cloud.region, cloud.caBundle),
  });
}
const accountNames = async () =>
  (await ok<{ accounts: { accountName: string }[] }>('accounts', 'list')).accounts.map((a) => a.accountName);

t.test('the cloud is installed', async (t) => {
  t.equal(cloud.installed.code, 0, cloud.installed.stderr + cloud.installed.stdout);
});

t.test('backup, delete the account, restore: the account, its key and its bucket are back', async (t) => {
  const { rootAccessKey: keys } = await ok<{ rootAccessKey: Credentials }>('accounts', 'create', 'research');
  t.equal((await s3api(keys, 'create-bucket', '--bucket', 'results')).code, 0, 'bucket created');
  const body = join(dir, 'body.txt');
  writeFileSync(body, 'kept across a restore\n');
  const put = await s3api(keys, 'put-object', '--bucket', 'results', '--key', 'run-1.txt', '--body', body);
  t.equal(put.code, 0, put.stderr);

  const created = await ok<CreatedBackup>('backup', 'create');
  t.match(created.path, new RegExp(`^${join(home, name, 'backups')}/${name}-.*\\.tgz$`), '--json prints the path');
  t.equal(statSync(created.path).mode & 0o777, 0o600);

  const deleted = await cloudctl('accounts', 'delete', 'research', '--force', '--yes');
  t.equal(deleted.code, 0, deleted.stderr);
  await ok('accounts', 'create', 'after-backup');
  t.notOk((await accountNames()).includes('research'), 'the account is gone');

  const pids = supervisorPids();
  const unconfirmed = await cloudctl('backup', 'restore', created.path);
  t.equal(unconfirmed.code, 2, 'asks first: no terminal and no --yes');
  t.match(unconfirmed.stderr, /clc \(local\), walrus \(local\) will be stopped/);
  t.equal(supervisorPids().clc!.pid, pids.clc!.pid, 'nothing was stopped');

  const restored = await ok<RestoredBackup>('backup', 'restore', created.path, '--yes');
  t.equal(restored.target, `the installed cloud ${name}`);
  t.match(restored.steps, [
    'stopped clc on local',
    'stopped walrus on local',
    new RegExp(`^restored clc\\.sqlite to ${cloud.dataDir}/.*clc\\.sqlite on local$`),
    /^restored walrus\.sqlite to .*\/walrus\.sqlite on local$/,
    'started walrus on local: healthy',
    'started clc on local: healthy',
  ]);
  t.not(supervisorPids().clc!.pid, pids.clc!.pid, 'the clc is a new process');
  t.equal(supervisorPids()['cc-zone-a']!.pid, pids['cc-zone-a']!.pid, 'the cc was left running');

  const names = await accountNames();
  t.ok(names.includes('research'), 'the deleted account is back');
  t.notOk(names.includes('after-backup'), 'an account made after the backup is not');
  const object = join(dir, 'object.txt');
  const got = await s3api(keys, 'get-object', '--bucket', 'results', '--key', 'run-1.txt', object);
  t.equal(got.code, 0, got.stderr);
  t.equal(readFileSync(object, 'utf8'), 'kept across a restore\n', "the account's old key reads its object");

  const status = await cloudctl('status', '--json');
  t.equal(status.code, 0, status.stdout);
  t.equal(JSON.parse(status.stdout).healthy, true);
});

/** `backup restore FILE --yes`, pressing Ctrl-C once when `when` matches what it printed on stderr. */
async function restoreInterrupted(file: string, when: RegExp) {
  let sent = false;
  const result = await runCliWatching(
    'cloudctl',
    ['backup', 'restore', file, '--yes', '--cloud', name],
    { env },
    ({ stderr, interrupt }) => {
      if (!sent && when.test(stderr)) {
        sent = true;
        interrupt();
      }
    },
  );
  return { ...result, sent };
}

t.test(
  'Ctrl-C while the daemons stop: they start again on their own data, nothing is restored; exit 130',
  async (t) => {
    const created = await ok<CreatedBackup>('backup', 'create');
    await ok('accounts', 'create', 'after-ctrl-c');
    const pids = supervisorPids();
    const stopped = await restoreInterrupted(created.path, /stopping clc on local/);
    t.ok(stopped.sent, `Ctrl-C pressed as the clc stopped: ${stopped.stderr}`);
    t.equal(stopped.code, 130, 'the exit code of a command stopped by Ctrl-C');
    t.match(stopped.stderr, /SIGINT: stopping before any file is replaced/, 'the Ctrl-C is acknowledged');
    t.notMatch(stopped.stderr, /putting \S+ in place/, 'no file was put in place');
    t.match(stopped.stderr, /starting walrus on local[\s\S]*starting clc on local/, 'both started again');
    t.match(stopped.stderr, /Interrupted by SIGINT before any file was replaced: nothing was restored/);
    t.match(stopped.stderr, `Hint: Run \`cloudctl backup restore ${created.path}\` again`);
    t.not(supervisorPids().clc!.pid, pids.clc!.pid, 'the clc was stopped, and runs again as a new process');
    t.ok(
      (await accountNames()).includes('after-ctrl-c'),
      'the clc runs on its own data: an account made after the backup',
    );
    const status = await cloudctl('status', '--json');
    t.equal(JSON.parse(status.stdout).healthy, true, 'the cloud is healthy');
  },
);

t.test('Ctrl-C once the files go in place: the restore finishes (no half restore)', async (t) => {
  const created = await ok<CreatedBackup>('backup', 'create');
  await ok('accounts', 'create', 'after-second-backup');
  const finished = await restoreInterrupted(created.path, /putting clc\.sqlite in place on local/);
  t.ok(finished.sent, `Ctrl-C pressed as the clc's database went in place: ${finished.stderr}`);
  t.equal(finished.code, 0, finished.stderr);
  t.match(finished.stderr, /SIGINT: the backup's files are going in place, so the restore finishes first/);
  t.match(finished.stdout, /Restored .* into the installed cloud/);
  t.match(finished.stdout, /started clc on local: healthy/);
  const names = await accountNames();
  t.notOk(names.includes('after-second-backup'), 'restored: the account made after the backup is gone');
  t.ok(names.includes('after-ctrl-c'), 'and the one the backup holds is there');
});

t.test('scheduled backups: the clc writes them by itself, keeps the newest, and one restores', async (t) => {
  t.match(await ok<BackupSchedule>('backup', 'schedule'), { interval: 'off', keep: 7, backups: [] });
  const bad = await cloudctl('backup', 'schedule', '--every', 'sometimes');
  t.not(bad.code, 0, 'an interval that is not one is refused');
  t.match(bad.stderr, /expected "off" or an interval/);

  const set = await ok<BackupSchedule>('backup', 'schedule', '--every', '5s', '--keep', '2');
  t.match(set, { interval: '5s', keep: 2, dir: join(cloud.dataDir, 'clc', 'backups') });
  const seen = new Set<string>();
  let schedule = set;
  const deadline = Date.now() + 90_000;
  // Three archives written means the first was rotated away with only two kept.
  while (seen.size < 3 && Date.now() < deadline) {
    schedule = await ok<BackupSchedule>('backup', 'schedule');
    for (const backup of schedule.backups) seen.add(backup.path);
    if (seen.size < 3) await new Promise((resolve) => setTimeout(resolve, 1000));
  }
  t.ok(seen.size >= 3, `${seen.size} scheduled backups written within the deadline`);
  t.ok(schedule.backups.length <= 2, 'only the newest two are kept');
  const [first] = [...seen].sort();
  t.notOk(existsSync(first!), `${first} was rotated away`);
  const newest = schedule.backups.at(-1)!;
  t.equal(statSync(newest.path).mode & 0o777, 0o600, 'on disk, 0600');

  const shown = await cloudctl('backup', 'schedule');
  t.match(shown.stdout, /^Every 5s, keeping the last 2, in \S+ on the clc's host\.\nNext backup: /);
  t.match(shown.stdout, new RegExp(`\\n  ${newest.path}  \\d+ bytes  `), 'lists the backups');

  const off = await ok<BackupSchedule>('backup', 'schedule', '--off');
  t.equal(off.interval, 'off');
  t.notOk(off.nextBackupAt, 'no next backup');

  const restored = await ok<RestoredBackup>('backup', 'restore', newest.path, '--yes');
  t.equal(restored.steps.at(-1), 'started clc on local: healthy', 'a scheduled backup restores like any other');
  t.ok((await accountNames()).includes('research'));
  const after = await ok<BackupSchedule>('backup', 'schedule');
  t.equal(after.interval, '5s', 'the schedule is cloud state too: it is back as the backup had it');
  await ok('backup', 'schedule', '--off');
});

t.test("PostgreSQL: the clc's pg_dump goes back in with pg_restore on its host", async (t) => {
  // A server that wants a password (with characters URLs and passfiles escape): pg_dump and psql get it from their
  // environment or a passfile, never on a command line.
  const postgres = await startPostgres({ password: 'p@ss:w/rd\\x' });
  const pgCloud = await installAllInOne(
    `bkpg${process.pid}`,
    `database:\n  engine: postgresql\n  url: ${postgres.url}\n`,
  );
  t.teardown(async () => {
    await pgCloud.uninstall();
    await postgres.stop();
  });
  t.equal(pgCloud.installed.code, 0, pgCloud.installed.stderr + pgCloud.installed.stdout);
  await pgCloud.ok('accounts', 'create', 'in-postgres');
  const created = await pgCloud.ok<CreatedBackup>('backup', 'create');
  t.match(created.manifest.files, [
    { component: 'clc', engine: 'postgresql', fileName: 'clc.pgdump' },
    { component: 'walrus', engine: 'sqlite', fileName: 'walrus.sqlite' },
  ]);
  const sql = async (text: string) => {
    const client = new pg.Client({ connectionString: postgres.url });
    await client.connect();
    try {
      return (await client.query(text)).rows as Record<string, unknown>[];
    } finally {
      await client.end();
    }
  };
  // What a later migration would leave: a restore makes the database exactly the backup's, without it.
  await sql('create table made_after_backup (id integer)');
  await pgCloud.ok('accounts', 'delete', 'in-postgres', '--yes');
  await pgCloud.ok('accounts', 'create', 'after-backup');

  const sqliteBackup = await ok<CreatedBackup>('backup', 'create');
  const refused = await pgCloud.cloudctl('backup', 'restore', sqliteBackup.path, '--yes');
  t.equal(refused.code, 2, 'a SQLite backup does not go into a PostgreSQL cloud');
  t.match(refused.stderr, /clc\.sqlite is a sqlite backup, but this cloud's database is postgresql/);

  const restored = await pgCloud.ok<RestoredBackup>('backup', 'restore', created.path, '--yes');
  t.match(restored.steps, [
    'stopped clc on local',
    'stopped walrus on local',
    'loaded clc.pgdump into the PostgreSQL database with pg_restore and psql on local',
    /^restored walrus\.sqlite/,
    'started walrus on local: healthy',
    'started clc on local: healthy',
  ]);
  t.same(await sql("select tablename from pg_tables where tablename = 'made_after_backup'"), [], 'no table lingers');
  const accounts = (await pgCloud.ok<{ accounts: { accountName: string }[] }>('accounts', 'list')).accounts;
  t.ok(
    accounts.some((account) => account.accountName === 'in-postgres'),
    'the deleted account is back',
  );
  t.notOk(
    accounts.some((account) => account.accountName === 'after-backup'),
    'one made after the backup is not',
  );
});
