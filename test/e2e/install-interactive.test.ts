import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { installedCloudAwsEnv } from '../helpers/daemons.js';
import { parse } from 'yaml';
import type { CloudYaml } from '../../src/config/types.js';
import { projectRoot, runCli, runCommand, temporaryDir } from '../helpers/cli.js';
import { keys, runInPty } from '../helpers/pty.js';
import { startTestbed, type TestbedHost } from '../helpers/testbed.js';

// faststart install without a cloud.yaml: servers -> discovery -> placement -> review -> cloud.yaml -> install, on
// fake servers (namespaces with their own sshd, on a /24 of this file's own). Credentials and plans go to a temp
// MALLEE_HOME; on the hosts the install uses their private /opt, /etc and /var.
const bed = await startTestbed(t, { hosts: 2 });
const [h1, h2] = bed.hosts as [TestbedHost, TestbedHost];
const work = temporaryDir('install-interactive');
const home = join(work, 'mallee-home');
const env = { MALLEE_HOME: home };
t.teardown(() => rmSync(work, { recursive: true, force: true }));

const lastOctet = (host: TestbedHost) => host.address.split('.')[3]!;
const range = `${h1.address}-${lastOctet(h2)}`;
const sshFlags = ['--ssh-key', bed.clientKey, '--known-hosts', bed.knownHosts];

/** Nothing under the install's folders on a host: the dry run and a refused plan must leave it untouched. */
/** The cloud's own folders on a host (the test-bed hosts share this machine's file system, so only these count). */
async function installedOn(host: TestbedHost, cloud: string): Promise<string> {
  const folders = ['/etc/mallee', '/opt/mallee', '/var/lib/mallee'].map((folder) => `${folder}/${cloud}`).join(' ');
  const result = await bed.exec(host, `ls -d ${folders} 2>/dev/null; true`);
  return result.stdout.trim();
}

t.test('no terminal, no --hosts: a usage error that says what to give', async (t) => {
  const result = await runCli('faststart', ['install', '--yes'], { env });
  t.equal(result.code, 2, result.stderr);
  t.match(result.stderr, /--hosts/);
});

t.test(
  '--hosts --yes --dry-run: discovery, the plan with its reasons, the per-host commands; nothing on the hosts',
  async (t) => {
    const output = join(work, 'dry-run.yaml');
    const result = await runCli(
      'faststart',
      ['install', '--hosts', range, ...sshFlags, '--name', 'dry', '--yes', '--dry-run', '--output', output],
      { env },
    );
    t.equal(result.code, 0, result.stderr);
    t.match(result.stderr, /Discovering 2 hosts/);
    t.match(result.stderr, /\[2\/2\]/);
    t.match(result.stderr, /Plan for cloud "dry": 2 hosts/);
    t.match(result.stderr, /nothing was written on the hosts/);
    for (const host of [h1, h2]) {
      t.match(
        result.stderr,
        `${host.name}: nothing on ${host.name} will start Mallee after a reboot`,
        `the plan warns that nothing restarts Mallee on ${host.name} at boot`,
      );
    }
    const plan = parse(readFileSync(output, 'utf8')) as CloudYaml;
    t.same(
      plan.hosts.map((host) => host.address),
      [h1.address, h2.address],
      'the plan names both hosts',
    );
    t.ok(
      plan.components.some((entry) => entry.component === 'clc'),
      'the plan places a clc',
    );
    t.match(result.stdout, /Dry run of cloud "dry".*nothing was changed/);
    for (const host of [h1, h2]) {
      t.match(result.stdout, `${host.name} (${host.address}`, `the dry run lists the commands for ${host.name}`);
    }
    t.match(result.stdout, /would run/);
    for (const host of [h1, h2]) t.equal(await installedOn(host, 'dry'), '', `nothing installed on ${host.name}`);
  },
);

t.test('at a terminal, abort in the review: a message, exit 0, no plan written, nothing on the hosts', async (t) => {
  const outcome = await runInPty(
    [process.execPath, join(projectRoot, 'bin', 'faststart.js'), 'install', '--name', 'aborted', ...sshFlags],
    [
      { expect: 'Servers to install on', send: `${h1.address}${keys.enter}` },
      { expect: 'SSH user on the servers:', send: keys.enter },
      { expect: 'How should the installer log in?', send: keys.enter },
      { expect: 'Path to the private key:', send: `${bed.clientKey}${keys.enter}` },
      { expect: 'What now?', send: `${keys.down.repeat(4)}${keys.enter}` },
    ],
    { cwd: projectRoot, env },
  );
  t.ok(outcome.ok, outcome.error ?? 'the prompts appeared and the program ended');
  t.equal(outcome.exitCode, 0, outcome.transcript);
  t.match(outcome.transcript, 'Aborted: nothing was written and nothing was installed.');
  t.notOk(existsSync(join(home, 'aborted')), 'no plan or credentials written');
  t.equal(await installedOn(h1, 'aborted'), '', 'nothing installed on h1');
});

t.test('a plan with an error problem is refused, naming the host and its fix', async (t) => {
  const output = join(work, 'refused.yaml');
  const result = await runCli(
    'faststart',
    ['install', '--hosts', `${h1.address},${bed.unusedAddress}`, ...sshFlags, '--yes', '--output', output],
    { env },
  );
  t.equal(result.code, 3, result.stderr);
  t.match(result.stderr, /nothing was installed/);
  t.match(result.stderr, /h2: /, 'the unreachable host is named');
  t.match(result.stderr, /fix: /, 'with its fix');
  t.notOk(existsSync(output), 'no plan written');
  t.equal(await installedOn(h1, 'mallee'), '', 'nothing installed on the reachable host');
});

t.test(
  'at a terminal: servers, user and key typed at the prompts, a zone renamed in the review, then installed',
  async (t) => {
    const name = 'asked';
    const started = Date.now();
    const outcome = await runInPty(
      [
        process.execPath,
        join(projectRoot, 'bin', 'faststart.js'),
        'install',
        '--name',
        name,
        '--hypervisor',
        'test',
        '--known-hosts',
        bed.knownHosts,
        '--no-smoke-test',
      ],
      [
        { expect: 'Servers to install on', send: `${range}${keys.enter}` },
        { expect: 'SSH user on the servers:', send: keys.enter },
        { expect: 'How should the installer log in?', send: keys.enter },
        { expect: 'Path to the private key:', send: `${bed.clientKey}${keys.enter}` },
        { expect: 'What now?', send: `${keys.down.repeat(3)}${keys.enter}` },
        { expect: 'Rename which zone?', send: keys.enter },
        { expect: 'New name for zone-a:', send: `zone-west${keys.enter}` },
        { expect: 'zone-west', send: '' },
        { expect: 'What now?', send: keys.enter },
      ],
      { cwd: projectRoot, env, stepTimeoutMs: 60_000, exitTimeoutMs: 300_000 },
    );
    t.comment(`interactive plan + install of 2 hosts: ${((Date.now() - started) / 1000).toFixed(1)} s`);
    t.ok(outcome.ok, outcome.error ?? 'every prompt appeared and the install ended');
    t.equal(outcome.exitCode, 0, outcome.transcript.slice(-3000));
    const planFile = join(home, name, 'cloud.yaml');
    t.match(outcome.transcript, `faststart install --config ${planFile} --yes`, 'says how to replay the plan');
    const plan = parse(readFileSync(planFile, 'utf8')) as CloudYaml;
    t.same(
      plan.zones.map((zone) => zone.name),
      ['zone-west'],
      'the renamed zone is in cloud.yaml',
    );
    const validate = await runCli('faststart', ['validate', planFile]);
    t.equal(validate.code, 0, validate.stdout + validate.stderr);

    const cloudDir = join(home, name);
    const cloud = JSON.parse(readFileSync(join(cloudDir, 'cloud.json'), 'utf8')) as { caBundle: string };
    const awsEnv = installedCloudAwsEnv(cloudDir, cloud.caBundle);
    const zones = await runCommand('aws', ['ec2', 'describe-availability-zones', '--output', 'json'], { env: awsEnv });
    t.equal(zones.code, 0, zones.stderr);
    t.same(
      (JSON.parse(zones.stdout) as { AvailabilityZones: { ZoneName: string }[] }).AvailabilityZones.map(
        (zone) => zone.ZoneName,
      ),
      ['zone-west'],
      'the cloud answers with the renamed zone',
    );
  },
);
