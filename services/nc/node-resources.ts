import { readFile, statfs } from 'node:fs/promises';
import { availableParallelism } from 'node:os';

/** The host's own size, read from the kernel (libvirt's nodeGetInfo reports only NUMA node 0's memory). */
export interface HostSize {
  cores: number;
  memoryMiB: number;
  disk: { totalBytes: number; availableBytes: number };
}

/** `MemTotal` of /proc/meminfo, in MiB. */
export function parseMeminfo(text: string): { totalMiB: number; availableMiB?: number } {
  const field = (name: string): number | undefined => {
    const match = new RegExp(`^${name}:\\s+(\\d+)\\s*kB`, 'm').exec(text);
    return match ? Math.floor(Number(match[1]) / 1024) : undefined;
  };
  const totalMiB = field('MemTotal');
  if (totalMiB === undefined) throw new Error('/proc/meminfo has no MemTotal');
  return { totalMiB, availableMiB: field('MemAvailable') };
}

export async function readHostSize(dataDir: string): Promise<HostSize> {
  const meminfo = parseMeminfo(await readFile('/proc/meminfo', 'utf8'));
  const disk = await statfs(dataDir);
  return {
    cores: availableParallelism(),
    memoryMiB: meminfo.totalMiB,
    disk: { totalBytes: disk.blocks * disk.bsize, availableBytes: disk.bavail * disk.bsize },
  };
}

/** What instances take: cores and memory while they run; their disks' promised size whether or not they run. */
export interface InstanceUsage {
  running: boolean;
  cores: number;
  memoryMiB: number;
  diskGiB: number;
  /** Bytes the instance's overlay already occupies (already gone from the disk's available space). */
  diskAllocatedBytes: number;
}

const gib = 2 ** 30;

/** The node's capacity minus its instances' share; never negative. */
export function freeResources(host: HostSize, instances: readonly InstanceUsage[]) {
  const running = instances.filter((instance) => instance.running);
  const usedCores = running.reduce((sum, instance) => sum + instance.cores, 0);
  const usedMemory = running.reduce((sum, instance) => sum + instance.memoryMiB, 0);
  // Overlays grow as guests write: what they may still grow to is spoken for already.
  const promisedBytes = instances.reduce(
    (sum, instance) => sum + Math.max(0, instance.diskGiB * gib - instance.diskAllocatedBytes),
    0,
  );
  return {
    cores: { total: host.cores, free: Math.max(0, host.cores - usedCores) },
    memoryMiB: { total: host.memoryMiB, free: Math.max(0, host.memoryMiB - usedMemory) },
    diskGiB: {
      total: Math.floor(host.disk.totalBytes / gib),
      free: Math.max(0, Math.floor((host.disk.availableBytes - promisedBytes) / gib)),
    },
  };
}
