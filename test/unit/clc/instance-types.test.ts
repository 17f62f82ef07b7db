import t from 'tap';
import {
  availabilityOf,
  describeInstanceTypes,
  instanceTypes,
  instanceTypeSpec,
  type ZoneCapacity,
  type ZoneResources,
} from '../../../services/clc/models/instance-types.js';
import {
  capacityLine,
  describeAvailabilityZones,
  describeRegions,
  zoneIdOf,
} from '../../../services/clc/models/regions.js';
import { expectServiceError } from '../../helpers/clc-models.js';

const cloud = {
  region: 'mallee-1',
  zones: [{ name: 'mallee-1a' }, { name: 'mallee-1b' }],
  ec2Endpoint: 'https://127.0.0.1:8773/',
};

t.test('the catalog has the Eucalyptus classics and current names, sized', async (t) => {
  const names = instanceTypes.map((spec) => spec.name);
  for (const name of [
    't1.micro',
    'm1.small',
    'c1.medium',
    'm1.large',
    'm1.xlarge',
    'c1.xlarge',
    't3.micro',
    'm5.large',
  ]) {
    t.ok(names.includes(name), name);
  }
  t.equal(new Set(names).size, names.length, 'names are unique');
  t.same(instanceTypeSpec('m1.small'), {
    name: 'm1.small',
    vcpus: 1,
    memoryMiB: 256,
    diskGiB: 5,
    currentGeneration: false,
    paravirtual: true,
    burstable: false,
  });
  t.match(instanceTypeSpec('t3.micro'), { vcpus: 2, memoryMiB: 1024, currentGeneration: true });
  await expectServiceError(t, () => instanceTypeSpec('m9.huge'), {
    code: 'InvalidParameterValue',
    message: "Invalid value 'm9.huge' for InstanceType.",
  });
});

t.test('DescribeInstanceTypes: names, filters, pages', async (t) => {
  const all = describeInstanceTypes({}).InstanceTypes;
  t.equal(all.length, instanceTypes.length);
  const names = all.map((type) => type.InstanceType ?? '');
  t.same(names, [...names].sort(), 'in name order');

  const [small] = describeInstanceTypes({ InstanceTypes: ['m1.small'] }).InstanceTypes;
  t.match(small, {
    InstanceType: 'm1.small',
    CurrentGeneration: false,
    SupportedUsageClasses: ['on-demand'],
    SupportedRootDeviceTypes: ['instance-store'],
    SupportedVirtualizationTypes: ['hvm', 'paravirtual'],
    Hypervisor: 'nitro',
    ProcessorInfo: { SupportedArchitectures: ['i386', 'x86_64'] },
    VCpuInfo: { DefaultVCpus: 1 },
    MemoryInfo: { SizeInMiB: 256 },
    InstanceStorageInfo: { TotalSizeInGB: 5 },
  });

  await expectServiceError(t, () => describeInstanceTypes({ InstanceTypes: ['m1.small', 'x1.nope', 'y2.nope'] }), {
    code: 'InvalidInstanceType',
    message: 'The following supplied instance types do not exist: [x1.nope, y2.nope]',
  });

  const filter = (Name: string, ...Values: string[]) => ({ Filters: [{ Name, Values }] });
  t.same(
    describeInstanceTypes(filter('current-generation', 'true')).InstanceTypes.map((type) => type.InstanceType),
    ['m5.large', 't3.medium', 't3.micro', 't3.small'],
  );
  t.same(
    describeInstanceTypes({
      Filters: [
        { Name: 'vcpu-info.default-vcpus', Values: ['2'] },
        { Name: 'memory-info.size-in-mib', Values: ['512', '1024'] },
      ],
    }).InstanceTypes.map((type) => type.InstanceType),
    ['c1.medium', 'm1.large', 'm1.xlarge', 't3.micro'],
    'filters AND, values OR',
  );
  t.same(
    describeInstanceTypes(filter('instance-type', 'm1.*')).InstanceTypes.map((type) => type.InstanceType),
    ['m1.large', 'm1.medium', 'm1.small', 'm1.xlarge'],
  );
  await expectServiceError(t, () => describeInstanceTypes(filter('colour', 'red')), {
    code: 'InvalidParameterValue',
    message: "The filter 'colour' is invalid",
  });

  const seen: string[] = [];
  let NextToken: string | undefined;
  do {
    const page = describeInstanceTypes({ MaxResults: 5, NextToken });
    t.ok(page.InstanceTypes.length <= 5);
    seen.push(...page.InstanceTypes.map((type) => type.InstanceType ?? ''));
    NextToken = page.NextToken;
  } while (NextToken !== undefined);
  t.same(seen, names, 'pages cover every type once');
  await expectServiceError(t, () => describeInstanceTypes({ MaxResults: 101 }), {
    code: 'InvalidParameterValue',
    message: 'Value ( 101 ) for parameter maxResults is invalid. Expecting a value between 5 and 100.',
  });
});

t.test('how many of a type fit', async (t) => {
  const small = instanceTypeSpec('m1.small');
  const large = instanceTypeSpec('m1.large');
  t.same(availabilityOf(small, undefined), { available: 0, max: 0 }, 'nothing known, nothing fits');
  const zone: ZoneResources = {
    free: { cores: 3, memoryMiB: 2048, diskGiB: 100 },
    total: { cores: 8, memoryMiB: 4096, diskGiB: 100 },
  };
  t.same(availabilityOf(small, zone), { available: 3, max: 8 }, 'cores bound it');
  t.same(availabilityOf(large, zone), { available: 1, max: 4 });
  t.same(
    availabilityOf(instanceTypeSpec('cc2.8xlarge'), zone),
    { available: 0, max: 0 },
    'a type larger than the zone',
  );
  const split: ZoneResources = {
    ...zone,
    nodes: [
      { free: { cores: 1, memoryMiB: 1024, diskGiB: 50 }, total: { cores: 4, memoryMiB: 2048, diskGiB: 50 } },
      { free: { cores: 1, memoryMiB: 1024, diskGiB: 50 }, total: { cores: 4, memoryMiB: 2048, diskGiB: 50 } },
    ],
  };
  t.same(availabilityOf(large, split), { available: 0, max: 4 }, 'two half-free nodes hold no 2-vCPU instance');
  t.same(availabilityOf(small, split), { available: 2, max: 8 });
});

t.test('DescribeRegions', async (t) => {
  const region = { RegionName: 'mallee-1', Endpoint: '127.0.0.1:8773', OptInStatus: 'opt-in-not-required' };
  t.same(describeRegions(cloud, {}), [region]);
  t.same(describeRegions(cloud, { RegionNames: ['mallee-1'], AllRegions: true }), [region]);
  t.same(describeRegions(cloud, { Filters: [{ Name: 'region-name', Values: ['us-*'] }] }), []);
  t.same(describeRegions(cloud, { Filters: [{ Name: 'region-name', Values: ['mallee?1'] }] }), [region]);
  t.same(describeRegions(cloud, { Filters: [{ Name: 'endpoint', Values: ['127.0.0.1:*'] }] }), [region]);
  t.same(describeRegions(cloud, { Filters: [{ Name: 'opt-in-status', Values: ['opt-in-not-required'] }] }), [region]);
  await expectServiceError(t, () => describeRegions(cloud, { RegionNames: ['mallee-1', 'us-east-1'] }), {
    code: 'InvalidParameterValue',
    message: 'Invalid region: [us-east-1]',
  });
});

t.test('DescribeAvailabilityZones', async (t) => {
  t.equal(zoneIdOf(cloud, 'mallee-1b'), 'mallee1-az2');
  t.equal(zoneIdOf({ ...cloud, region: 'us-east-1' }, 'mallee-1a'), 'use1-az1', 'the AWS form');
  const zones = await describeAvailabilityZones(cloud, {}, { verboseAllowed: false });
  t.same(zones, [
    {
      State: 'available',
      OptInStatus: 'opt-in-not-required',
      Messages: [],
      RegionName: 'mallee-1',
      ZoneName: 'mallee-1a',
      ZoneId: 'mallee1-az1',
      GroupName: 'mallee-1',
      NetworkBorderGroup: 'mallee-1',
      ZoneType: 'availability-zone',
    },
    {
      State: 'available',
      OptInStatus: 'opt-in-not-required',
      Messages: [],
      RegionName: 'mallee-1',
      ZoneName: 'mallee-1b',
      ZoneId: 'mallee1-az2',
      GroupName: 'mallee-1',
      NetworkBorderGroup: 'mallee-1',
      ZoneType: 'availability-zone',
    },
  ]);
  const names = async (input: Parameters<typeof describeAvailabilityZones>[1]) =>
    (await describeAvailabilityZones(cloud, input, { verboseAllowed: false })).map((zone) => zone.ZoneName);
  t.same(await names({ ZoneNames: ['mallee-1b'] }), ['mallee-1b']);
  t.same(await names({ ZoneIds: ['mallee1-az1'] }), ['mallee-1a']);
  t.same(await names({ Filters: [{ Name: 'zone-id', Values: ['*-az2'] }] }), ['mallee-1b']);
  t.same(await names({ Filters: [{ Name: 'state', Values: ['available'] }] }), ['mallee-1a', 'mallee-1b']);
  t.same(await names({ Filters: [{ Name: 'zone-type', Values: ['local-zone'] }] }), []);
  t.same(await names({ Filters: [{ Name: 'region-name', Values: ['mallee-1'] }] }), ['mallee-1a', 'mallee-1b']);
  t.same(await names({ ZoneNames: ['verbose'] }), ['mallee-1a', 'mallee-1b'], 'verbose is only a keyword');
  await expectServiceError(t, () => names({ ZoneNames: ['mallee-1a', 'mallee-1z'] }), {
    code: 'InvalidParameterValue',
    message: 'Invalid availability zone: [mallee-1z]',
  });
  await expectServiceError(t, () => names({ ZoneIds: ['mallee1-az9'] }), {
    code: 'InvalidParameterValue',
    message: 'Invalid availability zone-id: [mallee1-az9]',
  });
});

t.test('verbose: the Eucalyptus capacity listing', async (t) => {
  t.equal(capacityLine(2, 2, 1, 192, 2), '0002 / 0002   1    192     2', 'as euca-describe-availability-zones showed');
  t.equal(capacityLine(0, 0, 4, 2048, 20), '0000 / 0000   4   2048    20');

  const noNodes = await describeAvailabilityZones(
    cloud,
    { ZoneNames: ['verbose', 'mallee-1a'] },
    { verboseAllowed: true },
  );
  t.equal(noNodes.length, 2 + instanceTypes.length, 'the zone, a header, one entry per type');
  t.match(noNodes[0], { ZoneName: 'mallee-1a', State: 'available', ZoneType: 'availability-zone' });
  t.same(noNodes[1], {
    ZoneName: '|- vm types',
    State: 'free / max   cpu   ram  disk',
    Messages: [{ Message: 'free / max   cpu   ram  disk' }],
  });
  t.same(noNodes[2], {
    ZoneName: '|- m1.small',
    State: '0000 / 0000   1    256     5',
    Messages: [{ Message: '0000 / 0000   1    256     5' }],
  });

  const asked: string[] = [];
  const capacity: ZoneCapacity = {
    async capacityOf(zone) {
      asked.push(zone);
      return zone === 'mallee-1b'
        ? { free: { cores: 3, memoryMiB: 2048, diskGiB: 100 }, total: { cores: 8, memoryMiB: 4096, diskGiB: 100 } }
        : undefined;
    },
  };
  const listing = await describeAvailabilityZones(
    cloud,
    { ZoneNames: ['verbose'] },
    { verboseAllowed: true, capacity },
  );
  t.same(asked, ['mallee-1a', 'mallee-1b']);
  const entries = listing.map((zone) => `${zone.ZoneName ?? ''}\t${zone.State ?? ''}`);
  const second = entries.indexOf('mallee-1b\tavailable');
  t.equal(second, 2 + instanceTypes.length, 'each zone is followed by its own listing');
  t.equal(entries[second + 1], '|- vm types\tfree / max   cpu   ram  disk');
  t.ok(entries.includes('|- m1.large\t0001 / 0004   2    512    10'), 'the zone with nodes');
  t.equal(
    entries.slice(second).find((entry) => entry.startsWith('|- m1.small\t')),
    '|- m1.small\t0003 / 0008   1    256     5',
  );
  t.equal(
    entries.slice(0, second).find((entry) => entry.startsWith('|- m1.small\t')),
    '|- m1.small\t0000 / 0000   1    256     5',
    'the zone without a cluster controller has room for none',
  );

  const refused = await describeAvailabilityZones(
    cloud,
    { ZoneNames: ['verbose'] },
    { verboseAllowed: false, capacity },
  );
  t.equal(refused.length, 2, 'no capacity for a caller who may not see it');
});
