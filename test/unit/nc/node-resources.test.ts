import t from 'tap';
import { freeResources, parseMeminfo, readHostSize } from '../../../services/nc/node-resources.js';

const meminfo = `MemTotal:       24567808 kB
MemFree:         1234567 kB
MemAvailable:   20000000 kB
Buffers:          123456 kB
`;

t.test('memory comes from MemTotal of /proc/meminfo, in MiB', async (t) => {
  t.same(parseMeminfo(meminfo), { totalMiB: 23992, availableMiB: 19531 });
  t.throws(() => parseMeminfo('Buffers: 1 kB\n'), /no MemTotal/);
});

t.test('running instances take cores and memory; every instance keeps its disk promise', async (t) => {
  const host = { cores: 4, memoryMiB: 8192, disk: { totalBytes: 100 * 2 ** 30, availableBytes: 50 * 2 ** 30 } };
  const free = freeResources(host, [
    { running: true, cores: 1, memoryMiB: 1024, diskGiB: 10, diskAllocatedBytes: 2 * 2 ** 30 },
    { running: false, cores: 2, memoryMiB: 2048, diskGiB: 5, diskAllocatedBytes: 0 },
  ]);
  t.same(free, {
    cores: { total: 4, free: 3 },
    memoryMiB: { total: 8192, free: 7168 },
    diskGiB: { total: 100, free: 37 },
  });
  const full = freeResources(host, [{ running: true, cores: 8, memoryMiB: 9000, diskGiB: 80, diskAllocatedBytes: 0 }]);
  t.same([full.cores.free, full.memoryMiB.free, full.diskGiB.free], [0, 0, 0], 'never negative');
});

t.test('this host: the kernel, not libvirt', async (t) => {
  const size = await readHostSize('/tmp');
  t.ok(size.cores >= 1);
  t.ok(size.memoryMiB > 64);
  t.ok(size.disk.totalBytes >= size.disk.availableBytes && size.disk.availableBytes > 0);
});
