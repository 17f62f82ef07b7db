import { ServiceError } from '../../src/aws/service-error.js';

/** The faults the node controller answers with (their code travels in the SOAP fault's `NodeFault`). */
export const ncErrors = {
  instanceNotFound: (instanceId: string) =>
    new ServiceError('InvalidInstanceID.NotFound', `The instance ID '${instanceId}' does not exist on this node`, 404),
  incorrectState: (instanceId: string, state: string, action: string) =>
    new ServiceError(
      'IncorrectInstanceState',
      `The instance '${instanceId}' is ${state}, so it cannot be ${action} now.`,
      409,
    ),
  nodeDisabled: (nodeName: string) =>
    new ServiceError('NodeDisabled', `Node ${nodeName} is disabled (draining): it takes no new instances.`, 503),
  insufficientCapacity: (nodeName: string, what: string) =>
    new ServiceError('InsufficientInstanceCapacity', `Node ${nodeName} has not enough ${what} for this instance.`, 503),
  invalidParameter: (name: string, value: string, why: string) =>
    new ServiceError('InvalidParameterValue', `Value (${value}) for parameter ${name} is invalid. ${why}`),
  attachmentNotFound: (volumeId: string, instanceId: string) =>
    new ServiceError(
      'InvalidAttachment.NotFound',
      `The volume '${volumeId}' is not attached to instance '${instanceId}'.`,
      404,
    ),
  deviceInUse: (device: string, instanceId: string) =>
    new ServiceError(
      'InvalidParameterValue',
      `Invalid value '${device}' for unixDevice. Attachment point ${device} is already in use on ${instanceId}`,
    ),
} as const;
