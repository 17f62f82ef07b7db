import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { runCli, runCommand, temporaryDir } from '../helpers/cli.js';
import { installerEnv } from '../helpers/installer.js';
import { startTestbed } from '../helpers/testbed.js';

// Hosts without systemd, after a power cycle: nothing there starts Mallee's supervisor, nor libvirtd. `cloudctl
// services start all` brings them back as the installer's start step does: libvirtd first (an nc on qemu needs it),
// then the supervisor, which runs every daemon of its host. h1 (walrus, the zone's cc and an nc on qemu) is listed
// before h2 (the clc): walrus is healthy only once the clc answers, so the hosts must all be started before any
// daemon is waited for. Each test-bed host has its own /run and pid namespace, so the libvirtd it runs is its own (no
// guest is booted: the nc only has to reach libvirt to be healthy).
t.setTimeout(6 * 60_000);

const bed = await startTestbed(t, { hosts: 2 });
const [h1, h2] = bed.hosts as [(typeof bed.hosts)[0], (typeof bed.hosts)[0]];
const dir = temporaryDir('services-reboot');
const name = `r${process.pid}`;
const env = installerEnv(join(dir, 'home'));
const configFile = join(dir, 'cloud.yaml');
const hostLine = (host: typeof h1) =>
  `  - { name: ${host.name}, address: ${host.address}, ssh: { user: root, key: ${bed.clientKey} } }`;
writeFileSync(
  configFile,
  [
    `name: ${name}`,
    'dataDir: /var/lib/mallee-test',
    'hosts:',
    hostLine(h1),
    hostLine(h2),
    'zones: [{ name: zone-a }]',
    'components:',
    `  - { component: walrus, host: ${h1.name} }`,
    `  - { component: cc, host: ${h1.name}, zone: zone-a }`,
    `  - { component: nc, host: ${h1.name}, zone: zone-a, hypervisor: 'qemu:///system' }`,
    `  - { component: clc, host: ${h2.name} }`,
    '',
  ].join('\n'),
);
const everyDaemon = ['cc-zone-a', 'clc', `nc-${h1.name}`, 'walrus'];
const cloudctl = (...args: string[]) =>
  runCli('cloudctl', [...args, '--cloud', name, '--known-hosts', bed.knownHosts], { env });
const initScript = `/etc/init.d/mallee-${name}`;
const libvirtdRuns = async () => (await bed.exec(h1, 'pgrep -x libvirtd')).code === 0;

interface Status {
  healthy: boolean;
  hosts: { name: string; starter?: string; startsAtBoot?: boolean }[];
  problems: string[];
  components: { name: string; state: string; process?: { pid?: number } }[];
}
const status = async () => {
  const result = await cloudctl('status', '--json');
  return { code: result.code, ...(JSON.parse(result.stdout) as Status) };
};
interface Change {
  name: string;
  host: string;
  status: { state: string };
}

t.teardown(async () => {
  await runCli('faststart', ['uninstall', '--name', name, '--yes', '--purge', '--known-hosts', bed.knownHosts], {
    env,
  });
});

t.test('installed: the start step ran libvirtd on h1, every daemon is healthy', async (t) => {
  const installed = await runCli(
    'faststart',
    ['install', '--config', configFile, '--yes', '--no-smoke-test', '--known-hosts', bed.knownHosts],
    { env },
  );
  t.equal(installed.code, 0, installed.stderr + installed.stdout);
  t.match(
    installed.stdout,
    `After a reboot: on ${h1.name}, ${h2.name} (neither systemd nor sysvinit is PID 1) nothing starts Mallee at ` +
      `boot; \`cloudctl services start all --cloud ${name}\` (or \`service mallee-${name} start\` there)`,
    'the last screen says how the hosts come back after a reboot',
  );
  t.ok(await libvirtdRuns(), 'libvirtd runs on h1');
  for (const host of [h1, h2]) {
    const installedScript = await bed.exec(
      host,
      `test -x ${initScript} && ls /etc/rc2.d/S??mallee-${name} /etc/rc6.d/K??mallee-${name} && ${initScript} status`,
    );
    t.equal(
      installedScript.code,
      0,
      `${host.name}: the init script is in place, linked into the runlevels, and says the supervisor runs: ${installedScript.stderr}`,
    );
    t.match(installedScript.stdout, `mallee-${name}: the supervisor is running (pid `);
  }
  const before = await status();
  t.equal(before.code, 0, before.problems.join('\n'));
  t.same(
    before.hosts.map((host) => [host.name, host.starter, host.startsAtBoot]),
    [
      [h1.name, 'supervisor', false],
      [h2.name, 'supervisor', false],
    ],
    "status: the supervisor runs the daemons, and nothing starts it at boot (each host's PID 1 is its sshd)",
  );
  const table = await cloudctl('status');
  t.match(
    table.stdout,
    new RegExp(`${h1.name}\\s+${h1.address.replace(/\./g, '\\.')}\\s+yes\\s+supervisor\\s+nothing starts it`),
  );
});

t.test('after a power cycle: status says how to bring each host back', async (t) => {
  await Promise.all([bed.reboot(h1), bed.reboot(h2)]);
  t.notOk(await libvirtdRuns(), 'libvirtd is gone with the reboot');
  const after = await status();
  t.equal(after.code, 5, 'unhealthy');
  for (const host of [h1, h2]) {
    const problem = after.problems.find((line) => line.startsWith(`host ${host.name}: the supervisor is not running`));
    t.ok(problem, after.problems.join('\n'));
    t.match(problem, `cloudctl services start all --host ${host.name} --cloud ${name}`);
  }
  t.ok(
    after.components.every((component) => component.state === 'down'),
    after.components.map((c) => `${c.name} ${c.state}`).join(', '),
  );
});

t.test('services start all: libvirtd, then each supervisor and every daemon, healthy', async (t) => {
  const started = await cloudctl('services', 'start', 'all', '--json');
  t.equal(started.code, 0, started.stderr + started.stdout);
  const changes = JSON.parse(started.stdout) as Change[];
  t.same(changes.map((change) => change.name).sort(), everyDaemon);
  t.ok(
    changes.every((change) => change.status.state === 'healthy'),
    changes.map((c) => `${c.name} ${c.status.state}`).join(', '),
  );
  t.ok(await libvirtdRuns(), 'libvirtd runs on h1 again');
  const after = await status();
  t.equal(after.code, 0, after.problems.join('\n'));
  t.ok(
    after.components.every((component) => component.state === 'healthy' && component.process?.pid),
    'every daemon healthy under the new supervisors',
  );
});

t.test('a host that cannot be reached holds up nobody else, and is named', async (t) => {
  // h1 loses its link; h2 (the clc) is power-cycled, so its daemon needs starting.
  const veth = `${bed.bridge}v1`;
  await runCommand('ip', ['link', 'set', veth, 'down']);
  t.teardown(() => runCommand('ip', ['link', 'set', veth, 'up']).then(() => undefined));
  await bed.reboot(h2);
  const started = await cloudctl('services', 'start', 'all', '--json');
  t.equal(started.code, 1, 'fails: one host could not be reached');
  const { error } = JSON.parse(started.stdout) as {
    error: { code: string; message: string; details: { changes: Change[] } };
  };
  t.equal(error.code, 'failure');
  t.match(error.message, new RegExp(`^${h1.name}: `), 'names the host first');
  t.same(
    error.details.changes.map((change) => [change.name, change.status.state]),
    [['clc', 'healthy']],
    'the clc on h2 was started all the same',
  );

  await runCommand('ip', ['link', 'set', veth, 'up']);
  const again = await cloudctl('services', 'start', 'all', '--json');
  t.equal(again.code, 0, again.stderr + again.stdout);
  const after = await status();
  t.equal(after.code, 0, after.problems.join('\n'));
});

/** Polls `cloudctl status` (a condition, with a deadline) until every daemon answers healthy. */
async function healthyWithin(ms: number): Promise<Awaited<ReturnType<typeof status>>> {
  const deadline = Date.now() + ms;
  for (;;) {
    const current = await status();
    if (current.code === 0 || Date.now() > deadline) return current;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

// A test-bed host's PID 1 is its sshd, so the installer rightly reports that nothing starts Mallee there at boot; here
// the bed boots the hosts as a sysvinit server would, running the start scripts linked into runlevel 2.
t.test(
  'a sysvinit boot: the init script brings libvirtd, the supervisor and every daemon back, no command',
  async (t) => {
    const booted = await Promise.all([bed.reboot(h1, { bootScripts: true }), bed.reboot(h2, { bootScripts: true })]);
    for (const boot of booted) t.equal(boot?.code, 0, `${boot?.stdout}${boot?.stderr}`);
    t.ok(await libvirtdRuns(), 'libvirtd runs on h1 again, started by the init script');
    const after = await healthyWithin(60_000);
    t.equal(after.code, 0, after.problems.join('\n'));
    t.ok(
      after.components.every((component) => component.state === 'healthy' && component.process?.pid),
      after.components.map((c) => `${c.name} ${c.state}`).join(', '),
    );
  },
);

t.test('the init script: stop stops the supervisor and its daemons, start brings them back', async (t) => {
  const stopped = await bed.exec(h2, `${initScript} stop && ${initScript} status`);
  t.equal(stopped.code, 3, `LSB status: not running (${stopped.stdout}${stopped.stderr})`);
  t.match(stopped.stdout, `mallee-${name}: not running`);
  const down = await status();
  t.match(
    down.components.find((component) => component.name === 'clc'),
    { state: 'down' },
    'the clc on h2 stopped with its supervisor',
  );
  const started = await bed.exec(h2, `${initScript} start`);
  t.equal(started.code, 0, started.stderr);
  const after = await healthyWithin(60_000);
  t.equal(after.code, 0, after.problems.join('\n'));
});

t.test('faststart uninstall removes the init script and its runlevel links', async (t) => {
  const removed = await runCli(
    'faststart',
    ['uninstall', '--name', name, '--yes', '--purge', '--known-hosts', bed.knownHosts],
    {
      env,
    },
  );
  t.equal(removed.code, 0, removed.stderr + removed.stdout);
  for (const host of [h1, h2]) {
    const left = await bed.exec(
      host,
      `ls ${initScript} /etc/rc*.d/*mallee-${name} 2>/dev/null; pgrep -f "[/]etc/mallee/${name}/"`,
    );
    t.equal(left.stdout, '', `${host.name}: nothing of the cloud is left`);
  }
});
