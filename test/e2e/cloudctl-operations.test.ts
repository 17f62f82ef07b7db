import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { processRunning } from '../helpers/daemons.js';
import { curl, projectRoot, runCli, runCommand, temporaryDir } from '../helpers/cli.js';
import { allInOneCloudYaml, allInOnePorts, installerEnv, uninstallTestCloud } from '../helpers/installer.js';

// cloudctl's host-side commands (status, services, logs, debug bundle) against a cloud that `faststart install
// --all-in-one` really installed on this machine: LocalOperator, Mallee's supervisor, real daemons on free ports,
// everything under a temp prefix, data dir and MALLEE_HOME.
t.setTimeout(10 * 60_000);

const dir = temporaryDir('cloudctl-ops');
const name = `ops${process.pid}`;
const prefix = join(dir, 'root');
const home = join(dir, 'home');
const env = installerEnv(home);

const configFile = join(dir, 'cloud.yaml');
const ports = await allInOnePorts();
writeFileSync(configFile, allInOneCloudYaml({ name, dataDir: join(dir, 'data'), ports }));
const daemons = ['clc', 'walrus', 'cc-zone-a', 'nc-local'];
const runDir = join(prefix, 'run', 'mallee', name);
const supervisorState = () =>
  JSON.parse(readFileSync(join(runDir, 'supervisor-state.json'), 'utf8')) as {
    pid: number;
    daemons: Record<string, { pid?: number; restarts: number; lastExit?: string }>;
  };
const alive = processRunning;

/** Only the cloud's name: where it was installed from and to comes from the installer's record. */
const where = ['--cloud', name];
const cloudctl = (...args: string[]) => runCli('cloudctl', [...args, ...where], { env });
const adminTls = () => ({
  ca: join(home, name, 'pki', 'ca.pem'),
  cert: join(home, name, 'pki', 'hosts', 'admin.pem'),
  key: join(home, name, 'pki', 'hosts', 'admin-key.pem'),
});

interface Component {
  name: string;
  state: string;
  version?: string;
  uptimeSeconds?: number;
  process?: { pid?: number; restarts: number; lastExit?: string };
}
interface Status {
  healthy: boolean;
  problems: string[];
  components: Component[];
  zones: { name: string; nodes: { name: string; reachable: boolean }[]; cores: { total: number } }[];
  endpoints: { name: string; reachable: boolean }[];
  certificates: { name: string; daysLeft: number }[];
  hosts: { name: string; reachable: boolean; clockOffsetSeconds?: number }[];
}
const statusJson = async () => {
  const result = await cloudctl('status', '--json');
  return { code: result.code, status: JSON.parse(result.stdout) as Status, stderr: result.stderr };
};
const component = (status: Status, daemon: string) => status.components.find((c) => c.name === daemon)!;

const installed = await runCli(
  'faststart',
  ['install', '--all-in-one', '--config', configFile, '--yes', '--no-smoke-test', '--prefix', prefix],
  { env },
);

t.teardown(async () => {
  await uninstallTestCloud(name, runDir, env);
  rmSync(dir, { recursive: true, force: true });
});

t.test('the cloud is installed', async (t) => {
  t.equal(installed.code, 0, installed.stderr + installed.stdout);
});

t.test(
  'status: every component healthy with version, pid and uptime; the zone, endpoints and certificates',
  async (t) => {
    const { code, status, stderr } = await statusJson();
    t.equal(code, 0, stderr);
    t.equal(status.healthy, true, status.problems.join('\n'));
    t.same(
      status.components.map((c) => [c.name, c.state]),
      daemons.map((daemon) => [daemon, 'healthy']),
    );
    for (const daemon of daemons) {
      const found = component(status, daemon);
      t.equal(found.process?.pid, supervisorState().daemons[daemon]!.pid, `${daemon}: the pid the supervisor has`);
      t.match(found.version, /^\d+\.\d+\.\d+/);
      t.type(found.uptimeSeconds, 'number');
    }
    t.same(
      status.zones.map((zone) => [zone.name, zone.nodes.map((node) => [node.name, node.reachable])]),
      [['zone-a', [['nc-local', true]]]],
    );
    t.ok(status.zones[0]!.cores.total > 0, 'the zone has cores');
    t.same(
      status.endpoints.map((endpoint) => [endpoint.name, endpoint.reachable]),
      [
        ['ec2', true],
        ['s3', true],
      ],
    );
    t.ok(
      status.certificates.some((cert) => cert.name === 'local (deployed)' && cert.daysLeft > 30),
      'the host certificate on the host, with its days left',
    );
    t.ok(Math.abs(status.hosts[0]!.clockOffsetSeconds!) < 5, 'clock offset measured');

    const csv = await cloudctl('services', 'list', '--output', 'csv');
    t.same(
      csv.stdout
        .trim()
        .split('\n')
        .map((line) => line.split(',').slice(0, 3)),
      [['SERVICE', 'HOST', 'STATE'], ...daemons.map((daemon) => [daemon, 'local', 'healthy'])],
    );
    const table = await cloudctl('status');
    t.equal(table.code, 0);
    t.match(table.stdout, new RegExp(`^Cloud ${name}: healthy`));
    t.match(table.stdout, /nc-local\s+local\s+healthy/);
  },
);

t.test('logs: the last lines of a daemon log, from its host', async (t) => {
  const result = await cloudctl('logs', 'clc', '--lines', '5', '--json');
  t.equal(result.code, 0, result.stderr);
  const log = JSON.parse(result.stdout) as { service: string; file: string; lines: string[] };
  t.equal(log.file, join(prefix, 'var', 'log', 'mallee', name, 'clc.log'));
  t.equal(log.lines.length, 5);
  for (const line of log.lines) t.equal(JSON.parse(line).component, 'clc');
  const plain = await cloudctl('logs', 'nc', '-n', '2');
  t.equal(plain.code, 0, plain.stderr);
  t.equal(plain.stdout.trim().split('\n').length, 2);
  const unknown = await cloudctl('logs', 'sc');
  t.equal(unknown.code, 4, 'no sc in this cloud: not found');
  t.match(unknown.stderr, /Its services: clc \(local\), walrus \(local\)/);
});

t.test('logs --follow: new lines as they are written, until Ctrl-C', async (t) => {
  const child = spawn(
    process.execPath,
    [join(projectRoot, 'bin', 'cloudctl.js'), 'logs', 'clc', '--lines', '1', '--follow', ...where],
    { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  const waiters: (() => void)[] = [];
  child.stdout.on('data', (chunk: Buffer) => {
    output += chunk.toString();
    waiters.forEach((wake) => wake());
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  /** Resolves once what it printed so far passes `check`, or after 30 s (the assertion below then says so). */
  const printed = (check: (text: string) => boolean) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, 30_000);
      const wake = () => check(output) && (clearTimeout(timer), resolve());
      waiters.push(wake);
      wake();
    });
  // The last line comes first: the log is open, and every line written from now on follows it.
  await printed((text) => text.length > 0);
  const marker = `/follow-${process.pid}`;
  await curl(`https://127.0.0.1:${ports.clc}${marker}`, adminTls(), ['-o', '/dev/null']);
  await printed((text) => text.includes(marker));
  t.match(output, marker, 'a request made after it started is printed');
  child.kill('SIGINT');
  t.equal(await exited, 0, 'ends cleanly on SIGINT');
});

t.test('services restart: a new process at the same revision, healthy again', async (t) => {
  const before = supervisorState().daemons.walrus!.pid!;
  const result = await cloudctl('services', 'restart', 'walrus', '--yes', '--json');
  t.equal(result.code, 0, result.stderr);
  const [change] = JSON.parse(result.stdout) as { pidBefore: number; pidAfter: number; status: Component }[];
  t.equal(change!.pidBefore, before);
  t.not(change!.pidAfter, before, 'a new pid');
  t.notOk(alive(before), 'the old process is gone');
  t.equal(supervisorState().daemons.walrus!.pid, change!.pidAfter, 'the supervisor runs the new one');
  t.equal(change!.status.state, 'healthy');
  t.equal(supervisorState().daemons.walrus!.restarts, 0, 'an operator restart is not counted as a crash');
});

t.test('services stop: status reports it and exits 5 until services start', async (t) => {
  const refused = await cloudctl('services', 'stop', 'nc-local');
  t.equal(refused.code, 2, 'no terminal to confirm on and no --yes');
  t.equal(component((await statusJson()).status, 'nc-local').state, 'healthy', 'nothing was stopped');

  const pid = supervisorState().daemons['nc-local']!.pid!;
  const stopped = await cloudctl('services', 'stop', 'nc-local', '--yes');
  t.equal(stopped.code, 0, stopped.stderr);
  t.notOk(alive(pid), 'the nc process is gone');
  const { code, status } = await statusJson();
  t.equal(code, 5, 'unhealthy');
  t.equal(status.healthy, false);
  t.equal(component(status, 'nc-local').state, 'stopped');
  t.ok(
    status.problems.some((problem) => /nc-local on local is stopped/.test(problem)),
    status.problems.join('\n'),
  );
  const table = await cloudctl('status');
  t.equal(table.code, 5);
  t.match(table.stdout, /UNHEALTHY/);

  const started = await cloudctl('services', 'start', 'nc-local', '--json');
  t.equal(started.code, 0, started.stderr);
  t.equal(JSON.parse(started.stdout)[0].status.state, 'healthy');
  const after = await statusJson();
  t.equal(after.code, 0, after.status.problems.join('\n'));
});

t.test('a daemon killed with SIGKILL: status shows the crash the supervisor saw', async (t) => {
  const old = supervisorState().daemons['cc-zone-a']!.pid!;
  process.kill(old, 'SIGKILL');
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    const pid = supervisorState().daemons['cc-zone-a']?.pid;
    if (pid && pid !== old && alive(pid)) break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  let found: Component | undefined;
  while (Date.now() < deadline) {
    found = component((await statusJson()).status, 'cc-zone-a');
    if (found.state === 'healthy') break;
  }
  t.equal(found?.process?.restarts, 1, 'one restart');
  t.equal(found?.process?.lastExit, 'SIGKILL');
  t.not(found?.process?.pid, old);
});

t.test('debug bundle: every daemon log, configs and facts, and no secret', async (t) => {
  const output = join(dir, 'support.tgz');
  const result = await cloudctl('debug', 'bundle', '--output', output, '--json');
  t.equal(result.code, 0, result.stderr);
  t.equal(JSON.parse(result.stdout).path, output);
  t.equal(statSync(output).mode & 0o777, 0o600);
  const unpacked = join(dir, 'unpacked');
  rmSync(unpacked, { recursive: true, force: true });
  await runCommand('mkdir', ['-p', unpacked]);
  const untar = await runCommand('tar', ['-xzf', output, '-C', unpacked]);
  t.equal(untar.code, 0, untar.stderr);
  const [root] = readdirSync(unpacked);
  const at = (...parts: string[]) => join(unpacked, root!, ...parts);
  for (const daemon of [...daemons, 'supervisor']) {
    t.ok(statSync(at('local', 'logs', `${daemon}.log`)).size > 0, `${daemon}.log is in it`);
  }
  for (const daemon of daemons) t.ok(existsSync(at('local', 'config', `${daemon}.json`)), `${daemon}.json`);
  t.equal(JSON.parse(readFileSync(at('local', 'facts.json'), 'utf8')).reachable, true, 'discovery facts');
  t.equal(JSON.parse(readFileSync(at('status.json'), 'utf8')).healthy, true, 'status');
  t.equal(JSON.parse(readFileSync(at('local', 'config', 'clc.json'), 'utf8')).settings.adminCredentials, '<redacted>');

  const cloud = JSON.parse(readFileSync(join(home, name, 'cloud.json'), 'utf8'));
  const adminKey = JSON.parse(readFileSync(join(home, name, 'admin-key.json'), 'utf8'));
  const hostKey = readFileSync(join(prefix, 'etc', 'mallee', name, 'tls', 'host-key.pem'), 'utf8');
  const hostKeyBody = hostKey.split('\n').filter((line) => line && !line.startsWith('-----'));
  const forbidden = [
    cloud.credentials.secretAccessKey,
    adminKey.secretAccessKey,
    'PRIVATE KEY-----',
    // The byte values of "-----BEGIN PRIVATE KEY": a key logged as a Buffer.
    Array.from(Buffer.from('-----BEGIN PRIVATE KEY')).join(','),
    ...hostKeyBody,
  ];
  const files = (await runCommand('find', [unpacked, '-type', 'f'])).stdout.trim().split('\n');
  t.ok(files.length > 10, `${files.length} files`);
  for (const file of files) {
    const text = readFileSync(file, 'utf8');
    for (const secret of forbidden) t.notOk(text.includes(secret), `${file} does not contain ${secret.slice(0, 12)}…`);
  }
});

t.test('nodes: list, drain, then remove (last: the zone has no node afterwards)', async (t) => {
  interface Node {
    nodeName: string;
    host?: string;
    enabled?: boolean;
    reachable: boolean;
  }
  const list = async () => JSON.parse((await cloudctl('nodes', 'list', '--json')).stdout) as Node[];
  t.same(
    (await list()).map((node) => [node.nodeName, node.host, node.reachable, node.enabled]),
    [['nc-local', 'local', true, true]],
  );
  const drained = await cloudctl('nodes', 'drain', 'local', '--json');
  t.equal(drained.code, 0, drained.stderr);
  t.equal(JSON.parse(drained.stdout).node.enabled, false);
  t.equal((await list())[0]!.enabled, false, 'the cc reports it disabled');

  const unknown = await cloudctl('nodes', 'drain', 'nowhere');
  t.equal(unknown.code, 4);
  const unconfirmed = await cloudctl('nodes', 'remove', 'local');
  t.equal(unconfirmed.code, 2, 'no terminal to confirm on and no --yes');
  t.equal((await list()).length, 1, 'still registered');

  const pid = supervisorState().daemons['nc-local']!.pid!;
  const removed = await cloudctl('nodes', 'remove', 'local', '--yes', '--json');
  t.equal(removed.code, 0, removed.stderr);
  const result = JSON.parse(removed.stdout) as {
    seconds: number;
    hosts: { steps: { name: string; seconds: number }[] }[];
  };
  t.comment(
    `nodes remove: ${result.seconds} s; ${result.hosts[0]?.steps.map((s) => `${s.name} ${s.seconds}`).join(', ')}`,
  );
  t.same(await list(), [], 'the cc no longer knows it');
  t.notOk(alive(pid), 'its nc was stopped');
  t.equal((result as { emptiedZone?: string }).emptiedZone, 'zone-a', 'the zone stays, without a node');
  const record = JSON.parse(readFileSync(join(home, name, 'install.json'), 'utf8')) as {
    cloud: { components: { component: string; host: string }[] };
  };
  t.notOk(
    record.cloud.components.some((entry) => entry.component === 'nc'),
    'the recorded plan no longer has nc-local',
  );
  t.notOk('nc-local' in supervisorState().daemons, "the supervisor's config no longer names it");
  t.same(
    (await list()).map((node) => node.nodeName),
    [],
    'the cc, restarted with its new config, does not bring it back',
  );
});
