import { s3Errors } from '../s3-errors.js';

/**
 * The server-side encryption a request asks for, checked before anything is read or stored. Walrus keeps no keys of
 * its own to encrypt with and has no key management service, so a request for encryption with a customer-provided key
 * (SSE-C) or with KMS is refused with S3's `NotImplemented` rather than stored in the clear, and customer-key headers
 * on a read are S3's `InvalidRequest` (no object here was written with one). `AES256` (SSE-S3) is accepted as
 * before, and not confirmed: answers carry no `x-amz-server-side-encryption` header, so clients can tell the bytes
 * rest as the disk under Walrus keeps them.
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
