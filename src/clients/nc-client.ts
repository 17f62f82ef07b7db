import { join } from 'node:path';
import type { PeerTls } from '../runtime/peer-client.js';
import { malleePackage } from '../runtime/package-root.js';
import { SoapServiceClient } from '../soap/soap-client.js';
import type {
  NodeController,
  NodeInstance,
  NodeInstanceSpec,
  NodeInstanceState,
  NodeResource,
} from './node-controller.js';
import { asBoolean, asDate, asList, asNumber, defined } from './soap-values.js';

export const nodeServicePath = '/internal/nc';

export function nodeWsdlFile(): string {
  return join(malleePackage().root, 'wsdl', 'nc.wsdl');
}

type Wire = Record<string, unknown>;

/** `NodeController` over `wsdl/nc.wsdl`, with this host's certificate; faults arrive as `SoapFaultError`. */
export class NodeControllerClient implements NodeController {
  private constructor(private readonly soap: SoapServiceClient) {}

  /** `url` is the nc's base URL (`https://host:8775`); the service lives at `/internal/nc`. */
  static async connect(url: string, tls: PeerTls, userId = 'cc'): Promise<NodeControllerClient> {
    const endpoint = new URL(nodeServicePath, url).toString();
    return new NodeControllerClient(await SoapServiceClient.connect(nodeWsdlFile(), endpoint, tls, userId));
  }

  async runInstance(spec: NodeInstanceSpec): Promise<NodeInstance> {
    const instance = defined({
      ...spec,
      machine: defined(spec.machine),
      kernel: spec.kernel && defined(spec.kernel),
      ramdisk: spec.ramdisk && defined(spec.ramdisk),
    });
    return toInstance((await this.soap.call<Wire>('ncRunInstance', { instance })).instance as Wire);
  }

  async terminateInstance(instanceId: string): Promise<NodeInstance> {
    return toInstance((await this.soap.call<Wire>('ncTerminateInstance', { instanceId })).instance as Wire);
  }

  async rebootInstance(instanceId: string): Promise<void> {
    await this.soap.call('ncRebootInstance', { instanceId });
  }

  async startInstance(instanceId: string): Promise<NodeInstance> {
    return toInstance((await this.soap.call<Wire>('ncStartInstance', { instanceId })).instance as Wire);
  }

  async stopInstance(instanceId: string): Promise<NodeInstance> {
    return toInstance((await this.soap.call<Wire>('ncStopInstance', { instanceId })).instance as Wire);
  }

  async describeInstances(instanceIds: readonly string[] = []): Promise<NodeInstance[]> {
    const answer = await this.soap.call<Wire>('ncDescribeInstances', { instanceIds: [...instanceIds] });
    return asList(answer.instances as Wire[]).map(toInstance);
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

function optionalText(value: unknown): string | undefined {
  return value === undefined || value === null ? undefined : String(value);
}

function toInstance(wire: Wire): NodeInstance {
  const reason = wire.stateReason as Wire | undefined;
  return defined({
    instanceId: String(wire.instanceId),
    reservationId: optionalText(wire.reservationId),
    accountId: optionalText(wire.accountId),
    state: String(wire.state) as NodeInstanceState,
    stateReason: reason ? { code: String(reason.code), message: String(reason.message ?? '') } : undefined,
    launchTime: asDate(wire.launchTime),
    privateIpAddress: optionalText(wire.privateIpAddress),
    macAddress: optionalText(wire.macAddress),
    instanceType: optionalText(wire.instanceType),
    volumes: asList(wire.volumes as Wire[]).map((volume) => ({
      volumeId: String(volume.volumeId),
      device: String(volume.device),
    })),
  });
}

function toCapacity(value: unknown): { total: number; free: number } {
  const wire = (value ?? {}) as Wire;
  return { total: asNumber(wire.total ?? 0), free: asNumber(wire.free ?? 0) };
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
