import type { WsdlField } from '../soap/wsdl-contract.js';
import { commonErrors } from '../aws/service-error.js';
import type { NodeImage, NodeInstance, NodeInstanceSpec, NodeInstanceState, NodeResource } from './node-controller.js';
import { asBoolean, asDate, asList, asNumber, defined } from './soap-values.js';

/**
 * What cc.wsdl and nc.wsdl share: an instance's launch spec, its reported state and a node's resources, as WSDL
 * types (for both contracts) and as converters from node-soap's loose answers to the client interfaces' types.
 */

export type Wire = Record<string, unknown>;

/** The complex types both contracts declare, in the order the WSDLs list them. */
export const instanceWireTypes: Readonly<Record<string, readonly WsdlField[]>> = {
  Image: [
    { name: 'imageId', type: 'string', doc: 'ami-, aki- or ari-: the cache key' },
    { name: 'url', type: 'string', doc: 'https URL of the object store, or file:// on the node' },
    { name: 'sha256', type: 'string', optional: true, doc: 'hex; a download that does not match is refused' },
    { name: 'sizeBytes', type: 'long', optional: true },
  ],
  InstanceSpec: [
    { name: 'instanceId', type: 'string' },
    { name: 'reservationId', type: 'string' },
    { name: 'accountId', type: 'string' },
    { name: 'instanceType', type: 'string' },
    { name: 'cores', type: 'int' },
    { name: 'memoryMiB', type: 'int' },
    { name: 'diskGiB', type: 'int' },
    { name: 'machine', type: 'Image' },
    { name: 'kernel', type: 'Image', optional: true },
    { name: 'ramdisk', type: 'Image', optional: true },
    { name: 'publicKey', type: 'string', optional: true, doc: 'OpenSSH line, for the config drive' },
    { name: 'keyName', type: 'string', optional: true },
    { name: 'userData', type: 'string', optional: true, doc: 'base64' },
    { name: 'macAddress', type: 'string', optional: true },
  ],
  StateReason: [
    { name: 'code', type: 'string' },
    { name: 'message', type: 'string' },
  ],
  VolumeAttachment: [
    { name: 'volumeId', type: 'string' },
    { name: 'device', type: 'string' },
  ],
  Capacity: [
    { name: 'total', type: 'int' },
    { name: 'free', type: 'int' },
  ],
  NodeResource: [
    { name: 'nodeName', type: 'string' },
    { name: 'virtualization', type: 'string', doc: 'kvm, qemu (software emulation) or test' },
    { name: 'enabled', type: 'boolean' },
    { name: 'cores', type: 'Capacity' },
    { name: 'memoryMiB', type: 'Capacity' },
    { name: 'diskGiB', type: 'Capacity' },
    { name: 'instances', type: 'int' },
  ],
};

/** The members of a node's `Instance`; the cluster's adds where it runs. */
export const nodeInstanceFields: readonly WsdlField[] = [
  { name: 'instanceId', type: 'string' },
  { name: 'reservationId', type: 'string', optional: true },
  { name: 'accountId', type: 'string', optional: true },
  { name: 'state', type: 'string', doc: 'pending, running, stopping, stopped, shutting-down, terminated' },
  { name: 'stateReason', type: 'StateReason', optional: true },
  { name: 'launchTime', type: 'dateTime', optional: true },
  { name: 'privateIpAddress', type: 'string', optional: true },
  { name: 'macAddress', type: 'string', optional: true },
  { name: 'instanceType', type: 'string', optional: true },
  { name: 'volumes', type: 'VolumeAttachment', list: true },
];

export function optionalText(value: unknown): string | undefined {
  return value === undefined || value === null ? undefined : String(value);
}

/** A spec as SOAP sends it: no empty elements for members left out. */
export function specToWire(spec: NodeInstanceSpec): Wire {
  return defined({
    ...spec,
    machine: defined(spec.machine),
    kernel: spec.kernel && defined(spec.kernel),
    ramdisk: spec.ramdisk && defined(spec.ramdisk),
  });
}

export function toNodeInstance(wire: Wire): NodeInstance {
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

export function toCapacity(value: unknown): { total: number; free: number } {
  const wire = (value ?? {}) as Wire;
  return { total: asNumber(wire.total ?? 0), free: asNumber(wire.free ?? 0) };
}

export function toResource(wire: Wire): NodeResource {
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

function required(input: Wire, name: string): string {
  const value = optionalText(input[name]);
  if (value === undefined || value === '') throw commonErrors.missingParameter(name);
  return value;
}

function toImage(wire: Wire | undefined): NodeImage | undefined {
  if (!wire) return undefined;
  return defined({
    imageId: required(wire, 'imageId'),
    url: required(wire, 'url'),
    sha256: optionalText(wire.sha256),
    sizeBytes: wire.sizeBytes === undefined ? undefined : asNumber(wire.sizeBytes),
  });
}

/** The typed spec out of a SOAP request's `InstanceSpec` (the server side of `specToWire`). */
export function toSpec(wire: Wire): NodeInstanceSpec {
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
    publicKey: optionalText(wire.publicKey),
    keyName: optionalText(wire.keyName),
    userData: optionalText(wire.userData),
    macAddress: optionalText(wire.macAddress),
  });
}

/** node-soap writes members in the object's own order: these give them the schema's (sequence) order. */
export function instanceToWire(instance: NodeInstance): Wire {
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

export function resourceToWire(resource: NodeResource): Wire {
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
