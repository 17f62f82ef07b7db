import { randomBytes } from 'node:crypto';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import t from 'tap';
import type { NodeControllerClient } from '../../src/clients/nc-client.js';
import { ensureLibvirtd } from '../../src/local/libvirtd.js';
import { runCommand } from '../helpers/cli.js';
import { startNc } from '../helpers/nc.js';
import { buildTinyGuest, guestBootedMarker, guestReadyMarker, kvmUsableByQemu } from '../helpers/tiny-guest.js';

// The node controller on the real hypervisor: libvirtd (started here where no systemd does), qemu software
// emulation without /dev/kvm, and the tiny guest booted Eucalyptus-style from a kernel and a ramdisk.
const virsh = (...args: string[]) => runCommand('virsh', ['-q', '-c', 'qemu:///system', ...args]);

async function consoleText(client: NodeControllerClient, instanceId: string): Promise<string> {
  return Buffer.from((await client.getConsoleOutput(instanceId)).output, 'base64').toString('latin1');
}

/** Polls a condition until it holds or the deadline passes; returns the last value seen. */
async function waitFor<T>(what: string, probe: () => Promise<T>, done: (value: T) => boolean, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  let value = await probe();
  while (!done(value)) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs / 1000} s`);
    await new Promise((resolve) => setTimeout(resolve, 250));
    value = await probe();
  }
  return value;
}

const count = (text: string, marker: string) => text.split(marker).length - 1;

t.test(
  'an instance of the tiny guest on qemu:///system: boot, volume, nc crash, stop, start, reboot, terminate',
  async (t) => {
    await ensureLibvirtd();
    const guest = await buildTinyGuest();
    const nc = await startNc(t, { hypervisor: 'qemu:///system', settings: { stopTimeoutSeconds: 3 } });
    const client = await nc.client();
    const instanceId = `i-${randomBytes(8).toString('hex').slice(0, 17)}`;
    t.teardown(async () => {
      await virsh('destroy', instanceId);
      await virsh('undefine', instanceId);
    });
    // The initramfs is the whole guest: the machine image only has to exist to be the disk's base.
    const machinePath = join(nc.dir, 'machine.img');
    writeFileSync(machinePath, Buffer.alloc(1024 * 1024));
    const image = (imageId: string, path: string) => ({ imageId, url: pathToFileURL(path).toString() });

    const resource = await client.describeResource();
    t.equal(
      resource.virtualization,
      kvmUsableByQemu() ? 'kvm' : 'qemu',
      'software emulation unless qemu can open /dev/kvm',
    );

    const started = Date.now();
    const instance = await client.runInstance({
      instanceId,
      reservationId: 'r-0123456789abcdef0',
      accountId: '123456789012',
      instanceType: 't2.nano',
      cores: 1,
      memoryMiB: 128,
      diskGiB: 1,
      machine: image('ami-00000000000000e2', machinePath),
      kernel: image('aki-00000000000000e2', guest.kernel),
      ramdisk: image('ari-00000000000000e2', guest.ramdisk),
    });
    t.equal(instance.state, 'running');
    const booted = await waitFor(
      'the guest prints its ready marker',
      () => consoleText(client, instanceId),
      (text) => text.includes(guestReadyMarker),
      90_000,
    );
    t.match(booted, guestBootedMarker);
    t.comment(`create to ${guestReadyMarker}: ${((Date.now() - started) / 1000).toFixed(1)} s`);
    t.equal((await virsh('domstate', instanceId)).stdout.trim(), 'running');
    const xml = (await virsh('dumpxml', instanceId)).stdout;
    t.match(xml, kvmUsableByQemu() ? /<domain type='kvm'/ : /<domain type='qemu'/);
    t.match(xml, /<kernel>[^<]*aki-00000000000000e2<\/kernel>/);

    t.test('a volume hot-plugs through virsh as a virtio disk', async (t) => {
      const target = join(nc.dir, 'vol.img');
      writeFileSync(target, Buffer.alloc(8 * 1024 * 1024));
      await client.attachVolume({ instanceId, volumeId: 'vol-000000000000000e2', device: '/dev/sdf', target });
      t.match((await virsh('domblklist', instanceId)).stdout, new RegExp(`vdf\\s+${target}`));
      t.same((await client.describeInstances([instanceId]))[0]?.volumes, [
        { volumeId: 'vol-000000000000000e2', device: '/dev/vdf' },
      ]);
      await client.detachVolume({ instanceId, volumeId: 'vol-000000000000000e2' });
      t.notMatch((await virsh('dumpxml', '--inactive', instanceId)).stdout, /vol\.img/, 'gone from the definition');
    });

    await t.test('kill -9 of the nc leaves the guest running, and the restarted nc finds it', async (t) => {
      const qemuPid = (await runCommand('pgrep', ['-f', `guest=${instanceId}`])).stdout.trim();
      nc.kill();
      await nc.restart();
      const again = await nc.client();
      t.same(
        (await again.describeInstances()).map((item) => [item.instanceId, item.state, item.reservationId]),
        [[instanceId, 'running', 'r-0123456789abcdef0']],
      );
      t.equal((await runCommand('pgrep', ['-f', `guest=${instanceId}`])).stdout.trim(), qemuPid, 'the same qemu');
    });

    const after = await nc.client();
    t.test('stop forces off a guest that ignores ACPI; start boots it again', async (t) => {
      t.match((await after.stopInstance(instanceId)).state, /^(stopping|stopped)$/);
      await waitFor(
        'the instance is stopped',
        async () => (await after.describeInstances([instanceId]))[0]?.state,
        (state) => state === 'stopped',
        30_000,
      );
      t.equal((await virsh('domstate', instanceId)).stdout.trim(), 'shut off', 'still defined');
      t.equal((await after.startInstance(instanceId)).state, 'running');
      const text = await waitFor(
        'the guest boots a second time',
        () => consoleText(after, instanceId),
        (value) => count(value, guestReadyMarker) >= 2,
        90_000,
      );
      t.equal(count(text, guestBootedMarker), 2, 'the console keeps the first boot too');
    });

    t.test('reboot: shut down (forced), started again', async (t) => {
      await after.rebootInstance(instanceId);
      t.equal((await after.describeInstances([instanceId]))[0]?.state, 'running');
      await waitFor(
        'the guest boots a third time',
        () => consoleText(after, instanceId),
        (value) => count(value, guestReadyMarker) >= 3,
        90_000,
      );
      t.equal((await virsh('domstate', instanceId)).stdout.trim(), 'running');
    });

    t.test('terminate destroys and undefines the domain and removes its files', async (t) => {
      t.equal((await after.terminateInstance(instanceId)).state, 'terminated');
      const state = await virsh('domstate', instanceId);
      t.not(state.code, 0);
      t.match(state.stderr, /failed to get domain|not found/i);
      t.notOk(existsSync(join(nc.dataDir, 'instances', instanceId)));
    });
  },
);
