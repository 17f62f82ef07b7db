import { s3Errors } from '../s3-errors.js';
import type { ServerSideEncryptionConfiguration } from '../../../src/aws/generated/s3-types.js';
import type { BucketEncryption, BucketRecord, Segment } from '../storage/metadata-store.js';

/**
 * The server-side encryption a request asks for, checked before anything is read or stored. Walrus performs SSE-S3
 * (`AES256`): the object's bytes are sealed with a data key of their own under Walrus's master keys
 * (storage/blob-sealing.ts), and answers say so with `x-amz-server-side-encryption: AES256`. It has no key management
 * service, and keeps no customer keys, so a request for encryption with KMS or a customer-provided key (SSE-C) is
 * refused with S3's `NotImplemented` rather than stored otherwise than asked, and customer-key headers on a read are
 * S3's `InvalidRequest` (no object here was written with one).
 */
export interface EncryptionHeaders {
  ServerSideEncryption?: string;
  SSEKMSKeyId?: string;
  SSEKMSEncryptionContext?: string;
  BucketKeyEnabled?: boolean;
  SSECustomerAlgorithm?: string;
  SSECustomerKey?: string;
  CopySourceSSECustomerAlgorithm?: string;
  CopySourceSSECustomerKey?: string;
}

/** Operations that create an object or upload: customer keys there ask to encrypt. Elsewhere they name a key to read. */
const creating = new Set(['PutObject', 'CopyObject', 'CreateMultipartUpload']);

const kms =
  'Walrus does not offer server-side encryption with KMS keys (SSE-KMS): this cloud has no key management service';
const customerKeys = 'Walrus does not offer server-side encryption with customer-provided keys (SSE-C)';
const notApplicable = 'The encryption parameters are not applicable to this object';

export function checkEncryptionRequest(operation: string, input: EncryptionHeaders): void {
  const method = input.ServerSideEncryption;
  if (method !== undefined && method !== 'AES256') {
    if (method === 'aws:kms' || method === 'aws:kms:dsse') throw s3Errors.notImplemented(kms);
    throw s3Errors.invalidArgument(
      'The encryption method specified is not supported',
      'x-amz-server-side-encryption',
      method,
    );
  }
  if (input.SSEKMSKeyId !== undefined || input.SSEKMSEncryptionContext !== undefined || input.BucketKeyEnabled) {
    throw s3Errors.notImplemented(kms);
  }
  if (input.SSECustomerAlgorithm !== undefined || input.SSECustomerKey !== undefined) {
    throw creating.has(operation) ? s3Errors.notImplemented(customerKeys) : s3Errors.invalidRequest(notApplicable);
  }
  if (input.CopySourceSSECustomerAlgorithm !== undefined || input.CopySourceSSECustomerKey !== undefined) {
    throw s3Errors.invalidRequest(notApplicable);
  }
}

/** Whether a new object or upload is sealed (SSE-S3): asked for with `AES256`, or by the bucket's default encryption. */
export function sealsNewObject(input: Pick<EncryptionHeaders, 'ServerSideEncryption'>, bucket: BucketRecord): boolean {
  return input.ServerSideEncryption === 'AES256' || bucket.encryption !== undefined;
}

/** The `x-amz-server-side-encryption` an answer carries for an object stored as `segments` (none when unsealed). */
export function encryptionHeader(sealed: boolean | readonly Segment[]): { ServerSideEncryption?: 'AES256' } {
  const isSealed = typeof sealed === 'boolean' ? sealed : sealed.some((segment) => segment.seal !== undefined);
  return isSealed ? { ServerSideEncryption: 'AES256' } : {};
}

/**
 * A bucket's default encryption from PutBucketEncryption's document: one rule, `AES256`. KMS is `NotImplemented`
 * (no key management service here), as for an object; another algorithm is malformed, as S3 has it.
 */
export function bucketEncryptionFromWire(configuration: ServerSideEncryptionConfiguration): BucketEncryption {
  const rules = configuration.Rules ?? [];
  if (rules.length !== 1) throw s3Errors.malformedXml();
  const [rule] = rules as [NonNullable<typeof rules>[number]];
  const byDefault = rule.ApplyServerSideEncryptionByDefault;
  if (!byDefault) throw s3Errors.malformedXml();
  if (byDefault.SSEAlgorithm === 'aws:kms' || byDefault.SSEAlgorithm === 'aws:kms:dsse') {
    throw s3Errors.notImplemented(kms);
  }
  if (byDefault.SSEAlgorithm !== 'AES256') throw s3Errors.malformedXml();
  if (byDefault.KMSMasterKeyID !== undefined) {
    throw s3Errors.invalidArgument(
      'a KMSMasterKeyID is not applicable if the default sse algorithm is not aws:kms or aws:kms:dsse',
      'ApplyServerSideEncryptionByDefault',
      byDefault.KMSMasterKeyID,
    );
  }
  return {
    algorithm: 'AES256',
    ...(rule.BucketKeyEnabled !== undefined && { bucketKeyEnabled: rule.BucketKeyEnabled }),
  };
}

export function bucketEncryptionToWire(encryption: BucketEncryption): ServerSideEncryptionConfiguration {
  return {
    Rules: [
      {
        ApplyServerSideEncryptionByDefault: { SSEAlgorithm: encryption.algorithm },
        BucketKeyEnabled: encryption.bucketKeyEnabled ?? false,
      },
    ],
  };
}
