import type { ClusterController, ClusterInstance, ClusterNode } from '../../src/clients/cluster-controller.js';
import { instanceToWire, resourceToWire, toSpec, type Wire } from '../../src/clients/instance-wire.js';
import { asBoolean, asList, defined } from '../../src/clients/soap-values.js';
import type { SoapOperation } from '../../src/soap/soap-service.js';

/** The operations of `wsdl/cc.wsdl` by wire name, each turning SOAP's shapes into the `ClusterController` call. */
export function clusterOperations(cluster: ClusterController): Record<string, SoapOperation> {
  const ids = (input: Wire) => asList(input.instanceIds as string | string[]).map(String);
  return {
    async RunInstances(input) {
      const instances = await cluster.runInstances(asList(input.instances as Wire[]).map(toSpec));
      return { instances: instances.map(clusterInstanceToWire) };
    },
    async TerminateInstances(input) {
      return { instances: (await cluster.terminateInstances(ids(input))).map(clusterInstanceToWire) };
    },
    async DescribeInstances(input) {
      return { instances: (await cluster.describeInstances(ids(input))).map(clusterInstanceToWire) };
    },
    async RebootInstances(input) {
      await cluster.rebootInstances(ids(input));
      return {};
    },
    async StartInstance(input) {
      return { instance: clusterInstanceToWire(await cluster.startInstance(String(input.instanceId))) };
    },
    async StopInstance(input) {
      return { instance: clusterInstanceToWire(await cluster.stopInstance(String(input.instanceId))) };
    },
    async GetConsoleOutput(input) {
      return { ...(await cluster.getConsoleOutput(String(input.instanceId))) };
    },
    async DescribeResources() {
      const resources = await cluster.describeResources();
      return {
        zone: resources.zone,
        cores: resources.cores,
        memoryMiB: resources.memoryMiB,
        diskGiB: resources.diskGiB,
        nodes: resources.nodes.map(nodeToWire),
      };
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
      return { nodes: (await cluster.describeNodes()).map(nodeToWire) };
    },
    async RegisterNode(input) {
      const node = await cluster.registerNode({ nodeName: String(input.nodeName), url: String(input.url) });
      return { node: nodeToWire(node) };
    },
    async DeregisterNode(input) {
      await cluster.deregisterNode(String(input.nodeName));
      return {};
    },
    async ModifyNode(input) {
      const node = await cluster.modifyNode({ nodeName: String(input.nodeName), enabled: asBoolean(input.enabled) });
      return { node: nodeToWire(node) };
    },
  };
}

/** Members in the schema's order (node-soap writes them as the object has them). */
function clusterInstanceToWire(instance: ClusterInstance): Wire {
  return defined({ ...instanceToWire(instance), nodeName: instance.nodeName, nodeReachable: instance.nodeReachable });
}

function nodeToWire(node: ClusterNode): Wire {
  return defined({
    nodeName: node.nodeName,
    url: node.url,
    reachable: node.reachable,
    resource: node.resource && resourceToWire(node.resource),
    lastSeen: node.lastSeen,
    lastError: node.lastError,
  });
}
