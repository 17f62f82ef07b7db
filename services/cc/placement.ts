import type { NodeInstanceSpec, NodeResource } from '../../src/clients/node-controller.js';

/** A node as placement sees it: what it has free now, and whether it may take instances at all. */
export interface PlacementNode {
  nodeName: string;
  eligible: boolean;
  cores: number;
  memoryMiB: number;
  diskGiB: number;
  instances: number;
}

export type PlacementResult =
  { ok: true; assignments: { instanceId: string; nodeName: string }[] } | { ok: false; placed: number; reason: string };

/**
 * Places a batch of instances on nodes, all or none (a pure function of the nodes' free resources). Spread: each
 * instance goes to the eligible node that would have the most free memory left after it, ties to the one running
 * fewer instances, then by name, so instances of a batch land on different nodes while there is room.
 */
export function placeInstances(nodes: readonly PlacementNode[], specs: readonly NodeInstanceSpec[]): PlacementResult {
  const free = nodes.filter((node) => node.eligible).map((node) => ({ ...node }));
  const assignments: { instanceId: string; nodeName: string }[] = [];
  for (const spec of specs) {
    const fitting = free.filter(
      (node) => node.cores >= spec.cores && node.memoryMiB >= spec.memoryMiB && node.diskGiB >= spec.diskGiB,
    );
    fitting.sort(
      (a, b) =>
        b.memoryMiB - spec.memoryMiB - (a.memoryMiB - spec.memoryMiB) ||
        a.instances - b.instances ||
        a.nodeName.localeCompare(b.nodeName),
    );
    const chosen = fitting[0];
    if (!chosen) {
      const reason =
        free.length === 0
          ? 'no node of the zone is enabled and answering'
          : `no node has ${spec.cores} cores, ${spec.memoryMiB} MiB and ${spec.diskGiB} GiB free for ${spec.instanceType}`;
      return { ok: false, placed: assignments.length, reason };
    }
    chosen.cores -= spec.cores;
    chosen.memoryMiB -= spec.memoryMiB;
    chosen.diskGiB -= spec.diskGiB;
    chosen.instances += 1;
    assignments.push({ instanceId: spec.instanceId, nodeName: chosen.nodeName });
  }
  return { ok: true, assignments };
}

/** A node's own report as placement input; nodes that are disabled or not answering take nothing. */
export function placementNode(resource: NodeResource, reachable: boolean): PlacementNode {
  return {
    nodeName: resource.nodeName,
    eligible: reachable && resource.enabled,
    cores: resource.cores.free,
    memoryMiB: resource.memoryMiB.free,
    diskGiB: resource.diskGiB.free,
    instances: resource.instances,
  };
}
