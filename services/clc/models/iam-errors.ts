import { ServiceError } from '../../../src/aws/service-error.js';

/**
 * IAM's errors, worded as IAM words them (clients and scripts match on these), and the cloud's own account errors
 * in the same style. Status codes are IAM's: 404 for a missing entity, 409 for conflicts and quotas.
 */
export const iamErrors = {
  userAlreadyExists: (userName: string) =>
    new ServiceError('EntityAlreadyExists', `User with name ${userName} already exists.`, 409),
  noSuchUser: (userName: string) =>
    new ServiceError('NoSuchEntity', `The user with name ${userName} cannot be found.`, 404),
  noSuchAccessKey: (accessKeyId: string) =>
    new ServiceError('NoSuchEntity', `The Access Key with id ${accessKeyId} cannot be found.`, 404),
  accessKeyQuota: (quota: number) =>
    new ServiceError('LimitExceeded', `Cannot exceed quota for AccessKeysPerUser: ${quota}`, 409),
  /** The cloud property `iam.users.max_per_account`. */
  userQuota: (quota: number) =>
    new ServiceError('LimitExceeded', `Cannot exceed quota for UsersPerAccount: ${quota}`, 409),
  userHasAccessKeys: () =>
    new ServiceError('DeleteConflict', 'Cannot delete entity, must delete access keys first.', 409),
  /** A name with characters IAM does not allow (`[\w+=,.@-]`). */
  invalidName: (member: string) =>
    new ServiceError(
      'ValidationError',
      `The specified value for ${member} is invalid. It must contain only alphanumeric characters and/or the ` +
        'following: +=,.@_-',
    ),
  invalidPath: (member: string) =>
    new ServiceError(
      'ValidationError',
      `The specified value for ${member} is invalid. It must begin and end with / and contain only alphanumeric ` +
        'characters and/or / characters.',
    ),
  invalidPathPrefix: () =>
    new ServiceError(
      'ValidationError',
      'The specified value for pathPrefix is invalid. It must begin with the / character and contain only ' +
        'alphanumeric characters and/or / characters.',
    ),
  /** IAM's framework-level checks (lengths, ranges) name the member but not the value, except for numbers. */
  tooLong: (member: string, max: number) =>
    new ServiceError(
      'ValidationError',
      `1 validation error detected: Value at '${member}' failed to satisfy constraint: Member must have length ` +
        `less than or equal to ${max}`,
    ),
  tooShort: (member: string, min: number) =>
    new ServiceError(
      'ValidationError',
      `1 validation error detected: Value at '${member}' failed to satisfy constraint: Member must have length ` +
        `greater than or equal to ${min}`,
    ),
  outOfRange: (member: string, value: unknown, min: number, max: number) =>
    new ServiceError(
      'ValidationError',
      `1 validation error detected: Value '${String(value)}' at '${member}' failed to satisfy constraint: Member ` +
        `must have value between ${min} and ${max}`,
    ),
  invalidStatus: (value: string) =>
    new ServiceError(
      'ValidationError',
      `1 validation error detected: Value '${value}' at 'status' failed to satisfy constraint: Member must ` +
        'satisfy enum value set: [Active, Inactive]',
    ),
  invalidMarker: () => new ServiceError('ValidationError', 'The specified value for marker is invalid.'),

  accountAlreadyExists: (accountName: string) =>
    new ServiceError('EntityAlreadyExists', `Account with name ${accountName} already exists.`, 409),
  noSuchAccount: (accountName: string) =>
    new ServiceError('NoSuchEntity', `The account with name ${accountName} cannot be found.`, 404),
  invalidAccountName: (accountName: string) =>
    new ServiceError(
      'ValidationError',
      `The specified value for accountName (${accountName}) is invalid. It must be 3 to 63 characters of lowercase ` +
        'letters, digits and single hyphens, and begin and end with a letter or digit.',
    ),
  accountNotEmpty: (accountName: string, users: number) =>
    new ServiceError(
      'DeleteConflict',
      `Cannot delete account ${accountName}: it still has ${users} user${users === 1 ? '' : 's'}. Delete ` +
        `${users === 1 ? 'it' : 'them'} first, or force the deletion.`,
      409,
    ),
  adminAccountUndeletable: (accountName: string) =>
    new ServiceError(
      'DeleteConflict',
      `Cannot delete account ${accountName}: it is the cloud's administrative account.`,
      409,
    ),
} as const;
