import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import t from 'tap';
import { ClusterControllerClient } from '../../src/clients/cc-client.js';
import type { NodeInstanceSpec } from '../../src/clients/node-controller.js';
import { httpStatus } from '../helpers/cli.js';
import { createTestPki, startDaemon } from '../helpers/daemons.js';

// A real cc daemon over two real nc daemons (libvirt's simulated hypervisor), driven through the cc.wsdl client as the
// clc drives it: placement, draining, a node that stops answering, and what survives a cc restart.
const pki = await createTestPki();
const zone = 'mallee-test-1a';
const machinePath = join(pki.dir, 'machine.img');
writeFileSync(machinePath, randomBytes(64 * 1024));
const machine = { imageId: 'ami-00000000000000001', url: pathToFileURL(machinePath).toString() };

// Four cores each whatever this machine has, so the batches below fit the same way everywhere.
const nodeSettings = { stopTimeoutSeconds: 5, maxCores: 4 };
const ncA = await startDaemon(t, pki, {
  component: 'nc',
  name: 'nc-a',
  zone,
  hypervisor: 'test:///default',
  settings: nodeSettings,
});
const ncB = await startDaemon(t, pki, {
  component: 'nc',
  name: 'nc-b',
  zone,
  hypervisor: 'test:///default',
  settings: nodeSettings,
});
const cc = await startDaemon(t, pki, {
  component: 'cc',
  name: 'cc-test',
  zone,
  settings: {
    nodes: [
      { nodeName: 'nc-a', url: ncA.url },
      { nodeName: 'nc-b', url: ncB.url },
    ],
  },
});
const clcTls = await pki.peer('clc');
const connect = () => ClusterControllerClient.connect(cc.url, clcTls, 'test-clc');
const client = await connect();

let counter = 0;
function spec(extra: Partial<NodeInstanceSpec> = {}): NodeInstanceSpec {
  counter++;
  return {
    instanceId: `i-${String(counter).padStart(17, '0')}`,
    reservationId: 'r-00000000000000001',
    accountId: '123456789012',
    instanceType: 't1.micro',
    cores: 1,
    memoryMiB: 128,
    diskGiB: 1,
    machine,
    ...extra,
  };
}

t.test('both nodes are registered, answering, and report their resources', async (t) => {
  const nodes = await client.describeNodes();
  t.same(
    nodes.map((node) => [node.nodeName, node.url, node.reachable]),
    [
      ['nc-a', ncA.url, true],
      ['nc-b', ncB.url, true],
    ],
  );
  t.match(nodes[0]?.resource, { virtualization: 'test', enabled: true, cores: { total: Number } });
  const resources = await client.describeResources();
  t.equal(resources.zone, zone);
  t.equal(resources.cores.total, (nodes[0]?.resource?.cores.total ?? 0) * 2, 'the zone sums its nodes');
});

t.test('a batch is spread over the nodes, and a retry of it changes nothing', async (t) => {
  const batch = [spec(), spec()];
  const started = await client.runInstances(batch);
  t.same(
    started.map((instance) => instance.state),
    ['running', 'running'],
  );
  t.same(new Set(started.map((instance) => instance.nodeName)), new Set(['nc-a', 'nc-b']), 'one on each node');
  const retried = await client.runInstances(batch);
  t.same(
    retried.map((instance) => instance.nodeName),
    started.map((instance) => instance.nodeName),
  );
  t.equal((await client.describeInstances()).length, 2, 'still two instances');
  await client.terminateInstances(batch.map((s) => s.instanceId));
  const after = await client.describeInstances(batch.map((s) => s.instanceId));
  t.same(
    after.map((instance) => instance.state),
    ['terminated', 'terminated'],
  );
});

t.test('a batch that cannot fit is refused whole, with the EC2 code', async (t) => {
  const tooBig = spec({ memoryMiB: 64 * 1024 * 1024, instanceType: 'huge' });
  await t.rejects(client.runInstances([spec(), tooBig]), {
    name: 'SoapFaultError',
    code: 'InsufficientInstanceCapacity',
  });
  const described = await client.describeInstances();
  t.notOk(described.some((instance) => instance.instanceId === tooBig.instanceId));
});

t.test('a drained node gets no new instances and keeps its own', async (t) => {
  const drained = await client.modifyNode({ nodeName: 'nc-a', enabled: false });
  t.equal(drained.resource?.enabled, false);
  const placed = await client.runInstances([spec(), spec(), spec()]);
  t.same(new Set(placed.map((instance) => instance.nodeName)), new Set(['nc-b']));
  await client.modifyNode({ nodeName: 'nc-a', enabled: true });
  await client.terminateInstances(placed.map((instance) => instance.instanceId));
});

t.test('a node that stops answering: its instances are reported impaired, new ones go elsewhere', async (t) => {
  const onB = (await client.runInstances([spec(), spec()])).find((instance) => instance.nodeName === 'nc-b');
  t.ok(onB, 'one instance landed on nc-b');
  ncB.kill();
  const seen = (await client.describeInstances([onB!.instanceId]))[0];
  t.match(seen, { instanceId: onB!.instanceId, nodeName: 'nc-b', nodeReachable: false, state: 'running' });
  const nodes = await client.describeNodes();
  t.match(
    nodes.find((node) => node.nodeName === 'nc-b'),
    { reachable: false, lastError: String },
  );
  const next = await client.runInstances([spec(), spec()]);
  t.same(new Set(next.map((instance) => instance.nodeName)), new Set(['nc-a']), 'nc-b gets nothing while silent');
  // The terminate is kept until the node answers again.
  const ended = await client.terminateInstances([onB!.instanceId]);
  t.equal(ended[0]?.state, 'shutting-down');
  t.match((await client.describeInstances([onB!.instanceId]))[0], { state: 'shutting-down', nodeReachable: false });
  await t.rejects(client.registerNode({ nodeName: 'nc-b', url: 'https://127.0.0.1:1' }), {
    code: 'NodeAlreadyRegistered',
  });
  const log = readFileSync(cc.logPath, 'utf8');
  t.match(log, /node stopped answering/, 'the cc logged the silent node');
  t.notMatch(log, /PRIVATE KEY/, 'and its TLS private key is nowhere in the log');
});

t.test('registered nodes survive a cc restart; a busy node cannot be deregistered', async (t) => {
  await cc.stop();
  await cc.restart();
  const again = await connect();
  const names = (await again.describeNodes()).map((node) => node.nodeName);
  t.same(names, ['nc-a', 'nc-b']);
  await t.rejects(again.deregisterNode('nc-a'), { code: 'NodeNotEmpty' });
  await t.rejects(again.deregisterNode('nc-z'), { code: 'NoSuchNode' });
});

t.test('only cloud-CA peers reach the interface', async (t) => {
  t.equal(await httpStatus(`${cc.url}/internal/cc?wsdl`, { ca: pki.caBundle }), 403);
});
