// Wall time of `faststart install --yes` onto 1, 3 and 6 test-bed hosts (TESTBED.md: network namespaces with their
// own sshd; system packages already present; nc on libvirt's test:///default), of a re-run with nothing to do, and
// of the all-in-one install onto this machine. Goals from issue 6 are printed beside each figure.
// Run as root: npm run bench:install   (builds first; needs iproute2 and openssh-server)
// Options: --sizes 1,3,6 (test-bed sizes to time), --no-all-in-one (skip the all-in-one figure), --breakdown (print
// where each install and no-op re-run spent its time: phases and the slowest host's steps), --profile-dir DIR (write a
// V8 CPU profile of each faststart run there, for bench/cpu-profile-top.ts), --rounds N (install each size N times,
// sizes taken in turn in every round so that a change in this machine's load touches them alike, and report the
// median with the range: these machines are noisy). Each install also measures the CPU time the whole machine spent
// on it: the test-bed hosts share its cores, which real servers do not.
import { execFileSync } from 'node:child_process';
import { parseArgs } from 'node:util';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Test } from 'tap';
import { packBundle } from '../src/deploy/bundle.js';
import { startTestbed, type Testbed, type TestbedHost } from '../test/helpers/testbed.js';

const { values: options } = parseArgs({
  options: {
    sizes: { type: 'string', default: '1,3,6' },
    'no-all-in-one': { type: 'boolean', default: false },
    breakdown: { type: 'boolean', default: false },
    'profile-dir': { type: 'string' },
    rounds: { type: 'string', default: '3' },
  },
});
const rounds = Number(options.rounds);
if (!Number.isInteger(rounds) || rounds < 1) throw new Error(`--rounds ${options.rounds}: a whole number, 1 or more`);
const sizes = options.sizes.split(',').map(Number);
if (sizes.some((size) => !Number.isInteger(size) || size < 1))
  throw new Error(`--sizes ${options.sizes}: whole numbers`);

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

/** CPU time this machine has spent so far, every core and process together (/proc/stat, in seconds). */
function machineCpuSeconds(): number {
  const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  // user nice system idle iowait irq softirq steal: all but idle and iowait are work.
  const [user, nice, system, , , irq, softirq, steal] = fields as number[];
  return (user! + nice! + system! + irq! + softirq! + (steal ?? 0)) / 100;
}

function faststartRun(args: string[]): string {
  const profile = options['profile-dir'] ? ['--cpu-prof', `--cpu-prof-dir=${options['profile-dir']}`] : [];
  return execFileSync(process.execPath, [...profile, faststart, ...args], {
    env,
    stdio: ['ignore', 'pipe', 'inherit'],
    encoding: 'utf8',
  });
}

interface InstallJson {
  bundle: string;
  phases: { name: string; seconds: number }[];
  hosts: { name: string; steps: { name: string; outcome: string; seconds: number }[] }[];
}

/** Where a no-op re-run went: its phases, and each step of its slowest host; anything but `unchanged` is named. */
function breakdown(json: string): string {
  const result = JSON.parse(json) as InstallJson;
  const phases = result.phases.map((phase) => `${phase.name} ${phase.seconds.toFixed(2)}`).join(', ');
  const total = (host: InstallJson['hosts'][number]) => host.steps.reduce((sum, step) => sum + step.seconds, 0);
  const slowest = result.hosts.reduce((worst, host) => (total(host) > total(worst) ? host : worst));
  const steps = slowest.steps
    .map((step) => `${step.name} ${step.seconds.toFixed(2)}${step.outcome === 'unchanged' ? '' : ` ${step.outcome}`}`)
    .join(', ');
  return `    phases: ${phases}\n    slowest host ${slowest.name}: ${steps}`;
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

/** One install of a size, then a re-run with nothing to do. */
interface HostsRun {
  first: number;
  /** CPU seconds the whole machine (installer and every test-bed host) spent on the first install. */
  firstCpu: number;
  noop: number;
  firstBreakdown: string;
  breakdown: string;
  note: string;
}

/** A test bed of `count` hosts and the cloud.yaml that installs onto it, kept for every round. */
async function prepareHosts(count: number) {
  // A bridge of its own per size: the beds of every size are up together.
  const bed = await startTestbed(teardownOnly, { hosts: count, bridge: `mbi${count}x${process.pid % 10000}` });
  const name = `bench${count}`;
  const config = join(work, `${name}.yaml`);
  writeFileSync(config, cloudYaml(name, bed));
  const args = ['install', '--config', config, '--yes', '--no-smoke-test'];
  const ssh = ['--known-hosts', bed.knownHosts, '--ssh-key', bed.clientKey];
  return {
    /** A first install, a no-op re-run, then everything removed (hosts and the installer's cloud folder) untimed. */
    run(): HostsRun {
      try {
        let firstJson = '';
        const cpuBefore = machineCpuSeconds();
        const first = seconds(() => (firstJson = faststartRun([...args, ...ssh, '--json'])));
        const firstCpu = machineCpuSeconds() - cpuBefore;
        let json = '';
        const noop = seconds(() => (json = faststartRun([...args, ...ssh, '--json'])));
        // A build of other sources between the two runs (engineers sharing the checkout) makes a new bundle: that
        // re-run rightly redeploys, so it is no no-op; say so rather than report it as one.
        const bundles = [firstJson, json].map((text) => (JSON.parse(text) as InstallJson).bundle);
        const note =
          bundles[0] === bundles[1] ? '' : `    NOT a no-op: the bundle changed between runs (${bundles.join(' -> ')})`;
        return { first, firstCpu, noop, firstBreakdown: breakdown(firstJson), breakdown: breakdown(json), note };
      } finally {
        faststartRun(['uninstall', '--name', name, '--yes', '--purge', '--known-hosts', bed.knownHosts]);
        rmSync(join(env.MALLEE_HOME, name), { recursive: true, force: true });
      }
    },
    down: () => bed.down(),
  };
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
};

/** The run whose first install took the median time (the lower middle one of an even count). */
const medianRun = (runs: HostsRun[]) => [...runs].sort((a, b) => a.first - b.first)[Math.floor((runs.length - 1) / 2)]!;

const spread = (values: number[]) =>
  values.length < 2
    ? ''
    : ` (${values.length} runs: ${Math.min(...values).toFixed(1)}-${Math.max(...values).toFixed(1)} s)`;

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
  console.log(`load average at start: ${load()} (${availableParallelism()} cores)`);
  const row = (what: string, value: number, goal: string) =>
    console.log(`${what.padEnd(40)} ${value.toFixed(1).padStart(6)} s   ${goal}`);
  if (!options['no-all-in-one']) {
    const allInOne = await timeAllInOne();
    row('all-in-one (smoke test on test:///default)', allInOne, `goal < 60 s: ${allInOne < 60 ? 'met' : 'MISSED'}`);
  }
  // The bundle packed before any timing (as packages are installed before): every size then copies the same cached
  // tarball, and the first size timed does not pay alone for packing it.
  process.env.MALLEE_CACHE = env.MALLEE_CACHE;
  const packed = await packBundle();
  console.log(`bundle ${packed.hash} ${packed.packed ? 'packed now' : 'already packed'}, before timing`);
  const beds = new Map<number, Awaited<ReturnType<typeof prepareHosts>>>();
  for (const size of sizes) beds.set(size, await prepareHosts(size));
  cleanups.push(() => beds.forEach((bed) => bed.down()));
  const runs = new Map<number, HostsRun[]>(sizes.map((size) => [size, []]));
  for (let round = 0; round < rounds; round++) {
    for (const size of sizes) runs.get(size)!.push(beds.get(size)!.run());
  }
  const cores = availableParallelism();
  const firstOf = (size: number) => median(runs.get(size)!.map((run) => run.first));
  if (rounds > 1) console.log(`median of ${rounds} installs of each size, taken in turn:`);
  for (const size of sizes) {
    const sizeRuns = runs.get(size)!;
    const first = firstOf(size);
    const ratio = runs.has(1) && size > 1 ? first / firstOf(1) : undefined;
    const goal =
      size === 6 && ratio !== undefined
        ? `goal <= 1.5x 1 host: ${ratio.toFixed(2)}x ${ratio <= 1.5 ? 'met' : 'MISSED'}`
        : '';
    row(`${size} host${size === 1 ? '' : 's'}`, first, `${goal}${spread(sizeRuns.map((run) => run.first))}`);
    // The test-bed hosts share this machine's cores: their CPU work, spread over the cores, is a floor on wall time
    // that separate servers would not have.
    const cpu = median(sizeRuns.map((run) => run.firstCpu));
    console.log(
      `    CPU of the whole machine: ${cpu.toFixed(1)} s, i.e. at least ${(cpu / cores).toFixed(1)} s of wall time on ${cores} cores`,
    );
    if (options.breakdown) console.log(medianRun(sizeRuns).firstBreakdown);
  }
  for (const size of sizes) {
    const sizeRuns = runs.get(size)!;
    const noop = median(sizeRuns.map((run) => run.noop));
    row(`no-op re-run, ${size} host${size === 1 ? '' : 's'}`, noop, `goal < 10 s: ${noop < 10 ? 'met' : 'MISSED'}`);
    if (options.breakdown) console.log(medianRun(sizeRuns).breakdown);
    for (const run of sizeRuns) if (run.note) console.log(run.note);
  }
  console.log(`load average at end: ${load()}`);
} finally {
  for (const cleanup of cleanups.reverse()) cleanup();
  rmSync(work, { recursive: true, force: true });
}
