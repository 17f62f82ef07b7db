import {
  DeregisterImageCommand,
  DescribeAvailabilityZonesCommand,
  DescribeImageAttributeCommand,
  DescribeImagesCommand,
  DescribeInstanceTypesCommand,
  DescribeRegionsCommand,
  ModifyImageAttributeCommand,
  paginateDescribeInstanceTypes,
  RegisterImageCommand,
  ResetImageAttributeCommand,
  type _InstanceType,
  type EC2Client,
} from '@aws-sdk/client-ec2';
import t, { type Test } from 'tap';
import { runCommand } from '../helpers/cli.js';
import { startClc } from '../helpers/clc.js';

// Regions, zones, instance types and images through the real daemon with the real SDK and the aws CLI v2: what one
// account registers, another neither sees, changes nor launches until it is shared.
const clc = await startClc(t);
const [alice, bob, carol] = await Promise.all(['alice', 'bob', 'carol'].map((name) => clc.newAccount(name)));
if (!alice || !bob || !carol) throw new Error('accounts were not created');

/** The call fails with this EC2 error code, HTTP status and message. */
async function rejectsWith(t: Test, promise: Promise<unknown>, code: string, message: string, status = 400) {
  await t.rejects(promise, { name: code, message, $metadata: { httpStatusCode: status } }, code);
}

const imageIds = async (ec2: EC2Client, input: ConstructorParameters<typeof DescribeImagesCommand>[0] = {}) =>
  ((await ec2.send(new DescribeImagesCommand(input))).Images ?? []).map((image) => image.ImageId).sort();

t.test('DescribeRegions: the one region, at this endpoint', async (t) => {
  const { Regions } = await clc.ec2(alice).send(new DescribeRegionsCommand({ AllRegions: true }));
  t.same(Regions, [{ RegionName: clc.region, Endpoint: new URL(clc.url).host, OptInStatus: 'opt-in-not-required' }]);
  await rejectsWith(
    t,
    clc.ec2(alice).send(new DescribeRegionsCommand({ RegionNames: ['us-east-1'] })),
    'InvalidParameterValue',
    'Invalid region: [us-east-1]',
  );
});

t.test('DescribeAvailabilityZones, and the administrator’s verbose listing', async (t) => {
  const zone = clc.zones[0] ?? '';
  const { AvailabilityZones } = await clc.ec2(alice).send(new DescribeAvailabilityZonesCommand({}));
  t.same(AvailabilityZones, [
    {
      State: 'available',
      OptInStatus: 'opt-in-not-required',
      Messages: [],
      RegionName: clc.region,
      ZoneName: zone,
      ZoneId: 'malleet1-az1',
      GroupName: clc.region,
      NetworkBorderGroup: clc.region,
      ZoneType: 'availability-zone',
    },
  ]);
  await rejectsWith(
    t,
    clc.ec2(alice).send(new DescribeAvailabilityZonesCommand({ ZoneNames: ['nowhere-1a'] })),
    'InvalidParameterValue',
    'Invalid availability zone: [nowhere-1a]',
  );

  const verbose = await clc.ec2().send(new DescribeAvailabilityZonesCommand({ ZoneNames: ['verbose'] }));
  const lines = (verbose.AvailabilityZones ?? []).map((entry) => `${entry.ZoneName}\t${entry.State}`);
  t.equal(lines[0], `${zone}\tavailable`);
  t.equal(lines[1], '|- vm types\tfree / max   cpu   ram  disk');
  t.ok(lines.includes('|- m1.small\t0000 / 0000   1    256     5'), 'no cluster controller yet: room for none');
  t.ok(lines.includes('|- c1.xlarge\t0000 / 0000   2   2048    10'));

  const asUser = await clc.ec2(alice).send(new DescribeAvailabilityZonesCommand({ ZoneNames: ['verbose'] }));
  t.same(
    asUser.AvailabilityZones?.map((entry) => entry.ZoneName),
    [zone],
    'capacity is for the administrator only',
  );
});

t.test('DescribeInstanceTypes', async (t) => {
  const { InstanceTypes } = await clc
    .ec2(alice)
    .send(new DescribeInstanceTypesCommand({ InstanceTypes: ['m1.small', 't3.micro'] }));
  t.match(InstanceTypes, [
    {
      InstanceType: 'm1.small',
      CurrentGeneration: false,
      VCpuInfo: { DefaultVCpus: 1 },
      MemoryInfo: { SizeInMiB: 256 },
      SupportedUsageClasses: ['on-demand'],
      SupportedVirtualizationTypes: ['hvm', 'paravirtual'],
      ProcessorInfo: { SupportedArchitectures: ['i386', 'x86_64'] },
    },
    { InstanceType: 't3.micro', CurrentGeneration: true, VCpuInfo: { DefaultVCpus: 2 } },
  ]);
  const names: string[] = [];
  for await (const page of paginateDescribeInstanceTypes({ client: clc.ec2(alice) }, { MaxResults: 5 })) {
    t.ok((page.InstanceTypes ?? []).length <= 5);
    names.push(...(page.InstanceTypes ?? []).map((type) => type.InstanceType ?? ''));
  }
  t.ok(names.length > 10, 'several pages');
  t.same(names, [...new Set(names)].sort(), 'every type once, in order');
  const filtered = await clc.ec2(alice).send(
    new DescribeInstanceTypesCommand({
      Filters: [
        { Name: 'current-generation', Values: ['true'] },
        { Name: 'memory-info.size-in-mib', Values: ['8192'] },
      ],
    }),
  );
  t.same(
    filtered.InstanceTypes?.map((type) => type.InstanceType),
    ['m5.large'],
  );
  await rejectsWith(
    t,
    clc.ec2(alice).send(new DescribeInstanceTypesCommand({ InstanceTypes: ['m9.huge' as _InstanceType] })),
    'InvalidInstanceType',
    'The following supplied instance types do not exist: [m9.huge]',
  );
});

t.test('images: register, share, make public, deregister; other accounts kept out', async (t) => {
  const ec2 = clc.ec2(alice);
  const kernel = (
    await ec2.send(
      new RegisterImageCommand({ Name: 'vmlinuz-6.1', ImageLocation: 'boot/vmlinuz.manifest.xml', KernelId: 'true' }),
    )
  ).ImageId;
  const ramdisk = (
    await ec2.send(
      new RegisterImageCommand({ Name: 'initrd-6.1', ImageLocation: 'boot/initrd.manifest.xml', RamdiskId: 'true' }),
    )
  ).ImageId;
  const image = (
    await ec2.send(
      new RegisterImageCommand({
        Name: 'debian-12',
        ImageLocation: 'images/debian-12.img.manifest.xml',
        Description: 'Debian for tests',
        KernelId: kernel,
        RamdiskId: ramdisk,
        TagSpecifications: [{ ResourceType: 'image', Tags: [{ Key: 'os', Value: 'debian' }] }],
      }),
    )
  ).ImageId;
  t.match(kernel, /^aki-[0-9a-f]{17}$/);
  t.match(ramdisk, /^ari-[0-9a-f]{17}$/);
  t.match(image, /^ami-[0-9a-f]{17}$/);

  const described = await ec2.send(new DescribeImagesCommand({ ImageIds: [image!] }));
  t.match(described.Images, [
    {
      ImageId: image,
      ImageLocation: 'images/debian-12.img.manifest.xml',
      State: 'available',
      OwnerId: alice.accountId,
      Public: false,
      ImageType: 'machine',
      KernelId: kernel,
      RamdiskId: ramdisk,
      Name: 'debian-12',
      Description: 'Debian for tests',
      RootDeviceType: 'instance-store',
      VirtualizationType: 'paravirtual',
      Tags: [{ Key: 'os', Value: 'debian' }],
    },
  ]);
  t.type(described.Images?.[0]?.CreationDate, 'string');
  t.same(await imageIds(ec2, { Filters: [{ Name: 'image-type', Values: ['kernel', 'ramdisk'] }] }), [kernel, ramdisk]);
  await rejectsWith(
    t,
    ec2.send(new RegisterImageCommand({ Name: 'debian-12', ImageLocation: 'images/other.manifest.xml' })),
    'InvalidAMIName.Duplicate',
    `AMI name debian-12 is already in use by AMI ${image}`,
  );

  // Bob: nothing of alice's until she shares it.
  const asBob = clc.ec2(bob);
  t.same(await imageIds(asBob), []);
  await rejectsWith(
    t,
    asBob.send(new DescribeImagesCommand({ ImageIds: [image!] })),
    'InvalidAMIID.NotFound',
    `The image id '[${image}]' does not exist`,
  );
  await rejectsWith(
    t,
    asBob.send(new DeregisterImageCommand({ ImageId: image })),
    'InvalidAMIID.NotFound',
    `The image id '[${image}]' does not exist`,
  );
  await rejectsWith(
    t,
    asBob.send(
      new RegisterImageCommand({ Name: 'bobs', ImageLocation: 'bobs-bucket/b.manifest.xml', KernelId: kernel }),
    ),
    'InvalidAMIID.NotFound',
    `The image id '[${kernel}]' does not exist`,
  );

  await ec2.send(
    new ModifyImageAttributeCommand({ ImageId: image, LaunchPermission: { Add: [{ UserId: bob.accountId }] } }),
  );
  t.same(await imageIds(asBob), [image]);
  t.same(await imageIds(asBob, { ExecutableUsers: ['self'] }), [image]);
  t.same(await imageIds(asBob, { Owners: ['self'] }), []);
  const bobsView = await asBob.send(new DescribeImagesCommand({ ImageIds: [image!] }));
  t.same(bobsView.Images?.[0]?.Tags ?? [], [], 'tags stay with the owner');
  await rejectsWith(
    t,
    asBob.send(new DeregisterImageCommand({ ImageId: image })),
    'AuthFailure',
    `Not authorized for image:${image}`,
  );
  await rejectsWith(
    t,
    asBob.send(new ModifyImageAttributeCommand({ ImageId: image, LaunchPermission: { Add: [{ Group: 'all' }] } })),
    'AuthFailure',
    `Not authorized for image:${image}`,
  );
  t.same(await imageIds(clc.ec2(carol)), [], 'carol is not bob');

  await ec2.send(new ModifyImageAttributeCommand({ ImageId: image, LaunchPermission: { Add: [{ Group: 'all' }] } }));
  t.same(await imageIds(clc.ec2(carol), { ExecutableUsers: ['all'] }), [image], 'public');
  const permissions = await ec2.send(
    new DescribeImageAttributeCommand({ ImageId: image, Attribute: 'launchPermission' }),
  );
  t.same(permissions.LaunchPermissions, [{ UserId: bob.accountId }, { Group: 'all' }]);
  const kernelAttribute = await ec2.send(new DescribeImageAttributeCommand({ ImageId: image, Attribute: 'kernel' }));
  t.same(kernelAttribute.KernelId, { Value: kernel });

  await ec2.send(new ResetImageAttributeCommand({ ImageId: image, Attribute: 'launchPermission' }));
  t.same(await imageIds(clc.ec2(carol)), []);
  t.same(await imageIds(asBob), []);

  await ec2.send(new DeregisterImageCommand({ ImageId: image }));
  t.same(await imageIds(ec2), [kernel, ramdisk]);
});

t.test('the aws CLI v2 registers and lists images', async (t) => {
  const env = clc.awsEnv(carol);
  const registered = await runCommand(
    '/usr/bin/aws',
    [
      '--endpoint-url',
      clc.url,
      'ec2',
      'register-image',
      '--name',
      'cli-image',
      '--image-location',
      'cli-bucket/cli.img.manifest.xml',
      '--architecture',
      'x86_64',
      '--output',
      'json',
    ],
    { env },
  );
  t.equal(registered.code, 0, registered.stderr);
  const { ImageId } = JSON.parse(registered.stdout) as { ImageId: string };
  t.match(ImageId, /^ami-[0-9a-f]{17}$/);
  const listed = await runCommand(
    '/usr/bin/aws',
    ['--endpoint-url', clc.url, 'ec2', 'describe-images', '--owners', 'self', '--output', 'json'],
    { env },
  );
  t.equal(listed.code, 0, listed.stderr);
  const { Images } = JSON.parse(listed.stdout) as { Images: { ImageId: string; Name: string; State: string }[] };
  t.match(Images, [{ ImageId, Name: 'cli-image', State: 'available' }]);
});
