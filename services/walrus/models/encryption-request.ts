import { createHash, createHmac } from 'node:crypto';
import { s3Errors } from '../s3-errors.js';
import type { ServerSideEncryptionConfiguration } from '../../../src/aws/generated/s3-types.js';
import { customerKeyCheck, customerKeyMatches, customerSealKeyCheck, isCustomerSeal } from '../storage/blob-sealing.js';
import type { StageOptions } from '../storage/byte-store.js';
import type { BucketEncryption, BucketRecord, Segment, UploadSealing } from '../storage/metadata-store.js';

/**
 * The server-side encryption a request asks for, checked before anything is read or stored. Walrus performs SSE-S3
 * (`AES256`: the object's bytes sealed with a data key of their own under Walrus's master keys) and SSE-C (sealed with
 * the customer's key, which is never kept: only a salted HMAC of it, to check the key a later request brings); see
 * storage/blob-sealing.ts. It has no key management service, so a request for SSE-KMS is refused with S3's
 * `NotImplemented` rather than stored otherwise than asked.
 */
export interface EncryptionHeaders {
  ServerSideEncryption?: string;
  SSEKMSKeyId?: string;
  SSEKMSEncryptionContext?: string;
  BucketKeyEnabled?: boolean;
  SSECustomerAlgorithm?: string;
  /** Decoded from its header's base64 by the protocol layer (a blob); a POST form's field is still base64 text. */
  SSECustomerKey?: Uint8Array | string;
  SSECustomerKeyMD5?: string;
  CopySourceSSECustomerAlgorithm?: string;
  CopySourceSSECustomerKey?: Uint8Array | string;
  CopySourceSSECustomerKeyMD5?: string;
}

const kms =
  'Walrus does not offer server-side encryption with KMS keys (SSE-KMS): this cloud has no key management service';
const notApplicable = 'The encryption parameters are not applicable to this object';

export function checkEncryptionRequest(input: EncryptionHeaders): void {
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
  if (customerKeyOf(input) && method !== undefined) {
    throw s3Errors.invalidArgument(
      'Server Side Encryption with Customer provided key is incompatible with the encryption method specified',
      'x-amz-server-side-encryption',
      method,
    );
  }
  customerKeyOf(input, 'copy source');
}

/** The headers that carry a customer's key: the object's own, or a copy's source's. */
const customerKeyHeaders = {
  target: {
    algorithm: 'SSECustomerAlgorithm',
    key: 'SSECustomerKey',
    md5: 'SSECustomerKeyMD5',
    prefix: 'x-amz-server-side-encryption-customer',
  },
  'copy source': {
    algorithm: 'CopySourceSSECustomerAlgorithm',
    key: 'CopySourceSSECustomerKey',
    md5: 'CopySourceSSECustomerKeyMD5',
    prefix: 'x-amz-copy-source-server-side-encryption-customer',
  },
} as const;

const md5Base64 = (data: Buffer) => createHash('md5').update(data).digest('base64');

/**
 * The customer's key (SSE-C) a request gives for the object (or for a copy's source), checked as S3 checks it: the
 * algorithm AES256, a 256-bit key, its MD5 as the client computed it. Undefined when the request gives none.
 */
export function customerKeyOf(
  input: EncryptionHeaders,
  which: keyof typeof customerKeyHeaders = 'target',
): Buffer | undefined {
  const names = customerKeyHeaders[which];
  const [algorithm, given, md5] = [input[names.algorithm], input[names.key], input[names.md5]];
  if (algorithm === undefined && given === undefined && md5 === undefined) return undefined;
  const invalid = (message: string, header: string, value?: string) =>
    s3Errors.invalidArgument(message, `${names.prefix}-${header}`, value);
  const needs = 'Requests specifying Server Side Encryption with Customer provided keys must provide';
  if (algorithm === undefined) throw invalid(`${needs} a valid encryption algorithm.`, 'algorithm');
  if (algorithm !== 'AES256') throw s3Errors.invalidEncryptionAlgorithm();
  if (given === undefined) throw invalid(`${needs} an appropriate secret key.`, 'key');
  const key = typeof given === 'string' ? Buffer.from(given, 'base64') : Buffer.from(given);
  if (key.length !== 32) throw invalid('The secret key was invalid for the specified algorithm.', 'key');
  if (md5 === undefined) throw invalid(`${needs} the client calculated MD5 of the secret key.`, 'key-MD5');
  if (md5.trim() !== md5Base64(key)) {
    throw invalid('The calculated MD5 hash of the key did not match the hash that was provided.', 'key-MD5', md5);
  }
  return key;
}

/**
 * How a new object or upload is sealed: with the customer's key the request gives (SSE-C), else with Walrus's own
 * keys when it asks for AES256 or its bucket has default encryption (SSE-S3), else not at all.
 */
export function newObjectSealing(input: EncryptionHeaders, bucket: BucketRecord): StageOptions {
  const customerKey = customerKeyOf(input);
  if (customerKey) return { customerKey };
  return input.ServerSideEncryption === 'AES256' || bucket.encryption !== undefined ? { sealed: true } : {};
}

/**
 * How stored segments are sealed, with the key a request gives for them checked: S3's `InvalidRequest` when they
 * are sealed with a customer's key and the request gives none (or gives one for bytes that are not), `AccessDenied`
 * when it is not their key.
 */
export function storedSealing(segments: readonly Segment[], customerKey: Buffer | undefined): StageOptions {
  const customerSeals = segments.flatMap((segment) =>
    segment.seal !== undefined && isCustomerSeal(segment.seal) ? [segment.seal] : [],
  );
  if (customerSeals.length === 0) {
    if (customerKey) throw s3Errors.invalidRequest(notApplicable);
    return segments.some((segment) => segment.seal !== undefined) ? { sealed: true } : {};
  }
  if (!customerKey) {
    throw s3Errors.invalidRequest(
      'The object was stored using a form of Server Side Encryption. The correct parameters must be provided to retrieve the object.',
    );
  }
  if (!customerSeals.every((seal) => customerKeyMatches(customerSealKeyCheck(seal), customerKey))) {
    throw s3Errors.accessDenied();
  }
  return { customerKey };
}

/** A new upload's sealing as its record keeps it (a customer's key only as a check of it). */
export function uploadSealing(sealing: StageOptions): UploadSealing | undefined {
  if (sealing.customerKey) return { by: 'customer', keyCheck: customerKeyCheck(sealing.customerKey) };
  return sealing.sealed ? { by: 'walrus' } : undefined;
}

/** How a part of an upload sealed as `upload` is sealed: as the upload is, with the customer's key it began with. */
export function partSealing(upload: UploadSealing | undefined, customerKey: Buffer | undefined): StageOptions {
  if (upload?.by !== 'customer') {
    if (customerKey) throw s3Errors.invalidRequest(notApplicable);
    return upload ? { sealed: true } : {};
  }
  if (!customerKey) {
    throw s3Errors.invalidRequest(
      'The multipart upload initiate requested encryption. Subsequent part requests must include the appropriate encryption parameters.',
    );
  }
  if (!customerKeyMatches(upload.keyCheck, customerKey)) {
    throw s3Errors.invalidRequest('The provided encryption parameters did not match the ones used originally.');
  }
  return { customerKey };
}

/** The encryption headers of an answer about bytes sealed as `sealing`: SSE-S3's, or SSE-C's (the key's MD5). */
export function encryptionHeader(sealing: StageOptions): {
  ServerSideEncryption?: 'AES256';
  SSECustomerAlgorithm?: 'AES256';
  SSECustomerKeyMD5?: string;
} {
  if (sealing.customerKey) return { SSECustomerAlgorithm: 'AES256', SSECustomerKeyMD5: md5Base64(sealing.customerKey) };
  return sealing.sealed ? { ServerSideEncryption: 'AES256' } : {};
}

/**
 * The hex ETag of bytes whose MD5 is `md5Hex`, sealed as `sealing`: their MD5, as on S3, but for a customer's key,
 * where (as on S3) it is not: an HMAC of it under the key, so that the ETag gives away nothing of the bytes.
 */
export function sealedEtag(md5Hex: string, sealing: StageOptions): string {
  return sealing.customerKey ? createHmac('md5', sealing.customerKey).update(md5Hex).digest('hex') : md5Hex;
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
