import { existsSync, readFileSync } from 'node:fs';
import type { Logger } from 'pino';
import { ServiceError } from '../../src/aws/service-error.js';
import type {
  Capacity,
  ClusterController,
  ClusterInstance,
  ClusterNode,
  ClusterResources,
} from '../../src/clients/cluster-controller.js';
import type {
  NodeController,
  NodeInstance,
  NodeInstanceSpec,
  NodeResource,
} from '../../src/clients/node-controller.js';
import { writeFileAtomically } from '../../src/util/secret-file.js';
import { placeInstances, placementNode } from './placement.js';

/** Opens a client for a node controller's base URL. */
export type NodeConnector = (url: string) => Promise<NodeController>;

export interface ClusterOptions {
  zone: string;
  /** Where the registered nodes are kept (JSON, written atomically). */
  registryFile: string;
  connect: NodeConnector;
  log: Logger;
  /** How long one call to a node may take before the node counts as not answering. */
  nodeTimeoutMs?: number;
}

interface NodeEntry {
  nodeName: string;
  url: string;
  client?: NodeController;
  reachable: boolean;
  resource?: NodeResource;
  lastSeen?: Date;
  lastError?: string;
}

interface InstanceEntry {
  nodeName: string;
  last: NodeInstance;
  /** Terminate was asked while the node did not answer: done once it answers again. */
  terminateRequested?: boolean;
}

const errors = {
  capacity: (reason: string) =>
    new ServiceError('InsufficientInstanceCapacity', `Insufficient capacity: ${reason}.`, 500),
  noSuchInstance: (id: string) =>
    new ServiceError('InvalidInstanceID.NotFound', `The instance ID '${id}' does not exist`),
  noSuchNode: (name: string) => new ServiceError('NoSuchNode', `The zone has no node named ${name}`),
  nodeExists: (name: string, url: string) =>
    new ServiceError('NodeAlreadyRegistered', `A node named ${name} is registered already, at ${url}`, 409),
  nodeBusy: (name: string, count: number) =>
    new ServiceError('NodeNotEmpty', `Node ${name} still runs ${count} instance(s): terminate or move them first`, 409),
  unreachable: (name: string, why: string) =>
    new ServiceError('NodeUnreachable', `Node ${name} does not answer: ${why}`, 503),
};

/**
 * A zone as its cluster controller keeps it: the registered nodes (persisted), what each last reported, and which
 * node runs which instance. The nodes are the truth about instances; this only remembers where each one runs and
 * what it was last seen doing, so an instance on a node that stops answering is reported impaired, never lost.
 */
export class Cluster implements ClusterController {
  private readonly nodes = new Map<string, NodeEntry>();
  private readonly instances = new Map<string, InstanceEntry>();
  /** Placement runs one batch at a time, so two batches never count the same free memory. */
  private placing: Promise<unknown> = Promise.resolve();
  private refreshing: Promise<void> | undefined;
  private readonly timeoutMs: number;

  constructor(private readonly options: ClusterOptions) {
    this.timeoutMs = options.nodeTimeoutMs ?? 10_000;
    if (existsSync(options.registryFile)) {
      const saved = JSON.parse(readFileSync(options.registryFile, 'utf8')) as {
        nodes: { nodeName: string; url: string }[];
      };
      for (const node of saved.nodes) this.nodes.set(node.nodeName, { ...node, reachable: false });
    }
  }

  get zone(): string {
    return this.options.zone;
  }

  /** Asks every node for its resources and instances, at most one round at a time (callers share a round). */
  refresh(): Promise<void> {
    this.refreshing ??= Promise.all([...this.nodes.values()].map((node) => this.refreshNode(node))).then(
      () => {
        this.refreshing = undefined;
      },
      (error: unknown) => {
        this.refreshing = undefined;
        throw error;
      },
    );
    return this.refreshing;
  }

  private async refreshNode(node: NodeEntry): Promise<void> {
    try {
      const client = await this.clientOf(node);
      const [resource, instances] = await Promise.all([
        this.withTimeout(node, client.describeResource()),
        this.withTimeout(node, client.describeInstances()),
      ]);
      node.resource = { ...resource, nodeName: node.nodeName };
      node.reachable = true;
      node.lastSeen = new Date();
      node.lastError = undefined;
      const seen = new Set<string>();
      for (const instance of instances) {
        seen.add(instance.instanceId);
        const entry = this.instances.get(instance.instanceId);
        this.instances.set(instance.instanceId, { ...entry, nodeName: node.nodeName, last: instance });
        if (entry?.terminateRequested && instance.state !== 'terminated') {
          await this.withTimeout(node, client.terminateInstance(instance.instanceId)).catch(() => undefined);
        }
      }
      // The node answered and no longer has these: they are gone (terminated there).
      for (const [id, entry] of this.instances) {
        if (entry.nodeName === node.nodeName && !seen.has(id)) {
          this.instances.set(id, { nodeName: node.nodeName, last: { ...entry.last, state: 'terminated' } });
        }
      }
    } catch (error) {
      if (node.reachable) this.options.log.warn({ node: node.nodeName, err: error }, 'node stopped answering');
      node.reachable = false;
      node.lastError = (error as Error).message;
    }
  }

  private async clientOf(node: NodeEntry): Promise<NodeController> {
    node.client ??= await this.options.connect(node.url);
    return node.client;
  }

  private withTimeout<T>(node: NodeEntry, call: Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer from ${node.url} in ${this.timeoutMs} ms`)), this.timeoutMs);
    });
    return Promise.race([call, timeout]).finally(() => clearTimeout(timer));
  }

  async runInstances(specs: readonly NodeInstanceSpec[]): Promise<ClusterInstance[]> {
    const batch = this.placing.then(() => this.placeAndRun(specs));
    this.placing = batch.catch(() => undefined);
    return batch;
  }

  private async placeAndRun(specs: readonly NodeInstanceSpec[]): Promise<ClusterInstance[]> {
    // Instances this zone has already: a retried request gets them back as they are.
    const fresh = specs.filter((spec) => !this.instances.has(spec.instanceId));
    if (fresh.length > 0) {
      await this.refresh();
      const candidates = [...this.nodes.values()]
        .filter((node) => node.resource)
        .map((node) => placementNode(node.resource as NodeResource, node.reachable));
      const placement = placeInstances(candidates, fresh);
      if (!placement.ok) throw errors.capacity(placement.reason);
      const specById = new Map(fresh.map((spec) => [spec.instanceId, spec]));
      await Promise.all(
        placement.assignments.map(async ({ instanceId, nodeName }) => {
          const node = this.nodes.get(nodeName) as NodeEntry;
          const spec = specById.get(instanceId) as NodeInstanceSpec;
          const pending: NodeInstance = {
            instanceId,
            reservationId: spec.reservationId,
            accountId: spec.accountId,
            instanceType: spec.instanceType,
            state: 'pending',
            launchTime: new Date(),
          };
          this.instances.set(instanceId, { nodeName, last: pending });
          try {
            const started = await this.withTimeout(node, (await this.clientOf(node)).runInstance(spec));
            this.instances.set(instanceId, { nodeName, last: started });
          } catch (error) {
            this.options.log.error({ node: nodeName, instanceId, err: error }, 'node failed to run an instance');
            const message = error instanceof Error ? error.message : String(error);
            // The node's own fault code when it gave one (HypervisorUnavailable, ImageFetchFailure ...).
            const faultCode = (error as { code?: unknown }).code;
            const code = typeof faultCode === 'string' ? `Server.${faultCode}` : 'Server.InternalError';
            this.instances.set(instanceId, {
              nodeName,
              last: { ...pending, state: 'terminated', stateReason: { code, message } },
            });
          }
        }),
      );
    }
    return specs.map((spec) => this.report(spec.instanceId));
  }

  private report(instanceId: string): ClusterInstance {
    const entry = this.instances.get(instanceId);
    if (!entry) return { instanceId, state: 'terminated', nodeReachable: true };
    const node = this.nodes.get(entry.nodeName);
    return { ...entry.last, nodeName: entry.nodeName, nodeReachable: node?.reachable ?? false };
  }

  private locate(instanceId: string): { entry: InstanceEntry; node: NodeEntry } {
    const entry = this.instances.get(instanceId);
    const node = entry && this.nodes.get(entry.nodeName);
    if (!entry || !node) throw errors.noSuchInstance(instanceId);
    return { entry, node };
  }

  /** A call to the node running an instance; `NodeUnreachable` when it does not answer. */
  private async onNode<T>(instanceId: string, call: (client: NodeController) => Promise<T>): Promise<T> {
    const { node } = this.locate(instanceId);
    try {
      return await this.withTimeout(node, call(await this.clientOf(node)));
    } catch (error) {
      if (error instanceof ServiceError) throw error;
      if ((error as { code?: unknown }).code !== undefined && (error as Error).name === 'SoapFaultError') {
        const fault = error as Error & { code: string };
        throw new ServiceError(fault.code, fault.message);
      }
      node.reachable = false;
      node.lastError = (error as Error).message;
      throw errors.unreachable(node.nodeName, (error as Error).message);
    }
  }

  async terminateInstances(instanceIds: readonly string[]): Promise<ClusterInstance[]> {
    for (const instanceId of instanceIds) {
      const entry = this.instances.get(instanceId);
      if (!entry) continue;
      const node = this.nodes.get(entry.nodeName);
      try {
        if (!node) throw new Error('node deregistered');
        const ended = await this.withTimeout(node, (await this.clientOf(node)).terminateInstance(instanceId));
        this.instances.set(instanceId, { nodeName: entry.nodeName, last: ended });
      } catch (error) {
        // Kept, and done when the node answers again: a terminate is never forgotten.
        this.options.log.warn({ instanceId, err: error }, 'terminate deferred until the node answers');
        this.instances.set(instanceId, {
          ...entry,
          terminateRequested: true,
          last: { ...entry.last, state: 'shutting-down' },
        });
      }
    }
    return instanceIds.map((id) => this.report(id));
  }

  async describeInstances(instanceIds: readonly string[] = []): Promise<ClusterInstance[]> {
    await this.refresh();
    const ids = instanceIds.length > 0 ? instanceIds : [...this.instances.keys()];
    return ids.filter((id) => this.instances.has(id)).map((id) => this.report(id));
  }

  async rebootInstances(instanceIds: readonly string[]): Promise<void> {
    for (const id of instanceIds) await this.onNode(id, (client) => client.rebootInstance(id));
  }

  async startInstance(instanceId: string): Promise<ClusterInstance> {
    const started = await this.onNode(instanceId, (client) => client.startInstance(instanceId));
    this.instances.set(instanceId, { ...this.locate(instanceId).entry, last: started });
    return this.report(instanceId);
  }

  async stopInstance(instanceId: string): Promise<ClusterInstance> {
    const stopped = await this.onNode(instanceId, (client) => client.stopInstance(instanceId));
    this.instances.set(instanceId, { ...this.locate(instanceId).entry, last: stopped });
    return this.report(instanceId);
  }

  getConsoleOutput(instanceId: string): Promise<{ output: string; timestamp: Date }> {
    return this.onNode(instanceId, (client) => client.getConsoleOutput(instanceId));
  }

  async describeResources(): Promise<ClusterResources> {
    await this.refresh();
    const usable = [...this.nodes.values()].filter((node) => node.reachable && node.resource?.enabled);
    const sum = (pick: (resource: NodeResource) => Capacity): Capacity =>
      usable.reduce(
        (total, node) => {
          const capacity = pick(node.resource as NodeResource);
          return { total: total.total + capacity.total, free: total.free + capacity.free };
        },
        { total: 0, free: 0 },
      );
    return {
      zone: this.zone,
      cores: sum((resource) => resource.cores),
      memoryMiB: sum((resource) => resource.memoryMiB),
      diskGiB: sum((resource) => resource.diskGiB),
      nodes: this.listNodes(),
    };
  }

  attachVolume(input: { instanceId: string; volumeId: string; device: string; target: string }): Promise<void> {
    return this.onNode(input.instanceId, (client) => client.attachVolume(input));
  }

  detachVolume(input: { instanceId: string; volumeId: string; device?: string; force?: boolean }): Promise<void> {
    return this.onNode(input.instanceId, (client) => client.detachVolume(input));
  }

  async describeNodes(): Promise<ClusterNode[]> {
    await this.refresh();
    return this.listNodes();
  }

  private listNodes(): ClusterNode[] {
    return [...this.nodes.values()]
      .sort((a, b) => a.nodeName.localeCompare(b.nodeName))
      .map(({ client: _client, ...node }) => node);
  }

  /** `moved`: the node is known to have a new address (its config says so), not a second node of the same name. */
  async registerNode(input: { nodeName: string; url: string }, moved = false): Promise<ClusterNode> {
    const existing = this.nodes.get(input.nodeName);
    if (existing && existing.url !== input.url && !moved) throw errors.nodeExists(input.nodeName, existing.url);
    const node: NodeEntry = existing && existing.url === input.url ? existing : { ...input, reachable: false };
    this.nodes.set(input.nodeName, node);
    this.save();
    await this.refreshNode(node);
    const { client: _client, ...described } = node;
    return described;
  }

  async deregisterNode(nodeName: string): Promise<void> {
    if (!this.nodes.has(nodeName)) throw errors.noSuchNode(nodeName);
    const running = [...this.instances.values()].filter(
      (entry) => entry.nodeName === nodeName && entry.last.state !== 'terminated',
    );
    if (running.length > 0) throw errors.nodeBusy(nodeName, running.length);
    this.nodes.delete(nodeName);
    this.save();
  }

  async modifyNode(input: { nodeName: string; enabled: boolean }): Promise<ClusterNode> {
    const node = this.nodes.get(input.nodeName);
    if (!node) throw errors.noSuchNode(input.nodeName);
    const resource = await this.withTimeout(node, (await this.clientOf(node)).modifyNode({ enabled: input.enabled }));
    node.resource = { ...resource, nodeName: node.nodeName };
    const { client: _client, ...described } = node;
    return described;
  }

  private save(): void {
    const nodes = [...this.nodes.values()].map(({ nodeName, url }) => ({ nodeName, url }));
    writeFileAtomically(this.options.registryFile, JSON.stringify({ nodes }, null, 2) + '\n');
  }
}
