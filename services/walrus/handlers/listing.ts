import type { S3Operations } from '../../../src/aws/generated/s3-types.js';
import type { QueryHandlers } from '../../../src/aws/protocol/query-dispatcher.js';
import { ownerAsShown } from '../models/acl.js';
import { s3Errors } from '../s3-errors.js';
import type { BucketRecord, ObjectRecord, Owner, UploadRecord } from '../storage/metadata-store.js';
import { requireAccess, requireBucket, type WalrusContext } from './context.js';
import { versionHeader } from './objects.js';

/**
 * The listings: ListObjects, ListObjectsV2, ListObjectVersions and ListMultipartUploads. Keys come from the index in
 * byte order; with a delimiter, keys sharing a prefix up to the delimiter roll up into one common prefix, and the
 * scan jumps past all of them at once, so a listing of a few prefixes over many keys reads few rows.
 */

const maxKeysCap = 1000;

/** A string after every string that starts with `prefix`: the scan's resume point past a common prefix. */
function pastPrefix(prefix: string): string {
  return `${prefix}\u{10FFFF}`;
}

function maxKeysOf(value: number | undefined): number {
  if (value === undefined) return maxKeysCap;
  if (!Number.isInteger(value) || value < 0)
    throw s3Errors.invalidArgument(
      'Provided max-keys not an integer or within integer range',
      'max-keys',
      String(value),
    );
  return Math.min(value, maxKeysCap);
}

function checkEncoding(encoding: string | undefined): ((text: string) => string) | undefined {
  if (encoding === undefined) return undefined;
  if (encoding !== 'url')
    throw s3Errors.invalidArgument('Invalid Encoding Method specified in Request', 'encoding-type', encoding);
  // Form encoding with `/` kept, as S3 writes it; SDKs decode with unquote_plus or decodeURIComponent alike.
  return (text) =>
    encodeURIComponent(text)
      .replace(/%2F/g, '/')
      .replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

export interface Listed<T> {
  entries: ({ kind: 'item'; item: T } | { kind: 'prefix'; prefix: string })[];
  truncated: boolean;
  /** Where the next page starts: the last key or common prefix returned. */
  last?: string;
}

/**
 * Walks keys after `after` with `prefix` (`fetch` reads a page of them), rolling keys up by `delimiter`, until
 * `max` entries are taken; `truncated` tells whether anything is left.
 */
export function walkKeys<T extends { key: string }>(
  fetch: (after: string, limit: number) => T[],
  options: { prefix: string; delimiter?: string; after: string; max: number },
): Listed<T> {
  const { prefix, delimiter, max } = options;
  const entries: Listed<T>['entries'] = [];
  let after = options.after;
  if (delimiter) {
    // Resuming at a common prefix means resuming past every key under it.
    const cut = after.indexOf(delimiter, prefix.length);
    if (after.startsWith(prefix) && cut !== -1 && after.length === cut + delimiter.length) after = pastPrefix(after);
  }
  let last: string | undefined;
  for (;;) {
    const limit = Math.min(max - entries.length + 1, maxKeysCap + 1);
    const rows = fetch(after, limit);
    if (rows.length === 0) return { entries, truncated: false, last };
    let jumped = false;
    for (const row of rows) {
      if (entries.length === max) return { entries, truncated: true, last };
      const cut = delimiter ? row.key.indexOf(delimiter, prefix.length) : -1;
      if (delimiter && cut !== -1) {
        const common = row.key.slice(0, cut + delimiter.length);
        entries.push({ kind: 'prefix', prefix: common });
        last = common;
        after = pastPrefix(common);
        jumped = true;
        break;
      }
      entries.push({ kind: 'item', item: row });
      last = row.key;
      after = row.key;
    }
    if (!jumped && rows.length < limit) {
      // A short page: nothing is left.
      return { entries, truncated: false, last };
    }
  }
}

/** An owner as listings write it, as S3 shows it in this bucket. */
function wireOwner(owner: Owner, bucket: BucketRecord): { ID: string; DisplayName: string } {
  const shown = ownerAsShown(owner, bucket);
  return { ID: shown.id, DisplayName: shown.displayName };
}

function objectEntry(
  object: ObjectRecord,
  encode: ((text: string) => string) | undefined,
  owner: { ID: string; DisplayName: string } | undefined,
) {
  return {
    Key: encode ? encode(object.key) : object.key,
    LastModified: new Date(object.lastModified),
    ETag: object.etag,
    Size: object.size,
    StorageClass: 'STANDARD',
    ...(owner && { Owner: owner }),
    ...(object.checksum && { ChecksumAlgorithm: [object.checksum.algorithm] }),
  };
}

function listCurrent(context: WalrusContext, bucket: string, prefix: string) {
  return (after: string, limit: number) => context.meta.listCurrent(bucket, { after, prefix, limit });
}

function encodeToken(position: string): string {
  return Buffer.from(position, 'utf8').toString('base64url');
}

function decodeToken(token: string): string {
  const position = Buffer.from(token, 'base64url').toString('utf8');
  if (token === '' || encodeToken(position) !== token) {
    throw s3Errors.invalidArgument('The continuation token provided is incorrect', 'continuation-token', token);
  }
  return position;
}

export const listingHandlers: QueryHandlers<S3Operations, WalrusContext> = {
  async ListObjects(input, context) {
    const bucket = requireBucket(context, input.Bucket);
    requireAccess(context, bucket, 's3:ListBucket', { acl: bucket.acl });
    const encode = checkEncoding(input.EncodingType);
    const prefix = input.Prefix ?? '';
    const max = maxKeysOf(input.MaxKeys);
    const delimiter = input.Delimiter || undefined;
    const listed = walkKeys(listCurrent(context, bucket.name, prefix), {
      prefix,
      delimiter,
      after: input.Marker ?? '',
      max,
    });
    const e = (text: string | undefined) => (text === undefined || !encode ? text : encode(text));
    return {
      Name: bucket.name,
      Prefix: e(prefix),
      Marker: e(input.Marker ?? ''),
      MaxKeys: max,
      ...(delimiter !== undefined && { Delimiter: e(delimiter) }),
      IsTruncated: listed.truncated,
      // S3 sends NextMarker only with a delimiter; without one the last key is the marker.
      ...(listed.truncated && delimiter !== undefined && { NextMarker: e(listed.last) }),
      Contents: listed.entries.flatMap((entry) =>
        entry.kind === 'item' ? [objectEntry(entry.item, encode, wireOwner(entry.item.owner, bucket))] : [],
      ),
      CommonPrefixes: listed.entries.flatMap((entry) => (entry.kind === 'prefix' ? [{ Prefix: e(entry.prefix) }] : [])),
      ...(encode && { EncodingType: 'url' }),
    };
  },

  async ListObjectsV2(input, context) {
    const bucket = requireBucket(context, input.Bucket);
    requireAccess(context, bucket, 's3:ListBucket', { acl: bucket.acl });
    const encode = checkEncoding(input.EncodingType);
    const prefix = input.Prefix ?? '';
    const max = maxKeysOf(input.MaxKeys);
    const delimiter = input.Delimiter || undefined;
    const after =
      input.ContinuationToken !== undefined ? decodeToken(input.ContinuationToken) : (input.StartAfter ?? '');
    const listed = walkKeys(listCurrent(context, bucket.name, prefix), { prefix, delimiter, after, max });
    const e = (text: string | undefined) => (text === undefined || !encode ? text : encode(text));
    return {
      Name: bucket.name,
      Prefix: e(prefix),
      MaxKeys: max,
      KeyCount: listed.entries.length,
      ...(delimiter !== undefined && { Delimiter: e(delimiter) }),
      IsTruncated: listed.truncated,
      ...(input.ContinuationToken !== undefined && { ContinuationToken: input.ContinuationToken }),
      ...(listed.truncated && listed.last !== undefined && { NextContinuationToken: encodeToken(listed.last) }),
      ...(input.StartAfter !== undefined && { StartAfter: e(input.StartAfter) }),
      Contents: listed.entries.flatMap((entry) =>
        entry.kind === 'item'
          ? [objectEntry(entry.item, encode, input.FetchOwner ? wireOwner(entry.item.owner, bucket) : undefined)]
          : [],
      ),
      CommonPrefixes: listed.entries.flatMap((entry) => (entry.kind === 'prefix' ? [{ Prefix: e(entry.prefix) }] : [])),
      ...(encode && { EncodingType: 'url' }),
    };
  },

  async ListObjectVersions(input, context) {
    const bucket = requireBucket(context, input.Bucket);
    requireAccess(context, bucket, 's3:ListBucketVersions', { acl: bucket.acl });
    const encode = checkEncoding(input.EncodingType);
    const prefix = input.Prefix ?? '';
    const max = maxKeysOf(input.MaxKeys);
    const delimiter = input.Delimiter || undefined;
    const keyMarker = input.KeyMarker ?? '';
    // The rest of the marker key's versions first, then the keys after it.
    const leading =
      input.VersionIdMarker !== undefined && keyMarker !== ''
        ? context.meta.versionsOfKeyAfter(bucket.name, keyMarker, input.VersionIdMarker)
        : [];
    const versions: ObjectRecord[] = leading.slice(0, max + 1);
    let listed: Listed<ObjectRecord> = {
      entries: versions.slice(0, max).map((item) => ({ kind: 'item', item })),
      truncated: versions.length > max,
    };
    if (!listed.truncated) {
      const rest = walkKeys(
        (after, limit) =>
          // Every version of a key comes in one page: a page ends on a key boundary or is followed by its rest.
          context.meta.listVersions(bucket.name, { afterKey: after, prefix, limit: limit + 1000 }),
        { prefix, delimiter, after: keyMarker, max: max - listed.entries.length },
      );
      listed = { entries: [...listed.entries, ...rest.entries], truncated: rest.truncated };
    }
    const items = listed.entries.flatMap((entry) => (entry.kind === 'item' ? [entry.item] : []));
    const lastEntry = listed.entries.at(-1);
    const e = (text: string | undefined) => (text === undefined || !encode ? text : encode(text));
    return {
      Name: bucket.name,
      Prefix: e(prefix),
      KeyMarker: e(keyMarker),
      ...(input.VersionIdMarker !== undefined && { VersionIdMarker: input.VersionIdMarker }),
      MaxKeys: max,
      ...(delimiter !== undefined && { Delimiter: e(delimiter) }),
      IsTruncated: listed.truncated,
      ...(listed.truncated &&
        lastEntry && {
          NextKeyMarker: e(lastEntry.kind === 'item' ? lastEntry.item.key : lastEntry.prefix),
          ...(lastEntry.kind === 'item' && { NextVersionIdMarker: lastEntry.item.versionId }),
        }),
      Versions: items
        .filter((object) => !object.isDeleteMarker)
        .map((object) => ({
          ...objectEntry(object, encode, wireOwner(object.owner, bucket)),
          VersionId: versionHeader(bucket, object.versionId) ?? 'null',
          IsLatest: object.isLatest,
        })),
      DeleteMarkers: items
        .filter((object) => object.isDeleteMarker)
        .map((object) => ({
          Key: e(object.key),
          VersionId: object.versionId,
          IsLatest: object.isLatest,
          LastModified: new Date(object.lastModified),
          Owner: wireOwner(object.owner, bucket),
        })),
      CommonPrefixes: listed.entries.flatMap((entry) => (entry.kind === 'prefix' ? [{ Prefix: e(entry.prefix) }] : [])),
      ...(encode && { EncodingType: 'url' }),
    };
  },

  async ListMultipartUploads(input, context) {
    const bucket = requireBucket(context, input.Bucket);
    requireAccess(context, bucket, 's3:ListBucketMultipartUploads', { acl: bucket.acl });
    const encode = checkEncoding(input.EncodingType);
    const prefix = input.Prefix ?? '';
    const max = input.MaxUploads === undefined ? maxKeysCap : Math.min(Math.max(input.MaxUploads, 0), maxKeysCap);
    const delimiter = input.Delimiter || undefined;
    const keyMarker = input.KeyMarker ?? '';
    const all = context.meta
      .listUploads(bucket.name, { prefix })
      .filter(
        (upload) =>
          keyMarker === '' ||
          Buffer.compare(Buffer.from(upload.key), Buffer.from(keyMarker)) > 0 ||
          (upload.key === keyMarker && input.UploadIdMarker !== undefined && upload.uploadId > input.UploadIdMarker),
      );
    const entries: ({ kind: 'item'; item: UploadRecord } | { kind: 'prefix'; prefix: string })[] = [];
    const seen = new Set<string>();
    let truncated = false;
    for (const upload of all) {
      const cut = delimiter ? upload.key.indexOf(delimiter, prefix.length) : -1;
      const common = cut === -1 ? undefined : upload.key.slice(0, cut + (delimiter as string).length);
      if (common !== undefined && seen.has(common)) continue;
      if (entries.length === max) {
        truncated = true;
        break;
      }
      if (common !== undefined) {
        seen.add(common);
        entries.push({ kind: 'prefix', prefix: common });
      } else entries.push({ kind: 'item', item: upload });
    }
    const lastItem = entries.filter((entry) => entry.kind === 'item').at(-1);
    const e = (text: string | undefined) => (text === undefined || !encode ? text : encode(text));
    return {
      Bucket: bucket.name,
      KeyMarker: e(keyMarker),
      UploadIdMarker: input.UploadIdMarker ?? '',
      Prefix: e(prefix),
      ...(delimiter !== undefined && { Delimiter: e(delimiter) }),
      MaxUploads: max,
      IsTruncated: truncated,
      ...(truncated &&
        lastItem?.kind === 'item' && {
          NextKeyMarker: e(lastItem.item.key),
          NextUploadIdMarker: lastItem.item.uploadId,
        }),
      Uploads: entries.flatMap((entry) =>
        entry.kind === 'item'
          ? [
              {
                UploadId: entry.item.uploadId,
                Key: e(entry.item.key),
                Initiated: new Date(entry.item.initiated),
                StorageClass: 'STANDARD',
                Owner: wireOwner(entry.item.owner, bucket),
                Initiator: { ID: entry.item.owner.id, DisplayName: entry.item.owner.displayName },
              },
            ]
          : [],
      ),
      CommonPrefixes: entries.flatMap((entry) => (entry.kind === 'prefix' ? [{ Prefix: e(entry.prefix) }] : [])),
      ...(encode && { EncodingType: 'url' }),
    };
  },
};
