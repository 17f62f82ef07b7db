import { ServiceError } from '../../src/aws/service-error.js';

/** S3's error codes as S3 words them, with their HTTP statuses: one table, one constructor each. */
export class S3Error extends ServiceError {
  constructor(
    code: string,
    message: string,
    status: number,
    /** Extra elements of the error document (`BucketName`, `Key`, `ArgumentName` ...). */
    readonly details: Readonly<Record<string, string>> = {},
    /** Headers the answer carries (`x-amz-delete-marker`, a 304's `ETag`). */
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(code, message, status);
    this.name = 'S3Error';
  }
}

const e = (code: string, message: string, status: number, details?: Record<string, string>) =>
  new S3Error(code, message, status, details);

/** A GET or HEAD whose conditions say the client's copy is current: 304, no body, the validators as headers. */
export function notModified(headers: Record<string, string>): S3Error {
  return new S3Error('NotModified', 'Not Modified', 304, {}, headers);
}

export const s3Errors = {
  accessDenied: (message = 'Access Denied') => e('AccessDenied', message, 403),
  noSuchBucket: (bucket: string) =>
    e('NoSuchBucket', 'The specified bucket does not exist', 404, { BucketName: bucket }),
  noSuchKey: (key: string) => e('NoSuchKey', 'The specified key does not exist.', 404, { Key: key }),
  noSuchVersion: (key: string, versionId: string) =>
    e('NoSuchVersion', 'The specified version does not exist.', 404, { Key: key, VersionId: versionId }),
  noSuchUpload: (uploadId: string) =>
    e(
      'NoSuchUpload',
      'The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.',
      404,
      { UploadId: uploadId },
    ),
  noSuchTagSet: () => e('NoSuchTagSet', 'The TagSet does not exist', 404),
  bucketAlreadyOwnedByYou: (bucket: string) =>
    e(
      'BucketAlreadyOwnedByYou',
      'Your previous request to create the named bucket succeeded and you already own it.',
      409,
      { BucketName: bucket },
    ),
  bucketAlreadyExists: (bucket: string) =>
    e(
      'BucketAlreadyExists',
      'The requested bucket name is not available. The bucket namespace is shared by all users of the system. Please select a different name and try again.',
      409,
      { BucketName: bucket },
    ),
  bucketNotEmpty: (bucket: string) =>
    e('BucketNotEmpty', 'The bucket you tried to delete is not empty', 409, { BucketName: bucket }),
  invalidBucketName: (bucket: string) =>
    e('InvalidBucketName', 'The specified bucket is not valid.', 400, { BucketName: bucket }),
  keyTooLong: () => e('KeyTooLongError', 'Your key is too long', 400),
  invalidArgument: (message: string, name?: string, value?: string) =>
    e('InvalidArgument', message, 400, {
      ...(name !== undefined && { ArgumentName: name }),
      ...(value !== undefined && { ArgumentValue: value }),
    }),
  invalidRequest: (message: string) => e('InvalidRequest', message, 400),
  invalidEncryptionAlgorithm: () =>
    e(
      'InvalidEncryptionAlgorithmError',
      'The Encryption request you specified is not valid. Supported value: AES256.',
      400,
    ),
  invalidRange: (size: number) =>
    e('InvalidRange', 'The requested range is not satisfiable', 416, { ActualObjectSize: String(size) }),
  preconditionFailed: (condition: string) =>
    e('PreconditionFailed', 'At least one of the pre-conditions you specified did not hold', 412, {
      Condition: condition,
    }),
  invalidDigest: () => e('InvalidDigest', 'The Content-MD5 you specified was invalid.', 400),
  badDigest: () => e('BadDigest', 'The Content-MD5 you specified did not match what we received.', 400),
  badChecksum: (algorithm: string) =>
    e('BadDigest', `The ${algorithm} you specified did not match the calculated checksum.`, 400),
  invalidChecksum: (header: string) => e('InvalidRequest', `Value for ${header} header is invalid.`, 400),
  contentSha256Mismatch: (claimed: string, computed: string) =>
    e(
      'XAmzContentSHA256Mismatch',
      "The provided 'x-amz-content-sha256' header does not match what was computed.",
      400,
      {
        ClientComputedContentSHA256: claimed,
        S3ComputedContentSHA256: computed,
      },
    ),
  chunkSignatureMismatch: () =>
    e(
      'SignatureDoesNotMatch',
      'The request signature we calculated does not match the signature you provided. Check your key and signing method.',
      403,
    ),
  incompleteBody: () =>
    e('IncompleteBody', 'You did not provide the number of bytes specified by the Content-Length HTTP header', 400),
  invalidChunk: () => e('IncompleteBody', 'The request body is not valid aws-chunked encoding.', 400),
  missingContentLength: () => e('MissingContentLength', 'You must provide the Content-Length HTTP header.', 411),
  entityTooLarge: (max: number) =>
    e('EntityTooLarge', 'Your proposed upload exceeds the maximum allowed size', 400, { MaxSizeAllowed: String(max) }),
  entityTooSmall: () =>
    e('EntityTooSmall', 'Your proposed upload is smaller than the minimum allowed object size.', 400),
  invalidPart: () =>
    e(
      'InvalidPart',
      "One or more of the specified parts could not be found.  The part may not have been uploaded, or the specified entity tag may not match the part's entity tag.",
      400,
    ),
  invalidPartOrder: () =>
    e('InvalidPartOrder', 'The list of parts was not in ascending order. Parts must be ordered by part number.', 400),
  malformedXml: () =>
    e('MalformedXML', 'The XML you provided was not well-formed or did not validate against our published schema', 400),
  malformedAclError: () =>
    e(
      'MalformedACLError',
      'The XML you provided was not well-formed or did not validate against our published schema',
      400,
    ),
  invalidCopy: () =>
    e(
      'InvalidRequest',
      "This copy request is illegal because it is trying to copy an object to itself without changing the object's metadata, storage class, website redirect location or encryption attributes.",
      400,
    ),
  methodNotAllowed: (method: string) =>
    e('MethodNotAllowed', 'The specified method is not allowed against this resource.', 405, { Method: method }),
  notImplemented: (why = 'A header you provided implies functionality that is not implemented') =>
    e('NotImplemented', why, 501),
  serviceUnavailable: (why: string) => e('ServiceUnavailable', why, 503),
  internalError: () => e('InternalError', 'We encountered an internal error. Please try again.', 500),
  // Not in AWS's list (S3 never fills up); the code and 507 are what S3-compatible stores answer. Not retried by SDKs.
  insufficientCapacity: () =>
    e(
      'InsufficientCapacity',
      'The object store has no room left for this request (its disk is full); nothing was stored.',
      507,
    ),
  tooManyTags: () => e('BadRequest', 'Object tags cannot be greater than 10', 400),
  tooManyBucketTags: () => e('InvalidTag', 'Bucket tag count cannot be greater than 50', 400),
  // What S3 answers for a bucket setting that is not configured (every bucket here: see handlers/bucket-settings.ts).
  invalidPolicyDocument: (message: string) => e('InvalidPolicyDocument', message, 400),
  malformedPostRequest: () =>
    e('MalformedPOSTRequest', 'The body of your POST request is not well-formed multipart/form-data.', 400),
  incorrectNumberOfFiles: () =>
    e('IncorrectNumberOfFilesInPostRequest', 'POST requires exactly one file upload per request.', 400),
  malformedPolicy: (message: string) => e('MalformedPolicy', message, 400),
  noSuchBucketPolicy: () => e('NoSuchBucketPolicy', 'The bucket policy does not exist', 404),
  noSuchCorsConfiguration: () => e('NoSuchCORSConfiguration', 'The CORS configuration does not exist', 404),
  noSuchLifecycleConfiguration: () =>
    e('NoSuchLifecycleConfiguration', 'The lifecycle configuration does not exist', 404),
  noSuchWebsiteConfiguration: () =>
    e('NoSuchWebsiteConfiguration', 'The specified bucket does not have a website configuration', 404),
  noEncryptionConfiguration: () =>
    e('ServerSideEncryptionConfigurationNotFoundError', 'The server side encryption configuration was not found', 404),
  noPublicAccessBlock: () =>
    e('NoSuchPublicAccessBlockConfiguration', 'The public access block configuration was not found', 404),
  noOwnershipControls: () => e('OwnershipControlsNotFoundError', 'The bucket ownership controls were not found', 404),
  badRequest: (message: string) => e('BadRequest', message, 400),
  corsForbidden: (message: string) => e('AccessForbidden', `CORSResponse: ${message}`, 403),
  aclNotSupported: () => e('AccessControlListNotSupported', 'The bucket does not allow ACLs', 400),
  aclWithOwnerEnforced: () =>
    e(
      'InvalidBucketAclWithObjectOwnership',
      "Bucket cannot have ACLs set with ObjectOwnership's BucketOwnerEnforced setting",
      400,
    ),
  noReplicationConfiguration: () =>
    e('ReplicationConfigurationNotFoundError', 'The replication configuration was not found', 404),
  noObjectLockConfiguration: () =>
    e('ObjectLockConfigurationNotFoundError', 'Object Lock configuration does not exist for this bucket', 404),
  noSuchObjectLockConfiguration: () =>
    e('NoSuchObjectLockConfiguration', 'The specified object does not have a ObjectLock configuration', 404),
  invalidBucketState: (message: string) => e('InvalidBucketState', message, 409),
  objectLockNotEnabled: () => e('InvalidRequest', 'Bucket is missing Object Lock Configuration', 400),
  noSuchConfiguration: () => e('NoSuchConfiguration', 'The specified configuration does not exist.', 404),
  invalidTag: (message: string) => e('InvalidTag', message, 400),
} as const;
