import type { ClusterController } from '../../src/clients/cluster-controller.js';
import type { NodeInstanceSpec } from '../../src/clients/node-controller.js';
import { asBoolean, asList, asNumber } from '../../src/clients/soap-values.js';
import type { SoapOperation } from '../../src/soap/soap-service.js';

type Wire = Record<string, unknown>;

/** The operations of `wsdl/cc.wsdl` by wire name, each turning SOAP's shapes into the `ClusterController` call. */
export function clusterOperations(cluster: ClusterController): Record<string, SoapOperation> {
  const ids = (input: Wire) => asList(input.instanceIds as string | string[]).map(String);
  return {
    async RunInstances(input) {
      return { instances: await cluster.runInstances(asList(input.instances as Wire[]).map(toSpec)) };
    },
    async TerminateInstances(input) {
      return { instances: await cluster.terminateInstances(ids(input)) };
    },
    async DescribeInstances(input) {
      return { instances: await cluster.describeInstances(ids(input)) };
    },
    async RebootInstances(input) {
      await cluster.rebootInstances(ids(input));
      return {};
    },
    async StartInstance(input) {
      return { instance: await cluster.startInstance(String(input.instanceId)) };
    },
    async StopInstance(input) {
      return { instance: await cluster.stopInstance(String(input.instanceId)) };
    },
    async GetConsoleOutput(input) {
      return { ...(await cluster.getConsoleOutput(String(input.instanceId))) };
    },
    async DescribeResources() {
      return { ...(await cluster.describeResources()) };
    },
    async AttachVolume(input) {
      await cluster.attachVolume({
        instanceId: String(input.instanceId),
        volumeId: String(input.volumeId),
        device: String(input.device),
        target: String(input.target),
      });
      return {};
    },
    async DetachVolume(input) {
      await cluster.detachVolume({
        instanceId: String(input.instanceId),
        volumeId: String(input.volumeId),
        ...(input.device !== undefined && { device: String(input.device) }),
        force: asBoolean(input.force),
      });
      return {};
    },
    async DescribeNodes() {
      return { nodes: await cluster.describeNodes() };
    },
    async RegisterNode(input) {
      return { node: await cluster.registerNode({ nodeName: String(input.nodeName), url: String(input.url) }) };
    },
    async DeregisterNode(input) {
      await cluster.deregisterNode(String(input.nodeName));
      return {};
    },
    async ModifyNode(input) {
      return {
        node: await cluster.modifyNode({ nodeName: String(input.nodeName), enabled: asBoolean(input.enabled) }),
      };
    },
  };
}

function toImage(wire: Wire | undefined) {
  if (!wire) return undefined;
  return {
    imageId: String(wire.imageId),
    url: String(wire.url),
    ...(wire.sha256 !== undefined && { sha256: String(wire.sha256) }),
    ...(wire.sizeBytes !== undefined && { sizeBytes: asNumber(wire.sizeBytes) }),
  };
}

function toSpec(wire: Wire): NodeInstanceSpec {
  const optional = (name: string) => (wire[name] === undefined ? {} : { [name]: String(wire[name]) });
  const kernel = toImage(wire.kernel as Wire | undefined);
  const ramdisk = toImage(wire.ramdisk as Wire | undefined);
  return {
    instanceId: String(wire.instanceId),
    reservationId: String(wire.reservationId),
    accountId: String(wire.accountId),
    instanceType: String(wire.instanceType),
    cores: asNumber(wire.cores),
    memoryMiB: asNumber(wire.memoryMiB),
    diskGiB: asNumber(wire.diskGiB),
    machine: toImage(wire.machine as Wire) as NodeInstanceSpec['machine'],
    ...(kernel && { kernel }),
    ...(ramdisk && { ramdisk }),
    ...optional('publicKey'),
    ...optional('keyName'),
    ...optional('userData'),
    ...optional('macAddress'),
  };
}
