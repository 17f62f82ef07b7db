import { chmodSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import type { UpgradeResult } from '../../src/operations/upgrade.js';
import { projectRoot, runCli, runCliWatching, runCommand, temporaryDir } from '../helpers/cli.js';
import { processRunning } from '../helpers/daemons.js';
import {
  allInOneCloudYaml,
  allInOnePorts,
  installerEnv,
  rebuiltProject,
  uninstallTestCloud,
} from '../helpers/installer.js';

// cloudctl upgrade on an all-in-one cloud that `faststart install` put on this machine with the real hypervisor
// (qemu through libvirtd): a guest boots, the cloud moves to a rebuilt release daemon by daemon while the guest keeps
// running; an upgrade stopped by Ctrl-C moves back what it moved; then a release whose cc cannot start is rolled back
// automatically.
t.setTimeout(15 * 60_000);

const dir = temporaryDir('upgrade');
// qemu runs as libvirt-qemu and must reach the instance disks below this folder.
chmodSync(dir, 0o755);
const name = `up${process.pid}`;
const prefix = join(dir, 'root');
const env = installerEnv(join(dir, 'home'));
const configFile = join(dir, 'cloud.yaml');
const ports = await allInOnePorts();
writeFileSync(configFile, allInOneCloudYaml({ name, dataDir: join(dir, 'data'), ports, hypervisor: 'qemu:///system' }));
const daemons = ['clc', 'walrus', 'cc-zone-a', 'nc-local'];
const runDir = join(prefix, 'run', 'mallee', name);
const cloudctl = (...args: string[]) => runCli('cloudctl', [...args, '--cloud', name], { env });
async function ok<T>(...args: string[]): Promise<T> {
  const result = await cloudctl(...args, '--json');
  if (result.code !== 0) throw new Error(`cloudctl ${args.join(' ')} exited ${result.code}: ${result.stdout}`);
  return JSON.parse(result.stdout) as T;
}

interface Component {
  name: string;
  state: string;
  version?: string;
  process?: { pid?: number; restarts?: number };
}
const status = async () => {
  const result = await cloudctl('status', '--json');
  return { code: result.code, ...(JSON.parse(result.stdout) as { healthy: boolean; components: Component[] }) };
};
const versions = async () => (await status()).components.map((component) => [component.name, component.version]);
interface Instance {
  instanceId: string;
  state: string;
}
const instanceState = async (id: string) =>
  (await ok<{ instances: Instance[] }>('instances', 'list')).instances.find((instance) => instance.instanceId === id)
    ?.state;
const supervisorState = () =>
  JSON.parse(readFileSync(join(runDir, 'supervisor-state.json'), 'utf8')) as {
    pid: number;
    daemons: Record<string, { pid?: number }>;
  };
/** `cloudctl status` exits 0 (every daemon healthy) and every daemon answers as `version`. */
async function expectHealthyOn(t: Test, version: string, what: string) {
  t.equal((await status()).code, 0, `${what}: healthy`);
  t.same(
    await versions(),
    daemons.map((daemon) => [daemon, version]),
    `${what}: the versions`,
  );
}
/** The qemu process of the guest, as libvirt recorded it: the same pid means the guest never stopped. */
const qemuPid = (id: string) => readFileSync(`/run/libvirt/qemu/${id}.pid`, 'utf8').trim();

const installed = await runCli(
  'faststart',
  ['install', '--all-in-one', '--config', configFile, '--yes', '--prefix', prefix],
  { env },
);
const packed: string[] = [];
t.teardown(async () => {
  await uninstallTestCloud(name, runDir, env);
  for (const tarball of packed) for (const file of [tarball, `${tarball}.sha256`]) rmSync(file, { force: true });
  rmSync(dir, { recursive: true, force: true });
});

let instanceId = '';
const original = JSON.parse(readFileSync(join(projectRoot, 'package.json'), 'utf8')).version as string;
const upgradedVersion = `${original}-upgrade.${process.pid}`;

t.test('a cloud on qemu with a guest running', async (t) => {
  t.equal(installed.code, 0, installed.stderr + installed.stdout);
  const { images } = await ok<{ images: { imageId: string; name: string }[] }>('images', 'list');
  const machine = images.find((image) => image.name === 'mallee-smoke-test');
  t.ok(machine, 'the smoke test registered its image');
  const run = await ok<{ instances: Instance[] }>('instances', 'run', '--image', machine!.imageId);
  instanceId = run.instances[0]!.instanceId;
  const deadline = Date.now() + 180_000;
  while ((await instanceState(instanceId)) !== 'running' && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
  t.equal(await instanceState(instanceId), 'running');
  t.same(
    await versions(),
    daemons.map((daemon) => [daemon, original]),
  );
});

t.test(
  'upgrade to a rebuilt release: a backup, every daemon in order on the new version, the guest untouched',
  async (t) => {
    const pid = qemuPid(instanceId);
    const supervisorBefore = supervisorState().pid;
    const result = await cloudctl('upgrade', '--bundle', rebuiltProject(dir, upgradedVersion), '--yes', '--json');
    t.equal(result.code, 0, result.stdout + result.stderr);
    const upgrade = JSON.parse(result.stdout) as UpgradeResult;
    packed.push(join(env.MALLEE_CACHE, `mallee-${upgrade.release}.tar.zst`));
    t.same(
      upgrade.daemons.map((daemon) => [daemon.name, daemon.fromVersion, daemon.toVersion, daemon.changed]),
      daemons.map((daemon) => [daemon, original, upgradedVersion, true]),
      'clc, walrus, the cc, then the node, each from the old version to the new',
    );
    t.match(readFileSync(upgrade.backup).subarray(0, 2), Buffer.from([0x1f, 0x8b]), 'the backup taken first is a .tgz');

    const after = await status();
    t.equal(after.code, 0, 'healthy');
    t.same(
      await versions(),
      daemons.map((daemon) => [daemon, upgradedVersion]),
    );
    t.equal(await instanceState(instanceId), 'running', 'the node controller found its guest again');
    t.equal(qemuPid(instanceId), pid, 'the same qemu process: the guest never stopped');
    const current = await runCommand('readlink', [join(prefix, 'opt', 'mallee', name, 'current')]);
    t.match(current.stdout.trim(), new RegExp(`/releases/${upgrade.release}$`), 'current names the new release');

    const state = supervisorState();
    t.not(state.pid, supervisorBefore, 'the supervisor was handed over');
    t.match(
      readFileSync(`/proc/${state.pid}/cmdline`, 'utf8'),
      `/releases/${upgrade.release}/dist/src/supervisor/supervisor-main.js`,
      'to one of the new release',
    );
    const walrus = state.daemons.walrus!.pid!;
    process.kill(walrus, 'SIGKILL');
    const deadline = Date.now() + 60_000;
    while ([undefined, walrus].includes(supervisorState().daemons.walrus?.pid) && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    t.ok(processRunning(supervisorState().daemons.walrus!.pid!), 'it restarts an adopted daemon that dies');
    const record = JSON.parse(readFileSync(join(dir, 'home', name, 'install.json'), 'utf8'));
    t.same(
      [record.release.hash, record.release.version],
      [upgrade.release, upgradedVersion],
      'install.json records the release',
    );
  },
);

t.test('Ctrl-C during an upgrade: the daemon moving finishes, then those moved go back; exit 130', async (t) => {
  const pid = qemuPid(instanceId);
  const next = `${original}-interrupted.${process.pid}`;
  let sent = false;
  const stopped = await runCliWatching(
    'cloudctl',
    ['upgrade', '--bundle', rebuiltProject(dir, next), '--yes', '--json', '--cloud', name],
    { env },
    ({ stderr, interrupt }) => {
      if (!sent && /walrus on local: moving to /.test(stderr)) {
        sent = true;
        interrupt();
      }
    },
  );
  const staged = /copying release (\w+) to 1 host/.exec(stopped.stderr)?.[1];
  if (staged) packed.push(join(env.MALLEE_CACHE, `mallee-${staged}.tar.zst`));
  t.ok(sent, `Ctrl-C pressed while walrus moved; the progress: ${stopped.stderr}`);
  t.equal(stopped.code, 130, 'the exit code of a command stopped by Ctrl-C');
  t.match(stopped.stderr, /SIGINT: stopping once the daemon moving now is healthy/, 'the Ctrl-C is acknowledged');
  const lines = stopped.stderr.split('\n');
  const order = [
    'clc on local: healthy as',
    'walrus on local: healthy as',
    'walrus on local: moving back',
    'clc on local: moving back',
  ];
  const positions = order.map((start) => lines.findIndex((line) => line.startsWith(start)));
  t.ok(
    positions.every((position, index) => position >= 0 && (index === 0 || position > positions[index - 1]!)),
    `walrus finished its move, then walrus and clc went back, in that order: ${JSON.stringify(positions)}`,
  );
  t.notMatch(stopped.stderr, /cc-zone-a on local: moving to/, 'no daemon moved after the Ctrl-C');
  const { error } = JSON.parse(stopped.stdout) as { error: { message: string; details: { movedBack: string[] } } };
  t.match(error.message, /^Interrupted by SIGINT: clc, walrus went back to their previous release/);
  t.same(error.details.movedBack, ['clc', 'walrus']);

  await expectHealthyOn(t, upgradedVersion, 'every daemon healthy on the release it ran before');
  t.equal(qemuPid(instanceId), pid, 'the guest kept running');
});

t.test('Ctrl-C while the release is copied: no daemon moves; exit 130', async (t) => {
  let sent = false;
  const stopped = await runCliWatching(
    'cloudctl',
    [
      'upgrade',
      '--bundle',
      rebuiltProject(dir, `${original}-early.${process.pid}`),
      '--yes',
      '--json',
      '--cloud',
      name,
    ],
    { env },
    ({ stderr, interrupt }) => {
      if (!sent && /copying release \w+ to 1 host/.test(stderr)) {
        sent = true;
        interrupt();
      }
    },
  );
  const staged = /copying release (\w+) to 1 host/.exec(stopped.stderr)?.[1];
  if (staged) packed.push(join(env.MALLEE_CACHE, `mallee-${staged}.tar.zst`));
  t.ok(sent, `Ctrl-C pressed as the copy began; the progress: ${stopped.stderr}`);
  t.equal(stopped.code, 130);
  t.notMatch(stopped.stderr, /moving to/, 'no daemon moved');
  const { error } = JSON.parse(stopped.stdout) as { error: { message: string; details: { movedBack: string[] } } };
  t.match(error.message, /^Interrupted by SIGINT before any daemon moved/);
  t.same(error.details.movedBack, []);
  await expectHealthyOn(t, upgradedVersion, 'every daemon healthy on the release it ran');
});

t.test('a release whose cc cannot start is rolled back: every daemon on the previous version, healthy', async (t) => {
  const pid = qemuPid(instanceId);
  const broken = rebuiltProject(dir, `${original}-broken.${process.pid}`, 'cc');
  const result = await cloudctl('upgrade', '--bundle', broken, '--yes', '--health-timeout', '10', '--json');
  t.equal(result.code, 5, 'unhealthy');
  const { error } = JSON.parse(result.stdout) as {
    error: { message: string; details: { failure: string; rolledBack: string[] } };
  };
  t.match(error.message, /rolled back/);
  t.match(error.details.failure, /cc-zone-a on local/);
  t.same(error.details.rolledBack, ['clc', 'walrus', 'cc-zone-a'], 'the moved daemons, and the one that failed');

  await expectHealthyOn(t, upgradedVersion, 'healthy again, all on the release before');
  t.equal(await instanceState(instanceId), 'running');
  t.equal(qemuPid(instanceId), pid, 'the guest kept running');
});

t.test('faststart install again moves every daemon and the supervisor back to its own build at once', async (t) => {
  const again = await runCli(
    'faststart',
    ['install', '--all-in-one', '--config', configFile, '--yes', '--no-smoke-test', '--prefix', prefix],
    { env },
  );
  t.equal(again.code, 0, again.stderr + again.stdout);
  const after = await status();
  t.equal(after.code, 0, 'healthy');
  t.same(
    await versions(),
    daemons.map((daemon) => [daemon, original]),
  );
  t.same(
    after.components.map((component) => [component.name, component.process?.restarts]),
    daemons.map((daemon) => [daemon, 0]),
    'each replaced once, none crashed on a port the old one still held',
  );
  t.equal(await instanceState(instanceId), 'running', 'the guest still runs');
});

t.test('faststart uninstall --purge removes the guest with the node it ran on', async (t) => {
  await uninstallTestCloud(name, runDir, env);
  const domains = await runCommand('virsh', ['-c', 'qemu:///system', 'list', '--all', '--name']);
  t.equal(domains.code, 0, domains.stderr);
  t.notOk(domains.stdout.split('\n').includes(instanceId), `${instanceId} is no longer a libvirt domain`);
});
