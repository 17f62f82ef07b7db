import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import type { CreatedBackup, RestoredBackup } from '../../src/cloud/backup.js';
import type { UpgradeResult } from '../../src/operations/upgrade.js';
import { projectRoot, runCli, temporaryDir } from '../helpers/cli.js';
import { startTestbed } from '../helpers/testbed.js';
import { installerEnv, rebuiltProject } from '../helpers/installer.js';

// cloudctl backup restore into a cloud `faststart install` put on two test-bed hosts over real SSH: the clc on h1,
// Walrus on h2. The restore stops each on its own host, copies each database there over SFTP, and starts both again.
// Then cloudctl upgrade moves the daemons of both hosts to a rebuilt release over SSH.
t.setTimeout(8 * 60_000);

const bed = await startTestbed(t, { hosts: 2 });
const [h1, h2] = bed.hosts as [(typeof bed.hosts)[0], (typeof bed.hosts)[0]];
const dir = temporaryDir('backup-multi');
const name = `bm${process.pid}`;
const env = installerEnv(join(dir, 'home'));
const hostEntry = (host: { name: string; address: string }) =>
  `  - name: ${host.name}\n    address: ${host.address}\n    ssh:\n      user: root\n      key: ${bed.clientKey}\n`;
const configFile = join(dir, 'cloud.yaml');
writeFileSync(
  configFile,
  `name: ${name}
dataDir: /var/lib/mallee-backup-test
hosts:
${[h1, h2].map(hostEntry).join('')}zones:
  - name: zone-a
components:
  - { component: clc, host: h1 }
  - { component: cc, host: h1, zone: zone-a }
  - { component: nc, host: h1, zone: zone-a, hypervisor: 'test:///default' }
  - { component: walrus, host: h2 }
`,
);
const sshFlags = ['--known-hosts', bed.knownHosts, '--ssh-key', bed.clientKey];
const installed = await runCli(
  'faststart',
  ['install', '--config', configFile, '--yes', '--no-smoke-test', ...sshFlags],
  {
    env,
  },
);
const packed: string[] = [];
t.teardown(async () => {
  for (const tarball of packed) for (const file of [tarball, `${tarball}.sha256`]) rmSync(file, { force: true });
  await runCli('faststart', ['uninstall', '--name', name, '--yes', '--purge', '--known-hosts', bed.knownHosts], {
    env,
  });
  rmSync(dir, { recursive: true, force: true });
});

const cloudctl = (...args: string[]) => runCli('cloudctl', [...args, '--cloud', name, '--json'], { env });
async function ok<T>(...args: string[]): Promise<T> {
  const result = await cloudctl(...args);
  if (result.code !== 0) {
    throw new Error(`cloudctl ${args.join(' ')} exited ${result.code}: ${result.stderr}${result.stdout}`);
  }
  return JSON.parse(result.stdout) as T;
}
const accountNames = async () =>
  (await ok<{ accounts: { accountName: string }[] }>('accounts', 'list')).accounts.map((a) => a.accountName);
/** The pid of a daemon as its host's supervisor has it, read inside that host. */
async function pidOn(host: typeof h1, daemon: string): Promise<number | undefined> {
  const state = await bed.exec(host, `cat /run/mallee/${name}/supervisor-state.json`);
  return (JSON.parse(state.stdout) as { daemons: Record<string, { pid?: number }> }).daemons[daemon]?.pid;
}

t.test('the cloud is installed on two hosts', async (t) => {
  t.equal(installed.code, 0, installed.stderr + installed.stdout);
});

t.test('backup, delete an account, restore over SSH: clc on h1 and walrus on h2 back at the backup', async (t) => {
  await ok('accounts', 'create', 'spread');
  const created = await ok<CreatedBackup>('backup', 'create');
  await ok('accounts', 'delete', 'spread', '--yes');
  await ok('accounts', 'create', 'after-backup');
  t.notOk((await accountNames()).includes('spread'));
  const before = { clc: await pidOn(h1, 'clc'), walrus: await pidOn(h2, 'walrus'), cc: await pidOn(h1, 'cc-zone-a') };

  const restored = await ok<RestoredBackup>('backup', 'restore', created.path, '--yes', ...sshFlags);
  t.same(restored.steps, [
    'stopped clc on h1',
    'stopped walrus on h2',
    'restored clc.sqlite to /var/lib/mallee-backup-test/clc/clc.sqlite on h1',
    'restored walrus.sqlite to /var/lib/mallee-backup-test/walrus/walrus.sqlite on h2',
    'started walrus on h2: healthy',
    'started clc on h1: healthy',
  ]);
  t.not(await pidOn(h1, 'clc'), before.clc, 'a new clc on h1');
  t.not(await pidOn(h2, 'walrus'), before.walrus, 'a new walrus on h2');
  t.equal(await pidOn(h1, 'cc-zone-a'), before.cc, 'the cc kept running');

  const names = await accountNames();
  t.ok(names.includes('spread'), 'the deleted account is back');
  t.notOk(names.includes('after-backup'), 'one made after the backup is not');
  const status = await cloudctl('status');
  t.equal(status.code, 0, status.stdout.slice(0, 2000));
});

const original = JSON.parse(readFileSync(join(projectRoot, 'package.json'), 'utf8')).version as string;
const version = `${original}-ssh.${process.pid}`;
/** Each daemon's version as status reports it (a zone left without nodes makes it exit 5, and that is fine here). */
const versions = async () =>
  (JSON.parse((await cloudctl('status')).stdout) as { components: { version?: string }[] }).components.map(
    (component) => component.version,
  );

t.test('upgrade over SSH: the release on both hosts, every daemon on the new version', async (t) => {
  const upgrade = await ok<UpgradeResult>('upgrade', '--bundle', rebuiltProject(dir, version), '--yes', ...sshFlags);
  packed.push(join(env.MALLEE_CACHE, `mallee-${upgrade.release}.tar.zst`));
  t.same(
    upgrade.daemons.map((daemon) => [daemon.name, daemon.host, daemon.fromVersion, daemon.toVersion]),
    [
      ['clc', 'h1', original, version],
      ['walrus', 'h2', original, version],
      ['cc-zone-a', 'h1', original, version],
      ['nc-h1', 'h1', original, version],
    ],
  );
  const status = await ok<{ healthy: boolean; components: { name: string; version?: string }[] }>('status');
  t.equal(status.healthy, true);
  t.same(
    status.components.map((component) => component.version),
    status.components.map(() => version),
  );
  for (const host of [h1, h2]) {
    const current = await bed.exec(host, `readlink /opt/mallee/${name}/current`);
    t.equal(current.stdout.trim(), `/opt/mallee/${name}/releases/${upgrade.release}`, `${host.name} runs it`);
  }
  const record = JSON.parse(readFileSync(join(dir, 'home', name, 'install.json'), 'utf8'));
  t.equal(record.release.hash, upgrade.release, 'install.json records the release the cloud runs');
});

t.test('a change of nodes after the upgrade deploys the release the cloud runs, not this build', async (t) => {
  await ok('nodes', 'remove', 'h1', '--yes', ...sshFlags);
  const after = await versions();
  t.same(
    after,
    ['clc', 'walrus', 'cc-zone-a'].map(() => version),
    'clc, walrus and the restarted cc: still the release',
  );
});
