import t from 'tap';
import type { NodeInstanceSpec } from '../../../src/clients/node-controller.js';
import { placeInstances, type PlacementNode } from '../../../services/cc/placement.js';

const node = (nodeName: string, free: Partial<PlacementNode> = {}): PlacementNode => ({
  nodeName,
  eligible: true,
  cores: 8,
  memoryMiB: 8192,
  diskGiB: 100,
  instances: 0,
  ...free,
});

const spec = (instanceId: string, size: Partial<NodeInstanceSpec> = {}): NodeInstanceSpec => ({
  instanceId,
  reservationId: 'r-1',
  accountId: '000000000001',
  instanceType: 'm1.small',
  cores: 1,
  memoryMiB: 1024,
  diskGiB: 10,
  machine: { imageId: 'ami-1', url: 'file:///images/a' },
  ...size,
});

t.test('a batch spreads over the nodes, most free memory first', async (t) => {
  const result = placeInstances(
    [node('a'), node('b', { memoryMiB: 4096 }), node('c')],
    [spec('i-1'), spec('i-2'), spec('i-3')],
  );
  t.same(result, {
    ok: true,
    assignments: [
      { instanceId: 'i-1', nodeName: 'a' },
      { instanceId: 'i-2', nodeName: 'c' },
      { instanceId: 'i-3', nodeName: 'a' },
    ],
  });
});

t.test('disabled or silent nodes get nothing', async (t) => {
  const result = placeInstances([node('a', { eligible: false }), node('b')], [spec('i-1'), spec('i-2')]);
  t.same(result.ok && result.assignments.map((a) => a.nodeName), ['b', 'b']);
  t.same(placeInstances([node('a', { eligible: false })], [spec('i-1')]), {
    ok: false,
    placed: 0,
    reason: 'no node of the zone is enabled and answering',
  });
});

t.test('all or none: a batch that does not fit places nothing and says why', async (t) => {
  const result = placeInstances(
    [node('a', { cores: 2 }), node('b', { cores: 1 })],
    [spec('i-1'), spec('i-2'), spec('i-3'), spec('i-4')],
  );
  t.same(result, {
    ok: false,
    placed: 3,
    reason: 'no node has 1 cores, 1024 MiB and 10 GiB free for m1.small',
  });
});

t.test('an instance never spans nodes: two half-free nodes do not make one big one', async (t) => {
  const result = placeInstances(
    [node('a', { memoryMiB: 2048 }), node('b', { memoryMiB: 2048 })],
    [spec('i-big', { memoryMiB: 3072, instanceType: 'm1.large' })],
  );
  t.equal(result.ok, false);
});
