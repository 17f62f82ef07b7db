import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { runCli, temporaryDir } from '../helpers/cli.js';
import { installerEnv } from '../helpers/installer.js';
import { startTestbed } from '../helpers/testbed.js';

// A host without systemd, after a power cycle: nothing there starts Mallee's supervisor, nor libvirtd. `cloudctl
// services start` brings the host back as the installer's start step does: libvirtd first (an nc on qemu needs it),
// then the supervisor, which runs every daemon of the host. The test-bed host has its own /run and pid namespace, so
// the libvirtd it runs is its own (no guest is booted: the nc only has to reach libvirt to be healthy).
t.setTimeout(5 * 60_000);

const bed = await startTestbed(t, { hosts: 1 });
const host = bed.hosts[0]!;
const dir = temporaryDir('services-reboot');
const name = `r${process.pid}`;
const env = installerEnv(join(dir, 'home'));
const configFile = join(dir, 'cloud.yaml');
writeFileSync(
  configFile,
  `name: ${name}
dataDir: /var/lib/mallee-test
hosts:
  - { name: ${host.name}, address: ${host.address}, ssh: { user: root, key: ${bed.clientKey} } }
zones:
  - name: zone-a
components:
  - { component: clc, host: ${host.name} }
  - { component: walrus, host: ${host.name} }
  - { component: cc, host: ${host.name}, zone: zone-a }
  - { component: nc, host: ${host.name}, zone: zone-a, hypervisor: 'qemu:///system' }
`,
);
const cloudctl = (...args: string[]) =>
  runCli('cloudctl', [...args, '--cloud', name, '--known-hosts', bed.knownHosts], { env });
const libvirtdRuns = async () => (await bed.exec(host, 'pgrep -x libvirtd')).code === 0;

interface Status {
  healthy: boolean;
  problems: string[];
  components: { name: string; state: string; process?: { pid?: number } }[];
}
const status = async () => {
  const result = await cloudctl('status', '--json');
  return { code: result.code, ...(JSON.parse(result.stdout) as Status) };
};

t.teardown(async () => {
  await runCli('faststart', ['uninstall', '--name', name, '--yes', '--purge', '--known-hosts', bed.knownHosts], {
    env,
  });
});

t.test('installed: the start step ran libvirtd on the host, every daemon is healthy', async (t) => {
  const installed = await runCli(
    'faststart',
    ['install', '--config', configFile, '--yes', '--no-smoke-test', '--known-hosts', bed.knownHosts],
    { env },
  );
  t.equal(installed.code, 0, installed.stderr + installed.stdout);
  t.match(
    installed.stdout,
    `After a reboot: on ${host.name} (no systemd: Mallee's supervisor runs the daemons) nothing starts Mallee at boot; ` +
      `\`cloudctl services start all --cloud ${name}\``,
    'the last screen says how to bring the host back after a reboot',
  );
  t.ok(await libvirtdRuns(), 'libvirtd runs on the host');
  const before = await status();
  t.equal(before.code, 0, before.problems.join('\n'));
});

t.test('after a power cycle: status says how to bring the host back', async (t) => {
  await bed.reboot(host);
  t.notOk(await libvirtdRuns(), 'libvirtd is gone with the reboot');
  const after = await status();
  t.equal(after.code, 5, 'unhealthy');
  const supervisorProblem = after.problems.find((problem) => problem.includes('supervisor is not running'));
  t.ok(supervisorProblem, after.problems.join('\n'));
  t.match(supervisorProblem, `cloudctl services start all --host ${host.name} --cloud ${name}`);
  t.ok(
    after.components.every((component) => component.state === 'down'),
    after.components.map((c) => `${c.name} ${c.state}`).join(', '),
  );
});

t.test('services start all --host: libvirtd, then the supervisor and every daemon, healthy', async (t) => {
  const started = await cloudctl('services', 'start', 'all', '--host', host.name, '--json');
  t.equal(started.code, 0, started.stderr + started.stdout);
  const changes = JSON.parse(started.stdout) as { name: string; status: { state: string } }[];
  t.same(changes.map((change) => change.name).sort(), ['cc-zone-a', 'clc', `nc-${host.name}`, 'walrus']);
  t.ok(
    changes.every((change) => change.status.state === 'healthy'),
    changes.map((c) => `${c.name} ${c.status.state}`).join(', '),
  );
  t.ok(await libvirtdRuns(), 'libvirtd runs on the host again');
  const after = await status();
  t.equal(after.code, 0, after.problems.join('\n'));
  t.ok(
    after.components.every((component) => component.state === 'healthy' && component.process?.pid),
    'every daemon healthy under the new supervisor',
  );
});
