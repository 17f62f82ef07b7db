import type {
  NodeController,
  NodeImage,
  NodeInstance,
  NodeInstanceSpec,
  NodeResource,
} from '../../src/clients/node-controller.js';
import { asBoolean, asList, asNumber, defined } from '../../src/clients/soap-values.js';
import { commonErrors } from '../../src/aws/service-error.js';
import type { SoapOperation } from '../../src/soap/soap-service.js';

type Wire = Record<string, unknown>;

/**
 * The operations of `wsdl/nc.wsdl`, by wire name: SOAP's shapes (lists of one, optional text) in, the typed
 * `NodeController` calls out. The caller's `userId` is logged with what it changed.
 */
export function nodeOperations(node: NodeController): Record<string, SoapOperation> {
  return {
    async ncRunInstance(input, { log, userId }) {
      const spec = toSpec((input.instance ?? {}) as Wire);
      const instance = await node.runInstance(spec);
      log.info({ userId, instanceId: spec.instanceId, state: instance.state }, 'ncRunInstance');
      return { instance: wireInstance(instance) };
    },
    async ncTerminateInstance(input, { log, userId }) {
      const instance = await node.terminateInstance(required(input, 'instanceId'));
      log.info({ userId, instanceId: instance.instanceId }, 'ncTerminateInstance');
      return { instance: wireInstance(instance) };
    },
    async ncDescribeInstances(input) {
      const instances = await node.describeInstances(asList(input.instanceIds as string[]).map(String));
      return { instances: instances.map(wireInstance) };
    },
    async ncRebootInstance(input, { log, userId }) {
      const instanceId = required(input, 'instanceId');
      await node.rebootInstance(instanceId);
      log.info({ userId, instanceId }, 'ncRebootInstance');
      return {};
    },
    async ncStartInstance(input, { log, userId }) {
      const instance = await node.startInstance(required(input, 'instanceId'));
      log.info({ userId, instanceId: instance.instanceId }, 'ncStartInstance');
      return { instance: wireInstance(instance) };
    },
    async ncStopInstance(input, { log, userId }) {
      const instance = await node.stopInstance(required(input, 'instanceId'));
      log.info({ userId, instanceId: instance.instanceId }, 'ncStopInstance');
      return { instance: wireInstance(instance) };
    },
    async ncGetConsoleOutput(input) {
      return { ...(await node.getConsoleOutput(required(input, 'instanceId'))) };
    },
    async ncDescribeResource() {
      return { resource: wireResource(await node.describeResource()) };
    },
    async ncAttachVolume(input, { log, userId }) {
      const attach = {
        instanceId: required(input, 'instanceId'),
        volumeId: required(input, 'volumeId'),
        device: required(input, 'device'),
        target: required(input, 'target'),
      };
      await node.attachVolume(attach);
      log.info({ userId, ...attach }, 'ncAttachVolume');
      return {};
    },
    async ncDetachVolume(input, { log, userId }) {
      const detach = defined({
        instanceId: required(input, 'instanceId'),
        volumeId: required(input, 'volumeId'),
        device: optional(input, 'device'),
        force: input.force === undefined ? undefined : asBoolean(input.force),
      });
      await node.detachVolume(detach);
      log.info({ userId, ...detach }, 'ncDetachVolume');
      return {};
    },
    async ncModifyNode(input, { log, userId }) {
      if (input.enabled === undefined) throw commonErrors.missingParameter('enabled');
      const resource = await node.modifyNode({ enabled: asBoolean(input.enabled) });
      log.info({ userId, enabled: resource.enabled }, 'ncModifyNode');
      return { resource: wireResource(resource) };
    },
  };
}

function required(input: Wire, name: string): string {
  const value = optional(input, name);
  if (value === undefined || value === '') throw commonErrors.missingParameter(name);
  return value;
}

function optional(input: Wire, name: string): string | undefined {
  const value = input[name];
  return value === undefined || value === null ? undefined : String(value);
}

function toImage(wire: Wire | undefined): NodeImage | undefined {
  if (!wire) return undefined;
  return defined({
    imageId: required(wire, 'imageId'),
    url: required(wire, 'url'),
    sha256: optional(wire, 'sha256'),
    sizeBytes: wire.sizeBytes === undefined ? undefined : asNumber(wire.sizeBytes),
  });
}

function toSpec(wire: Wire): NodeInstanceSpec {
  const machine = toImage(wire.machine as Wire | undefined);
  if (!machine) throw commonErrors.missingParameter('machine');
  return defined({
    instanceId: required(wire, 'instanceId'),
    reservationId: required(wire, 'reservationId'),
    accountId: required(wire, 'accountId'),
    instanceType: required(wire, 'instanceType'),
    cores: asNumber(wire.cores),
    memoryMiB: asNumber(wire.memoryMiB),
    diskGiB: asNumber(wire.diskGiB),
    machine,
    kernel: toImage(wire.kernel as Wire | undefined),
    ramdisk: toImage(wire.ramdisk as Wire | undefined),
    publicKey: optional(wire, 'publicKey'),
    keyName: optional(wire, 'keyName'),
    userData: optional(wire, 'userData'),
    macAddress: optional(wire, 'macAddress'),
  });
}

/** node-soap writes members in the object's own order: these give them the schema's (sequence) order. */
function wireInstance(instance: NodeInstance): Record<string, unknown> {
  return defined({
    instanceId: instance.instanceId,
    reservationId: instance.reservationId,
    accountId: instance.accountId,
    state: instance.state,
    stateReason: instance.stateReason && { code: instance.stateReason.code, message: instance.stateReason.message },
    launchTime: instance.launchTime,
    privateIpAddress: instance.privateIpAddress,
    macAddress: instance.macAddress,
    instanceType: instance.instanceType,
    volumes: instance.volumes?.map((volume) => ({ volumeId: volume.volumeId, device: volume.device })),
  });
}

function wireResource(resource: NodeResource): Record<string, unknown> {
  const capacity = ({ total, free }: { total: number; free: number }) => ({ total, free });
  return {
    nodeName: resource.nodeName,
    virtualization: resource.virtualization,
    enabled: resource.enabled,
    cores: capacity(resource.cores),
    memoryMiB: capacity(resource.memoryMiB),
    diskGiB: capacity(resource.diskGiB),
    instances: resource.instances,
  };
}
