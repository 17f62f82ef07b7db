import { join } from 'node:path';
import type { PeerTls } from '../runtime/peer-client.js';
import { malleePackage } from '../runtime/package-root.js';
import { SoapServiceClient } from '../soap/soap-client.js';
import type {
  Capacity,
  ClusterController,
  ClusterInstance,
  ClusterNode,
  ClusterResources,
} from './cluster-controller.js';
import type { NodeInstanceSpec, NodeInstanceState, NodeResource } from './node-controller.js';
import { asBoolean, asDate, asList, asNumber, defined } from './soap-values.js';

export const clusterServicePath = '/internal/cc';

export function clusterWsdlFile(): string {
  return join(malleePackage().root, 'wsdl', 'cc.wsdl');
}

type Wire = Record<string, unknown>;

/** `ClusterController` over `wsdl/cc.wsdl`, with this host's certificate; faults arrive as `SoapFaultError`. */
export class ClusterControllerClient implements ClusterController {
  private constructor(private readonly soap: SoapServiceClient) {}

  /** `url` is the cc's base URL (`https://host:8774`); the service lives at `/internal/cc`. */
  static async connect(url: string, tls: PeerTls, userId = 'clc'): Promise<ClusterControllerClient> {
    const endpoint = new URL(clusterServicePath, url).toString();
    return new ClusterControllerClient(await SoapServiceClient.connect(clusterWsdlFile(), endpoint, tls, userId));
  }

  async runInstances(specs: readonly NodeInstanceSpec[]): Promise<ClusterInstance[]> {
    const answer = await this.soap.call<Wire>('RunInstances', { instances: specs.map((spec) => defined(spec)) });
    return asList(answer.instances as Wire[]).map(toInstance);
  }

  async terminateInstances(instanceIds: readonly string[]): Promise<ClusterInstance[]> {
    const answer = await this.soap.call<Wire>('TerminateInstances', { instanceIds: [...instanceIds] });
    return asList(answer.instances as Wire[]).map(toInstance);
  }

  async describeInstances(instanceIds: readonly string[] = []): Promise<ClusterInstance[]> {
    const answer = await this.soap.call<Wire>('DescribeInstances', { instanceIds: [...instanceIds] });
    return asList(answer.instances as Wire[]).map(toInstance);
  }

  async rebootInstances(instanceIds: readonly string[]): Promise<void> {
    await this.soap.call('RebootInstances', { instanceIds: [...instanceIds] });
  }

  async startInstance(instanceId: string): Promise<ClusterInstance> {
    return toInstance((await this.soap.call<Wire>('StartInstance', { instanceId })).instance as Wire);
  }

  async stopInstance(instanceId: string): Promise<ClusterInstance> {
    return toInstance((await this.soap.call<Wire>('StopInstance', { instanceId })).instance as Wire);
  }

  async getConsoleOutput(instanceId: string): Promise<{ output: string; timestamp: Date }> {
    const answer = await this.soap.call<Wire>('GetConsoleOutput', { instanceId });
    return { output: String(answer.output ?? ''), timestamp: asDate(answer.timestamp) ?? new Date() };
  }

  async describeResources(): Promise<ClusterResources> {
    const answer = await this.soap.call<Wire>('DescribeResources');
    return {
      zone: String(answer.zone),
      cores: toCapacity(answer.cores),
      memoryMiB: toCapacity(answer.memoryMiB),
      diskGiB: toCapacity(answer.diskGiB),
      nodes: asList(answer.nodes as Wire[]).map(toNode),
    };
  }

  async attachVolume(input: { instanceId: string; volumeId: string; device: string; target: string }): Promise<void> {
    await this.soap.call('AttachVolume', input);
  }

  async detachVolume(input: { instanceId: string; volumeId: string; device?: string; force?: boolean }): Promise<void> {
    await this.soap.call('DetachVolume', defined(input));
  }

  async describeNodes(): Promise<ClusterNode[]> {
    return asList((await this.soap.call<Wire>('DescribeNodes')).nodes as Wire[]).map(toNode);
  }

  async registerNode(input: { nodeName: string; url: string }): Promise<ClusterNode> {
    return toNode((await this.soap.call<Wire>('RegisterNode', input)).node as Wire);
  }

  async deregisterNode(nodeName: string): Promise<void> {
    await this.soap.call('DeregisterNode', { nodeName });
  }

  async modifyNode(input: { nodeName: string; enabled: boolean }): Promise<ClusterNode> {
    return toNode((await this.soap.call<Wire>('ModifyNode', input)).node as Wire);
  }
}

function toCapacity(value: unknown): Capacity {
  const wire = (value ?? {}) as Wire;
  return { total: asNumber(wire.total ?? 0), free: asNumber(wire.free ?? 0) };
}

function toInstance(wire: Wire): ClusterInstance {
  const reason = wire.stateReason as Wire | undefined;
  return defined({
    instanceId: String(wire.instanceId),
    reservationId: wire.reservationId === undefined ? undefined : String(wire.reservationId),
    accountId: wire.accountId === undefined ? undefined : String(wire.accountId),
    state: String(wire.state) as NodeInstanceState,
    stateReason: reason ? { code: String(reason.code), message: String(reason.message) } : undefined,
    launchTime: asDate(wire.launchTime),
    privateIpAddress: wire.privateIpAddress === undefined ? undefined : String(wire.privateIpAddress),
    macAddress: wire.macAddress === undefined ? undefined : String(wire.macAddress),
    instanceType: wire.instanceType === undefined ? undefined : String(wire.instanceType),
    nodeName: wire.nodeName === undefined ? undefined : String(wire.nodeName),
    nodeReachable: asBoolean(wire.nodeReachable),
  });
}

function toResource(wire: Wire): NodeResource {
  return {
    nodeName: String(wire.nodeName),
    virtualization: String(wire.virtualization) as NodeResource['virtualization'],
    enabled: asBoolean(wire.enabled),
    cores: toCapacity(wire.cores),
    memoryMiB: toCapacity(wire.memoryMiB),
    diskGiB: toCapacity(wire.diskGiB),
    instances: asNumber(wire.instances ?? 0),
  };
}

function toNode(wire: Wire): ClusterNode {
  return defined({
    nodeName: String(wire.nodeName),
    url: String(wire.url),
    reachable: asBoolean(wire.reachable),
    resource: wire.resource ? toResource(wire.resource as Wire) : undefined,
    lastSeen: asDate(wire.lastSeen),
    lastError: wire.lastError === undefined ? undefined : String(wire.lastError),
  });
}
