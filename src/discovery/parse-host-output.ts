import { classifyInit } from './init-system.js';
import { formatIpv4, parseIpv4 } from '../config/net-formats.js';
import { classifySudoFailure, SudoError } from '../operators/sudo.js';
import type { Sections } from './discovery-script.js';
import type { HostFacts } from './host-facts.js';

/** Pure parsers for what the discovery script prints; each takes one section's text (captured real outputs in tests). */

const kibPerGiB = 1024 * 1024;

function round(value: number, digits = 1): number {
  const scale = 10 ** digits;
  return Math.round(value * scale) / scale;
}

function parseJson(text: string | undefined): unknown {
  if (!text) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** /etc/os-release: `KEY=value` or `KEY="value"` lines. */
export function parseOsRelease(text: string): HostFacts['os'] | undefined {
  const values: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const match = /^([A-Z_]+)=(.*)$/.exec(line.trim());
    if (match) values[match[1]!] = match[2]!.replace(/^(["'])(.*)\1$/, '$2');
  }
  if (!values.ID) return undefined;
  return {
    id: values.ID,
    version: values.VERSION_ID ?? '',
    prettyName: values.PRETTY_NAME ?? `${values.NAME ?? values.ID} ${values.VERSION_ID ?? ''}`.trim(),
  };
}

/** MemTotal and MemAvailable (kB) from /proc/meminfo, in MiB. */
export function parseMeminfo(text: string): HostFacts['memoryMiB'] | undefined {
  const kib = (key: string) => {
    const match = new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(text);
    return match ? Number(match[1]) : undefined;
  };
  const total = kib('MemTotal');
  if (total === undefined) return undefined;
  return { total: Math.floor(total / 1024), available: Math.floor((kib('MemAvailable') ?? 0) / 1024) };
}

/** KVM needs both: the CPU's vmx (Intel) or svm (AMD) flag, and /dev/kvm. Anything else is software emulation. */
export function parseVirtualization(cpuFlags: string, devKvm: string): 'kvm' | 'emulation' {
  const flags = new Set(
    cpuFlags
      .replace(/^[^:]*:/, '')
      .trim()
      .split(/\s+/),
  );
  return (flags.has('vmx') || flags.has('svm')) && devKvm.trim() === 'present' ? 'kvm' : 'emulation';
}

export interface DfRow {
  device: string;
  sizeKiB: number;
  availableKiB: number;
  mount: string;
}

/** `df -P -k`: one line per filesystem (POSIX format never wraps), the mount point may contain spaces. */
export function parseDf(text: string): DfRow[] {
  const rows: DfRow[] = [];
  for (const line of text.split('\n').slice(1)) {
    const match = /^(\S+)\s+(\d+)\s+(\d+)\s+(\d+)\s+\d+%\s+(.+)$/.exec(line.trim());
    if (match) {
      rows.push({ device: match[1]!, sizeKiB: Number(match[2]), availableKiB: Number(match[4]), mount: match[5]! });
    }
  }
  return rows;
}

/** Filesystems on real block devices (not tmpfs, overlays, loop-mounted images or pseudo filesystems). */
export function disksFromDf(rows: DfRow[]): NonNullable<HostFacts['disks']> {
  const seen = new Set<string>();
  return rows
    .filter((row) => row.device.startsWith('/dev/') && !row.device.startsWith('/dev/loop'))
    .filter((row) => !seen.has(row.mount) && seen.add(row.mount))
    .map((row) => ({
      mount: row.mount,
      device: row.device,
      sizeGiB: round(row.sizeKiB / kibPerGiB),
      freeGiB: round(row.availableKiB / kibPerGiB),
    }));
}

interface LsblkDevice {
  name?: string;
  type?: string;
  size?: number | string;
  mountpoint?: string | null;
  children?: LsblkDevice[];
}

function anythingMounted(device: LsblkDevice): boolean {
  return Boolean(device.mountpoint) || (device.children ?? []).some(anythingMounted);
}

/** Whole disks from `lsblk -J -b`, and whether any of them (or a partition on it) is mounted. */
export function parseLsblk(text: string): NonNullable<HostFacts['blockDevices']> {
  const parsed = parseJson(text) as { blockdevices?: LsblkDevice[] } | undefined;
  return (parsed?.blockdevices ?? [])
    .filter((device) => device.type === 'disk' && Number(device.size) > 0 && device.name)
    .map((device) => ({
      device: `/dev/${device.name}`,
      sizeGiB: round(Number(device.size) / 1024 ** 3),
      inUse: anythingMounted(device),
    }));
}

function ipv6ToBigInt(address: string): bigint | undefined {
  const [head, tail, extra] = address.split('::');
  if (extra !== undefined) return undefined;
  const headGroups = head ? head.split(':') : [];
  const tailGroups = tail ? tail.split(':') : [];
  const missing = 8 - headGroups.length - tailGroups.length;
  if (tail === undefined ? missing !== 0 : missing < 1) return undefined;
  const groups = [...headGroups, ...Array<string>(tail === undefined ? 0 : missing).fill('0'), ...tailGroups];
  let value = 0n;
  for (const group of groups) {
    if (!/^[0-9a-f]{1,4}$/i.test(group)) return undefined;
    value = (value << 16n) + BigInt(parseInt(group, 16));
  }
  return value;
}

function formatIpv6(value: bigint): string {
  const groups = Array.from({ length: 8 }, (_, index) => ((value >> BigInt(112 - 16 * index)) & 0xffffn).toString(16));
  // The longest run of zero groups (two or more) becomes `::`.
  let best = { start: -1, length: 1 };
  for (let start = 0; start < 8; start++) {
    let length = 0;
    while (start + length < 8 && groups[start + length] === '0') length++;
    if (length > best.length) best = { start, length };
  }
  if (best.start < 0) return groups.join(':');
  return `${groups.slice(0, best.start).join(':')}::${groups.slice(best.start + best.length).join(':')}`;
}

/** The network an address with this prefix length sits in, as CIDR: 10.250.0.11/24 -> 10.250.0.0/24. */
export function subnetOf(address: string, prefixLength: number): string {
  const ipv4 = parseIpv4(address);
  if (ipv4 !== undefined) {
    const size = 2 ** (32 - prefixLength);
    return `${formatIpv4(Math.floor(ipv4 / size) * size)}/${prefixLength}`;
  }
  const ipv6 = ipv6ToBigInt(address);
  if (ipv6 === undefined) return `${address}/${prefixLength}`;
  const mask = ((1n << BigInt(prefixLength)) - 1n) << BigInt(128 - prefixLength);
  return `${formatIpv6(ipv6 & mask)}/${prefixLength}`;
}

interface IpAddrInterface {
  ifname?: string;
  link_type?: string;
  addr_info?: { family?: string; local?: string; prefixlen?: number; scope?: string }[];
}

/** `ip -j addr`: interfaces with their global addresses (loopback and link-local left out: no peer reaches them). */
export function parseIpAddr(text: string): NonNullable<HostFacts['interfaces']> {
  const parsed = parseJson(text);
  if (!Array.isArray(parsed)) return [];
  return (parsed as IpAddrInterface[])
    .filter((link) => link.ifname && link.link_type !== 'loopback')
    .map((link) => ({
      name: link.ifname!,
      addresses: (link.addr_info ?? [])
        .filter((info) => info.local && typeof info.prefixlen === 'number' && info.scope === 'global')
        .map((info) => ({
          address: info.local!,
          prefixLength: info.prefixlen!,
          subnet: subnetOf(info.local!, info.prefixlen!),
        })),
    }))
    .filter((link) => link.addresses.length > 0);
}

/** `ip -j route show default`: the first default route with a gateway. */
export function parseDefaultRoute(text: string): HostFacts['defaultRoute'] {
  const parsed = parseJson(text);
  if (!Array.isArray(parsed)) return undefined;
  const route = (parsed as { dst?: string; gateway?: string; dev?: string }[]).find(
    (entry) => entry.dst === 'default' && entry.gateway && entry.dev,
  );
  return route ? { gateway: route.gateway!, interface: route.dev! } : undefined;
}

/** `ss -Hltn`: the ports in the Local Address:Port column (`0.0.0.0:22`, `[::]:22`, `*:22`, `127.0.0.1%lo:53`). */
export function parseListeningPorts(text: string): number[] {
  const ports = new Set<number>();
  for (const line of text.split('\n')) {
    const local = line.trim().split(/\s+/)[3];
    const port = local ? Number(local.slice(local.lastIndexOf(':') + 1)) : NaN;
    if (Number.isInteger(port) && port > 0) ports.add(port);
  }
  return [...ports].sort((a, b) => a - b);
}

/** `libvirtd --version` prints `libvirtd (libvirt) 9.0.0`; the paths `command -v` found say it is installed. */
export function parseLibvirt(installedText: string, runningText: string): NonNullable<HostFacts['libvirt']> {
  const version = /\(libvirt\) (\S+)/.exec(installedText)?.[1];
  const installed = installedText.split('\n').some((line) => line.startsWith('/'));
  return { installed, ...(version ? { version } : {}), running: runningText.trim() !== '' };
}

/** `qemu-system-x86_64 --version`: `QEMU emulator version 7.2.22 (Debian ...)`. */
export function parseQemu(text: string): NonNullable<HostFacts['qemu']> {
  const version = /QEMU emulator version (\S+)/.exec(text)?.[1];
  return version ? { installed: true, version } : { installed: text.trim() !== '' };
}

/** `id -un; id -u` and, for a non-root user, what `sudo -n true` printed and its `exit=N`. */
export function parseRoot(hostName: string, userText: string, sudoText: string): HostFacts['root'] {
  const [user, uid] = userText.split('\n').map((line) => line.trim());
  if (!user) return undefined;
  if (uid === '0') return { user, viaSudo: false, works: true };
  const exit = /exit=(\d+)\s*$/.exec(sudoText);
  const exitCode = exit ? Number(exit[1]) : 1;
  if (exitCode === 0) return { user, viaSudo: true, works: true };
  const output = sudoText.replace(/exit=\d+\s*$/, '').trim();
  const error = new SudoError(hostName, user, classifySudoFailure(exitCode, output), output);
  return { user, viaSudo: true, works: false, problem: `${error.message} ${error.hint ?? ''}`.trim() };
}

export function parsePackageManager(text: string): HostFacts['packageManager'] {
  const names = text.split('\n').map((path) => path.trim().split('/').pop());
  if (names.includes('apt-get')) return 'apt-get';
  if (names.includes('dnf')) return 'dnf';
  return undefined;
}

/** The `platform` section: `uname -m`, then `glibc 2.36` (getconf) or ldd's first line (`musl libc (x86_64)`). */
export function parsePlatform(text: string): HostFacts['platform'] {
  const [machine, libcLine = ''] = text.split('\n').map((line) => line.trim());
  if (!machine) return undefined;
  // getconf's `glibc 2.36`, or ldd's `ldd (Debian GLIBC 2.36-9+deb12u4) 2.36` where getconf is missing.
  const glibc =
    /^glibc\s+(\d+\.\d+(?:\.\d+)?)/i.exec(libcLine) ?? /(?:glibc|gnu libc).*\s(\d+\.\d+)\s*$/i.exec(libcLine);
  if (glibc) return { machine, libc: { name: 'glibc', version: glibc[1]! } };
  return { machine, libc: { name: /musl/i.test(libcLine) ? 'musl' : 'unknown' } };
}

/** Host clock minus ours at the midpoint of the exchange: the network delay each way cancels out (as in NTP). */
export function clockOffsetSeconds(
  localBeforeMs: number,
  remoteText: string,
  localAfterMs: number,
): number | undefined {
  const remote = Number(remoteText.trim());
  if (!Number.isFinite(remote) || remote <= 0) return undefined;
  return round(remote - (localBeforeMs + localAfterMs) / 2000, 3);
}

/** Every fact the script's sections hold. */
export function factsFromSections(
  host: { name: string; address: string },
  sections: Sections,
): Omit<HostFacts, 'clockOffsetSeconds'> {
  const text = (name: keyof Sections) => sections[name] ?? '';
  const dataDir = parseDf(text('data-dir'))[0];
  const cores = Number(text('processors'));
  return {
    name: host.name,
    address: host.address,
    reachable: true,
    hostname: text('hostname') || undefined,
    os: parseOsRelease(text('os-release')),
    cores: Number.isInteger(cores) && cores > 0 ? cores : undefined,
    memoryMiB: parseMeminfo(text('meminfo')),
    virtualization: parseVirtualization(text('cpu-flags'), text('dev-kvm')),
    disks: disksFromDf(parseDf(text('df'))),
    blockDevices: parseLsblk(text('lsblk')),
    dataDirFreeGiB: dataDir ? round(dataDir.availableKiB / kibPerGiB) : undefined,
    interfaces: parseIpAddr(text('ip-addr')),
    defaultRoute: parseDefaultRoute(text('ip-route')),
    listeningPorts: parseListeningPorts(text('listening')),
    libvirt: parseLibvirt(text('libvirtd'), text('libvirt-running')),
    qemu: parseQemu(text('qemu')),
    ...bootOf(text('pid1')),
    root: parseRoot(host.name, text('user'), text('sudo')),
    packageManager: parsePackageManager(text('package-manager')),
    platform: parsePlatform(text('platform')),
  };
}

/** PID 1, whether it is systemd, and what starts Mallee at boot; nothing when the section is empty. */
function bootOf(section: string | undefined): Pick<HostFacts, 'pid1' | 'systemdIsPid1' | 'bootStarter'> {
  if (!section) return {};
  const { pid1, bootStarter } = classifyInit(section.split('\n'));
  return { ...(pid1 && { pid1 }), systemdIsPid1: bootStarter === 'systemd', bootStarter };
}
