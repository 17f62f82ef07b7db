// How long the node controller takes to boot the tiny guest to its ready marker (ncRunInstance, console polled
// through ncGetConsoleOutput), beside the floor: `virsh create` of the very domain XML the nc wrote, console file
// polled directly. Then how long 50 instances take to reach `running` on test:///default.
// And the whole path: RunInstances at an all-in-one cloud (clc -> cc -> nc -> libvirt), console polled through
// GetConsoleOutput, beside the same floor.
// Run: npm run build && npx tsx bench/instance-boot.ts [ROUNDS]
import { randomBytes } from 'node:crypto';
import { chmodSync, copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { Agent } from 'node:https';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  EC2Client,
  GetConsoleOutputCommand,
  RegisterImageCommand,
  RunInstancesCommand,
  TerminateInstancesCommand,
} from '@aws-sdk/client-ec2';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import type { Test } from 'tap';
import type { CloudFile } from '../src/cloud/cloud-file.js';
import type { NodeInstanceSpec } from '../src/clients/node-controller.js';
import { ensureLibvirtd } from '../src/local/libvirtd.js';
import { runCli, runCommand, temporaryDir } from '../test/helpers/cli.js';
import { startNc } from '../test/helpers/nc.js';
import { buildTinyGuest, guestReadyMarker } from '../test/helpers/tiny-guest.js';

const rounds = Number(process.argv[2] ?? 3);
const cleanups: (() => unknown)[] = [];
// startNc registers its teardown on a tap test; here it runs at the end of the bench.
const harness = { teardown: (cleanup: () => unknown) => cleanups.push(cleanup) } as unknown as Test;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

async function until(condition: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`not within ${timeoutMs / 1000} s`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

const newId = () => `i-${randomBytes(9).toString('hex').slice(0, 17)}`;

try {
  await ensureLibvirtd();
  const guest = await buildTinyGuest();
  const nc = await startNc(harness, { hypervisor: 'qemu:///system', settings: { stopTimeoutSeconds: 1 } });
  const client = await nc.client();
  const machinePath = join(nc.dir, 'machine.img');
  writeFileSync(machinePath, Buffer.alloc(1024 * 1024));
  const image = (imageId: string, path: string) => ({ imageId, url: pathToFileURL(path).toString() });
  const spec = (instanceId: string): NodeInstanceSpec => ({
    instanceId,
    reservationId: 'r-0000000000000bench',
    accountId: '000000000000',
    instanceType: 't2.nano',
    cores: 1,
    memoryMiB: 128,
    diskGiB: 1,
    machine: image('ami-0000000000000b01', machinePath),
    kernel: image('aki-0000000000000b01', guest.kernel),
    ramdisk: image('ari-0000000000000b01', guest.ramdisk),
  });

  const viaNc: number[] = [];
  const direct: number[] = [];
  for (let round = 0; round < rounds; round++) {
    const instanceId = newId();
    let started = performance.now();
    await client.runInstance(spec(instanceId));
    await until(async () => {
      const { output } = await client.getConsoleOutput(instanceId);
      return Buffer.from(output, 'base64').toString('latin1').includes(guestReadyMarker);
    }, 120_000);
    viaNc.push(performance.now() - started);
    const xml = readFileSync(join(nc.dataDir, 'instances', instanceId, 'domain.xml'), 'utf8');
    await client.terminateInstance(instanceId);

    // The floor: the same XML (its own disk and console), straight to libvirt.
    const floorId = newId();
    const floorDir = join(nc.dir, floorId);
    await runCommand('mkdir', ['-m', '755', floorDir]);
    const base = join(nc.dataDir, 'images', 'ami-0000000000000b01');
    await runCommand('qemu-img', [
      'create',
      '-q',
      '-f',
      'qcow2',
      '-b',
      base,
      '-F',
      'raw',
      join(floorDir, 'disk.qcow2'),
    ]);
    const floorXml = xml
      .replaceAll(instanceId, floorId)
      .replace(/<mallee:instance[\s\S]*<\/mallee:instance>/, '')
      .replace(/<disk type='file' device='cdrom'>[\s\S]*?<\/disk>/, '')
      .replaceAll(join(nc.dataDir, 'instances', floorId), floorDir);
    writeFileSync(join(floorDir, 'domain.xml'), floorXml);
    started = performance.now();
    await runCommand('virsh', ['-c', 'qemu:///system', 'create', join(floorDir, 'domain.xml')]);
    const consoleLog = join(floorDir, 'console.log');
    await until(
      async () => existsSync(consoleLog) && readFileSync(consoleLog, 'latin1').includes(guestReadyMarker),
      120_000,
    );
    direct.push(performance.now() - started);
    await runCommand('virsh', ['-c', 'qemu:///system', 'destroy', floorId]);
  }
  const viaApi = await bootThroughTheApi(guest, rounds);
  const floor = median(direct);
  console.log(`boot to ${guestReadyMarker} over ${rounds} runs (median):`);
  console.log(`  virsh create of the same XML (the floor):            ${(floor / 1000).toFixed(2)} s`);
  console.log(
    `  nc (ncRunInstance, console via ncGetConsoleOutput):  ${(median(viaNc) / 1000).toFixed(2)} s  ${(median(viaNc) / floor).toFixed(2)}x`,
  );
  console.log(
    `  RunInstances at the clc (clc -> cc -> nc -> libvirt): ${(median(viaApi) / 1000).toFixed(2)} s  ${(median(viaApi) / floor).toFixed(2)}x`,
  );
  console.log('  goal: within 1.3x of the floor');

  const simulated = await startNc(harness, { hypervisor: 'test:///default' });
  const testClient = await simulated.client();
  const ids = Array.from({ length: 50 }, newId);
  const started = performance.now();
  await Promise.all(ids.map((id) => testClient.runInstance({ ...spec(id), kernel: undefined, ramdisk: undefined })));
  await until(async () => {
    const instances = await testClient.describeInstances(ids);
    return instances.length === 50 && instances.every((instance) => instance.state === 'running');
  }, 120_000);
  console.log(`50 instances to running on test:///default: ${((performance.now() - started) / 1000).toFixed(2)} s`);
} finally {
  for (const cleanup of cleanups.reverse()) await cleanup();
}

/** Boots the guest `rounds` times through the EC2 API of an all-in-one cloud on qemu:///system. */
async function bootThroughTheApi(guest: { kernel: string; ramdisk: string }, rounds: number): Promise<number[]> {
  const dir = temporaryDir('bench-boot');
  chmodSync(dir, 0o755);
  const up = await runCli('cloudctl', ['local', 'up', '--dir', dir, '--hypervisor', 'qemu', '--json']);
  if (up.code !== 0) throw new Error(`local up failed: ${up.stderr}`);
  cleanups.push(() => runCli('cloudctl', ['local', 'down', '--dir', dir]));
  const cloud = JSON.parse(up.stdout).cloud as CloudFile;
  const ec2 = new EC2Client({
    endpoint: cloud.endpoints.ec2,
    region: cloud.region,
    credentials: cloud.credentials,
    requestHandler: new NodeHttpHandler({ httpsAgent: new Agent({ ca: readFileSync(cloud.caBundle) }) }),
  });
  const images = join(dir, 'images', 'bench');
  mkdirSync(images, { recursive: true });
  copyFileSync(guest.kernel, join(images, 'vmlinuz'));
  copyFileSync(guest.ramdisk, join(images, 'initrd.img'));
  writeFileSync(join(images, 'disk.img'), Buffer.alloc(1024 * 1024));
  const register = async (Name: string, file: string, extra: Record<string, string> = {}) =>
    (await ec2.send(new RegisterImageCommand({ Name, ImageLocation: `bench/${file}`, ...extra }))).ImageId!;
  const KernelId = await register('bench-kernel', 'vmlinuz', { KernelId: 'true' });
  const RamdiskId = await register('bench-ramdisk', 'initrd.img', { RamdiskId: 'true' });
  const ImageId = await register('bench-image', 'disk.img', { KernelId, RamdiskId });
  const times: number[] = [];
  for (let round = 0; round < rounds; round++) {
    const started = performance.now();
    const run = await ec2.send(
      new RunInstancesCommand({ ImageId, MinCount: 1, MaxCount: 1, InstanceType: 't1.micro' }),
    );
    const InstanceId = run.Instances![0]!.InstanceId!;
    await until(async () => {
      const { Output } = await ec2.send(new GetConsoleOutputCommand({ InstanceId }));
      return Buffer.from(Output ?? '', 'base64')
        .toString('latin1')
        .includes(guestReadyMarker);
    }, 120_000);
    times.push(performance.now() - started);
    await ec2.send(new TerminateInstancesCommand({ InstanceIds: [InstanceId] }));
  }
  return times;
}
