import { join } from 'node:path';
import type { PeerTls } from '../runtime/peer-client.js';
import { malleePackage } from '../runtime/package-root.js';
import { SoapServiceClient } from '../soap/soap-client.js';
import type { ClusterController, ClusterInstance, ClusterNode, ClusterResources } from './cluster-controller.js';
import { optionalText, specToWire, toCapacity, toNodeInstance, toResource, type Wire } from './instance-wire.js';
import type { NodeInstanceSpec } from './node-controller.js';
import { asBoolean, asDate, asList, defined } from './soap-values.js';

export const clusterServicePath = '/internal/cc';

export function clusterWsdlFile(): string {
  return join(malleePackage().root, 'wsdl', 'cc.wsdl');
}

/** `ClusterController` over `wsdl/cc.wsdl`, with this host's certificate; faults arrive as `SoapFaultError`. */
export class ClusterControllerClient implements ClusterController {
  private constructor(private readonly soap: SoapServiceClient) {}

  /** `url` is the cc's base URL (`https://host:8774`); the service lives at `/internal/cc`. */
  static async connect(url: string, tls: PeerTls, userId = 'clc'): Promise<ClusterControllerClient> {
    const endpoint = new URL(clusterServicePath, url).toString();
    return new ClusterControllerClient(await SoapServiceClient.connect(clusterWsdlFile(), endpoint, tls, userId));
  }

  async runInstances(specs: readonly NodeInstanceSpec[]): Promise<ClusterInstance[]> {
    const answer = await this.soap.call<Wire>('RunInstances', { instances: specs.map(specToWire) });
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

function toInstance(wire: Wire): ClusterInstance {
  return {
    ...toNodeInstance(wire),
    ...(wire.nodeName !== undefined && { nodeName: String(wire.nodeName) }),
    nodeReachable: asBoolean(wire.nodeReachable),
  };
}

function toNode(wire: Wire): ClusterNode {
  return defined({
    nodeName: String(wire.nodeName),
    url: String(wire.url),
    reachable: asBoolean(wire.reachable),
    resource: wire.resource ? toResource(wire.resource as Wire) : undefined,
    lastSeen: asDate(wire.lastSeen),
    lastError: optionalText(wire.lastError),
  });
}
