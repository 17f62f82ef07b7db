import { createServer } from 'node:net';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { installedCloudAwsEnv, freePorts, processRunning } from '../helpers/daemons.js';
import { curl, projectRoot, runCli, runCommand, temporaryDir } from '../helpers/cli.js';
import { allInOneCloudYaml, allInOnePorts, installerEnv } from '../helpers/installer.js';

// `faststart install --all-in-one --config cloud.yaml` onto this machine through the LocalOperator, with the same
// steps an SSH host gets. Everything it writes on the "host" goes under a temp prefix, its data under a temp
// dataDir and its credentials under a temp MALLEE_HOME; ports are free ones, never the defaults.
t.setTimeout(15 * 60_000);

const dir = temporaryDir('install');
const name = `t${process.pid}`;
const prefix = join(dir, 'root');
const dataDir = join(dir, 'data');
const home = join(dir, 'home');
const env = installerEnv(home);

const ports = await allInOnePorts({ sc: true });
const { clc, walrus, cc, nc } = ports;
const sc = ports.sc!;
const cloudYaml = (scPort: number) => allInOneCloudYaml({ name, dataDir, ports: { ...ports, sc: scPort } });
const configFile = join(dir, 'cloud.yaml');
writeFileSync(configFile, cloudYaml(sc));

const installArgs = (...extra: string[]) => [
  'install',
  '--all-in-one',
  '--config',
  configFile,
  '--yes',
  '--no-smoke-test',
  '--prefix',
  prefix,
  ...extra,
];
const install = (...extra: string[]) => runCli('faststart', installArgs(...extra), { env });

const cloudDir = join(home, name);
const configDir = join(prefix, 'etc', 'mallee', name);
const runDir = join(prefix, 'run', 'mallee', name);
const supervisorState = () =>
  JSON.parse(readFileSync(join(runDir, 'supervisor-state.json'), 'utf8')) as {
    pid: number;
    daemons: Record<string, { pid?: number }>;
  };
const adminTls = () => ({
  ca: join(cloudDir, 'pki', 'ca.pem'),
  cert: join(cloudDir, 'pki', 'hosts', 'admin.pem'),
  key: join(cloudDir, 'pki', 'hosts', 'admin-key.pem'),
});
const healthStatus = async (port: number) =>
  (await curl(`https://127.0.0.1:${port}/healthz`, adminTls(), ['-o', '/dev/null', '-w', '%{http_code}'])).stdout;
const alive = processRunning;

type StepOutcome = { name: string; outcome: string };
const outcomes = (stdout: string) =>
  Object.fromEntries(
    (JSON.parse(stdout).hosts[0].steps as StepOutcome[]).map((step) => [step.name, step.outcome]),
  ) as Record<string, string>;

t.teardown(async () => {
  await runCli('faststart', ['uninstall', '--name', name, '--yes', '--purge'], { env });
  rmSync(dir, { recursive: true, force: true });
});

t.test('--dry-run prints every command and file and changes nothing', async (t) => {
  const dry = await install('--dry-run');
  t.equal(dry.code, 0, dry.stderr);
  t.match(dry.stdout, /precheck: would run\n\s+\$ \[ "\$\(id -u\)" = 0 \]/);
  t.match(dry.stdout, new RegExp(`file ${configDir}/clc\\.json \\(mode 0600`));
  t.match(dry.stdout, new RegExp(`file ${configDir}/tls/host-key\\.pem \\(mode 0600\\)`));
  t.match(dry.stdout, /script=\S+\/supervisor-main\.js\n[^]*setsid -f "\$node" "\$script" --config/);
  // Under a prefix the init script is written there, and not linked into this machine's runlevels.
  t.match(dry.stdout, new RegExp(`file ${prefix}/etc/init\\.d/mallee-${name} \\(mode 0755`));
  t.notMatch(dry.stdout, /update-rc\.d/);
  t.match(dry.stdout, /openssl dgst -sha256/);
  for (const path of [prefix, dataDir, home]) t.notOk(existsSync(path), `${path} was not created`);
});

t.test('an installer killed with SIGKILL mid-deploy is finished by the next run', async (t) => {
  const child = spawn(process.execPath, [join(projectRoot, 'bin', 'faststart.js'), ...installArgs()], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const killed = new Promise<string>((resolve) => {
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      // The simple renderer prints a line as each step starts: kill as the bundle is being copied in.
      if (/local: bundle/.test(output) && child.exitCode === null) child.kill('SIGKILL');
    });
    child.on('exit', (_code, signal) => resolve(signal ?? 'exited'));
  });
  t.equal(await killed, 'SIGKILL', output);
  t.notOk(existsSync(join(cloudDir, 'cloud.json')), 'no credentials yet');

  const started = Date.now();
  const again = await install('--json');
  t.equal(again.code, 0, again.stderr + again.stdout);
  t.comment(`install after the kill: ${((Date.now() - started) / 1000).toFixed(1)} s`);
  const steps = outcomes(again.stdout);
  t.same(steps.precheck, 'unchanged', 'the precheck had finished before the kill and is not redone');
  t.same([steps.bundle, steps.config, steps.start], ['changed', 'changed', 'changed']);
});

t.test('every component is healthy and the credentials work with the aws CLI', async (t) => {
  for (const port of [clc, walrus, cc, sc, nc]) t.equal(await healthStatus(port), '200', `port ${port} healthy`);
  for (const file of ['cloud.json', 'aws-config', 'eucarc']) {
    t.equal(statSync(join(cloudDir, file)).mode & 0o777, 0o600, `${file} is 0600`);
  }
  t.equal(statSync(join(configDir, 'tls', 'host-key.pem')).mode & 0o777, 0o600, 'host key is 0600 on the host');
  const cloud = JSON.parse(readFileSync(join(cloudDir, 'cloud.json'), 'utf8'));
  t.equal(cloud.endpoints.ec2, `https://127.0.0.1:${clc}`);
  const awsEnv = installedCloudAwsEnv(cloudDir, cloud.caBundle);
  const identity = await runCommand('aws', ['sts', 'get-caller-identity', '--output', 'json'], { env: awsEnv });
  t.equal(identity.code, 0, identity.stderr);
  t.equal(JSON.parse(identity.stdout).Account, '000000000000');
  const zones = await runCommand('aws', ['ec2', 'describe-availability-zones', '--output', 'json'], { env: awsEnv });
  t.equal(zones.code, 0, zones.stderr);
  t.same(
    JSON.parse(zones.stdout).AvailabilityZones.map((zone: { ZoneName: string }) => zone.ZoneName),
    ['zone-a'],
  );
});

t.test("a re-run with nothing to do changes nothing (its time is bench:install's figure)", async (t) => {
  const before = supervisorState();
  const started = Date.now();
  const again = await install('--json');
  const seconds = (Date.now() - started) / 1000;
  t.equal(again.code, 0, again.stderr);
  t.comment(`no-op re-run: ${seconds.toFixed(1)} s`);
  t.same(new Set(Object.values(outcomes(again.stdout))), new Set(['unchanged']), 'every step reported unchanged');
  t.same(supervisorState().daemons, before.daemons, 'no daemon was restarted');
});

t.test('the supervisor restarts a daemon killed with SIGKILL', async (t) => {
  const old = supervisorState().daemons['cc-zone-a']!.pid!;
  process.kill(old, 'SIGKILL');
  const deadline = Date.now() + 60_000;
  let pid: number | undefined;
  while (Date.now() < deadline) {
    pid = supervisorState().daemons['cc-zone-a']?.pid;
    if (pid && pid !== old && alive(pid) && (await healthStatus(cc)) === '200') break;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  t.not(pid, old, 'a new process');
  t.equal(await healthStatus(cc), '200', 'serves /healthz again');
});

t.test('a failing step names the host, the step, the command and its exit code', async (t) => {
  const [taken] = (await freePorts(1)) as [number];
  const listener = createServer();
  await new Promise<void>((resolve) => listener.listen(taken, '127.0.0.1', resolve));
  t.teardown(() => new Promise((resolve) => listener.close(resolve)));
  writeFileSync(configFile, cloudYaml(taken));
  const failed = await install();
  writeFileSync(configFile, cloudYaml(sc));
  t.equal(failed.code, 1);
  t.match(failed.stderr, /local: step precheck failed/);
  t.match(failed.stderr, /command: \[ "\$\(id -u\)" = 0 \]/);
  t.match(failed.stderr, /exit code: 1/);
  t.match(failed.stderr, new RegExp(`port in use: ${taken} \\(node pid ${process.pid}\\)`));
  t.match(failed.stderr, /Hint: Fix the cause and run the same command again/);
});

t.test('uninstall stops every daemon and removes all but data and credentials', async (t) => {
  const state = supervisorState();
  const result = await runCli('faststart', ['uninstall', '--name', name, '--yes', '--json'], { env });
  t.equal(result.code, 0, result.stderr);
  for (const pid of [state.pid, ...Object.values(state.daemons).map((daemon) => daemon.pid!)]) {
    t.notOk(alive(pid), `process ${pid} is gone`);
  }
  for (const path of ['opt', 'etc', 'var/log', 'run'].map((folder) => join(prefix, folder, 'mallee', name))) {
    t.notOk(existsSync(path), `${path} removed`);
  }
  t.ok(existsSync(join(dataDir, 'clc')), 'data kept');
  t.ok(existsSync(join(cloudDir, 'cloud.json')), 'credentials kept');
});
