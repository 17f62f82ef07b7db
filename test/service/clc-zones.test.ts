import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { Agent } from 'node:https';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  DescribeAvailabilityZonesCommand,
  DescribeInstancesCommand,
  EC2Client,
  RegisterImageCommand,
  RunInstancesCommand,
} from '@aws-sdk/client-ec2';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import t from 'tap';
import { generateAccessKey } from '../../src/cloud/credentials.js';
import { createTestPki, startDaemon } from '../helpers/daemons.js';

// Scheduling across zones: two zones, each its own cc with one nc (libvirt's simulated hypervisor). The clc asks each
// zone's cc for capacity (DescribeResources over cc.wsdl) and sends each launch to a zone with room.
const pki = await createTestPki();
const images = join(pki.dir, 'images');
mkdirSync(join(images, 'guest'), { recursive: true });
writeFileSync(join(images, 'guest', 'disk.img'), randomBytes(64 * 1024));
const admin = generateAccessKey();
const region = 'mallee-test-1';

// Zone a has room for two m1.small (1 core each), zone b for six.
const zones = [
  { name: `${region}a`, cores: 2 },
  { name: `${region}b`, cores: 6 },
];
const clusters: string[] = [];
for (const zone of zones) {
  const nc = await startDaemon(t, pki, {
    component: 'nc',
    name: `nc-${zone.name}`,
    zone: zone.name,
    hypervisor: 'test:///default',
    settings: { maxCores: zone.cores },
  });
  const cc = await startDaemon(t, pki, {
    component: 'cc',
    name: `cc-${zone.name}`,
    zone: zone.name,
    settings: { nodes: [{ nodeName: `nc-${zone.name}`, url: nc.url }] },
  });
  clusters.push(cc.url);
}
const clc = await startDaemon(t, pki, {
  component: 'clc',
  name: 'clc',
  region,
  settings: {
    adminCredentials: admin,
    zones: zones.map((zone, index) => ({ name: zone.name, clusterUrl: clusters[index] })),
    imageUrlBase: pathToFileURL(`${images}/`).toString(),
    syncSeconds: 0.2,
  },
});
const agent = new Agent({ ca: readFileSync(pki.caBundle) });
t.teardown(() => agent.destroy());
const ec2 = new EC2Client({
  endpoint: clc.url,
  region,
  credentials: admin,
  requestHandler: new NodeHttpHandler({ httpsAgent: agent }),
  maxAttempts: 1,
});
const { ImageId } = await ec2.send(new RegisterImageCommand({ Name: 'zoned', ImageLocation: 'guest/disk.img' }));
const launch = (count: number, zone?: string) =>
  ec2.send(
    new RunInstancesCommand({
      ImageId,
      MinCount: count,
      MaxCount: count,
      InstanceType: 'm1.small',
      ...(zone && { Placement: { AvailabilityZone: zone } }),
    }),
  );

t.test('the verbose zone listing shows each zone its own capacity', async (t) => {
  const answer = await ec2.send(new DescribeAvailabilityZonesCommand({ ZoneNames: ['verbose'] }));
  const smallLines = (answer.AvailabilityZones ?? [])
    .filter((zone) => zone.ZoneName === '|- m1.small')
    .map((zone) => zone.State?.slice(0, 11));
  t.same(smallLines, ['0002 / 0002', '0006 / 0006']);
});

t.test('a launch without a zone goes where there is most room; one with a zone goes there', async (t) => {
  const free = await launch(3);
  t.same(
    free.Instances?.map((instance) => instance.Placement?.AvailabilityZone),
    [zones[1]!.name, zones[1]!.name, zones[1]!.name],
    'all three to zone b',
  );
  const placed = await launch(2, zones[0]!.name);
  t.same(
    placed.Instances?.map((instance) => instance.Placement?.AvailabilityZone),
    [zones[0]!.name, zones[0]!.name],
  );
  await t.rejects(launch(1, zones[0]!.name), {
    name: 'InsufficientInstanceCapacity',
    message: /not enough capacity for 1 m1\.small instance\(s\) in mallee-test-1a/,
  });
  await t.rejects(launch(1, 'nowhere-1z'), {
    name: 'InvalidParameterValue',
    message: 'Invalid availability zone: [nowhere-1z]',
  });
});

t.test('every launched instance runs in its zone', async (t) => {
  const deadline = Date.now() + 30_000;
  let running = 0;
  while (Date.now() < deadline) {
    const answer = await ec2.send(new DescribeInstancesCommand({}));
    const all = (answer.Reservations ?? []).flatMap((reservation) => reservation.Instances ?? []);
    running = all.filter((instance) => instance.State?.Name === 'running').length;
    if (running === 5) break;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  t.equal(running, 5);
});
