import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';

/** Printed on the guest's serial console (ttyS0): first when its init runs, then when its network is up. */
export const guestBootedMarker = 'MALLEE_GUEST_BOOTED';
export const guestReadyMarker = 'MALLEE_GUEST_READY';

export interface TinyGuest {
  kernel: string;
  ramdisk: string;
}

// Debian builds virtio networking as modules; this load order matters.
const modules = [
  'drivers/virtio/virtio_ring',
  'drivers/virtio/virtio',
  'drivers/virtio/virtio_pci_modern_dev',
  'drivers/virtio/virtio_pci_legacy_dev',
  'drivers/virtio/virtio_pci',
  'net/core/failover',
  'drivers/net/net_failover',
  'drivers/net/virtio_net',
];

const dhcpScript = `#!/bin/busybox sh
[ "$1" = bound ] && { ip addr add $ip/\${mask:-24} dev $interface; [ -n "$router" ] && ip route add default via \${router%% *}; }
exit 0
`;

const initScript = `#!/bin/busybox sh
/bin/busybox --install -s /bin
mount -t proc proc /proc; mount -t sysfs sys /sys; mount -t devtmpfs dev /dev
echo "${guestBootedMarker} uptime=$(cut -d' ' -f1 /proc/uptime)" > /dev/ttyS0
for m in ${modules.map((path) => path.split('/').pop()).join(' ')}; do insmod /mods/$m.ko; done
ip link set lo up
ip link set eth0 up 2>/dev/null && udhcpc -i eth0 -n -q -t 5 -T 2 -s /dhcp.sh >/dev/null 2>&1 &&
  echo "MALLEE_GUEST_NET $(ip -4 -o addr show eth0 | awk '{print $4}')" > /dev/ttyS0
echo "${guestReadyMarker} uptime=$(cut -d' ' -f1 /proc/uptime)" > /dev/ttyS0
exec sh -c 'while :; do sleep 3600; done'
`;

/**
 * The tiny Linux guest of the tests (TESTBED.md): Debian's kernel and a 1.2 MB busybox initramfs whose init prints
 * the markers above on ttyS0. Built on this machine, no internet: the kernel from /boot when it has modules beside
 * it, else the linux-image package from the apt cache (`apt-get download`). Needs busybox-static. Kept in `dir`
 * and reused: the first build takes about 10 s.
 */
export async function buildTinyGuest(dir = join(tmpdir(), 'mallee-tiny-guest')): Promise<TinyGuest> {
  const guest = { kernel: join(dir, 'vmlinuz'), ramdisk: join(dir, 'initrd.img') };
  if (existsSync(guest.kernel) && existsSync(guest.ramdisk)) return guest;
  mkdirSync(dir, { recursive: true, mode: 0o755 });
  chmodSync(dir, 0o755);
  requireStaticBusybox(busyboxPath);
  const { vmlinuz, moduleDir } = await findKernel(dir);
  const rd = join(dir, 'rd');
  rmSync(rd, { recursive: true, force: true });
  for (const sub of ['bin', 'proc', 'sys', 'dev', 'tmp', 'etc', 'mods']) mkdirSync(join(rd, sub), { recursive: true });
  copyFileSync(busyboxPath, join(rd, 'bin', 'busybox'));
  chmodSync(join(rd, 'bin', 'busybox'), 0o755);
  for (const module of modules) {
    const compressed = join(moduleDir, 'kernel', `${module}.ko.xz`);
    const target = join(rd, 'mods', `${module.split('/').pop()}.ko`);
    if (existsSync(compressed)) await execa('sh', ['-c', `xz -dc "${compressed}" > "${target}"`]);
    else copyFileSync(join(moduleDir, 'kernel', `${module}.ko`), target);
  }
  writeFileSync(join(rd, 'init'), initScript, { mode: 0o755 });
  writeFileSync(join(rd, 'dhcp.sh'), dhcpScript, { mode: 0o755 });
  await execa('sh', [
    '-c',
    `cd "${rd}" && find . | busybox cpio -o -H newc 2>/dev/null | gzip -1 > "${guest.ramdisk}.tmp"`,
  ]);
  copyFileSync(vmlinuz, `${guest.kernel}.tmp`);
  await execa('mv', [`${guest.ramdisk}.tmp`, guest.ramdisk]);
  await execa('mv', [`${guest.kernel}.tmp`, guest.kernel]);
  return guest;
}

const busyboxPath = '/bin/busybox';

/**
 * The guest's initramfs holds busybox and no C library, so busybox must be linked statically (Debian's
 * busybox-static, not busybox): a dynamic one would leave the guest's kernel with an init it cannot run, seen only
 * as a smoke test that never reaches its marker. Static means no PT_INTERP program header in the ELF file.
 */
export function requireStaticBusybox(path: string): void {
  const fix = "install Debian's busybox-static (apt-get install busybox-static)";
  if (!existsSync(path)) throw new Error(`The tiny test guest needs ${path}, which is missing: ${fix}.`);
  if (elfHasInterpreter(path, readFileSync(path))) {
    throw new Error(`The tiny test guest needs a statically linked busybox, and ${path} is dynamic: ${fix}.`);
  }
}

function elfHasInterpreter(path: string, elf: Buffer): boolean {
  const ptInterp = 3;
  if (elf.length < 0x40 || elf.readUInt32BE(0) !== 0x7f454c46 || elf[4] !== 2 || elf[5] !== 1) {
    throw new Error(`The tiny test guest needs busybox, and ${path} is not a 64-bit little-endian ELF program.`);
  }
  const headersAt = Number(elf.readBigUInt64LE(0x20));
  const headerSize = elf.readUInt16LE(0x36);
  const headerCount = elf.readUInt16LE(0x38);
  for (let i = 0; i < headerCount; i++) {
    if (elf.readUInt32LE(headersAt + i * headerSize) === ptInterp) return true;
  }
  return false;
}

async function findKernel(dir: string): Promise<{ vmlinuz: string; moduleDir: string }> {
  const fromBoot = existsSync('/boot') ? readdirSync('/boot').filter((name) => name.startsWith('vmlinuz-')) : [];
  for (const name of fromBoot.sort().reverse()) {
    const moduleDir = `/lib/modules/${name.slice('vmlinuz-'.length)}`;
    if (existsSync(join(moduleDir, 'kernel'))) return { vmlinuz: join('/boot', name), moduleDir };
  }
  const kroot = join(dir, 'kroot');
  if (!existsSync(kroot)) {
    const depends = await execa('apt-cache', ['depends', 'linux-image-amd64']);
    const pkg = /Depends: (linux-image-[0-9]\S*)/.exec(depends.stdout)?.[1];
    if (!pkg) throw new Error('no linux-image package known to apt: run apt-get update');
    await execa('apt-get', ['download', pkg], { cwd: dir });
    const deb = readdirSync(dir).find((name) => name.startsWith(`${pkg}_`) && name.endsWith('.deb'));
    if (!deb) throw new Error(`apt-get download ${pkg} left no .deb`);
    await execa('dpkg', ['-x', join(dir, deb), kroot]);
    rmSync(join(dir, deb));
  }
  const vmlinuz = readdirSync(join(kroot, 'boot')).find((name) => name.startsWith('vmlinuz-'));
  const version = readdirSync(join(kroot, 'lib', 'modules'))[0];
  if (!vmlinuz || !version) throw new Error(`the kernel package in ${kroot} has no vmlinuz or modules`);
  return { vmlinuz: join(kroot, 'boot', vmlinuz), moduleDir: join(kroot, 'lib', 'modules', version) };
}
