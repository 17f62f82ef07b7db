// Wall time of `faststart install --yes` onto 1, 3 and 6 test-bed hosts (TESTBED.md: network namespaces with their
// own sshd; system packages already present; nc on libvirt's test:///default), of a re-run with nothing to do, and
// of the all-in-one install onto this machine. Goals from issue 6 are printed beside each figure.
// Run as root: npm run bench:install   (builds first; needs iproute2 and openssh-server)
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Test } from 'tap';
import { startTestbed, type Testbed, type TestbedHost } from '../test/helpers/testbed.js';

const faststart = join(import.meta.dirname, '..', 'bin', 'faststart.js');
const work = mkdtempSync(join(tmpdir(), 'mallee-bench-install-'));
const env = { ...process.env, MALLEE_HOME: join(work, 'home'), MALLEE_CACHE: join(tmpdir(), 'mallee-bundle-cache') };
const cleanups: (() => void)[] = [];
// startTestbed registers its teardown on a tap test; outside tap the bench runs them itself.
const teardownOnly = { teardown: (fn: () => void) => cleanups.push(fn) } as unknown as Test;

function seconds(run: () => void): number {
  const started = performance.now();
  run();
  return (performance.now() - started) / 1000;
}

function faststartRun(args: string[]): void {
  execFileSync(process.execPath, [faststart, ...args], { env, stdio: ['ignore', 'ignore', 'inherit'] });
}

/** clc+walrus on the first host; each further pair of hosts is a zone (cc+sc, then nc); one host holds everything. */
function cloudYaml(name: string, bed: Testbed): string {
  const [first, ...rest] = bed.hosts as [TestbedHost, ...TestbedHost[]];
  const lines = [`name: ${name}`, 'dataDir: /var/lib/mallee-bench', 'hosts:'];
  for (const host of bed.hosts) lines.push(`  - { name: ${host.name}, address: ${host.address} }`);
  const components = ['  - { component: clc, host: h1 }', '  - { component: walrus, host: h1 }'];
  const zones: string[] = [];
  if (rest.length === 0) {
    zones.push('  - name: zone-1');
    components.push(`  - { component: cc, host: ${first.name}, zone: zone-1 }`);
    components.push(`  - { component: sc, host: ${first.name}, zone: zone-1 }`);
    components.push(`  - { component: nc, host: ${first.name}, zone: zone-1, hypervisor: 'test:///default' }`);
  }
  for (let index = 0; index + 1 < rest.length; index += 2) {
    const zone = `zone-${index / 2 + 1}`;
    zones.push(`  - name: ${zone}`);
    components.push(`  - { component: cc, host: ${rest[index]!.name}, zone: ${zone} }`);
    components.push(`  - { component: sc, host: ${rest[index]!.name}, zone: ${zone} }`);
    components.push(
      `  - { component: nc, host: ${rest[index + 1]!.name}, zone: ${zone}, hypervisor: 'test:///default' }`,
    );
  }
  if (rest.length % 2 === 1) {
    const last = rest.at(-1)!;
    components.push(`  - { component: nc, host: ${last.name}, zone: zone-1, hypervisor: 'test:///default' }`);
  }
  return [...lines, 'zones:', ...zones, 'components:', ...components, ''].join('\n');
}

async function timeHosts(count: number): Promise<{ first: number; noop: number }> {
  const bed = await startTestbed(teardownOnly, { hosts: count });
  const name = `bench${count}`;
  const config = join(work, `${name}.yaml`);
  writeFileSync(config, cloudYaml(name, bed));
  const args = ['install', '--config', config, '--yes', '--no-smoke-test'];
  const ssh = ['--known-hosts', bed.knownHosts, '--ssh-key', bed.clientKey];
  try {
    const first = seconds(() => faststartRun([...args, ...ssh]));
    const noop = seconds(() => faststartRun([...args, ...ssh]));
    return { first, noop };
  } finally {
    faststartRun(['uninstall', '--name', name, '--yes', '--purge', '--known-hosts', bed.knownHosts]);
    bed.down();
  }
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function timeAllInOne(): Promise<number> {
  const name = `benchaio${process.pid}`;
  const config = join(work, 'all-in-one.yaml');
  const ports = [];
  for (let i = 0; i < 5; i++) ports.push(await freePort());
  const [clc, walrus, cc, sc, nc] = ports;
  writeFileSync(
    config,
    [
      `name: ${name}`,
      `dataDir: ${join(work, 'data')}`,
      'hosts:',
      '  - { name: local, address: 127.0.0.1 }',
      'zones:',
      '  - name: zone-a',
      'components:',
      `  - { component: clc, host: local, port: ${clc} }`,
      `  - { component: walrus, host: local, port: ${walrus} }`,
      `  - { component: cc, host: local, zone: zone-a, port: ${cc} }`,
      `  - { component: sc, host: local, zone: zone-a, port: ${sc} }`,
      `  - { component: nc, host: local, zone: zone-a, port: ${nc}, hypervisor: 'test:///default' }`,
      '',
    ].join('\n'),
  );
  const prefix = join(work, 'root');
  try {
    return seconds(() => faststartRun(['install', '--all-in-one', '--config', config, '--yes', '--prefix', prefix]));
  } finally {
    faststartRun(['uninstall', '--name', name, '--yes', '--purge']);
  }
}

const load = () =>
  loadavg()
    .map((value) => value.toFixed(2))
    .join(' ');
try {
  console.log(`load average at start: ${load()} (${process.env.HOSTNAME ?? ''} 2 cores shared)`);
  const row = (what: string, value: number, goal: string) =>
    console.log(`${what.padEnd(40)} ${value.toFixed(1).padStart(6)} s   ${goal}`);
  const allInOne = await timeAllInOne();
  row('all-in-one (with smoke-test instance)', allInOne, `goal < 60 s: ${allInOne < 60 ? 'met' : 'MISSED'}`);
  const one = await timeHosts(1);
  row('1 host', one.first, '');
  const three = await timeHosts(3);
  row('3 hosts', three.first, '');
  const six = await timeHosts(6);
  const ratio = six.first / one.first;
  row('6 hosts', six.first, `goal <= 1.5x 1 host: ${ratio.toFixed(2)}x ${ratio <= 1.5 ? 'met' : 'MISSED'}`);
  for (const [label, value] of [
    ['no-op re-run, 1 host', one.noop],
    ['no-op re-run, 3 hosts', three.noop],
    ['no-op re-run, 6 hosts', six.noop],
  ] as const) {
    row(label, value, `goal < 10 s: ${value < 10 ? 'met' : 'MISSED'}`);
  }
  console.log(`load average at end: ${load()}`);
} finally {
  for (const cleanup of cleanups.reverse()) cleanup();
  rmSync(work, { recursive: true, force: true });
}
