import type { ComponentName } from '../config/types.js';
import type { PlacementProblemCode } from './placement-types.js';

/** Every sentence placement says to a person: reasons, problems with their fixes, and why an edit was refused. */

const gib = (mib: number) => `${Math.round((mib / 1024) * 10) / 10} GiB`;
const list = (names: readonly string[]) => (names.length === 0 ? 'none' : names.join(', '));
const capacity = (cores: number, memoryMiB: number) => `${cores} cores, ${gib(memoryMiB)}`;

export const reasonTexts = {
  clc: {
    onlyHost: (host: string) => `clc on ${host}: the only host`,
    noInstances: (host: string) =>
      `clc on ${host}: it cannot run instances, so the cloud's API and state never compete with them`,
    smallest: (host: string, cores: number, memoryMiB: number) =>
      `clc on ${host}: the hypervisor offering instances least (${capacity(cores, memoryMiB)}), so the busier hosts keep their capacity for instances`,
    allEqual: (host: string) =>
      `clc on ${host}: every host offers instances the same capacity; ${host} comes first in the inventory`,
  },
  walrus: (host: string, freeGiB: number, path: string, busierEquals: readonly string[]) =>
    `walrus on ${host}: most free disk (${freeGiB} GiB at ${path})` +
    (busierEquals.length === 0
      ? ''
      : busierEquals.length === 1
        ? `; ${busierEquals[0]} has as much but already runs more`
        : `; ${list(busierEquals)} have as much but already run more`),
  walrusOnlyHost: (host: string, freeGiB: number, path: string) =>
    `walrus on ${host}: the only host (${freeGiB} GiB free at ${path})`,
  walrusNoDiskFacts: (host: string) => `walrus on ${host}: no host reported its free disk; ${host} runs the least`,
  cc: {
    onlyHost: (host: string, zone: string) => `cc of ${zone} on ${host}: the zone's only host`,
    withClc: (host: string, zone: string) =>
      `cc of ${zone} on ${host}: on the zone's subnet, beside the clc that calls it`,
    smallest: (host: string, zone: string) =>
      `cc of ${zone} on ${host}: on the zone's subnet, on the host offering instances least`,
    allEqual: (host: string, zone: string) =>
      `cc of ${zone} on ${host}: on the zone's subnet; its hosts are alike and ${host} runs the least so far`,
  },
  sc: (host: string, zone: string, storage: ScStorage | undefined, onlyHost: boolean) => {
    const amount =
      storage === undefined
        ? undefined
        : storage.unusedDisks.length === 0
          ? `${storage.freeGiB} GiB free at ${storage.path}`
          : `${storage.totalGiB} GiB: unused ${storage.unusedDisks.length === 1 ? 'disk' : 'disks'} ${list(storage.unusedDisks)}` +
            (storage.freeGiB === undefined ? '' : ` and ${storage.freeGiB} GiB free at ${storage.path}`);
    if (onlyHost) return `sc of ${zone} on ${host}: the zone's only host${amount ? ` (${amount})` : ''}`;
    if (amount === undefined)
      return `sc of ${zone} on ${host}: no host of the zone reported its disks; ${host} runs the least`;
    return `sc of ${zone} on ${host}: most block storage in the zone (${amount})`;
  },
  nc: {
    kvm: (host: string, zone: string, cores: number, memoryMiB: number) =>
      `nc of ${zone} on ${host}: KVM, ${capacity(cores, memoryMiB)} for instances`,
    emulation: (host: string, zone: string, cores: number, memoryMiB: number) =>
      `nc of ${zone} on ${host}: no KVM, so instances run under software emulation (${capacity(cores, memoryMiB)})`,
  },
  moved: (component: ComponentName, zone: string | undefined, host: string) =>
    `${component}${zone ? ` of ${zone}` : ''} on ${host}: moved there by you`,
  zone: (zone: string, subnet: string | undefined, hosts: readonly string[]) =>
    subnet === undefined
      ? `${zone}: the hosts whose subnet discovery could not tell (${list(hosts)})`
      : `${zone}: one zone per subnet; the hosts on ${subnet} (${list(hosts)})`,
  unusedHost: (host: string) =>
    `${host}: nothing placed; it cannot run instances and other hosts suit the clc and walrus better`,
};

/** What the sc reason names: the total, the unused disks it counted and the free space beside them. */
export interface ScStorage {
  totalGiB: number;
  unusedDisks: string[];
  freeGiB?: number;
  path?: string;
}

interface Text {
  message: string;
  fix: string;
}

export const problemTexts = {
  unreachable: (host: string, address: string, error: string | undefined): Text => ({
    message: `${host} (${address}) could not be reached${error ? `: ${error}` : ''}`,
    fix: `Check that \`ssh USER@${address}\` works from this machine (address, user, key, known_hosts), or exclude ${host}.`,
  }),
  noSudo: (host: string, user: string, problem: string | undefined): Text => ({
    message: `${user} on ${host} cannot act as root${problem ? `: ${problem}` : ''}`,
    fix: `Connect as root, or give ${user} sudo without a password (\`${user} ALL=(ALL) NOPASSWD:ALL\` in /etc/sudoers.d/mallee on ${host}), or exclude ${host}.`,
  }),
  lowMemory: (host: string, totalMiB: number, minMiB: number): Text => ({
    message: `${host} has ${gib(totalMiB)} of memory; Mallee needs at least ${gib(minMiB)}`,
    fix: `Give ${host} more memory, or exclude it.`,
  }),
  lowDisk: (host: string, freeGiB: number, path: string, minGiB: number): Text => ({
    message: `${host} has ${freeGiB} GiB free at ${path}; Mallee needs at least ${minGiB} GiB`,
    fix: `Free space at ${path}, give ${host} a dataDir on a larger disk in the inventory, or exclude it.`,
  }),
  portInUse: (host: string, port: number, component: ComponentName): Text => ({
    message: `port ${port} on ${host} is already in use; the ${component} needs it`,
    fix: `Stop what listens there (\`ss -ltnp 'sport = :${port}'\` on ${host} shows it), or move the ${component} to another host.`,
  }),
  clockSkew: (host: string, offsetSeconds: number, maxSeconds: number): Text => ({
    message: `${host}'s clock is ${Math.abs(Math.round(offsetSeconds))} s ${offsetSeconds > 0 ? 'ahead of' : 'behind'} this machine's (more than ${maxSeconds} s): components would refuse each other's signatures and certificates`,
    fix: `Synchronise ${host}'s clock with NTP (install and start chrony or systemd-timesyncd), then run the installer again.`,
  }),
  wrongArchitecture: (host: string, machine: string, needed: string): Text => ({
    message: `${host} is ${machine}; the bundle's Node runtime and native modules are built for ${needed} (this machine's)`,
    fix: `To install ${machine} hosts, run faststart on a machine that is ${machine} too; or exclude ${host}.`,
  }),
  oldGlibc: (host: string, found: string, needed: string): Text => ({
    message: `${host} has glibc ${found}; the bundle's Node runtime and native modules need glibc ${needed} or newer`,
    fix: `Upgrade ${host} to a release with glibc ${needed} or newer (Debian 12, Ubuntu 22.04, RHEL 9 and later have it), or exclude it.`,
  }),
  unknownLibc: (host: string, libc: string, needed: string): Text => ({
    message: `${host} has ${libc === 'musl' ? 'musl' : 'no C library discovery could name'}, not glibc; the bundle's Node runtime and native modules need glibc ${needed} or newer`,
    fix: `Use a glibc-based distribution on ${host} (Debian, Ubuntu, RHEL and their kin), or exclude it.`,
  }),
  noKvm: (host: string): Text => ({
    message: `no KVM on ${host}: instances will run under software emulation`,
    fix: `If ${host}'s CPU has VT-x or AMD-V, enable it in the firmware and load kvm_intel or kvm_amd; otherwise instances still run, only slower.`,
  }),
  noBootStart: (host: string, pid1: string, cloud: string): Text => ({
    message: `nothing on ${host} will start Mallee after a reboot: its PID 1 is ${pid1}, neither systemd nor sysvinit`,
    fix: `After ${host} reboots, run \`cloudctl services start all --host ${host}\` (or \`service mallee-${cloud} start\` on it), or use a host where systemd or sysvinit is PID 1.`,
  }),
  noRoute: (host: string, subnet: string, peer: string, peerAddress: string, roles: readonly string[]): Text => ({
    message: `${host} cannot reach ${peer} (${peerAddress}), where the ${list(roles)} will run: it has no default route and no address on ${peer}'s subnet ${subnet}`,
    fix: `Give ${host} a route to ${subnet} (\`ip route add ${subnet} via GATEWAY\`) or a default route, or exclude ${host}.`,
  }),
  noUsableHost: (): Text => ({
    message: 'no host can take part: every one is unreachable or excluded',
    fix: 'Check SSH access to the hosts (or add hosts), then run the installer again.',
  }),
  noVmHost: (): Text => ({
    message: 'no host can run instances, so the cloud would have no node controller',
    fix: 'Add a host where discovery finds /dev/kvm or qemu (install qemu-system-x86), then run the installer again.',
  }),
} satisfies Record<string, (...args: never[]) => Text>;

/** Code per problem text, so the table above stays the one list of wording. */
export const problemCodeOf: Record<keyof typeof problemTexts, PlacementProblemCode> = {
  unreachable: 'unreachable',
  noSudo: 'no-sudo',
  lowMemory: 'low-memory',
  lowDisk: 'low-disk',
  portInUse: 'port-in-use',
  clockSkew: 'clock-skew',
  wrongArchitecture: 'wrong-architecture',
  oldGlibc: 'old-glibc',
  unknownLibc: 'unknown-libc',
  noKvm: 'no-kvm',
  noBootStart: 'no-boot-start',
  noRoute: 'no-route',
  noUsableHost: 'no-usable-host',
  noVmHost: 'no-vm-host',
};

export const editErrors = {
  unknownHost: (host: string, known: readonly string[]) => ({
    message: `there is no host "${host}"`,
    hint: `Hosts: ${list(known)}.`,
  }),
  hostNotUsable: (host: string) => ({
    message: `${host} is excluded or unreachable`,
    hint: 'Pick one of the hosts in the plan.',
  }),
  alreadyExcluded: (host: string) => ({
    message: `${host} is already excluded`,
    hint: 'Pick another host.',
  }),
  lastHost: (host: string) => ({
    message: `${host} is the last host left; excluding it would leave no cloud`,
    hint: 'Abort instead, or exclude another host.',
  }),
  unknownComponent: (component: string, zone: string | undefined) => ({
    message: `there is no ${component}${zone ? ` in zone "${zone}"` : ''} in the plan`,
    hint: 'Pick a component from the plan.',
  }),
  zoneNeeded: (component: ComponentName, zones: readonly string[]) => ({
    message: `which ${component}? There is one per zone`,
    hint: `Name its zone: ${list(zones)}.`,
  }),
  ncNotMovable: () => ({
    message: 'an nc runs on every host that can run instances; it is not moved',
    hint: 'To keep instances off a host, exclude that host.',
  }),
  alreadyThere: (component: ComponentName, host: string) => ({
    message: `the ${component} is already on ${host}`,
    hint: 'Pick another host.',
  }),
  offZoneSubnet: (component: ComponentName, zone: string, host: string) => ({
    message: `${host} is not on the subnet of zone "${zone}"; the ${component} serves that zone's nodes and must be on it`,
    hint: `Pick a host of zone "${zone}".`,
  }),
  unknownZone: (zone: string, known: readonly string[]) => ({
    message: `there is no zone "${zone}"`,
    hint: `Zones: ${list(known)}.`,
  }),
  invalidZoneName: (name: string) => ({
    message: `"${name}" cannot name a zone`,
    hint: 'Use lowercase letters, digits and hyphens (at most 63, not starting or ending with a hyphen), e.g. "zone-a".',
  }),
  duplicateZone: (name: string) => ({
    message: `there is already a zone "${name}"`,
    hint: 'Pick a name no other zone has.',
  }),
};

export type EditErrorText = { message: string; hint: string };
