import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { discoveryScript, sectionNames, splitSections } from '../../../src/discovery/discovery-script.js';
import { formatDiscovery, hostProblems } from '../../../src/discovery/discovery-report.js';
import type { HostFacts } from '../../../src/discovery/host-facts.js';
import {
  clockOffsetSeconds,
  disksFromDf,
  factsFromSections,
  parseDefaultRoute,
  parseDf,
  parseIpAddr,
  parseLibvirt,
  parseListeningPorts,
  parseLsblk,
  parseMeminfo,
  parseOsRelease,
  parsePackageManager,
  parsePlatform,
  parseQemu,
  parseRoot,
  parseVirtualization,
  subnetOf,
} from '../../../src/discovery/parse-host-output.js';
import { projectRoot } from '../../helpers/cli.js';

const fixture = (name: string) => readFileSync(join(projectRoot, 'test', 'fixtures', 'discovery', name), 'utf8');

t.test('a whole captured run on a Debian 12 machine (2 cores, no KVM, not systemd)', async (t) => {
  const sections = splitSections(fixture('debian12-root-namespace.txt'));
  t.same(Object.keys(sections).sort(), [...sectionNames].sort(), 'every section is there');
  const facts = factsFromSections({ name: 'vm', address: '192.0.2.2' }, sections);
  t.match(facts, {
    name: 'vm',
    reachable: true,
    hostname: 'vm',
    os: { id: 'debian', version: '12', prettyName: 'Debian GNU/Linux 12 (bookworm)' },
    cores: 2,
    memoryMiB: { total: 24105, available: 23407 },
    virtualization: 'emulation',
    disks: [{ mount: '/', device: '/dev/vda', sizeGiB: 252, freeGiB: 78.8 }],
    blockDevices: [{ device: '/dev/vda', sizeGiB: 256, inUse: true }],
    dataDirFreeGiB: 78.8,
    defaultRoute: { gateway: '192.0.2.1', interface: 'eth0' },
    libvirt: { installed: true, version: '9.0.0', running: false },
    qemu: { installed: true, version: '7.2.22' },
    systemdIsPid1: false,
    pid1: 'process_api',
    bootStarter: 'none',
    root: { user: 'root', viaSudo: false, works: true },
    packageManager: 'apt-get',
    platform: { machine: 'x86_64', libc: { name: 'glibc', version: '2.36' } },
  });
  t.same(facts.interfaces, [
    {
      name: 'eth0',
      addresses: [
        { address: '192.0.2.2', prefixLength: 24, subnet: '192.0.2.0/24' },
        { address: 'fd00::2', prefixLength: 64, subnet: 'fd00::/64' },
      ],
    },
  ]);
  t.same(facts.listeningPorts, [2024, 35703, 39829, 39959]);
});

t.test('a captured run on a test-bed host as a user whose sudo wants a password', async (t) => {
  const sections = splitSections(fixture('debian12-testbed-sudo-password.txt'));
  const facts = factsFromSections({ name: 'h1', address: '10.251.201.11' }, sections);
  t.match(facts, {
    hostname: 'mallee-h1',
    systemdIsPid1: false,
    listeningPorts: [22],
    defaultRoute: { gateway: '10.251.201.1', interface: 'eth0' },
    libvirt: { installed: true, version: '9.0.0', running: false },
    root: { user: 'needpw', viaSudo: true, works: false },
  });
  t.same(facts.interfaces, [
    { name: 'eth0', addresses: [{ address: '10.251.201.11', prefixLength: 24, subnet: '10.251.201.0/24' }] },
  ]);
  t.same(facts.disks, [{ mount: '/', device: '/dev/vda', sizeGiB: 252, freeGiB: 78 }], 'overlays are left out');
  t.equal(facts.dataDirFreeGiB, 78, 'the data dir lies on the /var overlay');
  t.match(facts.root?.problem, 'asks needpw for a password');
});

t.test('the script quotes the data dir and ends with exit 0 so a missing tool fails nothing', async (t) => {
  const script = discoveryScript("/srv/it's here");
  t.match(script, `d='/srv/it'\\''s here'`);
  t.match(script, /exit 0$/);
  t.match(
    script,
    /^PATH="\$PATH:\/usr\/local\/sbin:\/usr\/sbin:\/sbin"/,
    'ip and libvirtd are found for non-root users',
  );
  t.same(splitSections('noise\n@@mallee:pid1@@\nsystemd\n@@mallee:bogus@@\nx\n'), {
    pid1: 'systemd\n@@mallee:bogus@@\nx',
  });
});

t.test('os-release of other distributions', async (t) => {
  const rocky =
    'NAME="Rocky Linux"\nVERSION="9.4 (Blue Onyx)"\nID="rocky"\nID_LIKE="rhel centos fedora"\nVERSION_ID="9.4"\nPRETTY_NAME="Rocky Linux 9.4 (Blue Onyx)"\n';
  t.same(parseOsRelease(rocky), { id: 'rocky', version: '9.4', prettyName: 'Rocky Linux 9.4 (Blue Onyx)' });
  t.same(parseOsRelease("ID=arch\nNAME='Arch Linux'\n"), { id: 'arch', version: '', prettyName: 'Arch Linux' });
  t.equal(parseOsRelease(''), undefined);
});

t.test('memory comes from /proc/meminfo in MiB', async (t) => {
  t.same(parseMeminfo('MemTotal:       24683784 kB\nMemAvailable:   22854732 kB\n'), {
    total: 24105,
    available: 22319,
  });
  t.equal(parseMeminfo('nothing'), undefined);
});

t.test('KVM needs vmx or svm and /dev/kvm; the hypervisor flag alone is emulation', async (t) => {
  const guest = 'flags\t\t: fpu vme de pse tsc msr pae hypervisor lahf_lm';
  t.equal(parseVirtualization(guest, 'present'), 'emulation', '/dev/kvm without vmx/svm (this machine)');
  t.equal(parseVirtualization('flags\t\t: fpu vmx ssse3', 'present'), 'kvm');
  t.equal(parseVirtualization('flags\t\t: fpu svm sse4a', 'present'), 'kvm');
  t.equal(parseVirtualization('flags\t\t: fpu vmx ssse3', ''), 'emulation', 'vmx without /dev/kvm');
  t.equal(parseVirtualization('flags\t\t: fpu vmxx', 'present'), 'emulation', 'whole flags only');
});

t.test('df -P -k: real filesystems, mount points with spaces, no tmpfs, overlays or loop images', async (t) => {
  const df = [
    'Filesystem     1024-blocks      Used Available Capacity Mounted on',
    'udev              16343968         0  16343968       0% /dev',
    '/dev/nvme0n1p2   479079112 123581432 331086408      28% /',
    '/dev/nvme0n1p1      523248      6220    517028       2% /boot/efi',
    '/dev/sdb1       3844640564  10485760 3638833920       1% /srv/big disk',
    '/dev/loop3           65536     65536         0     100% /snap/core/1',
    'overlay          479079112 123581432 331086408      28% /etc',
    '/dev/nvme0n1p2   479079112 123581432 331086408      28% /',
  ].join('\n');
  const rows = parseDf(df);
  t.equal(rows.length, 7);
  t.same(disksFromDf(rows), [
    { mount: '/', device: '/dev/nvme0n1p2', sizeGiB: 456.9, freeGiB: 315.7 },
    { mount: '/boot/efi', device: '/dev/nvme0n1p1', sizeGiB: 0.5, freeGiB: 0.5 },
    { mount: '/srv/big disk', device: '/dev/sdb1', sizeGiB: 3666.5, freeGiB: 3470.3 },
  ]);
});

t.test('lsblk -J: whole disks, in use when a partition is mounted', async (t) => {
  const lsblk = JSON.stringify({
    blockdevices: [
      {
        name: 'nvme0n1',
        type: 'disk',
        size: 512110190592,
        mountpoint: null,
        children: [{ name: 'nvme0n1p2', type: 'part', size: 511, mountpoint: '/' }],
      },
      { name: 'sdc', type: 'disk', size: 4000787030016, mountpoint: null },
      { name: 'zram0', type: 'disk', size: 0, mountpoint: null },
      { name: 'sr0', type: 'rom', size: 1073741312, mountpoint: null },
    ],
  });
  t.same(parseLsblk(lsblk), [
    { device: '/dev/nvme0n1', sizeGiB: 476.9, inUse: true },
    { device: '/dev/sdc', sizeGiB: 3726, inUse: false },
  ]);
  t.same(parseLsblk('lsblk: unknown column'), [], 'old lsblk without -J yields nothing, not a crash');
});

t.test('ip -j addr and route: global addresses with their subnets, the default gateway', async (t) => {
  const addr = JSON.stringify([
    { ifname: 'lo', link_type: 'loopback', addr_info: [{ family: 'inet', local: '127.0.0.1', prefixlen: 8 }] },
    {
      ifname: 'br0',
      link_type: 'ether',
      addr_info: [
        { family: 'inet', local: '10.250.0.11', prefixlen: 24, scope: 'global' },
        { family: 'inet', local: '172.16.5.9', prefixlen: 20, scope: 'global' },
        { family: 'inet6', local: '2001:db8:0:7::11', prefixlen: 56, scope: 'global' },
        { family: 'inet6', local: 'fe80::1', prefixlen: 64, scope: 'link' },
      ],
    },
    { ifname: 'eth1', link_type: 'ether', addr_info: [] },
  ]);
  t.same(parseIpAddr(addr), [
    {
      name: 'br0',
      addresses: [
        { address: '10.250.0.11', prefixLength: 24, subnet: '10.250.0.0/24' },
        { address: '172.16.5.9', prefixLength: 20, subnet: '172.16.0.0/20' },
        { address: '2001:db8:0:7::11', prefixLength: 56, subnet: '2001:db8::/56' },
      ],
    },
  ]);
  t.equal(subnetOf('10.1.2.3', 32), '10.1.2.3/32');
  t.equal(subnetOf('10.1.2.3', 0), '0.0.0.0/0');
  t.equal(subnetOf('fd00:1:2:3:4:5:6:7', 64), 'fd00:1:2:3::/64');
  t.same(parseDefaultRoute('[{"dst":"default","gateway":"10.250.0.1","dev":"eth0","flags":[]}]'), {
    gateway: '10.250.0.1',
    interface: 'eth0',
  });
  t.equal(parseDefaultRoute('[]'), undefined, 'no default route');
});

t.test('ss -Hltn: every listening port once, IPv4, IPv6, wildcard and scoped forms', async (t) => {
  const ss = [
    'LISTEN 0      128          0.0.0.0:22        0.0.0.0:*',
    'LISTEN 0      4096   127.0.0.53%lo:53        0.0.0.0:*',
    'LISTEN 0      128             [::]:22           [::]:*',
    'LISTEN 0      511                *:8773            *:*',
  ].join('\n');
  t.same(parseListeningPorts(ss), [22, 53, 8773]);
});

t.test('libvirt, qemu, package manager', async (t) => {
  t.same(parseLibvirt('/usr/sbin/libvirtd\nlibvirtd (libvirt) 9.0.0', 'libvirtd'), {
    installed: true,
    version: '9.0.0',
    running: true,
  });
  t.same(parseLibvirt('/usr/sbin/virtqemud', 'virtqemud'), { installed: true, running: true }, 'modular daemons');
  t.same(parseLibvirt('', ''), { installed: false, running: false });
  t.same(parseQemu('QEMU emulator version 8.2.0 (qemu-kvm-8.2.0-11.el9_4)'), { installed: true, version: '8.2.0' });
  t.same(parseQemu(''), { installed: false });
  t.equal(parsePackageManager('/usr/bin/dnf'), 'dnf');
  t.equal(parsePackageManager('/usr/bin/apt-get\n'), 'apt-get');
  t.equal(parsePackageManager(''), undefined);
});

t.test('platform: the CPU architecture and the C library, from getconf or ldd', async (t) => {
  t.same(parsePlatform('x86_64\nglibc 2.36'), { machine: 'x86_64', libc: { name: 'glibc', version: '2.36' } });
  t.same(parsePlatform('aarch64\nglibc 2.31\n'), { machine: 'aarch64', libc: { name: 'glibc', version: '2.31' } });
  t.same(
    parsePlatform('x86_64\nldd (Debian GLIBC 2.36-9+deb12u4) 2.36'),
    { machine: 'x86_64', libc: { name: 'glibc', version: '2.36' } },
    'ldd where getconf is missing',
  );
  t.same(parsePlatform('x86_64\nmusl libc (x86_64)'), { machine: 'x86_64', libc: { name: 'musl' } }, 'Alpine');
  t.same(parsePlatform('riscv64\n'), { machine: 'riscv64', libc: { name: 'unknown' } });
  t.equal(parsePlatform(''), undefined, 'nothing said: nothing known');
});

t.test('root: root itself, sudo that works, sudo that wants a password, no sudo at all', async (t) => {
  t.same(parseRoot('h1', 'root\n0', ''), { user: 'root', viaSudo: false, works: true });
  t.same(parseRoot('h1', 'deploy\n1000', 'exit=0'), { user: 'deploy', viaSudo: true, works: true });
  const password = parseRoot('h1', 'deploy\n1000', 'sudo: a password is required\nexit=1');
  t.match(password, { user: 'deploy', viaSudo: true, works: false });
  t.match(password?.problem, /asks deploy for a password/);
  t.match(password?.problem, 'deploy ALL=(ALL) NOPASSWD: ALL', 'the fix is in the problem');
  t.match(parseRoot('h1', 'deploy\n1000', 'sh: 1: sudo: not found\nexit=127')?.problem, /sudo is not installed/);
});

t.test('clock offset: remote time against the midpoint of the round trip', async (t) => {
  t.equal(clockOffsetSeconds(1_000_000, '1000.250000000', 1_000_100), 0.2, 'remote 1000.25 vs local midpoint 1000.05');
  t.equal(clockOffsetSeconds(1_000_000, '990.0', 1_000_000), -10);
  t.equal(clockOffsetSeconds(0, 'date: invalid', 1), undefined);
});

t.test('problems and the table', async (t) => {
  const good: HostFacts = {
    name: 'h1',
    address: '10.0.0.5',
    reachable: true,
    os: { id: 'debian', version: '12', prettyName: 'Debian GNU/Linux 12 (bookworm)' },
    cores: 8,
    memoryMiB: { total: 32768, available: 30000 },
    virtualization: 'kvm',
    dataDirFreeGiB: 400,
    clockOffsetSeconds: 0.01,
    root: { user: 'root', viaSudo: false, works: true },
  };
  t.same(hostProblems(good), []);
  const poor: HostFacts = {
    ...good,
    virtualization: 'emulation',
    clockOffsetSeconds: -7.5,
    memoryMiB: { total: 1024, available: 800 },
    dataDirFreeGiB: 2,
    root: { user: 'deploy', viaSudo: true, works: false, problem: 'sudo wants a password' },
  };
  t.same(hostProblems(poor), [
    'no root: sudo does not work unattended',
    'no KVM: instances will run under software emulation',
    'clock off by -7.5 s (over 5 s)',
    '1024 MiB memory (under 2048 MiB)',
    '2 GiB free for data (under 10 GiB)',
  ]);
  const down: HostFacts = { name: 'h3', address: '10.0.0.7', reachable: false, error: 'refused. Start sshd.' };
  const table = formatDiscovery([good, down]).split('\n');
  t.match(
    table[0],
    /^HOST\s+OS\s+CORES\s+MEMORY\s+VIRT\s+FREE DISK\s+ADDRESSES\s+CLOCK SKEW\s+LIBVIRT\s+AT BOOT\s+PROBLEMS$/,
  );
  t.match(table[1], /^h1 \(10\.0\.0\.5\)\s+Debian GNU\/Linux 12 \(bookworm\)\s+8\s+32\.0 GiB\s+kvm\s+400 GiB/);
  t.match(table[2], /^h3 \(10\.0\.0\.7\)\s+-.*unreachable$/);
  t.ok(table.includes('h3: refused. Start sshd.'), 'the reason and fix follow the table');
  t.equal(table.at(-1), '1 of 2 hosts reachable.');
});

t.test('what starts Mallee at boot: systemd, sysvinit with runlevel tools, or nothing', async (t) => {
  const boot = (pid1: string) =>
    factsFromSections({ name: 'h1', address: '192.0.2.9' }, { pid1, 'os-release': 'ID=debian' });
  t.match(boot('systemd'), { pid1: 'systemd', systemdIsPid1: true, bootStarter: 'systemd' });
  t.match(boot('init\ninittab\nupdate-rc.d'), { pid1: 'init', systemdIsPid1: false, bootStarter: 'sysvinit' });
  t.match(boot('init\ninittab\nchkconfig'), { bootStarter: 'sysvinit' });
  t.match(boot('init\ninittab'), { bootStarter: 'none' }, 'busybox init: nothing links the script');
  t.match(boot('tini\nupdate-rc.d'), { pid1: 'tini', bootStarter: 'none' }, 'a container');
  const table = formatDiscovery([
    { ...boot('init\ninittab\nupdate-rc.d'), name: 'h1' },
    { ...boot('tini\nupdate-rc.d'), name: 'h2', address: '192.0.2.10' },
  ]);
  t.match(table, /AT BOOT/);
  t.match(table, /h1 \(192\.0\.2\.9\).*sysvinit/);
  t.match(table, /h2 \(192\.0\.2\.10\).*nothing \(PID 1: tini\)/);
});
