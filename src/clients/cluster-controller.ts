import type { NodeInstance, NodeInstanceSpec, NodeResource } from './node-controller.js';

/**
 * What the cloud controller asks of a zone's cluster controller, in TypeScript terms; `wsdl/cc.wsdl` (rendered from
 * `cc-contract.ts`) is the wire contract and `ClusterControllerClient` speaks it. The cc places each instance on a
 * node of its zone and relays the rest to the node that runs it.
 */

export interface ClusterInstance extends NodeInstance {
  /** The node running it; absent once it is gone. */
  nodeName?: string;
  /** False while its node does not answer: its last known state is reported, marked impaired. */
  nodeReachable: boolean;
}

export interface ClusterNode {
  nodeName: string;
  /** The node controller's endpoint (nc.wsdl). */
  url: string;
  reachable: boolean;
  /** The node's own report, as of `lastSeen`; absent until it first answered. */
  resource?: NodeResource;
  lastSeen?: Date;
  lastError?: string;
}

export interface Capacity {
  total: number;
  free: number;
}

export interface ClusterResources {
  zone: string;
  /** Sums over the enabled, reachable nodes. */
  cores: Capacity;
  memoryMiB: Capacity;
  diskGiB: Capacity;
  /** What one node can take at most, for "how many of this type still fit" (an instance never spans nodes). */
  nodes: ClusterNode[];
}

export interface ClusterController {
  /** Places and starts every instance, or none: an `InsufficientInstanceCapacity` fault when they do not all fit. */
  runInstances(specs: readonly NodeInstanceSpec[]): Promise<ClusterInstance[]>;
  terminateInstances(instanceIds: readonly string[]): Promise<ClusterInstance[]>;
  describeInstances(instanceIds?: readonly string[]): Promise<ClusterInstance[]>;
  rebootInstances(instanceIds: readonly string[]): Promise<void>;
  startInstance(instanceId: string): Promise<ClusterInstance>;
  stopInstance(instanceId: string): Promise<ClusterInstance>;
  getConsoleOutput(instanceId: string): Promise<{ output: string; timestamp: Date }>;
  describeResources(): Promise<ClusterResources>;
  attachVolume(input: { instanceId: string; volumeId: string; device: string; target: string }): Promise<void>;
  detachVolume(input: { instanceId: string; volumeId: string; device?: string; force?: boolean }): Promise<void>;
  describeNodes(): Promise<ClusterNode[]>;
  registerNode(input: { nodeName: string; url: string }): Promise<ClusterNode>;
  deregisterNode(nodeName: string): Promise<void>;
  modifyNode(input: { nodeName: string; enabled: boolean }): Promise<ClusterNode>;
}
