import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { Agent } from 'node:https';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  DescribeInstancesCommand,
  EC2Client,
  RegisterImageCommand,
  RunInstancesCommand,
  type Instance,
} from '@aws-sdk/client-ec2';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import t from 'tap';
import { generateAccessKey } from '../../src/cloud/credentials.js';
import { createTestPki, startDaemon } from '../helpers/daemons.js';

// kill -9 of the clc in the middle of a stream of RunInstances, each with its own ClientToken: every instance the API
// acknowledged is still there after a restart, no token ever made two, and the launches the clc had accepted but not
// yet handed to its zone are carried out once it is back.
const pki = await createTestPki();
const zone = 'mallee-test-1a';
const imageDir = join(pki.dir, 'images');
mkdirSync(join(imageDir, 'guest'), { recursive: true });
writeFileSync(join(imageDir, 'guest', 'disk.img'), randomBytes(64 * 1024));
const admin = generateAccessKey();

const nc = await startDaemon(t, pki, {
  component: 'nc',
  name: 'nc-1',
  zone,
  hypervisor: 'test:///default',
  // Sized apart from this machine: a dozen t1.micro launches promise 60 GiB of disk, more than many have free.
  settings: { maxCores: 64, maxMemoryMiB: 64 * 1024, maxDiskGiB: 1024 },
});
const cc = await startDaemon(t, pki, {
  component: 'cc',
  name: 'cc-1',
  zone,
  settings: { nodes: [{ nodeName: 'nc-1', url: nc.url }] },
});
const clc = await startDaemon(t, pki, {
  component: 'clc',
  name: 'clc',
  region: 'mallee-test-1',
  peers: { cc: cc.url },
  settings: {
    adminCredentials: admin,
    zones: [zone],
    imageUrlBase: pathToFileURL(`${imageDir}/`).toString(),
    syncSeconds: 0.2,
  },
});

const agent = new Agent({ ca: readFileSync(pki.caBundle), keepAlive: false });
t.teardown(() => agent.destroy());
const ec2 = () =>
  new EC2Client({
    endpoint: clc.url,
    region: 'mallee-test-1',
    credentials: admin,
    requestHandler: new NodeHttpHandler({ httpsAgent: agent }),
    maxAttempts: 1,
  });

const { ImageId } = await ec2().send(new RegisterImageCommand({ Name: 'durable', ImageLocation: 'guest/disk.img' }));
const run = (token: string) =>
  ec2().send(
    new RunInstancesCommand({ ImageId, MinCount: 1, MaxCount: 1, InstanceType: 't1.micro', ClientToken: token }),
  );

t.test('no acknowledged launch is lost and no token launches twice across a kill -9', async (t) => {
  const acknowledged = new Map<string, string>();
  const tokens: string[] = [];
  for (let i = 0; i < 6; i++) {
    const token = `stream-${i}`;
    tokens.push(token);
    const answer = await run(token);
    acknowledged.set(token, answer.Instances?.[0]?.InstanceId ?? '');
  }
  // Three more in flight at once, and the clc dies under them.
  const inFlight = [6, 7, 8].map((i) => `stream-${i}`);
  tokens.push(...inFlight);
  const racing = inFlight.map((token) =>
    run(token).then(
      (answer) => acknowledged.set(token, answer.Instances?.[0]?.InstanceId ?? ''),
      () => undefined,
    ),
  );
  clc.kill();
  await Promise.all(racing);
  await clc.restart();

  // Every token again: an acknowledged one answers its instance; one the kill cut off answers one now.
  const after = new Map<string, string>();
  for (const token of tokens) after.set(token, (await run(token)).Instances?.[0]?.InstanceId ?? '');
  for (const [token, instanceId] of acknowledged) {
    t.equal(after.get(token), instanceId, `${token}: the acknowledged instance survived the kill`);
  }
  const described = await ec2().send(new DescribeInstancesCommand({}));
  const instances = (described.Reservations ?? []).flatMap((reservation) => reservation.Instances ?? []);
  t.equal(instances.length, tokens.length, 'one instance per token: none lost, none doubled');
  t.same(new Set(instances.map((instance) => instance.ClientToken)), new Set(tokens));

  // What the clc accepted reaches the zone after the restart.
  const deadline = Date.now() + 30_000;
  let states: (string | undefined)[] = [];
  while (Date.now() < deadline) {
    const now = await ec2().send(new DescribeInstancesCommand({}));
    states = (now.Reservations ?? []).flatMap((r) => r.Instances ?? []).map((i: Instance) => i.State?.Name);
    if (states.length === tokens.length && states.every((state) => state === 'running')) break;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  t.same(
    states,
    tokens.map(() => 'running'),
    'every instance runs on the node',
  );
});

t.test('a token reused with different parameters is refused', async (t) => {
  await t.rejects(
    ec2().send(
      new RunInstancesCommand({ ImageId, MinCount: 2, MaxCount: 2, InstanceType: 't1.micro', ClientToken: 'stream-0' }),
    ),
    { name: 'IdempotentParameterMismatch' },
  );
});
