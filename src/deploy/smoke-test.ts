import { readFileSync, writeFileSync } from 'node:fs';
import { Agent } from 'node:https';
import { tmpdir } from 'node:os';
import { setTimeout as delay } from 'node:timers/promises';
import { join } from 'node:path';
import type { CloudFile } from '../cloud/cloud-file.js';
import { buildTinyGuest, guestReadyMarker } from '../images/tiny-guest.js';

export interface SmokeTestResult {
  imageId: string;
  instanceId: string;
  state: string;
  /** Whether the guest printed its ready marker on the console (not asked of libvirt's simulated hypervisor). */
  consoleMarker?: boolean;
  seconds: number;
}

const bucket = 'mallee-smoke-test';
const imageName = 'mallee-smoke-test';

/**
 * Boots a first instance the way a user would, through the cloud's own endpoints: the tiny guest (Debian's kernel and
 * a busybox initramfs) uploaded to Walrus and registered once (re-runs reuse it), run, waited for until `running` and,
 * on a real hypervisor, until its console shows the ready marker; then terminated.
 */
export async function runSmokeTest(
  cloud: CloudFile,
  options: { consoleMarker: boolean; signal?: AbortSignal },
): Promise<SmokeTestResult> {
  // Interrupted, it stops waiting; an instance it started is still terminated.
  const pause = (ms: number) => delay(ms, undefined, { signal: options.signal });
  const started = Date.now();
  const ec2Sdk = await import('@aws-sdk/client-ec2');
  const s3Sdk = await import('@aws-sdk/client-s3');
  const agent = new Agent({ ca: readFileSync(cloud.caBundle), keepAlive: true });
  const common = {
    region: cloud.region,
    credentials: cloud.credentials,
    requestHandler: { httpsAgent: agent },
  };
  const ec2 = new ec2Sdk.EC2Client({ ...common, endpoint: cloud.endpoints.ec2 });
  const s3 = new s3Sdk.S3Client({ ...common, endpoint: cloud.endpoints.s3, forcePathStyle: true });
  try {
    const imageId = await ensureImage();
    const run = await ec2.send(
      new ec2Sdk.RunInstancesCommand({ ImageId: imageId, InstanceType: 't1.micro', MinCount: 1, MaxCount: 1 }),
    );
    const instanceId = run.Instances![0]!.InstanceId!;
    try {
      const state = await waitForState(instanceId, 'running', 180_000);
      let consoleMarker: boolean | undefined;
      if (options.consoleMarker) {
        const deadline = Date.now() + 180_000;
        for (;;) {
          const output = await ec2.send(new ec2Sdk.GetConsoleOutputCommand({ InstanceId: instanceId }));
          const text = Buffer.from(output.Output ?? '', 'base64').toString('utf8');
          if (text.includes(guestReadyMarker)) break;
          if (Date.now() > deadline) throw new Error(`${instanceId} never printed ${guestReadyMarker} on its console`);
          await pause(1000);
        }
        consoleMarker = true;
      }
      return { imageId, instanceId, state, consoleMarker, seconds: (Date.now() - started) / 1000 };
    } finally {
      await ec2.send(new ec2Sdk.TerminateInstancesCommand({ InstanceIds: [instanceId] }));
      await waitForState(instanceId, 'terminated', 120_000).catch(() => undefined);
    }
  } finally {
    ec2.destroy();
    s3.destroy();
    agent.destroy();
  }

  async function waitForState(instanceId: string, wanted: string, timeoutMs: number): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const answer = await ec2.send(new ec2Sdk.DescribeInstancesCommand({ InstanceIds: [instanceId] }));
      const instance = answer.Reservations?.[0]?.Instances?.[0];
      const state = instance?.State?.Name ?? 'unknown';
      if (state === wanted) return state;
      if (state === 'terminated' && wanted !== 'terminated') {
        throw new Error(`${instanceId} was terminated: ${instance?.StateReason?.Message ?? 'no reason given'}`);
      }
      if (Date.now() > deadline)
        throw new Error(`${instanceId} is ${state}, not ${wanted}, after ${timeoutMs / 1000} s`);
      await pause(500);
    }
  }

  /** The registered smoke-test image, or a new one: kernel, ramdisk and an empty disk in Walrus. */
  async function ensureImage(): Promise<string> {
    const existing = await ec2.send(
      new ec2Sdk.DescribeImagesCommand({ Owners: ['self'], Filters: [{ Name: 'name', Values: [imageName] }] }),
    );
    const found = existing.Images?.[0]?.ImageId;
    if (found) return found;
    const guest = await buildTinyGuest(join(tmpdir(), 'mallee-tiny-guest'));
    const disk = join(tmpdir(), 'mallee-smoke-disk.img');
    writeFileSync(disk, Buffer.alloc(1024 * 1024));
    await s3.send(new s3Sdk.CreateBucketCommand({ Bucket: bucket })).catch((error: Error) => {
      if (error.name !== 'BucketAlreadyOwnedByYou') throw error;
    });
    for (const [file, key] of [
      [guest.kernel, 'vmlinuz'],
      [guest.ramdisk, 'initrd.img'],
      [disk, 'disk.img'],
    ] as const) {
      await s3.send(new s3Sdk.PutObjectCommand({ Bucket: bucket, Key: key, Body: readFileSync(file) }));
    }
    const register = async (input: ConstructorParameters<typeof ec2Sdk.RegisterImageCommand>[0]) =>
      (await ec2.send(new ec2Sdk.RegisterImageCommand(input))).ImageId!;
    const kernelId = await register({
      Name: `${imageName}-kernel`,
      ImageLocation: `${bucket}/vmlinuz`,
      KernelId: 'true',
    });
    const ramdiskId = await register({
      Name: `${imageName}-ramdisk`,
      ImageLocation: `${bucket}/initrd.img`,
      RamdiskId: 'true',
    });
    return register({ Name: imageName, ImageLocation: `${bucket}/disk.img`, KernelId: kernelId, RamdiskId: ramdiskId });
  }
}
