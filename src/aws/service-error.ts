/**
 * An error an AWS endpoint answers with: its code (`InvalidParameterValue`, `NoSuchBucket` ...), HTTP status and
 * message. Models and handlers throw these; only the protocol serialiser turns them into bytes (EC2 error XML, Query
 * `ErrorResponse`, S3 `<Error>`, a SOAP fault), so the same error reads right on every protocol.
 */
export class ServiceError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status = 400,
    /** `Sender` (the client's fault) or `Receiver` (ours), as Query protocol errors say. */
    readonly fault: 'Sender' | 'Receiver' = status >= 500 ? 'Receiver' : 'Sender',
  ) {
    super(message);
    this.name = 'ServiceError';
  }
}

/** Errors every Query/EC2 endpoint shares; service-specific ones live beside their service. */
export const commonErrors = {
  missingAction: () => new ServiceError('MissingAction', 'The request must contain the parameter Action.'),
  invalidAction: (action: string) =>
    new ServiceError('InvalidAction', `The action ${action} is not valid for this web service.`),
  /** Query services (IAM, STS) answer an unknown or unimplemented action, or a wrong version, this way. */
  operationNotFound: (action: string, version: string) =>
    new ServiceError('InvalidAction', `Could not find operation ${action} for version ${version}`),
  /** EC2's answer to a `Version` it does not have, e.g. `noSuchVersion('2030-01-01', 'AmazonEC2')`. */
  noSuchVersion: (version: string, service: string) =>
    new ServiceError('NoSuchVersion', `The requested version (${version}) of service ${service} does not exist`),
  unsupportedOperation: (action: string) =>
    new ServiceError('UnsupportedOperation', `The operation ${action} is not supported by this cloud yet.`),
  missingParameter: (name: string) =>
    new ServiceError('MissingParameter', `The request must contain the parameter ${name}`),
  invalidParameterValue: (name: string, value: string, why: string) =>
    new ServiceError('InvalidParameterValue', `Value (${value}) for parameter ${name} is invalid. ${why}`),
  invalidParameterCombination: (message: string) => new ServiceError('InvalidParameterCombination', message),
  unknownParameter: (name: string) => new ServiceError('UnknownParameter', `The parameter ${name} is not recognized`),
  /**
   * Query services' constraint failures, all of them at once: `Value null at 'userName' failed to satisfy constraint:
   * Member must not be null`.
   */
  validationError: (violations: readonly string[]) =>
    new ServiceError(
      'ValidationError',
      `${violations.length} validation error${violations.length === 1 ? '' : 's'} detected: ${violations.join('; ')}`,
    ),
  internalError: () => new ServiceError('InternalError', 'An internal error has occurred', 500, 'Receiver'),
} as const;
