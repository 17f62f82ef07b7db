import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { DescribeImagesCommand } from '@aws-sdk/client-ec2';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import t from 'tap';
import type { Bucket } from '../../src/cloud/buckets.js';
import type { Image, ImportResult } from '../../src/cloud/images.js';
import type { Instance } from '../../src/cloud/instances.js';
import type { KeyPair } from '../../src/cloud/keypairs.js';
import { runCli, runCommand, temporaryDir } from '../helpers/cli.js';
import { startLocalCloud } from '../helpers/local-cloud.js';

// cloudctl's everyday EC2 and S3 commands against one real local cloud; what they did is checked with the aws CLI
// and the SDK, which know nothing of cloudctl.
const cloud = await startLocalCloud(t);
const cloudFile = join(cloud.dir, 'cloud.json');
const files = temporaryDir('cloudctl-ec2');

async function cloudctl(args: string[]) {
  return runCli('cloudctl', [...args, '--cloud', cloudFile, '--json']);
}

async function ok<T>(args: string[]): Promise<T> {
  const result = await cloudctl(args);
  if (result.code !== 0) throw new Error(`cloudctl ${args.join(' ')} exited ${result.code}: ${result.stdout}`);
  return JSON.parse(result.stdout) as T;
}

/** The aws CLI (pip's v1, which reads endpoints from aws-config) as the cloud's admin; its JSON output. */
async function aws<T>(args: string[]): Promise<T> {
  const result = await runCommand('aws', [...args, '--output', 'json'], { env: cloud.awsEnv() });
  if (result.code !== 0) throw new Error(`aws ${args.join(' ')} exited ${result.code}: ${result.stderr}`);
  return JSON.parse(result.stdout || '{}') as T;
}

t.test('keypairs create writes the private key 0600; the aws CLI sees the pair; delete removes it', async (t) => {
  const keyFile = join(files, 'k1.pem');
  const created = await ok<KeyPair & { privateKeyFile: string }>([
    'keypairs',
    'create',
    'k1',
    '--private-key-file',
    keyFile,
  ]);
  t.equal(created.privateKeyFile, keyFile);
  t.equal(statSync(keyFile).mode & 0o777, 0o600);
  t.match(readFileSync(keyFile, 'utf8'), /-----BEGIN OPENSSH PRIVATE KEY-----/);
  const seen = await aws<{ KeyPairs: { KeyName: string; KeyFingerprint: string }[] }>(['ec2', 'describe-key-pairs']);
  t.same(
    seen.KeyPairs.map((pair) => [pair.KeyName, pair.KeyFingerprint]),
    [['k1', created.fingerprint]],
  );
  const csv = await runCli('cloudctl', ['keypairs', 'list', '--output', 'csv', '--cloud', cloudFile]);
  t.match(csv.stdout, new RegExp(`^NAME,ID,TYPE,FINGERPRINT\\nk1,${created.keyPairId},ed25519,`));

  t.equal((await cloudctl(['keypairs', 'create', 'k1'])).code, 6, 'an existing private key file is never overwritten');
  const duplicate = await cloudctl(['keypairs', 'create', 'k1', '--private-key-file', join(files, 'other.pem')]);
  t.equal(duplicate.code, 6, 'a duplicate name is a conflict');
  t.match(duplicate.stdout, /InvalidKeyPair\.Duplicate/);

  await ok(['keypairs', 'delete', 'k1']);
  t.same((await aws<{ KeyPairs: unknown[] }>(['ec2', 'describe-key-pairs'])).KeyPairs, []);
  t.equal((await cloudctl(['keypairs', 'delete', 'k1'])).code, 4, 'deleting what is not there: not found');
});

t.test('buckets create, list and delete, as S3 sees them', async (t) => {
  await ok(['buckets', 'create', 'cloudctl-bucket']);
  t.equal(
    (await runCommand('aws', ['s3api', 'head-bucket', '--bucket', 'cloudctl-bucket'], { env: cloud.awsEnv() })).code,
    0,
  );
  const { buckets } = await ok<{ buckets: Bucket[] }>(['buckets', 'list']);
  t.same(
    buckets.map((bucket) => bucket.name),
    ['cloudctl-bucket'],
  );
  t.equal((await cloudctl(['buckets', 'create', 'Not_A!Bucket'])).code, 2, 'an invalid name is a usage error');
  t.equal((await cloudctl(['buckets', 'delete', 'cloudctl-bucket'])).code, 2, 'asks first');
  await ok(['buckets', 'delete', 'cloudctl-bucket', '--yes']);
  t.not(
    (await runCommand('aws', ['s3api', 'head-bucket', '--bucket', 'cloudctl-bucket'], { env: cloud.awsEnv() })).code,
    0,
  );
});

const disk = randomBytes(256 * 1024);
writeFileSync(join(files, 'disk.img'), disk);
writeFileSync(join(files, 'vmlinuz'), 'a kernel');
writeFileSync(join(files, 'initrd.img'), 'a ramdisk');
let imported: ImportResult;

t.test('images import uploads to Walrus and registers EKI, ERI and an EMI that boots with them', async (t) => {
  imported = await ok<ImportResult>([
    'images',
    'import',
    '--name',
    'tiny',
    '--disk',
    join(files, 'disk.img'),
    '--kernel',
    join(files, 'vmlinuz'),
    '--ramdisk',
    join(files, 'initrd.img'),
  ]);
  t.match(imported, { bucket: 'images', imageId: /^ami-/, kernelId: /^aki-/, ramdiskId: /^ari-/ });
  const stored = await cloud.s3().send(new GetObjectCommand({ Bucket: 'images', Key: 'tiny/disk.img' }));
  t.ok(Buffer.from(await stored.Body!.transformToByteArray()).equals(disk), 'the disk is in Walrus, byte for byte');
  const described = await cloud.ec2().send(new DescribeImagesCommand({ ImageIds: [imported.imageId] }));
  t.match(described.Images?.[0], {
    ImageType: 'machine',
    ImageLocation: 'images/tiny/disk.img',
    KernelId: imported.kernelId,
    RamdiskId: imported.ramdiskId,
  });
  const { images } = await ok<{ images: Image[] }>(['images', 'list', '--mine']);
  t.same(
    images.map((image) => [image.kind, image.name]),
    [
      ['kernel', 'tiny-kernel'],
      ['machine', 'tiny'],
      ['ramdisk', 'tiny-ramdisk'],
    ],
  );
  const half = await cloudctl([
    'images',
    'import',
    '--name',
    'half',
    '--disk',
    join(files, 'disk.img'),
    '--kernel',
    join(files, 'vmlinuz'),
  ]);
  t.equal(half.code, 2, 'a kernel without a ramdisk is refused');

  const registered = await ok<{ imageId: string }>([
    'images',
    'register',
    '--name',
    'again',
    '--location',
    'images/tiny/disk.img',
    '--kernel',
    imported.kernelId!,
    '--ramdisk',
    imported.ramdiskId!,
  ]);
  const again = await aws<{ Images: { Name: string; KernelId: string }[] }>([
    'ec2',
    'describe-images',
    '--image-ids',
    registered.imageId,
  ]);
  t.match(again.Images, [{ Name: 'again', KernelId: imported.kernelId }]);
  t.equal((await cloudctl(['images', 'register', '--name', 'gone', '--location', 'images/nothing-here'])).code, 2);
});

t.test('instances run, list, console and terminate; the aws CLI sees the same instances', async (t) => {
  await ok(['keypairs', 'create', 'k2', '--private-key-file', join(files, 'k2.pem')]);
  const run = await ok<{ instances: Instance[] }>([
    'instances',
    'run',
    '--image',
    imported.imageId,
    '--key',
    'k2',
    '--count',
    '2',
  ]);
  t.equal(run.instances.length, 2);
  const ids = run.instances.map((instance) => instance.instanceId).sort();
  const described = await aws<{
    Reservations: { Instances: { InstanceId: string; KeyName: string; ImageId: string }[] }[];
  }>(['ec2', 'describe-instances']);
  const seen = described.Reservations.flatMap((reservation) => reservation.Instances);
  t.same(seen.map((instance) => instance.InstanceId).sort(), ids);
  t.ok(seen.every((instance) => instance.KeyName === 'k2' && instance.ImageId === imported.imageId));

  const stateOf = async () => {
    const { instances } = await ok<{ instances: Instance[] }>(['instances', 'list', ...ids]);
    return instances.map((instance) => instance.state);
  };
  const deadline = Date.now() + 60_000;
  let states = await stateOf();
  while (!states.every((state) => state === 'running') && Date.now() < deadline) states = await stateOf();
  t.same(states, ['running', 'running'], 'cloudctl instances list follows them to running');

  const console = await ok<{ instanceId: string; output: string }>(['instances', 'console', ids[0]!]);
  t.equal(console.instanceId, ids[0]);
  t.type(console.output, 'string');
  t.equal((await cloudctl(['instances', 'console', 'i-00000000000000000'])).code, 4, 'an unknown instance: not found');

  const terminated = await ok<{ instances: { instanceId: string; currentState: string }[] }>([
    'instances',
    'terminate',
    ...ids,
    '--yes',
  ]);
  t.same(terminated.instances.map((change) => change.instanceId).sort(), ids);
  const after = await aws<{ Reservations: { Instances: { State: { Name: string } }[] }[] }>([
    'ec2',
    'describe-instances',
  ]);
  t.ok(
    after.Reservations.flatMap((r) => r.Instances).every((i) => ['shutting-down', 'terminated'].includes(i.State.Name)),
    'the aws CLI sees them go',
  );
});
