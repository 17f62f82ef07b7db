import { posix } from 'node:path';
import { cloudDefaults } from '../config/component-defaults.js';
import { checkCidr, parseIpv4 } from '../config/net-formats.js';
import type { HostYaml } from '../config/types.js';
import type { HostFacts } from '../discovery/host-facts.js';

/** Where a host has the most room for data, and how much. */
export interface StorageSpot {
  freeGiB: number;
  /** The folder a component's data would go in: the host's data directory, or the mount point of a roomier disk. */
  path: string;
  onDataDir: boolean;
}

/** The numbers placement compares, derived once from a host's facts. */
export interface HostProfile {
  facts: HostFacts;
  name: string;
  /** Position in the inventory: the deterministic tie-break. */
  order: number;
  dataDir: string;
  /** The subnet (CIDR) of the address the installer reaches the host at; absent when the facts don't say. */
  subnet?: string;
  /** Zones are keyed by subnet; hosts whose subnet is unknown share the key `*`. */
  zoneKey: string;
  canRunVms: boolean;
  kvm: boolean;
  cores: number;
  memoryMiB: number;
  storage?: StorageSpot;
  /** Whole disks nothing is mounted from: room an sc can turn into volumes. */
  unusedDisks: { device: string; sizeGiB: number }[];
  /** Free space where Mallee keeps its data on this host, when the facts tell. */
  dataDirFreeGiB?: number;
}

export const unknownSubnetKey = '*';

/** Mounts that never hold data: boot partitions and kernel or runtime filesystems. */
const systemMounts = /^\/(boot|dev|proc|sys|run|snap)(\/|$)/;

export function profileHost(
  facts: HostFacts,
  order: number,
  inventory: HostYaml | undefined,
  cloudDataDir?: string,
): HostProfile {
  const dataDir = inventory?.dataDir ?? cloudDataDir ?? cloudDefaults.dataDir;
  const subnet = subnetOf(facts);
  const profile: HostProfile = {
    facts,
    name: facts.name,
    order,
    dataDir,
    ...(subnet && { subnet }),
    zoneKey: subnet ?? unknownSubnetKey,
    canRunVms: facts.virtualization !== undefined,
    kvm: facts.virtualization === 'kvm',
    cores: facts.cores ?? 0,
    memoryMiB: facts.memoryMiB?.total ?? 0,
    unusedDisks: (facts.blockDevices ?? [])
      .filter((disk) => !disk.inUse)
      .map((disk) => ({ device: disk.device, sizeGiB: disk.sizeGiB })),
  };
  const { best, dataDirFreeGiB } = storageOf(facts, dataDir);
  if (best) profile.storage = best;
  if (dataDirFreeGiB !== undefined) profile.dataDirFreeGiB = dataDirFreeGiB;
  return profile;
}

/** The subnet of the interface that carries the address the installer used; else the host's first IPv4 subnet. */
function subnetOf(facts: HostFacts): string | undefined {
  const addresses = (facts.interfaces ?? []).flatMap((iface) => iface.addresses);
  const usable = addresses.filter((entry) => checkCidr(entry.subnet).ok);
  const own = usable.find((entry) => entry.address === facts.address);
  if (own) return own.subnet;
  const containing = usable.find((entry) => subnetContains(entry.subnet, facts.address));
  if (containing) return containing.subnet;
  return usable.find((entry) => !entry.address.startsWith('127.'))?.subnet;
}

export function subnetContains(cidr: string, address: string): boolean {
  const [network, prefix] = cidr.split('/');
  const base = parseIpv4(network ?? '');
  const target = parseIpv4(address);
  const bits = Number(prefix);
  if (base === undefined || target === undefined || !(bits >= 0 && bits <= 32)) return false;
  const size = 2 ** (32 - bits);
  return Math.floor(base / size) === Math.floor(target / size);
}

/**
 * Whether `from` can send packets to `address`: it has an address on a subnet holding it, or a default route to try.
 * Facts carry no static routes, so a host with neither is taken to be cut off.
 */
export function canReach(from: HostFacts, address: string): boolean {
  if (parseIpv4(address) === undefined) return true;
  if (from.defaultRoute) return true;
  return (from.interfaces ?? []).some((iface) =>
    iface.addresses.some((entry) => subnetContains(entry.subnet, address)),
  );
}

function storageOf(facts: HostFacts, dataDir: string): { best?: StorageSpot; dataDirFreeGiB?: number } {
  const disks = (facts.disks ?? []).filter((disk) => !systemMounts.test(disk.mount));
  const holding = disks
    .filter((disk) => isUnder(dataDir, disk.mount))
    .sort((a, b) => b.mount.length - a.mount.length)[0];
  const dataDirFree = facts.dataDirFreeGiB ?? holding?.freeGiB;
  let best: StorageSpot | undefined =
    dataDirFree === undefined ? undefined : { freeGiB: dataDirFree, path: dataDir, onDataDir: true };
  for (const disk of disks) {
    if (disk === holding || (best && disk.freeGiB <= best.freeGiB)) continue;
    best = { freeGiB: disk.freeGiB, path: disk.mount, onDataDir: false };
  }
  return { ...(best && { best }), ...(dataDirFree !== undefined && { dataDirFreeGiB: dataDirFree }) };
}

function isUnder(path: string, mount: string): boolean {
  return mount === '/' || path === mount || path.startsWith(`${mount}/`);
}

/** The data directory of a component that goes where the host has most room. */
export function dataDirOn(spot: StorageSpot, component: string): string | undefined {
  return spot.onDataDir ? undefined : posix.join(spot.path, 'mallee', component);
}

/** What an sc can offer for volumes: unused whole disks plus the free space of the roomiest folder. */
export function blockStorageGiB(profile: HostProfile): number | undefined {
  const unused = profile.unusedDisks.reduce((sum, disk) => sum + disk.sizeGiB, 0);
  if (profile.storage === undefined && profile.unusedDisks.length === 0) return undefined;
  return unused + (profile.storage?.freeGiB ?? 0);
}
