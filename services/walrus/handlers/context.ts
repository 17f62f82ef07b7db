import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import { isAccessAllowed } from '../models/access.js';
import type { Caller } from '../models/acl.js';
import type { RequestFacts } from '../models/bucket-policy.js';
import type { PayloadTrailer } from '../payload.js';
import { s3Errors } from '../s3-errors.js';
import type { ByteStore } from '../storage/byte-store.js';
import type { Acl, BucketRecord, MetadataStore, ObjectRecord, Owner, Tag } from '../storage/metadata-store.js';
import type { OrphanWatch } from '../storage/orphan-watch.js';

/** What every Walrus handler gets besides its typed input; never the HTTP request itself. */
export interface WalrusContext {
  requestId: string;
  log?: Pick<Logger, 'error' | 'warn'>;
  /** The account that signed the request; undefined for an anonymous one. */
  caller: Caller;
  /** What the request brings to a bucket policy's conditions (its address, time, signature, headers). */
  facts: () => RequestFacts;
  meta: MetadataStore;
  bytes: ByteStore;
  /** Told of every background removal of blobs, so that a stop knows whether it leaves orphans. */
  orphans: OrphanWatch;
  region: string;
  /** Smallest part but the last of a multipart upload (5 MiB, as on S3). */
  minPartSize: number;
  /** The upload's bytes, decoded and verified as the signature announced; for operations with a blob payload. */
  body(): AsyncIterable<Buffer>;
  /** Filled by the body's decoder at its end: the trailing checksum it verified. */
  trailer: PayloadTrailer;
}

/** What changing the stores takes, for a request's handler or the lifecycle pass (no caller: the bucket's owner). */
export type StoreContext = Pick<WalrusContext, 'meta' | 'bytes' | 'orphans' | 'log' | 'caller'>;

export function requireBucket(context: WalrusContext, name: string): BucketRecord {
  const bucket = context.meta.getBucket(name);
  if (!bucket) throw s3Errors.noSuchBucket(name);
  return bucket;
}

/** What an access check is about, besides the bucket: an object's key, the ACL that may grant it, its tags. */
export interface AccessResource {
  key?: string;
  acl?: Acl;
  tags?: readonly Tag[];
}

/** An object version as an access check's resource: its key, ACL and tags (for `s3:ExistingObjectTag/...`). */
export function objectResource(object: ObjectRecord): AccessResource {
  return { key: object.key, acl: object.acl, tags: object.tags };
}

/**
 * Whether the caller may do `action` (IAM's name: `s3:GetObject`) in `bucket`, on the object `key` with `acl` or on
 * the bucket (its ACL, where ACLs can grant the action): the bucket's policy, then ACLs, then ownership
 * (models/access.ts).
 */
export function mayAccess(
  context: Pick<WalrusContext, 'caller' | 'facts'>,
  bucket: BucketRecord,
  action: string,
  resource: AccessResource = {},
): boolean {
  return isAccessAllowed({ caller: context.caller, bucket, action, facts: context.facts, ...resource });
}

export function requireAccess(...request: Parameters<typeof mayAccess>): void {
  if (!mayAccess(...request)) throw s3Errors.accessDenied();
}

/** The bucket, for an action on the bucket itself (its settings, location, deletion) the caller may do. */
export function requireBucketAccess(context: WalrusContext, name: string, action: string): BucketRecord {
  const bucket = requireBucket(context, name);
  requireAccess(context, bucket, action, { acl: bucket.acl });
  return bucket;
}

export function requireCaller(context: WalrusContext): Owner {
  if (!context.caller) throw s3Errors.accessDenied();
  return context.caller;
}

/**
 * Removes blobs no metadata refers to any more, once the commit that let go of them is on disk (before that, a power
 * cut would bring back metadata that still needs them). A failure only leaves an orphan for the next start's sweep.
 */
export function dropBlobs(context: StoreContext, blobs: readonly string[]): void {
  if (blobs.length === 0) return;
  const remove = async () => {
    await context.meta.flush();
    for (const blob of blobs) await context.bytes.remove(blob);
  };
  context.orphans.track(
    remove().catch((error: unknown) => {
      context.log?.warn({ err: error, blobs }, 'could not remove unreferenced blobs; the next start sweeps them');
      throw error;
    }),
  );
}

/** A fresh version or upload id: 32 URL-safe characters, like S3's. */
export function newOpaqueId(): string {
  return randomBytes(24).toString('base64url');
}

export function quoteEtag(md5Hex: string): string {
  return `"${md5Hex}"`;
}

export function unquoteEtag(etag: string): string {
  return etag.trim().replace(/^W\//, '').replace(/^"|"$/g, '');
}
