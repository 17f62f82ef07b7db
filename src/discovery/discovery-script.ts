import { initProbe } from './init-system.js';
import { shellQuote } from '../operators/shell-quote.js';

/**
 * Discovery asks a host everything in one command: a POSIX sh script that prints one section per fact, each
 * after a `@@mallee:NAME@@` line. Every probe tolerates a missing tool (the section is then empty), so one old or
 * minimal host still yields every fact it can.
 */

export const sectionNames = [
  'os-release',
  'hostname',
  'processors',
  'cpu-flags',
  'dev-kvm',
  'meminfo',
  'lsblk',
  'df',
  'data-dir',
  'ip-addr',
  'ip-route',
  'listening',
  'libvirtd',
  'libvirt-running',
  'qemu',
  'pid1',
  'user',
  'sudo',
  'package-manager',
  'platform',
] as const;
export type SectionName = (typeof sectionNames)[number];
export type Sections = Partial<Record<SectionName, string>>;

const marker = (name: SectionName) => `echo '@@mallee:${name}@@'`;

export function discoveryScript(dataDir: string): string {
  const probes: Record<SectionName, string> = {
    'os-release': 'cat /etc/os-release 2>/dev/null',
    hostname: 'cat /proc/sys/kernel/hostname 2>/dev/null',
    processors: "grep -c '^processor' /proc/cpuinfo 2>/dev/null",
    'cpu-flags': "grep -m1 -E '^(flags|Features)' /proc/cpuinfo 2>/dev/null",
    'dev-kvm': '[ -c /dev/kvm ] && echo present',
    meminfo: "grep -E '^(MemTotal|MemAvailable):' /proc/meminfo 2>/dev/null",
    lsblk: 'lsblk -J -b -o NAME,TYPE,SIZE,MOUNTPOINT 2>/dev/null',
    df: 'df -P -k 2>/dev/null',
    // The data folder may not exist yet: its nearest existing parent is where the data will land.
    'data-dir': `d=${shellQuote(dataDir)}; while [ ! -e "$d" ]; do d=$(dirname "$d"); done; df -P -k "$d" 2>/dev/null`,
    'ip-addr': 'ip -j addr 2>/dev/null',
    'ip-route': 'ip -j route show default 2>/dev/null',
    listening: 'ss -Hltn 2>/dev/null',
    libvirtd: 'command -v libvirtd virtqemud 2>/dev/null; libvirtd --version 2>/dev/null',
    'libvirt-running':
      'for p in /proc/[0-9]*; do c=$(cat "$p/comm" 2>/dev/null); case "$c" in libvirtd|virtqemud) echo "$c";; esac; done',
    qemu:
      'for q in "qemu-system-$(uname -m)" qemu-kvm /usr/libexec/qemu-kvm; do ' +
      'if command -v "$q" >/dev/null 2>&1; then "$q" --version 2>/dev/null | head -n 1; break; fi; done',
    pid1: initProbe,
    user: 'id -un; id -u',
    // -n: a sudo that wants a password or a terminal fails at once instead of waiting.
    sudo: 'if [ "$(id -u)" != 0 ]; then sudo -n true 2>&1 </dev/null; echo "exit=$?"; fi',
    'package-manager': 'command -v apt-get dnf 2>/dev/null',
    // The CPU architecture, then the C library: `glibc 2.36` from getconf; musl has no getconf for it, ldd says so.
    platform: 'uname -m; getconf GNU_LIBC_VERSION 2>/dev/null || ldd --version 2>&1 | head -n 1',
  };
  // A non-root user's PATH often lacks the sbin folders where ip and libvirtd live.
  const path = 'PATH="$PATH:/usr/local/sbin:/usr/sbin:/sbin"; export PATH';
  const body = sectionNames.flatMap((name) => [marker(name), `{ ${probes[name]}; } 2>/dev/null`]);
  return [path, ...body, 'exit 0'].join('\n');
}

/** Splits the script's output back into its sections. */
export function splitSections(output: string): Sections {
  const sections: Sections = {};
  let current: SectionName | undefined;
  const lines: string[] = [];
  const flush = () => {
    if (current) sections[current] = lines.join('\n').trim();
    lines.length = 0;
  };
  for (const line of output.split('\n')) {
    const match = /^@@mallee:([a-z0-9-]+)@@$/.exec(line);
    if (match && (sectionNames as readonly string[]).includes(match[1]!)) {
      flush();
      current = match[1] as SectionName;
    } else if (current) lines.push(line);
  }
  flush();
  return sections;
}
