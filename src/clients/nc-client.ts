import { join } from 'node:path';
import type { PeerTls } from '../runtime/peer-client.js';
import { malleePackage } from '../runtime/package-root.js';
import { SoapServiceClient } from '../soap/soap-client.js';
import { specToWire, toNodeInstance, toResource, type Wire } from './instance-wire.js';
import type { NodeController, NodeInstance, NodeInstanceSpec, NodeResource } from './node-controller.js';
import { asDate, asList, defined } from './soap-values.js';

export const nodeServicePath = '/internal/nc';

export function nodeWsdlFile(): string {
  return join(malleePackage().root, 'wsdl', 'nc.wsdl');
}

/** `NodeController` over `wsdl/nc.wsdl`, with this host's certificate; faults arrive as `SoapFaultError`. */
export class NodeControllerClient implements NodeController {
  private constructor(private readonly soap: SoapServiceClient) {}

  /** `url` is the nc's base URL (`https://host:8775`); the service lives at `/internal/nc`. */
  static async connect(url: string, tls: PeerTls, userId = 'cc'): Promise<NodeControllerClient> {
    const endpoint = new URL(nodeServicePath, url).toString();
    return new NodeControllerClient(await SoapServiceClient.connect(nodeWsdlFile(), endpoint, tls, userId));
  }

  async runInstance(spec: NodeInstanceSpec): Promise<NodeInstance> {
    const answer = await this.soap.call<Wire>('ncRunInstance', { instance: specToWire(spec) });
    return toNodeInstance(answer.instance as Wire);
  }

  async terminateInstance(instanceId: string): Promise<NodeInstance> {
    return toNodeInstance((await this.soap.call<Wire>('ncTerminateInstance', { instanceId })).instance as Wire);
  }

  async rebootInstance(instanceId: string): Promise<void> {
    await this.soap.call('ncRebootInstance', { instanceId });
  }

  async startInstance(instanceId: string): Promise<NodeInstance> {
    return toNodeInstance((await this.soap.call<Wire>('ncStartInstance', { instanceId })).instance as Wire);
  }

  async stopInstance(instanceId: string): Promise<NodeInstance> {
    return toNodeInstance((await this.soap.call<Wire>('ncStopInstance', { instanceId })).instance as Wire);
  }

  async describeInstances(instanceIds: readonly string[] = []): Promise<NodeInstance[]> {
    const answer = await this.soap.call<Wire>('ncDescribeInstances', { instanceIds: [...instanceIds] });
    return asList(answer.instances as Wire[]).map(toNodeInstance);
  }

  async getConsoleOutput(instanceId: string): Promise<{ output: string; timestamp: Date }> {
    const answer = await this.soap.call<Wire>('ncGetConsoleOutput', { instanceId });
    return { output: String(answer.output ?? ''), timestamp: asDate(answer.timestamp) ?? new Date() };
  }

  async describeResource(): Promise<NodeResource> {
    return toResource((await this.soap.call<Wire>('ncDescribeResource')).resource as Wire);
  }

  async modifyNode(change: { enabled: boolean }): Promise<NodeResource> {
    return toResource((await this.soap.call<Wire>('ncModifyNode', { enabled: change.enabled })).resource as Wire);
  }

  async attachVolume(input: { instanceId: string; volumeId: string; device: string; target: string }): Promise<void> {
    await this.soap.call('ncAttachVolume', input);
  }

  async detachVolume(input: { instanceId: string; volumeId: string; device?: string; force?: boolean }): Promise<void> {
    await this.soap.call('ncDetachVolume', defined(input));
  }
}
