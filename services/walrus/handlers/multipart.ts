import { createHash } from 'node:crypto';
import type { S3Operations } from '../../../src/aws/generated/s3-types.js';
import type { QueryHandlers } from '../../../src/aws/protocol/query-dispatcher.js';
import { lockForNewVersion } from '../models/object-lock.js';
import { aclFromHeaders, admitAcl, cannedAcl, newObjectOwner } from '../models/acl.js';
import {
  customerKeyOf,
  encryptionHeader,
  newObjectSealing,
  partSealing,
  sealedEtag,
  storedSealing,
  uploadSealing,
} from '../models/encryption-request.js';
import { copyBytes, receiveBytes, segmentOf } from '../models/object-bytes.js';
import { s3Errors } from '../s3-errors.js';
import type { BucketRecord, UploadRecord } from '../storage/metadata-store.js';
import {
  dropBlobs,
  newOpaqueId,
  quoteEtag,
  requireAccess,
  requireBucket,
  unquoteEtag,
  type WalrusContext,
} from './context.js';
import {
  checkKey,
  copySourceObject,
  parseRange,
  parseTagging,
  storedHeaders,
  versionHeader,
  versionIdFor,
} from './objects.js';

/**
 * Multipart uploads: parts are blobs of their own, recorded as they arrive; completing an upload makes the chosen
 * parts, in order, the segments of the new object without copying a byte, in one metadata transaction.
 */

const maxParts = 10000;

function requireUpload(context: WalrusContext, bucket: BucketRecord, key: string, uploadId: string): UploadRecord {
  const upload = context.meta.getUpload(uploadId);
  if (!upload || upload.bucket !== bucket.name || upload.key !== key) throw s3Errors.noSuchUpload(uploadId);
  return upload;
}

function checkPartNumber(partNumber: number): void {
  if (!Number.isInteger(partNumber) || partNumber < 1 || partNumber > maxParts) {
    throw s3Errors.invalidArgument(
      'Part number must be an integer between 1 and 10000, inclusive',
      'partNumber',
      String(partNumber),
    );
  }
}

/** S3's ETag of a multipart object: the MD5 of the parts' binary MD5s, then `-` and the number of parts. */
export function multipartEtag(partEtags: readonly string[]): string {
  const hash = createHash('md5');
  for (const etag of partEtags) hash.update(Buffer.from(unquoteEtag(etag), 'hex'));
  return `"${hash.digest('hex')}-${partEtags.length}"`;
}

export const multipartHandlers: QueryHandlers<S3Operations, WalrusContext> = {
  async CreateMultipartUpload(input, context) {
    const bucket = requireBucket(context, input.Bucket);
    requireAccess(context, bucket, 's3:PutObject', { key: input.Key, acl: bucket.acl });
    checkKey(input.Key);
    const owner = newObjectOwner(context.caller, bucket, input.ACL);
    const lock = lockForNewVersion(bucket, input, Date.now());
    const sealing = newObjectSealing(input, bucket);
    const sealed = uploadSealing(sealing);
    const uploadId = newOpaqueId();
    context.meta.createUpload({
      uploadId,
      bucket: bucket.name,
      key: input.Key,
      initiated: new Date().toISOString(),
      owner,
      headers: storedHeaders(input),
      metadata: Object.fromEntries(Object.entries(input.Metadata ?? {}).map(([k, v]) => [k.toLowerCase(), v])),
      acl: admitAcl(aclFromHeaders(input, owner, bucket.owner), bucket) ?? cannedAcl('private', owner),
      tags: parseTagging(input.Tagging),
      ...(input.ChecksumAlgorithm !== undefined && { checksumAlgorithm: input.ChecksumAlgorithm }),
      ...(lock && { lock }),
      ...(sealed && { sealing: sealed }),
    });
    return {
      Bucket: bucket.name,
      Key: input.Key,
      UploadId: uploadId,
      ...encryptionHeader(sealing),
      ...(input.ChecksumAlgorithm !== undefined && { ChecksumAlgorithm: input.ChecksumAlgorithm }),
    };
  },

  async UploadPart(input, context) {
    const bucket = requireBucket(context, input.Bucket);
    requireAccess(context, bucket, 's3:PutObject', { key: input.Key, acl: bucket.acl });
    checkPartNumber(input.PartNumber);
    // A part is sealed as its upload is (S3 takes the encryption of parts from CreateMultipartUpload).
    const upload = requireUpload(context, bucket, input.Key, input.UploadId);
    const sealing = partSealing(upload.sealing, customerKeyOf(input));
    const received = await receiveBytes(context.bytes, context.body(), input, context.trailer, sealing);
    const etag = quoteEtag(sealedEtag(received.md5, sealing));
    await received.blob.publish();
    const result = context.meta.putPart({
      uploadId: input.UploadId,
      partNumber: input.PartNumber,
      ...segmentOf(received.blob),
      etag,
      lastModified: new Date().toISOString(),
    });
    if (result === 'no-upload') {
      dropBlobs(context, [received.blob.id]);
      throw s3Errors.noSuchUpload(input.UploadId);
    }
    dropBlobs(context, result);
    return {
      ETag: etag,
      ...encryptionHeader(sealing),
      ...(received.checksum && { [`Checksum${received.checksum.algorithm}`]: received.checksum.value }),
    };
  },

  async UploadPartCopy(input, context) {
    const bucket = requireBucket(context, input.Bucket);
    requireAccess(context, bucket, 's3:PutObject', { key: input.Key, acl: bucket.acl });
    checkPartNumber(input.PartNumber);
    const upload = requireUpload(context, bucket, input.Key, input.UploadId);
    const sealing = partSealing(upload.sealing, customerKeyOf(input));
    const source = copySourceObject(context, input);
    const sourceKey = storedSealing(source.segments, customerKeyOf(input, 'copy source')).customerKey;
    let range: { start: number; end: number } | undefined;
    if (input.CopySourceRange !== undefined) {
      const match = /^bytes=(\d+)-(\d+)$/.exec(input.CopySourceRange.trim());
      if (!match || Number(match[2]) >= source.size || Number(match[1]) > Number(match[2])) {
        throw s3Errors.invalidArgument(
          'The x-amz-copy-source-range value must be of the form bytes=first-last where first and last are the zero-based offsets of the first and last bytes to copy',
          'x-amz-copy-source-range',
          input.CopySourceRange,
        );
      }
      range = parseRange(input.CopySourceRange, source.size);
    }
    const copied = await copyBytes(context.bytes, source.segments, {
      ...sealing,
      ...(range && { range }),
      sourceCustomerKey: sourceKey,
    });
    const etag = quoteEtag(sealedEtag(copied.md5, sealing));
    await copied.blob.publish();
    const lastModified = new Date();
    const result = context.meta.putPart({
      uploadId: input.UploadId,
      partNumber: input.PartNumber,
      ...segmentOf(copied.blob),
      etag,
      lastModified: lastModified.toISOString(),
    });
    if (result === 'no-upload') {
      dropBlobs(context, [copied.blob.id]);
      throw s3Errors.noSuchUpload(input.UploadId);
    }
    dropBlobs(context, result);
    return {
      CopyPartResult: { ETag: etag, LastModified: lastModified },
      ...(source.versionId !== 'null' && { CopySourceVersionId: source.versionId }),
      ...encryptionHeader(sealing),
    };
  },

  async CompleteMultipartUpload(input, context) {
    const bucket = requireBucket(context, input.Bucket);
    requireAccess(context, bucket, 's3:PutObject', { key: input.Key, acl: bucket.acl });
    const upload = requireUpload(context, bucket, input.Key, input.UploadId);
    const requested = input.MultipartUpload?.Parts ?? [];
    if (requested.length === 0) throw s3Errors.malformedXml();
    const stored = new Map(context.meta.listParts(upload.uploadId).map((part) => [part.partNumber, part]));
    let previous = 0;
    const chosen = requested.map((wanted, index) => {
      const number = wanted.PartNumber ?? 0;
      if (number <= previous) throw s3Errors.invalidPartOrder();
      previous = number;
      const part = stored.get(number);
      if (!part || (wanted.ETag !== undefined && unquoteEtag(wanted.ETag) !== unquoteEtag(part.etag))) {
        throw s3Errors.invalidPart();
      }
      if (index < requested.length - 1 && part.size < context.minPartSize) throw s3Errors.entityTooSmall();
      return part;
    });
    const etag = multipartEtag(chosen.map((part) => part.etag));
    const versionId = versionIdFor(bucket);
    const result = context.meta.completeUpload(upload.uploadId, {
      bucket: bucket.name,
      key: upload.key,
      versionId,
      isDeleteMarker: false,
      size: chosen.reduce((total, part) => total + part.size, 0),
      etag,
      lastModified: new Date().toISOString(),
      owner: upload.owner,
      headers: upload.headers,
      metadata: upload.metadata,
      acl: upload.acl,
      tags: upload.tags,
      partsCount: chosen.length,
      segments: chosen.map((part) => segmentOf({ id: part.blob, size: part.size, seal: part.seal })),
      ...(upload.lock && { lock: upload.lock }),
    });
    if (result === 'no-upload') throw s3Errors.noSuchUpload(upload.uploadId);
    dropBlobs(context, result);
    return {
      Location: `/${bucket.name}/${upload.key}`,
      Bucket: bucket.name,
      Key: upload.key,
      ETag: etag,
      ...(versionHeader(bucket, versionId) !== undefined && { VersionId: versionId }),
      // Completing takes no key: a customer's upload says nothing of its encryption here, as on S3.
      ...encryptionHeader({ sealed: upload.sealing?.by === 'walrus' }),
    };
  },

  async AbortMultipartUpload(input, context) {
    const bucket = requireBucket(context, input.Bucket);
    requireAccess(context, bucket, 's3:AbortMultipartUpload', { key: input.Key, acl: bucket.acl });
    requireUpload(context, bucket, input.Key, input.UploadId);
    dropBlobs(context, context.meta.deleteUpload(input.UploadId));
    return {};
  },

  async ListParts(input, context) {
    const bucket = requireBucket(context, input.Bucket);
    requireAccess(context, bucket, 's3:ListMultipartUploadParts', { key: input.Key, acl: bucket.acl });
    const upload = requireUpload(context, bucket, input.Key, input.UploadId);
    const marker = input.PartNumberMarker === undefined ? 0 : Number(input.PartNumberMarker);
    const max = Math.min(input.MaxParts ?? 1000, 1000);
    const after = context.meta.listParts(upload.uploadId).filter((part) => part.partNumber > marker);
    const page = after.slice(0, max);
    const owner = { ID: upload.owner.id, DisplayName: upload.owner.displayName };
    return {
      Bucket: bucket.name,
      Key: upload.key,
      UploadId: upload.uploadId,
      PartNumberMarker: marker,
      MaxParts: max,
      IsTruncated: after.length > max,
      ...(after.length > max && { NextPartNumberMarker: page.at(-1)?.partNumber }),
      Parts: page.map((part) => ({
        PartNumber: part.partNumber,
        LastModified: new Date(part.lastModified),
        ETag: part.etag,
        Size: part.size,
      })),
      Initiator: owner,
      Owner: owner,
      StorageClass: 'STANDARD',
    };
  },
};
