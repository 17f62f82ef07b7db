import type { GetObjectInput, GetObjectOutput, S3Operations } from '../../../src/aws/generated/s3-types.js';
import type { QueryHandlers } from '../../../src/aws/protocol/query-dispatcher.js';
import { percentDecode } from '../../../src/aws/auth/canonical.js';
import {
  aclAsRead,
  aclFromHeaders,
  aclFromPolicy,
  aclToWire,
  admitAcl,
  cannedAcl,
  newObjectOwner,
} from '../models/acl.js';
import { objectAction } from '../models/access.js';
import { copyBytes, maxPutSize, objectBody, receiveBytes, segmentOf } from '../models/object-bytes.js';
import {
  customerKeyOf,
  encryptionHeader,
  newObjectSealing,
  sealedEtag,
  storedSealing,
} from '../models/encryption-request.js';
import type { StageOptions } from '../storage/byte-store.js';
import { notModified, S3Error, s3Errors } from '../s3-errors.js';
import {
  changedLegalHold,
  changedRetention,
  lockForNewVersion,
  lockHeaders,
  requireDeletable,
} from '../models/object-lock.js';
import type { StagedBlob } from '../storage/byte-store.js';
import type { BucketRecord, ObjectRecord, StoredHeaders, Tag } from '../storage/metadata-store.js';
import {
  dropBlobs,
  mayAccess,
  newOpaqueId,
  objectResource,
  quoteEtag,
  requireAccess,
  requireBucket,
  unquoteEtag,
  type WalrusContext,
  type StoreContext,
} from './context.js';

/** Longest key, in UTF-8 bytes. */
const maxKeyBytes = 1024;

export function checkKey(key: string): void {
  if (Buffer.byteLength(key) > maxKeyBytes) throw s3Errors.keyTooLong();
}

/** The version id a new write gets: a fresh one while versioning is on, `null` otherwise. */
export function versionIdFor(bucket: BucketRecord): string {
  return bucket.versioning === 'Enabled' ? newOpaqueId() : 'null';
}

/** `x-amz-version-id` is answered only by buckets that have ever had versioning on. */
export function versionHeader(bucket: BucketRecord, versionId: string): string | undefined {
  return bucket.versioning === '' ? undefined : versionId;
}

export function storedHeaders(input: {
  ContentType?: string;
  ContentEncoding?: string;
  ContentDisposition?: string;
  ContentLanguage?: string;
  CacheControl?: string;
  Expires?: Date;
}): StoredHeaders {
  const headers: StoredHeaders = {};
  // aws-chunked is how the body travelled, not how the object is encoded.
  const encoding = input.ContentEncoding?.split(',')
    .map((part) => part.trim())
    .filter((part) => part !== '' && part !== 'aws-chunked')
    .join(',');
  if (input.ContentType !== undefined) headers.contentType = input.ContentType;
  if (encoding) headers.contentEncoding = encoding;
  if (input.ContentDisposition !== undefined) headers.contentDisposition = input.ContentDisposition;
  if (input.ContentLanguage !== undefined) headers.contentLanguage = input.ContentLanguage;
  if (input.CacheControl !== undefined) headers.cacheControl = input.CacheControl;
  if (input.Expires !== undefined) headers.expires = input.Expires.toISOString();
  return headers;
}

/** `x-amz-tagging: a=1&b=2`, checked against S3's limits. */
export function parseTagging(header: string | undefined): Tag[] {
  if (header === undefined || header === '') return [];
  const tags = header.split('&').map((pair) => {
    const equals = pair.indexOf('=');
    const key = percentDecode(equals === -1 ? pair : pair.slice(0, equals), true).toString('utf8');
    const value = equals === -1 ? '' : percentDecode(pair.slice(equals + 1), true).toString('utf8');
    return { Key: key, Value: value };
  });
  return checkTags(tags);
}

/** S3's rules for a tag set: an object's (10 tags at most), or a bucket's (50). */
export function checkTags(tags: Tag[], of: 'object' | 'bucket' = 'object'): Tag[] {
  if (of === 'object' && tags.length > 10) throw s3Errors.tooManyTags();
  if (of === 'bucket' && tags.length > 50) throw s3Errors.tooManyBucketTags();
  const keys = new Set<string>();
  for (const tag of tags) {
    if (tag.Key.length === 0 || tag.Key.length > 128)
      throw s3Errors.invalidTag('The TagKey you have provided is invalid');
    if (tag.Value.length > 256) throw s3Errors.invalidTag('The TagValue you have provided is invalid');
    if (keys.has(tag.Key)) throw s3Errors.invalidTag('Cannot provide multiple Tags with the same key');
    keys.add(tag.Key);
  }
  return tags;
}

function metadataOf(input: { Metadata?: Record<string, string> }): Record<string, string> {
  const metadata: Record<string, string> = {};
  for (const [key, value] of Object.entries(input.Metadata ?? {})) metadata[key.toLowerCase()] = value;
  return metadata;
}

/**
 * The version a read names (or the current one), with S3's answers when there is none: `NoSuchKey` or
 * `NoSuchVersion` to those who may list the bucket, `AccessDenied` to others so they learn nothing.
 */
export function findObject(
  context: WalrusContext,
  bucket: BucketRecord,
  key: string,
  versionId: string | undefined,
): ObjectRecord {
  const object = context.meta.getObject(bucket.name, key, versionId);
  const mayList = () => mayAccess(context, bucket, 's3:ListBucket', { acl: bucket.acl });
  if (!object) {
    if (!mayList()) throw s3Errors.accessDenied();
    throw versionId === undefined ? s3Errors.noSuchKey(key) : s3Errors.noSuchVersion(key, versionId);
  }
  if (object.isDeleteMarker) {
    if (!mayList()) throw s3Errors.accessDenied();
    const headers = { 'x-amz-delete-marker': 'true', 'x-amz-version-id': object.versionId };
    if (versionId !== undefined) {
      const error = s3Errors.methodNotAllowed('GET');
      throw Object.assign(error, {
        headers: { ...headers, 'last-modified': new Date(object.lastModified).toUTCString() },
      });
    }
    throw Object.assign(s3Errors.noSuchKey(key), { headers });
  }
  return object;
}

function secondsOf(date: Date | string): number {
  return Math.floor(new Date(date).getTime() / 1000);
}

function etagMatches(header: string, etag: string): boolean {
  const wanted = unquoteEtag(etag);
  return header.split(',').some((candidate) => candidate.trim() === '*' || unquoteEtag(candidate) === wanted);
}

/** RFC 7232's order, as S3 applies it: If-Match, If-Unmodified-Since, If-None-Match, If-Modified-Since. */
function checkConditions(
  input: { IfMatch?: string; IfNoneMatch?: string; IfModifiedSince?: Date; IfUnmodifiedSince?: Date },
  object: ObjectRecord,
): void {
  const { IfMatch, IfNoneMatch, IfModifiedSince, IfUnmodifiedSince } = input;
  // Most reads ask nothing of the kind: they pay for no date parsing.
  if ([IfMatch, IfNoneMatch, IfModifiedSince, IfUnmodifiedSince].every((value) => value === undefined)) return;
  const modified = secondsOf(object.lastModified);
  if (input.IfMatch !== undefined) {
    if (!etagMatches(input.IfMatch, object.etag)) throw s3Errors.preconditionFailed('If-Match');
  } else if (input.IfUnmodifiedSince !== undefined && modified > secondsOf(input.IfUnmodifiedSince)) {
    throw s3Errors.preconditionFailed('If-Unmodified-Since');
  }
  const validators = () => ({ etag: object.etag, 'last-modified': new Date(object.lastModified).toUTCString() });
  if (input.IfNoneMatch !== undefined) {
    if (etagMatches(input.IfNoneMatch, object.etag)) throw notModified(validators());
  } else if (input.IfModifiedSince !== undefined && modified <= secondsOf(input.IfModifiedSince)) {
    throw notModified(validators());
  }
}

/**
 * A `Range: bytes=...` header against an object's size: the inclusive byte range, undefined for the whole object
 * (no header, or one S3 ignores: several ranges, another unit, bad syntax), `InvalidRange` when unsatisfiable.
 */
export function parseRange(header: string | undefined, size: number): { start: number; end: number } | undefined {
  if (header === undefined) return undefined;
  const match = /^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$/i.exec(header);
  if (!match || (match[1] === '' && match[2] === '')) return undefined;
  if (match[1] === '') {
    const suffix = Number(match[2]);
    if (suffix === 0) throw s3Errors.invalidRange(size);
    if (size === 0) return undefined;
    return { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(match[1]);
  const end = match[2] === '' ? size - 1 : Math.min(Number(match[2]), size - 1);
  if (match[2] !== '' && Number(match[2]) < start) return undefined;
  if (start >= size) throw s3Errors.invalidRange(size);
  return { start, end };
}

/** The headers GET and HEAD answer with, from the stored version and the request's response-* overrides. */
function describe(
  object: ObjectRecord,
  bucket: BucketRecord,
  input: GetObjectInput,
  sealing: StageOptions,
): Omit<GetObjectOutput, 'Body' | 'ContentLength'> {
  const headers = object.headers;
  const checksum =
    object.checksum && input.ChecksumMode === 'ENABLED' && input.Range === undefined
      ? { [`Checksum${object.checksum.algorithm}`]: object.checksum.value }
      : {};
  return {
    AcceptRanges: 'bytes',
    LastModified: new Date(object.lastModified),
    ETag: object.etag,
    ContentType: input.ResponseContentType ?? headers.contentType ?? 'binary/octet-stream',
    ...((input.ResponseContentEncoding ?? headers.contentEncoding) !== undefined && {
      ContentEncoding: input.ResponseContentEncoding ?? headers.contentEncoding,
    }),
    ...((input.ResponseContentDisposition ?? headers.contentDisposition) !== undefined && {
      ContentDisposition: input.ResponseContentDisposition ?? headers.contentDisposition,
    }),
    ...((input.ResponseContentLanguage ?? headers.contentLanguage) !== undefined && {
      ContentLanguage: input.ResponseContentLanguage ?? headers.contentLanguage,
    }),
    ...((input.ResponseCacheControl ?? headers.cacheControl) !== undefined && {
      CacheControl: input.ResponseCacheControl ?? headers.cacheControl,
    }),
    ...(input.ResponseExpires !== undefined
      ? { Expires: input.ResponseExpires }
      : headers.expires !== undefined && { Expires: new Date(headers.expires) }),
    ...(Object.keys(object.metadata).length > 0 && { Metadata: object.metadata }),
    ...(versionHeader(bucket, object.versionId) !== undefined && { VersionId: object.versionId }),
    ...(object.tags.length > 0 && { TagCount: object.tags.length }),
    ...(object.partsCount !== undefined && input.PartNumber !== undefined && { PartsCount: object.partsCount }),
    ...checksum,
    ...lockHeaders(object.lock),
    ...encryptionHeader(sealing),
  };
}

/** The byte range a GET asks for: its `Range`, or the part `partNumber` names. */
function rangeOf(input: GetObjectInput, object: ObjectRecord): { start: number; end: number } | undefined {
  if (input.PartNumber === undefined) return parseRange(input.Range, object.size);
  if (input.Range !== undefined) throw s3Errors.invalidRequest('Cannot specify both Range header and partNumber');
  const count = object.partsCount ?? 1;
  if (!Number.isInteger(input.PartNumber) || input.PartNumber < 1 || input.PartNumber > count) {
    throw s3Errors.invalidRange(object.size);
  }
  if (object.partsCount === undefined) return object.size === 0 ? undefined : { start: 0, end: object.size - 1 };
  let start = 0;
  for (let index = 0; index < input.PartNumber - 1; index++) start += object.segments[index]?.size ?? 0;
  const size = object.segments[input.PartNumber - 1]?.size ?? 0;
  return { start, end: start + size - 1 };
}

/** `x-amz-copy-source`: `bucket/key` or `/bucket/key`, URL-encoded, with an optional `?versionId=`. */
export function parseCopySource(source: string): { bucket: string; key: string; versionId?: string } {
  const question = source.indexOf('?');
  const path = question === -1 ? source : source.slice(0, question);
  const query = question === -1 ? '' : source.slice(question + 1);
  const decoded = percentDecode(path.replace(/^\//, ''), false).toString('utf8');
  const slash = decoded.indexOf('/');
  if (slash <= 0 || slash === decoded.length - 1) {
    throw s3Errors.invalidArgument('Invalid copy source object key', 'x-amz-copy-source', source);
  }
  const versionId = /(?:^|&)versionId=([^&]*)/.exec(query)?.[1];
  return {
    bucket: decoded.slice(0, slash),
    key: decoded.slice(slash + 1),
    ...(versionId !== undefined && { versionId: percentDecode(versionId, true).toString('utf8') }),
  };
}

/** The source of a copy, readable by the caller and passing the `x-amz-copy-source-if-*` conditions. */
export function copySourceObject(
  context: WalrusContext,
  input: {
    CopySource: string;
    CopySourceIfMatch?: string;
    CopySourceIfNoneMatch?: string;
    CopySourceIfModifiedSince?: Date;
    CopySourceIfUnmodifiedSince?: Date;
  },
): ObjectRecord {
  const source = parseCopySource(input.CopySource);
  const bucket = requireBucket(context, source.bucket);
  const object = findObject(context, bucket, source.key, source.versionId);
  requireAccess(context, bucket, objectAction('s3:GetObject', source.versionId), objectResource(object));
  const modified = secondsOf(object.lastModified);
  if (input.CopySourceIfMatch !== undefined && !etagMatches(input.CopySourceIfMatch, object.etag)) {
    throw s3Errors.preconditionFailed('x-amz-copy-source-If-Match');
  }
  if (input.CopySourceIfNoneMatch !== undefined && etagMatches(input.CopySourceIfNoneMatch, object.etag)) {
    throw s3Errors.preconditionFailed('x-amz-copy-source-If-None-Match');
  }
  if (input.CopySourceIfUnmodifiedSince !== undefined && modified > secondsOf(input.CopySourceIfUnmodifiedSince)) {
    throw s3Errors.preconditionFailed('x-amz-copy-source-If-Unmodified-Since');
  }
  if (input.CopySourceIfModifiedSince !== undefined && modified <= secondsOf(input.CopySourceIfModifiedSince)) {
    throw s3Errors.preconditionFailed('x-amz-copy-source-If-Modified-Since');
  }
  return object;
}

/** Publishes a staged blob and records the version in one step; on a failed commit the blob goes again. */
export async function commitVersion(
  context: WalrusContext,
  blob: Pick<StagedBlob, 'publish' | 'publishInline'>,
  blobIds: string[],
  record: Omit<ObjectRecord, 'isLatest'>,
): Promise<void> {
  const { publishInline } = blob;
  if (!publishInline) await blob.publish();
  let replaced: string[];
  try {
    // An inline blob's row goes in with the version that refers to it: one transaction, one commit.
    replaced = publishInline
      ? context.meta.atomically(() => {
          publishInline();
          return context.meta.putObject(record);
        })
      : context.meta.putObject(record);
  } catch (error) {
    dropBlobs(context, blobIds);
    throw error;
  }
  dropBlobs(context, replaced);
}

export const objectHandlers: QueryHandlers<S3Operations, WalrusContext> = {
  async PutObject(input, context) {
    const bucket = requireBucket(context, input.Bucket);
    requireAccess(context, bucket, 's3:PutObject', { key: input.Key, acl: bucket.acl });
    checkKey(input.Key);
    if (input.ContentLength !== undefined && input.ContentLength > maxPutSize)
      throw s3Errors.entityTooLarge(maxPutSize);
    const owner = newObjectOwner(context.caller, bucket, input.ACL);
    const acl = admitAcl(aclFromHeaders(input, owner, bucket.owner), bucket) ?? cannedAcl('private', owner);
    const tags = parseTagging(input.Tagging);
    const lock = lockForNewVersion(bucket, input, Date.now());
    if (input.IfNoneMatch !== undefined && input.IfNoneMatch.trim() !== '*') throw s3Errors.notImplemented();
    const sealing = newObjectSealing(input, bucket);
    const received = await receiveBytes(context.bytes, context.body(), input, context.trailer, sealing);
    const etag = quoteEtag(sealedEtag(received.md5, sealing));
    if (input.IfNoneMatch !== undefined) {
      const current = context.meta.getObject(bucket.name, input.Key);
      if (current && !current.isDeleteMarker) {
        await received.blob.discard();
        throw s3Errors.preconditionFailed('If-None-Match');
      }
    }
    const versionId = versionIdFor(bucket);
    await commitVersion(context, received.blob, [received.blob.id], {
      bucket: bucket.name,
      key: input.Key,
      versionId,
      isDeleteMarker: false,
      size: received.blob.size,
      etag,
      lastModified: new Date().toISOString(),
      owner,
      headers: storedHeaders(input),
      metadata: metadataOf(input),
      acl,
      tags,
      ...(received.checksum && { checksum: received.checksum }),
      segments: [segmentOf(received.blob)],
      ...(lock && { lock }),
    });
    return {
      ETag: etag,
      ...encryptionHeader(sealing),
      ...(versionHeader(bucket, versionId) !== undefined && { VersionId: versionId }),
      ...(received.checksum && { [`Checksum${received.checksum.algorithm}`]: received.checksum.value }),
    };
  },

  async GetObject(input, context) {
    const bucket = requireBucket(context, input.Bucket);
    const object = findObject(context, bucket, input.Key, input.VersionId);
    requireAccess(context, bucket, objectAction('s3:GetObject', input.VersionId), objectResource(object));
    checkConditions(input, object);
    const sealing = storedSealing(object.segments, customerKeyOf(input));
    const range = rangeOf(input, object);
    const length = range ? range.end - range.start + 1 : object.size;
    return {
      ...describe(object, bucket, input, sealing),
      ContentLength: length,
      ...(range && { ContentRange: `bytes ${range.start}-${range.end}/${object.size}` }),
      Body: objectBody(context.bytes, object.segments, range, sealing.customerKey) as unknown as Uint8Array,
    };
  },

  async HeadObject(input, context) {
    const bucket = requireBucket(context, input.Bucket);
    const object = findObject(context, bucket, input.Key, input.VersionId);
    requireAccess(context, bucket, objectAction('s3:GetObject', input.VersionId), objectResource(object));
    checkConditions(input, object);
    const sealing = storedSealing(object.segments, customerKeyOf(input));
    const range = rangeOf(input, object);
    return {
      ...describe(object, bucket, input, sealing),
      ContentLength: range ? range.end - range.start + 1 : object.size,
      ...(range && { ContentRange: `bytes ${range.start}-${range.end}/${object.size}` }),
    };
  },

  async DeleteObject(input, context) {
    const bucket = requireBucket(context, input.Bucket);
    const action = objectAction('s3:DeleteObject', input.VersionId);
    requireAccess(context, bucket, action, { key: input.Key, acl: bucket.acl });
    return deleteOne(
      context,
      bucket,
      input.Key,
      input.VersionId,
      bypassesGovernance(context, bucket, input, input.Key),
    );
  },

  async DeleteObjects(input, context) {
    const bucket = requireBucket(context, input.Bucket);
    const objects = input.Delete?.Objects ?? [];
    if (objects.length === 0 || objects.length > 1000) throw s3Errors.malformedXml();
    const deleted: NonNullable<S3Operations['DeleteObjects']['output']['Deleted']> = [];
    const errors: NonNullable<S3Operations['DeleteObjects']['output']['Errors']> = [];
    for (const object of objects) {
      const action = objectAction('s3:DeleteObject', object.VersionId);
      if (!mayAccess(context, bucket, action, { key: object.Key, acl: bucket.acl })) {
        errors.push({ Key: object.Key, Code: 'AccessDenied', Message: 'Access Denied' });
        continue;
      }
      let result: Awaited<ReturnType<typeof deleteOne>>;
      try {
        result = await deleteOne(
          context,
          bucket,
          object.Key,
          object.VersionId,
          bypassesGovernance(context, bucket, input, object.Key),
        );
      } catch (error) {
        // A version Object Lock keeps is refused alone; the others go.
        if (!(error instanceof S3Error)) throw error;
        errors.push({ Key: object.Key, VersionId: object.VersionId, Code: error.code, Message: error.message });
        continue;
      }
      if (input.Delete?.Quiet) continue;
      deleted.push({
        Key: object.Key,
        ...(object.VersionId !== undefined && { VersionId: object.VersionId }),
        ...(result.DeleteMarker && { DeleteMarker: true, DeleteMarkerVersionId: result.VersionId }),
      });
    }
    return { Deleted: deleted, Errors: errors };
  },

  async CopyObject(input, context) {
    const bucket = requireBucket(context, input.Bucket);
    requireAccess(context, bucket, 's3:PutObject', { key: input.Key, acl: bucket.acl });
    checkKey(input.Key);
    const source = copySourceObject(context, input);
    const replace = input.MetadataDirective === 'REPLACE';
    const sameObject = source.bucket === bucket.name && source.key === input.Key;
    // Copying an object onto itself is how S3 clients encrypt one in place: that changes it too.
    const changesEncryption = input.ServerSideEncryption !== undefined || input.SSECustomerKey !== undefined;
    if (
      sameObject &&
      !replace &&
      !changesEncryption &&
      input.TaggingDirective !== 'REPLACE' &&
      bucket.versioning !== 'Enabled'
    ) {
      throw s3Errors.invalidCopy();
    }
    const owner = newObjectOwner(context.caller, bucket, input.ACL);
    const acl = admitAcl(aclFromHeaders(input, owner, bucket.owner), bucket) ?? cannedAcl('private', owner);
    const lock = lockForNewVersion(bucket, input, Date.now());
    const sourceKey = storedSealing(source.segments, customerKeyOf(input, 'copy source')).customerKey;
    const sealing = newObjectSealing(input, bucket);
    const copied = await copyBytes(context.bytes, source.segments, { ...sealing, sourceCustomerKey: sourceKey });
    const etag = quoteEtag(sealedEtag(copied.md5, sealing));
    const versionId = versionIdFor(bucket);
    const lastModified = new Date();
    await commitVersion(context, copied.blob, [copied.blob.id], {
      bucket: bucket.name,
      key: input.Key,
      versionId,
      isDeleteMarker: false,
      size: copied.blob.size,
      etag,
      lastModified: lastModified.toISOString(),
      owner,
      headers: replace ? storedHeaders(input) : source.headers,
      metadata: replace ? metadataOf(input) : source.metadata,
      acl,
      tags: input.TaggingDirective === 'REPLACE' ? parseTagging(input.Tagging) : source.tags,
      ...(lock && { lock }),
      ...(source.checksum && { checksum: source.checksum }),
      segments: [segmentOf(copied.blob)],
    });
    return {
      CopyObjectResult: { ETag: etag, LastModified: lastModified },
      ...encryptionHeader(sealing),
      ...(source.versionId !== 'null' && { CopySourceVersionId: source.versionId }),
      ...(versionHeader(bucket, versionId) !== undefined && { VersionId: versionId }),
    };
  },

  async GetObjectAcl(input, context) {
    const bucket = requireBucket(context, input.Bucket);
    const object = findObject(context, bucket, input.Key, input.VersionId);
    requireAccess(context, bucket, objectAction('s3:GetObjectAcl', input.VersionId), objectResource(object));
    return aclToWire(aclAsRead(object.acl, bucket));
  },

  async PutObjectAcl(input, context) {
    const bucket = requireBucket(context, input.Bucket);
    const object = findObject(context, bucket, input.Key, input.VersionId);
    requireAccess(context, bucket, objectAction('s3:PutObjectAcl', input.VersionId), objectResource(object));
    const fromHeaders = aclFromHeaders(input, object.owner, bucket.owner);
    const acl = fromHeaders ?? (input.AccessControlPolicy && aclFromPolicy(input.AccessControlPolicy, object.owner));
    if (!acl) throw s3Errors.malformedAclError();
    context.meta.updateObject(bucket.name, object.key, object.versionId, { acl: admitAcl(acl, bucket) });
    return {};
  },

  async GetObjectRetention(input, context) {
    const { object } = lockedObject(context, input, 's3:GetObjectRetention');
    const retention = object.lock?.retention;
    if (!retention) throw s3Errors.noSuchObjectLockConfiguration();
    return { Retention: { Mode: retention.mode, RetainUntilDate: new Date(retention.until) } };
  },

  async PutObjectRetention(input, context) {
    const { bucket, object } = lockedObject(context, input, 's3:PutObjectRetention');
    const bypass = bypassesGovernance(context, bucket, input, input.Key);
    const lock = changedRetention(object.lock, input.Retention, bypass, Date.now());
    context.meta.updateObject(bucket.name, object.key, object.versionId, { lock });
    return {};
  },

  async GetObjectLegalHold(input, context) {
    const { object } = lockedObject(context, input, 's3:GetObjectLegalHold');
    if (!object.lock) throw s3Errors.noSuchObjectLockConfiguration();
    return { LegalHold: { Status: object.lock.legalHold ? 'ON' : 'OFF' } };
  },

  async PutObjectLegalHold(input, context) {
    const { bucket, object } = lockedObject(context, input, 's3:PutObjectLegalHold');
    const lock = changedLegalHold(object.lock, input.LegalHold?.Status);
    context.meta.updateObject(bucket.name, object.key, object.versionId, { lock });
    return {};
  },

  async GetObjectAttributes(input, context) {
    const bucket = requireBucket(context, input.Bucket);
    const object = findObject(context, bucket, input.Key, input.VersionId);
    requireAccess(context, bucket, objectAction('s3:GetObjectAttributes', input.VersionId), objectResource(object));
    // An SSE-C object's attributes, as its metadata, are for who has its key (as on S3).
    storedSealing(object.segments, customerKeyOf(input));
    const wanted = new Set<string>(input.ObjectAttributes ?? []);
    if (wanted.size === 0) {
      throw s3Errors.invalidArgument(
        'x-amz-object-attributes header specifying the attributes to be retrieved is either missing or empty',
        'x-amz-object-attributes',
        '',
      );
    }
    for (const name of wanted) {
      if (!objectAttributes.has(name)) {
        throw s3Errors.invalidArgument('Invalid attribute name specified.', 'x-amz-object-attributes', name);
      }
    }
    return {
      LastModified: new Date(object.lastModified),
      ...(versionHeader(bucket, object.versionId) !== undefined && { VersionId: object.versionId }),
      // Unquoted here, unlike the ETag header.
      ...(wanted.has('ETag') && { ETag: unquoteEtag(object.etag) }),
      ...(wanted.has('Checksum') &&
        object.checksum && { Checksum: { [`Checksum${object.checksum.algorithm}`]: object.checksum.value } }),
      ...(wanted.has('ObjectParts') &&
        object.partsCount !== undefined && {
          ObjectParts: objectParts(object, input.MaxParts, input.PartNumberMarker),
        }),
      ...(wanted.has('StorageClass') && { StorageClass: 'STANDARD' }),
      ...(wanted.has('ObjectSize') && { ObjectSize: object.size }),
    };
  },

  async GetObjectTagging(input, context) {
    const bucket = requireBucket(context, input.Bucket);
    const object = findObject(context, bucket, input.Key, input.VersionId);
    requireAccess(context, bucket, objectAction('s3:GetObjectTagging', input.VersionId), objectResource(object));
    return {
      TagSet: object.tags,
      ...(versionHeader(bucket, object.versionId) !== undefined && { VersionId: object.versionId }),
    };
  },

  async PutObjectTagging(input, context) {
    const bucket = requireBucket(context, input.Bucket);
    const object = findObject(context, bucket, input.Key, input.VersionId);
    requireAccess(context, bucket, objectAction('s3:PutObjectTagging', input.VersionId), objectResource(object));
    const tags = checkTags(input.Tagging?.TagSet ?? []);
    context.meta.updateObject(bucket.name, object.key, object.versionId, { tags });
    return versionHeader(bucket, object.versionId) !== undefined ? { VersionId: object.versionId } : {};
  },

  async DeleteObjectTagging(input, context) {
    const bucket = requireBucket(context, input.Bucket);
    const object = findObject(context, bucket, input.Key, input.VersionId);
    requireAccess(context, bucket, objectAction('s3:DeleteObjectTagging', input.VersionId), objectResource(object));
    context.meta.updateObject(bucket.name, object.key, object.versionId, { tags: [] });
    return versionHeader(bucket, object.versionId) !== undefined ? { VersionId: object.versionId } : {};
  },
};

/** What GetObjectAttributes may be asked for (`x-amz-object-attributes`). */
const objectAttributes = new Set(['ETag', 'Checksum', 'ObjectParts', 'StorageClass', 'ObjectSize']);

/** A multipart object's parts (number and size; per-part checksums are not kept), a page after `marker`. */
function objectParts(object: ObjectRecord, maxParts = 1000, marker = 0) {
  const limit = Math.min(Math.max(maxParts, 0), 1000);
  const parts = object.segments
    .map((segment, index) => ({ PartNumber: index + 1, Size: segment.size }))
    .filter((part) => part.PartNumber > marker);
  const page = parts.slice(0, limit);
  const isTruncated = parts.length > page.length;
  return {
    TotalPartsCount: object.partsCount,
    PartNumberMarker: marker,
    MaxParts: limit,
    IsTruncated: isTruncated,
    ...(isTruncated && { NextPartNumberMarker: page.at(-1)?.PartNumber ?? marker }),
    Parts: page,
  };
}

/**
 * One delete, as the bucket's versioning state says: a version id removes that version for good; otherwise an
 * unversioned bucket drops the object, a versioned one gets a delete marker (a `null` one when suspended, which
 * replaces the `null` version).
 */
/**
 * The version a retention or legal hold call is about, once the caller may do `action` on it (readers may read them,
 * the bucket's owner may change them, unless the bucket's policy says otherwise); in a bucket without Object Lock,
 * S3's InvalidRequest.
 */
function lockedObject(
  context: WalrusContext,
  input: { Bucket: string; Key: string; VersionId?: string },
  action: string,
): { bucket: BucketRecord; object: ObjectRecord } {
  const bucket = requireBucket(context, input.Bucket);
  const object = findObject(context, bucket, input.Key, input.VersionId);
  requireAccess(context, bucket, action, objectResource(object));
  if (!bucket.objectLock) throw s3Errors.objectLockNotEnabled();
  if (object.isDeleteMarker) throw s3Errors.methodNotAllowed('PUT');
  return { bucket, object };
}

/** `x-amz-bypass-governance-retention`, from the bucket's owner or whom its policy allows s3:BypassGovernanceRetention. */
function bypassesGovernance(
  context: WalrusContext,
  bucket: BucketRecord,
  input: { BypassGovernanceRetention?: boolean },
  key: string,
): boolean {
  return (
    input.BypassGovernanceRetention === true && mayAccess(context, bucket, 's3:BypassGovernanceRetention', { key })
  );
}

/**
 * Deletes as DeleteObject does: a version named by id goes; otherwise the key's object goes from an unversioned
 * bucket, and a delete marker is put on top in a versioned (or suspended) one.
 */
export async function deleteOne(
  context: StoreContext,
  bucket: BucketRecord,
  key: string,
  versionId: string | undefined,
  bypassGovernance = false,
): Promise<{ DeleteMarker?: boolean; VersionId?: string }> {
  if (versionId !== undefined) {
    const version = context.meta.getObject(bucket.name, key, versionId);
    if (version) requireDeletable(version, bypassGovernance, Date.now());
    const { removed, blobs } = context.meta.deleteVersion(bucket.name, key, versionId);
    dropBlobs(context, blobs);
    return {
      ...(removed?.isDeleteMarker && { DeleteMarker: true }),
      ...(versionHeader(bucket, versionId) !== undefined && { VersionId: versionId }),
    };
  }
  if (bucket.versioning === '') {
    const { blobs } = context.meta.deleteVersion(bucket.name, key, 'null');
    dropBlobs(context, blobs);
    return {};
  }
  const markerId = versionIdFor(bucket);
  const replaced = context.meta.putObject({
    bucket: bucket.name,
    key,
    versionId: markerId,
    isDeleteMarker: true,
    size: 0,
    etag: '',
    lastModified: new Date().toISOString(),
    owner: context.caller ?? bucket.owner,
    headers: {},
    metadata: {},
    acl: bucket.acl,
    tags: [],
    segments: [],
  });
  dropBlobs(context, replaced);
  return { DeleteMarker: true, VersionId: markerId };
}
