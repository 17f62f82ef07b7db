import { renderTable } from '../cli/table.js';
import { defaultLimits } from '../placement/placement-types.js';
import type { HostFacts } from './host-facts.js';

/** `faststart discover`'s words: the table of facts, and the problems each host shows on its own. */

export const discoveryMessages = {
  unreachable: 'unreachable',
  noRoot: 'no root: sudo does not work unattended',
  noKvm: 'no KVM: instances will run under software emulation',
  clockSkew: (seconds: number) => `clock off by ${seconds.toFixed(1)} s (over ${defaultLimits.maxClockSkewSeconds} s)`,
  lowMemory: (mib: number) => `${mib} MiB memory (under ${defaultLimits.minMemoryMiB} MiB)`,
  lowDisk: (gib: number) => `${gib} GiB free for data (under ${defaultLimits.minFreeDiskGiB} GiB)`,
  summary: (reachable: number, total: number) => `${reachable} of ${total} host${total === 1 ? '' : 's'} reachable.`,
};

/** What a host alone already shows is wrong or limited (placement adds what depends on the plan). */
export function hostProblems(facts: HostFacts): string[] {
  if (!facts.reachable) return [discoveryMessages.unreachable];
  const problems: string[] = [];
  if (facts.root && !facts.root.works) problems.push(discoveryMessages.noRoot);
  if (facts.virtualization === 'emulation') problems.push(discoveryMessages.noKvm);
  const skew = facts.clockOffsetSeconds;
  if (skew !== undefined && Math.abs(skew) > defaultLimits.maxClockSkewSeconds) {
    problems.push(discoveryMessages.clockSkew(skew));
  }
  if (facts.memoryMiB && facts.memoryMiB.total < defaultLimits.minMemoryMiB) {
    problems.push(discoveryMessages.lowMemory(facts.memoryMiB.total));
  }
  if (facts.dataDirFreeGiB !== undefined && facts.dataDirFreeGiB < defaultLimits.minFreeDiskGiB) {
    problems.push(discoveryMessages.lowDisk(facts.dataDirFreeGiB));
  }
  return problems;
}

function gib(mib: number): string {
  return `${(mib / 1024).toFixed(1)} GiB`;
}

/** What starts Mallee at boot: systemd, sysvinit, or nothing (PID 1 named). */
function bootColumn(facts: HostFacts): string {
  if (!facts.bootStarter) return '?';
  return facts.bootStarter === 'none' ? `nothing (PID 1: ${facts.pid1 ?? '?'})` : facts.bootStarter;
}

/** `x86_64 glibc 2.36`: what decides whether the bundle's binaries run there. */
function platformText(platform: HostFacts['platform']): string | undefined {
  if (!platform) return undefined;
  const libc = platform.libc.name === 'glibc' ? `glibc ${platform.libc.version}` : platform.libc.name;
  return `${platform.machine} ${libc}`;
}

function row(facts: HostFacts): string[] {
  const host = facts.name === facts.address ? facts.address : `${facts.name} (${facts.address})`;
  if (!facts.reachable) return [host, '-', '-', '-', '-', '-', '-', '-', '-', '-', hostProblems(facts).join('; ')];
  const subnets = (facts.interfaces ?? []).flatMap((link) =>
    link.addresses.map((address) => `${address.address}/${address.prefixLength}`),
  );
  const libvirt = facts.libvirt?.installed
    ? `${facts.libvirt.version ?? 'yes'}${facts.libvirt.running ? ' running' : ' stopped'}`
    : 'no';
  return [
    host,
    [facts.os?.prettyName ?? '?', platformText(facts.platform)].filter(Boolean).join(', '),
    String(facts.cores ?? '?'),
    facts.memoryMiB ? gib(facts.memoryMiB.total) : '?',
    facts.virtualization ?? '?',
    facts.dataDirFreeGiB === undefined ? '?' : `${facts.dataDirFreeGiB} GiB`,
    subnets.join(' ') || '-',
    facts.clockOffsetSeconds === undefined ? '?' : `${facts.clockOffsetSeconds.toFixed(3)} s`,
    libvirt,
    bootColumn(facts),
    hostProblems(facts).join('; ') || '-',
  ];
}

/** One table of every host, then the full reason (and the fix) for each host that could not be inspected. */
export function formatDiscovery(facts: HostFacts[]): string {
  const table = renderTable(
    ['HOST', 'OS', 'CORES', 'MEMORY', 'VIRT', 'FREE DISK', 'ADDRESSES', 'CLOCK SKEW', 'LIBVIRT', 'AT BOOT', 'PROBLEMS'],
    facts.map(row),
  );
  const details = facts
    .filter((host) => host.error || host.root?.problem)
    .map((host) => `${host.name}: ${host.error ?? host.root?.problem}`);
  const reachable = facts.filter((host) => host.reachable).length;
  return [table, '', ...details, ...(details.length ? [''] : []), discoveryMessages.summary(reachable, facts.length)]
    .join('\n')
    .trimEnd();
}
