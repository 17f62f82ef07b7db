import type { BootStarter } from './init-system.js';

/** What discovery learns about one host; placement is a pure function of these. */
export interface HostFacts {
  /** The host's name in the inventory (cloud.yaml `hosts[].name`). */
  name: string;
  address: string;
  reachable: boolean;
  /** Why the host could not be reached or inspected, when it could not. */
  error?: string;
  hostname?: string;
  os?: { id: string; version: string; prettyName: string };
  cores?: number;
  /** From /proc/meminfo (libvirt's nodeGetInfo reports NUMA node 0 only). */
  memoryMiB?: { total: number; available: number };
  /** `kvm`: vmx/svm and /dev/kvm; `emulation`: qemu software emulation only. */
  virtualization?: 'kvm' | 'emulation';
  disks?: { mount: string; device: string; sizeGiB: number; freeGiB: number }[];
  /** Whole disks (`lsblk`); `inUse` when it or a partition on it is mounted, so a free one can back volumes. */
  blockDevices?: { device: string; sizeGiB: number; inUse: boolean }[];
  /** Free space where Mallee keeps its data (dataDir, or the nearest existing parent). */
  dataDirFreeGiB?: number;
  interfaces?: { name: string; addresses: { address: string; prefixLength: number; subnet: string }[] }[];
  defaultRoute?: { gateway: string; interface: string };
  /** TCP ports something listens on. */
  listeningPorts?: number[];
  /** Host clock minus the installer's clock, in seconds (network delay halved out). */
  clockOffsetSeconds?: number;
  libvirt?: { installed: boolean; version?: string; running: boolean };
  qemu?: { installed: boolean; version?: string };
  systemdIsPid1?: boolean;
  /** PID 1's command name (`systemd`, `init`, `sshd` in a container...). */
  pid1?: string;
  /** What starts Mallee's daemons at boot (see BootStarter). */
  bootStarter?: BootStarter;
  /** The SSH user is root, or sudo works without a password or terminal. */
  root?: { user: string; viaSudo: boolean; works: boolean; problem?: string };
  packageManager?: 'apt-get' | 'dnf';
  /** `uname -m`, and the C library: glibc with its version, musl, or one not recognised. */
  platform?: { machine: string; libc: { name: 'glibc'; version: string } | { name: 'musl' | 'unknown' } };
}
