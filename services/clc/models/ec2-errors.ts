import { ServiceError } from '../../../src/aws/service-error.js';

/**
 * EC2's errors, worded as EC2 words them (scripts match on the codes, people read the messages). Each resource type
 * has its `.NotFound`, `.Malformed` and `.Duplicate` codes; a resource of another account is reported exactly as
 * one that does not exist.
 */
export const ec2Errors = {
  dryRun: () => new ServiceError('DryRunOperation', 'Request would have succeeded, but DryRun flag is set.', 412),
  notFound: (code: string, what: string, id: string) => new ServiceError(code, `The ${what} '${id}' does not exist`),
  malformed: (code: string, id: string) => new ServiceError(code, `Invalid id: "${id}"`),
  duplicate: (code: string, message: string) => new ServiceError(code, message),
  invalidFilter: (name: string) => new ServiceError('InvalidParameterValue', `The filter '${name}' is invalid`),
  invalidPaginationToken: (token: string) =>
    new ServiceError('InvalidPaginationToken', `The pagination token '${token}' is not valid or has expired.`),
  maxResultsRange: (value: number, min: number, max: number) =>
    new ServiceError(
      'InvalidParameterValue',
      `Value ( ${value} ) for parameter maxResults is invalid. Expecting a value between ${min} and ${max}.`,
    ),
  idsWithMaxResults: (idsParameter: string) =>
    new ServiceError(
      'InvalidParameterCombination',
      `The parameter ${idsParameter} cannot be used with the parameter maxResults`,
    ),
  invalidId: (id: string) => new ServiceError('InvalidID', `The ID '${id}' is not valid`),
  tagLimitExceeded: () =>
    new ServiceError('TagLimitExceeded', 'The maximum number of Tags for a resource has been reached.'),
  invalidTagKey: (key: string) =>
    new ServiceError('InvalidParameterValue', `Tag keys starting with 'aws:' are reserved for internal use: ${key}`),
  invalidParameterValue: (message: string) => new ServiceError('InvalidParameterValue', message),
  invalidParameter: (message: string) => new ServiceError('InvalidParameter', message),
  dependencyViolation: (message: string) => new ServiceError('DependencyViolation', message),
  idempotentParameterMismatch: () =>
    new ServiceError(
      'IdempotentParameterMismatch',
      'Arguments on this idempotent request are inconsistent with arguments used in previous request(s).',
    ),
  insufficientCapacity: (message: string) => new ServiceError('InsufficientInstanceCapacity', message, 500),
  incorrectState: (code: string, message: string) => new ServiceError(code, message),
  invalidParameterCombination: (message: string) => new ServiceError('InvalidParameterCombination', message),
  operationNotPermitted: (message: string) => new ServiceError('OperationNotPermitted', message),
  unsupportedAttribute: (message: string) => new ServiceError('UnsupportedOperation', message),
  keyPairDuplicate: (name: string) =>
    new ServiceError('InvalidKeyPair.Duplicate', `The keypair '${name}' already exists.`),
  invalidKeyFormat: (message: string) => new ServiceError('InvalidKey.Format', message),
  groupDuplicate: (name: string) =>
    new ServiceError('InvalidGroup.Duplicate', `The security group '${name}' already exists`),
  cannotDeleteGroup: (id: string, name: string) =>
    new ServiceError('CannotDelete', `the specified group: "${id}" name: "${name}" cannot be deleted by a user`),
  /** `rule` as EC2 describes it: `peer: 0.0.0.0/0, TCP, from port: 22, to port: 22, ALLOW`. */
  permissionDuplicate: (rule: string) =>
    new ServiceError('InvalidPermission.Duplicate', `the specified rule "${rule}" already exists`),
  permissionNotFound: () =>
    new ServiceError('InvalidPermission.NotFound', 'The specified rule does not exist in this security group.'),
  imageNotFound: (ids: readonly string[]) =>
    new ServiceError('InvalidAMIID.NotFound', `The image id '[${ids.join(', ')}]' does not exist`),
  imageNotAuthorized: (id: string) => new ServiceError('AuthFailure', `Not authorized for image:${id}`),
  imageNameDuplicate: (name: string, id: string) =>
    new ServiceError('InvalidAMIName.Duplicate', `AMI name ${name} is already in use by AMI ${id}`),
  imageNameMalformed: () =>
    new ServiceError(
      'InvalidAMIName.Malformed',
      "AMI names must be between 3 and 128 characters long, and may contain letters, numbers, '(', ')', '.', '-', " +
        "'/' and '_'",
    ),
  invalidManifest: (location: string) =>
    new ServiceError(
      'InvalidManifest',
      `The specified AMI has an unparsable manifest, or you may not have access to the location of the manifest ` +
        `file: ${location}`,
    ),
  invalidUserId: (value: string) => new ServiceError('InvalidUserID.Malformed', `Invalid user id: "${value}"`),
  imageAttributeItemInvalid: (value: string, itemType: string) =>
    new ServiceError(
      'InvalidAMIAttributeItemValue',
      `Invalid attribute item value "${value}" for ${itemType} item type.`,
    ),
  instanceTypesNotFound: (names: readonly string[]) =>
    new ServiceError(
      'InvalidInstanceType',
      `The following supplied instance types do not exist: [${names.join(', ')}]`,
    ),
  invalidRegion: (name: string) => new ServiceError('InvalidParameterValue', `Invalid region: [${name}]`),
  invalidZone: (name: string) => new ServiceError('InvalidParameterValue', `Invalid availability zone: [${name}]`),
  invalidZoneId: (id: string) => new ServiceError('InvalidParameterValue', `Invalid availability zone-id: [${id}]`),
  addressLimitExceeded: () =>
    new ServiceError('AddressLimitExceeded', 'The maximum number of addresses has been reached.'),
  addressNotFound: (ip: string) => new ServiceError('InvalidAddress.NotFound', `Address '${ip}' not found.`),
  /** A public IP the caller does not hold, whether another account holds it or nobody does. */
  addressNotYours: (ip: string) => new ServiceError('AuthFailure', `The address '${ip}' does not belong to you.`),
  addressInUse: (ip: string) => new ServiceError('InvalidIPAddress.InUse', `Address ${ip} is in use.`),
  addressAlreadyAssociated: (allocationId: string, associationId: string) =>
    new ServiceError(
      'Resource.AlreadyAssociated',
      `resource ${allocationId} is already associated with associate-id ${associationId}`,
    ),
  /** AssociateAddress to an instance neither running nor stopped. */
  instanceNotValidState: (instanceId: string, state: string) =>
    new ServiceError(
      'InvalidInstanceID',
      `The ${state} instance '${instanceId}' is not in a valid state for this operation.`,
    ),
  volumeInUse: (message: string) => new ServiceError('VolumeInUse', message),
  volumeZoneMismatch: (volumeId: string, instanceId: string) =>
    new ServiceError(
      'InvalidVolume.ZoneMismatch',
      `The volume '${volumeId}' is not in the same availability zone as instance '${instanceId}'`,
    ),
  volumeIncorrectState: (volumeId: string, state: string) =>
    new ServiceError('IncorrectState', `Volume '${volumeId}' is in the '${state}' state.`),
  snapshotIncorrectState: (snapshotId: string, state: string) =>
    new ServiceError('IncorrectState', `Snapshot '${snapshotId}' is in the '${state}' state.`),
  snapshotInUse: (snapshotId: string, imageId: string) =>
    new ServiceError('InvalidSnapshot.InUse', `The snapshot ${snapshotId} is currently in use by ${imageId}`),
  attachmentNotFound: (volumeId: string, instanceId: string) =>
    new ServiceError(
      'InvalidAttachment.NotFound',
      `The volume '${volumeId}' is not attached to instance '${instanceId}'`,
    ),
  deviceInUse: (device: string) =>
    new ServiceError(
      'InvalidParameterValue',
      `Invalid value '${device}' for unixDevice. Attachment point ${device} is already in use`,
    ),
  /** Something EC2 does that this cloud does not do (yet), said plainly. */
  unsupported: (message: string) => new ServiceError('UnsupportedOperation', message),
} as const;
