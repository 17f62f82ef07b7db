import { spawn, execFileSync } from 'node:child_process';
import { chmodSync, closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import type { Test } from 'tap';
import type { HostConfig } from '../../src/config/types.js';
import { runCommand, temporaryDir, type CommandResult } from './cli.js';

/**
 * Fake servers for installer tests (see TESTBED.md): each host is a network namespace on a bridge of its own, with
 * its own sshd (key login as root, SFTP), hostname, pid space, /opt, /root, /run and copy-on-write /etc and /var, so
 * what a test does on a host never touches this machine's files. Needs root, `iproute2`, `openssh-server`.
 */

export interface TestbedHost {
  /** `h1`, `h2`, ...: the name in a cloud.yaml. */
  name: string;
  /** The hostname inside: `mallee-h1`, ... */
  hostname: string;
  namespace: string;
  address: string;
  /** The host's private folders, its sshd_config and host key. */
  dir: string;
}

export interface Testbed {
  dir: string;
  bridge: string;
  /** `10.251.x.0/24` */
  subnet: string;
  gateway: string;
  /** Private key root (and any user) logs in with. */
  clientKey: string;
  /** known_hosts holding every host's key. */
  knownHosts: string;
  hosts: TestbedHost[];
  /** An address in the subnet nobody answers at. */
  unusedAddress: string;
  hostConfig(host: TestbedHost, ssh?: Partial<HostConfig['ssh']>): HostConfig;
  /** Runs a shell script as root inside the host (its mount, uts, pid and network namespaces). */
  exec(host: TestbedHost, script: string): Promise<CommandResult>;
  /** Stops the host's sshd, gives it a new host key, starts it again: what a reinstalled server looks like. */
  regenerateHostKey(host: TestbedHost): Promise<void>;
  /**
   * What a power cycle does to the host: every process in it is killed, /run (a tmpfs) starts empty, the disks (/opt,
   * /etc, /var) keep what was written; its sshd (the only thing a host without systemd starts at boot) comes back with
   * the same key. With `bootScripts`, the host boots as a sysvinit server does: once its sshd answers, the start
   * scripts of runlevel 2 run in order (`/etc/rc2.d/S*` with `start`, as Debian's /etc/init.d/rc does), those the
   * host's own software linked there (in its /etc's upper layer; this machine's, which every host sees, are not run:
   * the bed starts each host's sshd itself). Their output is returned.
   */
  reboot(host: TestbedHost, options?: { bootScripts?: boolean }): Promise<CommandResult | undefined>;
  down(): void;
}

export interface TestbedOptions {
  hosts: number;
  /** Bridge name (at most 10 characters: namespaces and veths are named after it). Default from the pid. */
  bridge?: string;
  /** The first three octets of a /24 of the bed's own, e.g. `10.251.61`. Default: a free one under 10.251. */
  subnet?: string;
}

const startDeadlineMs = 10_000;

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function run(file: string, args: string[]): void {
  execFileSync(file, args, { stdio: ['ignore', 'ignore', 'pipe'] });
}

function sshdConfig(host: TestbedHost): string {
  return [
    `ListenAddress ${host.address}`,
    `HostKey ${host.dir}/ssh_host_ed25519_key`,
    'PidFile /run/sshd.pid',
    `AuthorizedKeysFile ${host.dir}/authorized_keys`,
    'PermitRootLogin prohibit-password',
    'PasswordAuthentication no',
    'KbdInteractiveAuthentication no',
    'UsePAM no',
    'StrictModes no',
    'Subsystem sftp internal-sftp',
    'LogLevel ERROR',
    '',
  ].join('\n');
}

/** True once something accepts TCP connections at address:port. */
function canConnect(address: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: address, port, timeout: 500 });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
    socket.once('timeout', () => done(false));
  });
}

async function waitFor(what: string, condition: () => boolean | Promise<boolean>): Promise<void> {
  const deadline = Date.now() + startDeadlineMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`test bed: timed out waiting for ${what}`);
    await sleep(50);
  }
}

function namespacePids(namespace: string): number[] {
  try {
    return execFileSync('ip', ['netns', 'pids', namespace], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] })
      .split('\n')
      .filter(Boolean)
      .map(Number);
  } catch {
    return [];
  }
}

function killAll(pids: number[], signal: NodeJS.Signals): void {
  for (const pid of pids) {
    try {
      process.kill(pid, signal);
    } catch {
      // already gone
    }
  }
}

/** Ends every process in the namespace: TERM, then KILL for what is left after a short grace. */
function stopNamespaceProcesses(namespace: string): void {
  killAll(namespacePids(namespace), 'SIGTERM');
  const deadline = Date.now() + 2_000;
  while (namespacePids(namespace).length > 0 && Date.now() < deadline) {
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 50);
  }
  killAll(namespacePids(namespace), 'SIGKILL');
  const killDeadline = Date.now() + 2_000;
  while (namespacePids(namespace).length > 0 && Date.now() < killDeadline) {
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 50);
  }
}

/** The sshd the host runs as PID 1 of its pid namespace: the forked child of `unshare`. */
function sshdPid(host: TestbedHost): number | undefined {
  for (const pid of namespacePids(host.namespace)) {
    try {
      const comm = readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
      const parent = Number(readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ')[1]);
      const parentComm = readFileSync(`/proc/${parent}/comm`, 'utf8').trim();
      if (comm === 'sshd' && parentComm === 'unshare') return pid;
    } catch {
      // exited meanwhile
    }
  }
  return undefined;
}

function launchHost(host: TestbedHost): void {
  const d = host.dir;
  const inside = [
    `hostname ${host.hostname}`,
    `mount --bind ${d}/opt /opt`,
    `mount --bind ${d}/root /root`,
    `mount -t overlay overlay -o lowerdir=/etc,upperdir=${d}/etc-upper,workdir=${d}/etc-work /etc`,
    `mount -t overlay overlay -o lowerdir=/var,upperdir=${d}/var-upper,workdir=${d}/var-work /var`,
    'mount -t tmpfs tmpfs /run',
    'mkdir -m 755 /run/sshd',
    `echo ${host.hostname} > /etc/hostname`,
    // Like a real server, the host resolves its own name (sudo looks it up; there is no DNS in here).
    `grep -q ' ${host.hostname}$' /etc/hosts || echo '127.0.1.1 ${host.hostname}' >> /etc/hosts`,
    `exec /usr/sbin/sshd -D -e -f ${d}/sshd_config`,
  ].join('\n');
  const log = openSync(join(d, 'sshd.log'), 'a');
  const child = spawn(
    'ip',
    [
      'netns',
      'exec',
      host.namespace,
      'unshare',
      '--mount',
      '--uts',
      '--pid',
      '--fork',
      '--mount-proc',
      '--propagation',
      'private',
      'bash',
      '-c',
      inside,
    ],
    { detached: true, stdio: ['ignore', log, log] },
  );
  child.unref();
  closeSync(log);
}

/** Stops everything in the host, does `whileDown`, and boots it again (its sshd answering). */
async function restartHost(host: TestbedHost, whileDown: () => void): Promise<void> {
  stopNamespaceProcesses(host.namespace);
  await waitFor(`sshd on ${host.address} to stop`, async () => !(await canConnect(host.address, 22)));
  whileDown();
  launchHost(host);
  await waitFor(`sshd on ${host.address}`, () => canConnect(host.address, 22));
}

function hostKeyLine(host: TestbedHost): string {
  const publicKey = readFileSync(join(host.dir, 'ssh_host_ed25519_key.pub'), 'utf8').split(' ').slice(0, 2).join(' ');
  return `${host.address} ${publicKey}`;
}

/** A /24 under 10.251 that nothing here routes yet, starting from one derived from the pid. */
function freeSubnet(routes: string): string {
  for (let step = 0; step < 200; step++) {
    const net = `10.251.${20 + ((process.pid + step) % 200)}`;
    if (!routes.includes(`${net}.0/24`)) return net;
  }
  throw new Error('test bed: every 10.251.x.0/24 is in use');
}

/** Brings up `hosts` fake servers on a bridge and /24 of their own; they are torn down when the test ends. */
export async function startTestbed(t: Test, options: TestbedOptions): Promise<Testbed> {
  const bridge = options.bridge ?? `mbt${process.pid % 100000}`;
  if (bridge.length > 10) throw new Error(`test bed: bridge name ${bridge} is longer than 10 characters`);
  if (existsSync(`/sys/class/net/${bridge}`)) throw new Error(`test bed: bridge ${bridge} already exists`);
  const routes = execFileSync('ip', ['-4', 'route', 'show'], { encoding: 'utf8' });
  const net = options.subnet ?? freeSubnet(routes);
  if (routes.includes(`${net}.0/24`)) throw new Error(`test bed: ${net}.0/24 is already routed here`);

  const dir = temporaryDir('testbed');
  // sshd reads authorized_keys as the user logging in: non-root users must reach it.
  chmodSync(dir, 0o755);
  const hosts: TestbedHost[] = Array.from({ length: options.hosts }, (_, index) => ({
    name: `h${index + 1}`,
    hostname: `mallee-h${index + 1}`,
    namespace: `${bridge}h${index + 1}`,
    address: `${net}.${11 + index}`,
    dir: join(dir, `h${index + 1}`),
  }));
  const clientKey = join(dir, 'id_ed25519');
  const knownHosts = join(dir, 'known_hosts');

  let isDown = false;
  const down = () => {
    if (isDown) return;
    isDown = true;
    for (const host of hosts) stopNamespaceProcesses(host.namespace);
    for (const host of hosts) {
      // The veth pair goes with the namespace; its mounts went with its processes (private propagation).
      if (existsSync(`/run/netns/${host.namespace}`)) run('ip', ['netns', 'del', host.namespace]);
    }
    if (existsSync(`/sys/class/net/${bridge}`)) run('ip', ['link', 'del', bridge]);
    rmSync(dir, { recursive: true, force: true });
  };
  // Also when tap stops the file on a timeout: never leave namespaces, sshds or the bridge behind.
  const onSignal = () => {
    down();
    process.exit(1);
  };
  process.once('SIGTERM', onSignal);
  process.once('exit', down);
  t.teardown(() => {
    process.off('SIGTERM', onSignal);
    process.off('exit', down);
    down();
  });

  run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', clientKey, '-C', 'mallee-testbed']);
  run('ip', ['link', 'add', bridge, 'type', 'bridge']);
  run('ip', ['addr', 'add', `${net}.1/24`, 'dev', bridge]);
  run('ip', ['link', 'set', bridge, 'up']);
  for (const [index, host] of hosts.entries()) {
    for (const sub of ['root', 'opt', 'etc-upper', 'etc-work', 'var-upper', 'var-work']) {
      mkdirSync(join(host.dir, sub), { recursive: true });
    }
    run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(host.dir, 'ssh_host_ed25519_key')]);
    writeFileSync(join(host.dir, 'authorized_keys'), readFileSync(`${clientKey}.pub`), { mode: 0o644 });
    writeFileSync(join(host.dir, 'sshd_config'), sshdConfig(host));
    const veth = `${bridge}v${index + 1}`;
    run('ip', ['netns', 'add', host.namespace]);
    run('ip', ['link', 'add', veth, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', host.namespace]);
    run('ip', ['link', 'set', veth, 'master', bridge, 'up']);
    run('ip', ['-n', host.namespace, 'addr', 'add', `${host.address}/24`, 'dev', 'eth0']);
    run('ip', ['-n', host.namespace, 'link', 'set', 'eth0', 'up']);
    run('ip', ['-n', host.namespace, 'link', 'set', 'lo', 'up']);
    run('ip', ['-n', host.namespace, 'route', 'add', 'default', 'via', `${net}.1`]);
    launchHost(host);
  }
  writeFileSync(knownHosts, hosts.map((host) => `${hostKeyLine(host)}\n`).join(''));
  for (const host of hosts) await waitFor(`sshd on ${host.address}`, () => canConnect(host.address, 22));

  const testbed: Testbed = {
    dir,
    bridge,
    subnet: `${net}.0/24`,
    gateway: `${net}.1`,
    clientKey,
    knownHosts,
    hosts,
    unusedAddress: `${net}.250`,
    hostConfig: (host, ssh = {}) => ({
      name: host.name,
      address: host.address,
      ssh: { user: 'root', port: 22, key: clientKey, sudo: false, ...ssh },
      dataDir: '/var/lib/mallee',
    }),
    exec: async (host, script) => {
      const pid = sshdPid(host);
      if (!pid) throw new Error(`test bed: no sshd runs on ${host.name}`);
      return runCommand('nsenter', ['-t', String(pid), '-m', '-u', '-p', '-n', '--', 'sh', '-c', script]);
    },
    regenerateHostKey: (host) =>
      restartHost(host, () => {
        rmSync(join(host.dir, 'ssh_host_ed25519_key'));
        rmSync(join(host.dir, 'ssh_host_ed25519_key.pub'));
        run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(host.dir, 'ssh_host_ed25519_key')]);
      }),
    reboot: async (host, options = {}) => {
      await restartHost(host, () => undefined);
      if (!options.bootScripts) return undefined;
      const hostOwn = join(host.dir, 'etc-upper', 'rc2.d');
      return testbed.exec(
        host,
        `rc=0; for link in /etc/rc2.d/S*; do if [ -e ${hostOwn}/$(basename "$link") ]; then "$link" start || rc=1; fi; done; exit $rc`,
      );
    },
    down,
  };
  return testbed;
}
