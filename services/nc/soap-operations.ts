import type { NodeController } from '../../src/clients/node-controller.js';
import { instanceToWire, resourceToWire, toSpec, type Wire } from '../../src/clients/instance-wire.js';
import { asBoolean, asList, defined } from '../../src/clients/soap-values.js';
import { commonErrors } from '../../src/aws/service-error.js';
import type { SoapOperation } from '../../src/soap/soap-service.js';

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
      return { instance: instanceToWire(instance) };
    },
    async ncTerminateInstance(input, { log, userId }) {
      const instance = await node.terminateInstance(required(input, 'instanceId'));
      log.info({ userId, instanceId: instance.instanceId }, 'ncTerminateInstance');
      return { instance: instanceToWire(instance) };
    },
    async ncDescribeInstances(input) {
      const instances = await node.describeInstances(asList(input.instanceIds as string[]).map(String));
      return { instances: instances.map(instanceToWire) };
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
      return { instance: instanceToWire(instance) };
    },
    async ncStopInstance(input, { log, userId }) {
      const instance = await node.stopInstance(required(input, 'instanceId'));
      log.info({ userId, instanceId: instance.instanceId }, 'ncStopInstance');
      return { instance: instanceToWire(instance) };
    },
    async ncGetConsoleOutput(input) {
      return { ...(await node.getConsoleOutput(required(input, 'instanceId'))) };
    },
    async ncDescribeResource() {
      return { resource: resourceToWire(await node.describeResource()) };
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
      return { resource: resourceToWire(resource) };
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
