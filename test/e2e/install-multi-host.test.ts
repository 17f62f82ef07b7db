import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { installedCloudAwsEnv } from '../helpers/daemons.js';
import { runCli, runCliWatching, runCommand, temporaryDir } from '../helpers/cli.js';
import { startTestbed, type TestbedHost } from '../helpers/testbed.js';
import { installerEnv } from '../helpers/installer.js';
import { callPeer } from '../../src/runtime/peer-client.js';

// `faststart install --config cloud.yaml` onto three test-bed hosts over real SSH: clc+walrus on h1, a zone's cc+sc
// on h2, its nc on h3 (reached as a non-root user with sudo). The nc uses libvirt's test:///default (real qemu guests
// per host need each host's own libvirtd; the boot path for those is covered by the instance-boot tests) so the suite
// stays within its budget.
t.setTimeout(15 * 60_000);

const bed = await startTestbed(t, { hosts: 3 });
const [h1, h2, h3] = bed.hosts as [(typeof bed.hosts)[0], (typeof bed.hosts)[0], (typeof bed.hosts)[0]];
const dir = temporaryDir('install-multi');
const name = `m${process.pid}`;
const home = join(dir, 'home');
const env = installerEnv(home);
// h3 is reached as a user with passwordless sudo, as many servers are: every step there goes through `sudo -n`.
const sudoUser = 'deploy';
const madeUser = await bed.exec(
  h3,
  [
    'set -e',
    // A uid of its own: /tmp is shared with other test beds (ssh-discovery's users count their staging files there).
    `useradd -M -u 47200 -d /opt/home/${sudoUser} -s /bin/sh ${sudoUser}`,
    `usermod -p "*" ${sudoUser}`,
    `mkdir -p /opt/home/${sudoUser}`,
    `echo '${sudoUser} ALL=(ALL) NOPASSWD: ALL' > /etc/sudoers.d/${sudoUser}`,
    `chmod 440 /etc/sudoers.d/${sudoUser}`,
  ].join('\n'),
);
if (madeUser.code !== 0) throw new Error(`could not add ${sudoUser} on h3: ${madeUser.stderr}`);
const hostEntry = (host: { name: string; address: string }) => {
  const ssh = host === h3 ? `      user: ${sudoUser}\n      sudo: true\n` : '      user: root\n';
  return `  - name: ${host.name}\n    address: ${host.address}\n    ssh:\n${ssh}      key: ${bed.clientKey}\n`;
};
const configFile = join(dir, 'cloud.yaml');
writeFileSync(
  configFile,
  `name: ${name}
dataDir: /var/lib/mallee-test
hosts:
${[h1, h2, h3].map(hostEntry).join('')}zones:
  - name: zone-a
components:
  - { component: clc, host: h1 }
  - { component: walrus, host: h1 }
  - { component: cc, host: h2, zone: zone-a }
  - { component: sc, host: h2, zone: zone-a }
  - { component: nc, host: h3, zone: zone-a, hypervisor: 'test:///default' }
`,
);

const installArgs = (...extra: string[]) => [
  'install',
  '--config',
  configFile,
  '--yes',
  '--no-smoke-test',
  '--known-hosts',
  bed.knownHosts,
  '--ssh-key',
  bed.clientKey,
  ...extra,
];
const install = (...extra: string[]) => runCli('faststart', installArgs(...extra), { env });

/**
 * Starts the installer and calls `onOutput` with its output so far as each chunk arrives (with ways to SIGKILL it and
 * to press Ctrl-C, i.e. send SIGINT); resolves on exit.
 */
function installWatching(onOutput: (output: string, kill: () => void, interrupt: () => void) => void) {
  return runCliWatching('faststart', installArgs(), { env }, ({ stdout, kill, interrupt }) =>
    onOutput(stdout, kill, interrupt),
  ).then(({ stdout, stderr, code, signal }) => ({ output: stdout, errors: stderr, code, signal }));
}

type StepOutcome = { name: string; outcome: string };
const outcomesByHost = (stdout: string) =>
  Object.fromEntries(
    (JSON.parse(stdout).hosts as { name: string; steps: StepOutcome[] }[]).map((host) => [
      host.name,
      Object.fromEntries(host.steps.map((step) => [step.name, step.outcome])),
    ]),
  ) as Record<string, Record<string, string>>;

/** The pid of each daemon a host's supervisor runs, as its state file says. */
async function daemonPids(host: TestbedHost): Promise<Record<string, number | undefined>> {
  const state = await bed.exec(host, `cat /run/mallee/${name}/supervisor-state.json`);
  const { daemons } = JSON.parse(state.stdout) as { daemons: Record<string, { pid?: number }> };
  return Object.fromEntries(Object.entries(daemons).map(([daemon, entry]) => [daemon, entry.pid]));
}

/** A host's identity as the cloud's PKI holds it now (read afresh: a re-run may have issued a new certificate). */
function hostIdentity(hostName: string) {
  const pkiDir = join(home, name, 'pki');
  return {
    ca: readFileSync(join(pkiDir, 'ca.pem')),
    cert: readFileSync(join(pkiDir, `hosts/${hostName}.pem`)),
    key: readFileSync(join(pkiDir, `hosts/${hostName}-key.pem`)),
  };
}

/** The status of a daemon's /healthz, asked over mTLS with h1's host certificate (any cloud peer may ask). */
async function healthzStatus(url: string): Promise<number> {
  return (await callPeer(`${url}/healthz`, hostIdentity('h1'))).status;
}

t.teardown(async () => {
  await runCli('faststart', ['uninstall', '--name', name, '--yes', '--purge', '--known-hosts', bed.knownHosts], {
    env,
  });
});

t.test('--dry-run changes nothing on the hosts', async (t) => {
  const dry = await install('--dry-run');
  t.equal(dry.code, 0, dry.stderr);
  t.match(dry.stdout, /precheck: would run/);
  for (const host of [h1, h2, h3]) {
    // The cloud's own folders: test-bed hosts see this machine's /etc, where another cloud may be installed.
    const folders = `/opt/mallee/${name} /etc/mallee/${name} /var/lib/mallee-test`;
    const look = await bed.exec(host, `ls -d ${folders} 2>/dev/null; true`);
    t.equal(look.stdout.trim(), '', `${host.name}: the cloud's folders and the data dir are absent`);
  }
  t.notOk(existsSync(join(home, name, 'cloud.json')), 'no credentials written');
});

t.test('Ctrl-C mid-deploy stops every host, says where each one stopped and exits 130', async (t) => {
  let sent = false;
  const stopped = await installWatching((output, _kill, interrupt) => {
    // In the middle of a copy of the release (35 MB): the copy must not be left half-written.
    if (!sent && /copying the bundle/.test(output)) {
      sent = true;
      interrupt();
    }
  });
  t.ok(sent, stopped.output);
  t.equal(stopped.code, 130, 'the exit code of a command stopped by Ctrl-C');
  t.match(stopped.errors, /SIGINT: stopping; no step starts now/, 'the first Ctrl-C is acknowledged');
  t.match(stopped.errors, /Interrupted by SIGINT\. What finished is recorded in each host's journal:/);
  t.match(stopped.errors, /h\d: stopped at step bundle \(done: precheck, packages\)/, 'a host stopped in its copy');
  for (const host of [h1, h2, h3]) t.match(stopped.errors, new RegExp(`  ${host.name}: stopped at step \\w+`));
  t.match(stopped.errors, /Hint: Run the same command again/);
  t.notOk(existsSync(join(home, name, 'cloud.json')), 'no credentials yet');
});

t.test('an installer killed with SIGKILL mid-deploy is finished by the next run', async (t) => {
  const killed = await installWatching((output, kill) => {
    if (/h2: bundle/.test(output)) kill();
  });
  t.equal(killed.signal, 'SIGKILL', killed.output + killed.errors);
  t.notOk(existsSync(join(home, name, 'cloud.json')), 'no credentials yet');

  // What a copy cut off mid-way leaves (the operator writes under a hidden temp name first), should one have been.
  const releases = `/opt/mallee/${name}/releases`;
  await bed.exec(h2, `mkdir -p ${releases} && head -c 4096 /dev/zero > ${releases}/.0.cut.bundle.mallee-0.tmp`);
  // This run also boots the first instance (the smoke test), which registers the image used below.
  const again = await runCli(
    'faststart',
    installArgs().filter((arg) => arg !== '--no-smoke-test'),
    { env },
  );
  t.equal(again.code, 0, again.stderr + again.stdout);
  t.match(again.stdout, /h2: bundle changed/, 'quiet line-per-step output names host and step');
  // Every step the killed run reported finished (or found done by the interrupted run before it) is skipped now;
  // which ones depends on how far each host got.
  const finished = [...killed.output.matchAll(/(?:✔|SKIPPED:) (h\d: \w+) (?:changed|unchanged)/g)].map(
    (match) => match[1]!,
  );
  t.ok(finished.length > 0, `steps finished before the kill: ${finished.join(', ')}`);
  for (const step of finished) t.match(again.stdout, `${step} unchanged`, `${step} is not redone`);
  t.match(again.stdout, /5 daemons on 3 hosts/);
  // The interrupted runs left copies and unpackings behind; the release is all that stays.
  for (const host of [h1, h2, h3]) {
    const look = await bed.exec(
      host,
      `basename $(readlink /opt/mallee/${name}/current); ls -A /opt/mallee/${name}/releases`,
    );
    const [current, ...releases] = look.stdout.split('\n').filter(Boolean);
    t.same(releases, [current], `${host.name}: only the release is in releases/, no partial copy`);
  }
});

t.test('every component is up and registered, and an instance runs', async (t) => {
  const cloudDir = join(home, name);
  const cloud = JSON.parse(readFileSync(join(cloudDir, 'cloud.json'), 'utf8'));
  t.equal(new URL(cloud.endpoints.ec2).hostname, h1.address, 'the clc answers on h1');
  const awsEnv = installedCloudAwsEnv(cloudDir, cloud.caBundle);
  const aws = (...args: string[]) => runCommand('aws', [...args, '--output', 'json'], { env: awsEnv });
  const zones = await aws('ec2', 'describe-availability-zones', '--zone-names', 'verbose');
  t.equal(zones.code, 0, zones.stderr);
  t.match(zones.stdout, /zone-a/, 'the zone is listed');
  t.match(zones.stdout, /"ZoneName": "\|- m1\.small",\s+"State": "0*[1-9]\d* \/ /, 'verbose shows free capacity');

  // cloudctl reaches the hosts with the known_hosts file the install recorded, with no SSH flags of its own.
  const status = await runCli('cloudctl', ['status', '--cloud', name, '--json'], { env });
  t.equal(status.code, 0, `cloudctl status says healthy: ${status.stdout.slice(0, 2000)} ${status.stderr}`);
  const reachable = (JSON.parse(status.stdout) as { hosts: { name: string; reachable: boolean }[] }).hosts;
  t.same(
    reachable.map((host) => [host.name, host.reachable]),
    [
      ['h1', true],
      ['h2', true],
      ['h3', true],
    ],
    'every host reached over SSH',
  );
  const owners = await bed.exec(h3, `stat -c '%U %a' /etc/mallee/${name} /opt/mallee/${name}`);
  t.equal(owners.stdout, 'root 700\nroot 755\n', "h3's files, written through deploy's sudo, belong to root");

  const images = await aws('ec2', 'describe-images', '--filters', 'Name=name,Values=mallee-smoke-test');
  t.equal(images.code, 0, images.stderr);
  const imageId = JSON.parse(images.stdout).Images[0]?.ImageId as string;
  t.ok(imageId, 'an image is registered');
  const run = await aws('ec2', 'run-instances', '--image-id', imageId, '--instance-type', 'm1.small', '--count', '1');
  t.equal(run.code, 0, run.stderr);
  const instanceId = JSON.parse(run.stdout).Instances[0].InstanceId as string;
  const deadline = Date.now() + 120_000;
  let state = '';
  while (Date.now() < deadline) {
    const described = await aws('ec2', 'describe-instances', '--instance-ids', instanceId);
    state = JSON.parse(described.stdout).Reservations[0]?.Instances[0]?.State?.Name ?? '';
    if (state === 'running') break;
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
  t.equal(state, 'running', `${instanceId} reached running`);
  await aws('ec2', 'terminate-instances', '--instance-ids', instanceId);
});

t.test("a re-run with nothing to do changes nothing (its time is bench:install's figure)", async (t) => {
  // What a re-run that did something would leave behind on a host: a rewritten journal, another release, a
  // restarted daemon (a new pid).
  const footprint = () =>
    Promise.all(
      bed.hosts.map(async (host) => {
        const read = async (command: string) => (await bed.exec(host, command)).stdout;
        const journal = await read(`cat /etc/mallee/${name}/.journal.json`);
        const release = await read(`readlink /opt/mallee/${name}/current`);
        const state = await read(`cat /run/mallee/${name}/supervisor-state.json`);
        const { pid, daemons } = JSON.parse(state) as { pid: number; daemons: Record<string, { pid?: number }> };
        const pids = Object.fromEntries(Object.entries(daemons).map(([daemon, entry]) => [daemon, entry.pid]));
        return { host: host.name, journal, release, supervisor: pid, pids };
      }),
    );
  const before = await footprint();
  const started = Date.now();
  const again = await install('--json');
  const seconds = (Date.now() - started) / 1000;
  t.equal(again.code, 0, again.stderr);
  const { phases, hosts } = JSON.parse(again.stdout) as {
    phases: { name: string; seconds: number }[];
    hosts: { name: string; steps: { name: string; seconds: number }[] }[];
  };
  const timed = (parts: { name: string; seconds: number }[]) =>
    parts.map((part) => `${part.name} ${part.seconds.toFixed(2)}`).join(', ');
  t.comment(`no-op re-run onto 3 hosts: ${seconds.toFixed(1)} s (${timed(phases)})`);
  for (const host of hosts) t.comment(`  ${host.name}: ${timed(host.steps)}`);
  const byHost = outcomesByHost(again.stdout);
  for (const [host, steps] of Object.entries(byHost)) {
    t.same(new Set(Object.values(steps)), new Set(['unchanged']), `${host}: every step unchanged`);
  }
  t.same(await footprint(), before, 'same journals, releases, supervisor and daemon pids on every host');
});

t.test('a host unreachable mid-deploy is named with its step; a re-run after restoring it finishes', async (t) => {
  // Make the next run redo h3's config step, then cut h3's link once its step line appears.
  await bed.exec(h3, `rm -rf /etc/mallee`);
  const veth = `${bed.bridge}v3`;
  let cut = false;
  const failed = await installWatching((output) => {
    if (!cut && /h3: (config|bundle|packages)/.test(output)) {
      cut = true;
      void runCommand('ip', ['link', 'set', veth, 'down']);
    }
  });
  await runCommand('ip', ['link', 'set', veth, 'up']);
  t.ok(cut, failed.output);
  t.not(failed.code, 0, 'the install fails');
  t.match(failed.errors, /h3/, 'the message names the host');
  t.match(failed.errors, /step (packages|bundle|config|certificates|start|health)/, 'and the step');
  t.comment(failed.errors.slice(0, 1200));
  const again = await install();
  t.equal(again.code, 0, again.stderr + again.stdout);
});

t.test('a host rebooted mid-deploy is named; a re-run brings its daemons back and finishes', async (t) => {
  // Make the next run redo h2's config (and so restart its daemons), then power-cycle h2 once its step line appears:
  // its supervisor and daemons die, /run starts empty, the disks keep the release and the journal.
  await bed.exec(h2, `rm -rf /etc/mallee/${name}/cc-zone-a.json`);
  let rebooting: Promise<unknown> | undefined;
  const failed = await installWatching((output) => {
    if (!rebooting && /h2: (config|certificates|start)/.test(output)) rebooting = bed.reboot(h2);
  });
  t.ok(rebooting, failed.output);
  await rebooting;
  t.not(failed.code, 0, 'the install fails');
  t.match(failed.errors, /h2: step (config|certificates|start|health) failed/, 'the message names the host and step');
  t.comment(failed.errors.slice(0, 800));
  // The bracket keeps pgrep from finding this very shell, whose command line holds the pattern.
  const down = await bed.exec(h2, `ls /run/mallee/${name} 2>&1; pgrep -f 'dist/[s]ervices/' || echo none`);
  t.match(down.stdout, /No such file or directory[\s\S]*none/, 'after the reboot nothing of the cloud runs on h2');

  const again = await install('--json');
  t.equal(again.code, 0, again.stderr + again.stdout);
  const h2Steps = outcomesByHost(again.stdout).h2!;
  t.equal(h2Steps.start, 'changed', 'h2: the supervisor and its daemons are started again');
  t.same(
    Object.keys(await daemonPids(h2)).sort(),
    ['cc-zone-a', 'sc-zone-a'],
    'both daemons of h2 run under its supervisor',
  );
  // Whether the health step had to wait for them (outcome changed) or found them answering at once (unchanged)
  // depends on how fast they start: what matters is that they answer.
  for (const port of [8774, 8777]) {
    t.equal(await healthzStatus(`https://${h2.address}:${port}`), 200, `h2: the daemon at :${port} answers /healthz`);
  }
});

t.test("certs revoke h3, then a re-run: daemons refuse h3's old certificate and take its new one", async (t) => {
  const old = hostIdentity('h3');
  const ccPeer = `https://${h2.address}:8774/internal/peer`;
  t.equal((await callPeer(ccPeer, old)).status, 200, 'before: the cc on h2 takes h3 as a peer');

  const pidsBefore = await Promise.all(bed.hosts.map(daemonPids));
  const revoked = await runCli('cloudctl', ['certs', 'revoke', 'h3', '--yes', '--cloud', name], { env });
  t.equal(revoked.code, 0, revoked.stderr);
  const again = await install('--json');
  t.equal(again.code, 0, again.stderr + again.stdout);
  const steps = outcomesByHost(again.stdout);
  const pidsAfter = await Promise.all(bed.hosts.map(daemonPids));
  for (const [index, host] of bed.hosts.entries()) {
    t.equal(
      steps[host.name]!.certificates,
      'changed',
      `${host.name}: the new revocation list (and h3 its new certificate)`,
    );
    t.equal(steps[host.name]!.start, 'changed', `${host.name}: its daemons restarted on them`);
    const before = pidsBefore[index]!;
    const restarted = Object.keys(before).filter((daemon) => pidsAfter[index]![daemon] !== before[daemon]);
    t.same(restarted, Object.keys(before), `${host.name}: every daemon is a new process`);
  }
  const refused = await callPeer(ccPeer, old);
  t.equal(refused.status, 403, "the cc refuses h3's old certificate");
  t.match(JSON.parse(refused.body).message, /revoked.*CERT_REVOKED/);
  t.equal((await callPeer(ccPeer, hostIdentity('h3'))).status, 200, "and takes h3's new one");
});

t.test('a changed host key is refused', async (t) => {
  await bed.regenerateHostKey(h2);
  const refused = await install();
  t.not(refused.code, 0);
  t.match(refused.stderr, `The host key of ${h2.address} has CHANGED`, 'the message says the key changed');
  t.match(refused.stderr, /h2: step precheck failed/, 'and names the host');
  t.comment(refused.stderr.slice(0, 800));
});

t.test(
  "uninstall --purge removes the cloud from every host, reaching them with the install's SSH settings",
  async (t) => {
    // h2's key changed above: forget it, and let uninstall record the new one (never done for a changed key).
    const forgotten = await runCommand('ssh-keygen', ['-f', bed.knownHosts, '-R', h2.address]);
    t.equal(forgotten.code, 0, forgotten.stderr);
    const removed = await runCli(
      'faststart',
      ['uninstall', '--name', name, '--yes', '--purge', '--known-hosts', bed.knownHosts, '--accept-new-host-keys'],
      { env },
    );
    t.equal(removed.code, 0, removed.stderr);
    for (const host of [h1, h2, h3]) {
      t.match(removed.stdout, `${host.name}: removed`, `${host.name} named`);
      // The data dir itself may be shared with other clouds: purge empties it of this cloud's daemons' data.
      const look = await bed.exec(
        host,
        `ls -d /opt/mallee/${name} /etc/mallee/${name} 2>/dev/null; ls -A /var/lib/mallee-test`,
      );
      t.equal(look.stdout.trim(), '', `${host.name}: nothing of the cloud is left`);
    }
    t.notOk(existsSync(join(home, name)), 'its credentials are gone');
  },
);
