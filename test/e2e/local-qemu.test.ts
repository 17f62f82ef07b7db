import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { runCli, runCommand, temporaryDir } from '../helpers/cli.js';
import { buildTinyGuest, guestReadyMarker, kvmUsableByQemu } from '../helpers/tiny-guest.js';

// The all-in-one cloud on the real hypervisor: `local up --hypervisor qemu` starts libvirtd where nothing else has
// (no systemd here), and `aws ec2 run-instances` boots the tiny guest, its images uploaded to Walrus with `aws s3`,
// through clc -> cc -> nc -> libvirt.
const dir = temporaryDir('qemu');
// qemu runs as libvirt-qemu and must reach the images and instance disks below this folder.
chmodSync(dir, 0o755);
t.teardown(() => runCli('cloudctl', ['local', 'down', '--dir', dir]));

const up = await runCli('cloudctl', ['local', 'up', '--dir', dir, '--hypervisor', 'qemu', '--json']);
const cloud = up.code === 0 ? JSON.parse(up.stdout).cloud : undefined;
const aws = (...args: string[]) =>
  runCommand('/usr/bin/aws', ['--endpoint-url', cloud.endpoints.ec2, '--output', 'json', 'ec2', ...args], {
    env: { AWS_CONFIG_FILE: join(dir, 'aws-config'), AWS_CA_BUNDLE: cloud.caBundle, AWS_PAGER: '' },
  });
const s3 = (...args: string[]) =>
  runCommand('/usr/bin/aws', ['--endpoint-url', cloud.endpoints.s3, 's3', ...args], {
    env: { AWS_CONFIG_FILE: join(dir, 'aws-config'), AWS_CA_BUNDLE: cloud.caBundle },
  });
const virsh = (...args: string[]) => runCommand('virsh', ['-c', 'qemu:///system', ...args]);

t.test('local up --hypervisor qemu runs the node controller against libvirtd', async (t) => {
  t.equal(up.code, 0, up.stderr);
  t.match(JSON.parse(up.stdout).libvirtd, /^(running|started)$/);
  t.equal((await virsh('version')).code, 0, 'libvirtd answers');
  const status = JSON.parse((await runCli('cloudctl', ['local', 'status', '--dir', dir, '--json'])).stdout);
  t.equal(status.healthy, true);
  const nc = status.daemons.find((daemon: { component: string }) => daemon.component === 'nc');
  t.match(nc.health.hypervisor, {
    uri: 'qemu:///system',
    domains: Number,
    virtualization: kvmUsableByQemu() ? 'kvm' : /^software emulation/,
  });
});

t.test('aws ec2 run-instances boots a real guest; stop, start and terminate reach libvirt', async (t) => {
  // The images go up to Walrus with the S3 CLI; nodes fetch them from there over mTLS.
  const guest = await buildTinyGuest();
  const disk = join(dir, 'disk.img');
  writeFileSync(disk, Buffer.alloc(1024 * 1024));
  t.equal((await s3('mb', 's3://tiny')).code, 0);
  for (const [file, key] of [
    [guest.kernel, 'vmlinuz'],
    [guest.ramdisk, 'initrd.img'],
    [disk, 'disk.img'],
  ] as const) {
    const copied = await s3('cp', file, `s3://tiny/${key}`);
    t.equal(copied.code, 0, copied.stderr);
  }
  const register = async (...args: string[]) => JSON.parse((await aws('register-image', ...args)).stdout).ImageId;
  const kernel = await register('--name', 'tiny-kernel', '--image-location', 'tiny/vmlinuz', '--kernel-id', 'true');
  const ramdisk = await register(
    '--name',
    'tiny-ramdisk',
    '--image-location',
    'tiny/initrd.img',
    '--ramdisk-id',
    'true',
  );
  const image = await register(
    '--name',
    'tiny',
    '--image-location',
    'tiny/disk.img',
    '--kernel-id',
    kernel,
    '--ramdisk-id',
    ramdisk,
  );
  t.match([kernel, ramdisk, image], [/^aki-/, /^ari-/, /^ami-/]);

  const run = await aws('run-instances', '--image-id', image, '--instance-type', 't1.micro', '--count', '1');
  t.equal(run.code, 0, run.stderr);
  const instanceId = JSON.parse(run.stdout).Instances[0].InstanceId as string;
  const waited = await aws('wait', 'instance-running', '--instance-ids', instanceId);
  t.equal(waited.code, 0, `running: ${waited.stderr}`);
  t.match((await virsh('domstate', instanceId)).stdout, /running/);

  // The guest writes its marker on ttyS0 within a minute under software emulation.
  const deadline = Date.now() + 90_000;
  let output = '';
  while (Date.now() < deadline && !output.includes(guestReadyMarker)) {
    output = JSON.parse((await aws('get-console-output', '--instance-id', instanceId)).stdout).Output ?? '';
    if (!output.includes(guestReadyMarker)) await new Promise((resolve) => setTimeout(resolve, 1000));
  }
  t.match(output, guestReadyMarker, 'get-console-output shows the guest booted');

  t.equal((await aws('stop-instances', '--instance-ids', instanceId)).code, 0);
  t.equal((await aws('wait', 'instance-stopped', '--instance-ids', instanceId)).code, 0);
  t.match((await virsh('domstate', instanceId)).stdout, /shut off/, 'libvirt has it shut off');
  t.equal((await aws('start-instances', '--instance-ids', instanceId)).code, 0);
  t.equal((await aws('wait', 'instance-running', '--instance-ids', instanceId)).code, 0);
  t.match((await virsh('domstate', instanceId)).stdout, /running/);

  t.equal((await aws('terminate-instances', '--instance-ids', instanceId)).code, 0);
  t.equal((await aws('wait', 'instance-terminated', '--instance-ids', instanceId)).code, 0);
  t.notOk((await virsh('list', '--all', '--name')).stdout.includes(instanceId), 'the domain is gone');
});
