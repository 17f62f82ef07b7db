import { mkdirSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import { Worker } from 'node:worker_threads';
import SqliteDatabase from 'better-sqlite3';
import type { CheckpointDone, CheckpointRequest } from './checkpoint-worker.js';
import { fsyncDir } from './blob-shelf.js';
import { GroupSync } from './group-sync.js';
import { migrateWalrus } from './migrations.js';
import type { SealingKey } from './blob-sealing.js';
import type { CorsRule } from '../models/cors.js';
import type { LifecycleRule } from '../models/lifecycle.js';

/**
 * Walrus's metadata: buckets, object versions, multipart uploads and their parts, in SQLite (better-sqlite3, WAL).
 * Every method is one synchronous transaction, so concurrent requests never see half of a change and no two
 * interleave. Methods that drop bytes return the blob ids no longer referenced, which the caller removes from the byte
 * store after the commit.
 *
 * Durability is group commit. Changes go into one open batch transaction (each method a savepoint within it, so a
 * method that fails undoes only itself); `flush()` commits the batch, which only writes the WAL
 * (`synchronous = NORMAL`), then fsyncs the WAL file from the thread pool. Requests that change something while an
 * fsync runs share the next commit and the next fsync. The request pipeline flushes before it answers, so nothing is
 * acknowledged before its commit is on disk; a batch nobody flushes is committed after `batchCommitMs`. Reads on this
 * connection see the open batch (this process is the only writer); other connections see what was committed.
 * Checkpoints (the WAL copied into the database, which fsyncs) run on a worker thread's connection, every
 * `checkpointEveryCommits` commits, instead of inside whichever commit SQLite's automatic checkpoint would pick.
 */

/** Longest a batch stays open when nobody flushes it (writes made outside a request). */
const batchCommitMs = 20;
/** Commits between two checkpoints: at a few pages each, the WAL stays within a few megabytes. */
const checkpointEveryCommits = 200;
/** Pages SQLite keeps in memory (64 MiB) and maps (256 MiB): reads of hot objects' rows stay off the disk. */
const cacheKiB = 64 * 1024;
const mmapBytes = 256 * 1024 * 1024;

export interface Owner {
  id: string;
  displayName: string;
}

export type Permission = 'FULL_CONTROL' | 'READ' | 'WRITE' | 'READ_ACP' | 'WRITE_ACP';

export type Grantee = { type: 'CanonicalUser'; id: string; displayName?: string } | { type: 'Group'; uri: string };

export interface Grant {
  grantee: Grantee;
  permission: Permission;
}

export interface Acl {
  owner: Owner;
  grants: Grant[];
}

export type Versioning = '' | 'Enabled' | 'Suspended';

export interface BucketRecord {
  name: string;
  owner: Owner;
  createdAt: string;
  region: string;
  acl: Acl;
  versioning: Versioning;
  /** The bucket's tag set (PutBucketTagging); empty when none is set. */
  tags: Tag[];
  /** The bucket's public access block (PutPublicAccessBlock); absent when none is set. */
  publicAccessBlock?: PublicAccessBlock;
  /** Its Object Ownership (PutBucketOwnershipControls, or CreateBucket's header); absent when none is set. */
  objectOwnership?: ObjectOwnership;
  /** Its CORS rules (PutBucketCors); absent when none are set. */
  cors?: CorsRule[];
  /** Its lifecycle rules (PutBucketLifecycleConfiguration); absent when none are set. */
  lifecycle?: LifecycleRule[];
  /** Object Lock, once enabled (at creation or by PutObjectLockConfiguration), with the default retention if any. */
  objectLock?: BucketObjectLock;
  /** Its bucket policy (PutBucketPolicy), the JSON document as it was given and checked; absent when none is set. */
  policy?: string;
  /** Its default encryption (PutBucketEncryption): new objects are sealed; absent when none is set. */
  encryption?: BucketEncryption;
}

/** A bucket's default server-side encryption: SSE-S3 (`AES256`), the one Walrus performs. */
export interface BucketEncryption {
  algorithm: 'AES256';
  /** As given (S3 Bucket Keys are a KMS matter: with AES256 the flag changes nothing). */
  bucketKeyEnabled?: boolean;
}

export type RetentionMode = 'GOVERNANCE' | 'COMPLIANCE';

/** A bucket's Object Lock: enabled for good, and a retention given to new versions that ask for none. */
export interface BucketObjectLock {
  defaultRetention?: { mode: RetentionMode; days?: number; years?: number };
}

/** What keeps one object version from being deleted or overwritten: a retention until a date, a legal hold. */
export interface ObjectLock {
  retention?: { mode: RetentionMode; until: string };
  legalHold?: boolean;
}

/**
 * S3 Object Ownership: who owns the objects others write into a bucket, and whether ACLs count at all. `ObjectWriter`
 * (the writer owns them, and ACLs decide), `BucketOwnerPreferred` (the bucket's owner does when the writer gives them
 * `bucket-owner-full-control`), `BucketOwnerEnforced` (ACLs are disabled: the bucket's owner owns every object and
 * alone has access).
 */
export const objectOwnerships = ['BucketOwnerEnforced', 'BucketOwnerPreferred', 'ObjectWriter'] as const;
export type ObjectOwnership = (typeof objectOwnerships)[number];

/** S3's four public access block settings of a bucket; each is false unless set. */
export interface PublicAccessBlock {
  /** Requests that would give a bucket or object a public ACL are refused. */
  blockPublicAcls: boolean;
  /** Grants to everyone and to every authenticated account, on the bucket and its objects, are set aside. */
  ignorePublicAcls: boolean;
  /** PutBucketPolicy refuses a public policy; one already set stays. */
  blockPublicPolicy: boolean;
  /** Where the bucket's policy is public, it grants nothing to other accounts or anonymous callers. */
  restrictPublicBuckets: boolean;
}

/** Representation headers stored with an object and returned on GET. */
export interface StoredHeaders {
  contentType?: string;
  contentEncoding?: string;
  contentDisposition?: string;
  contentLanguage?: string;
  cacheControl?: string;
  expires?: string;
}

export interface Tag {
  Key: string;
  Value: string;
}

/** A run of bytes of an object: a whole blob (one for a simple object, one per part for a multipart one). */
export interface Segment {
  blob: string;
  size: number;
  /** A sealed blob's seal (server-side encryption, storage/blob-sealing.ts). */
  seal?: string;
}

export interface ObjectRecord {
  bucket: string;
  key: string;
  /** `null` for objects written while versioning was off or suspended. */
  versionId: string;
  isLatest: boolean;
  isDeleteMarker: boolean;
  size: number;
  /** Quoted, as the ETag header carries it. */
  etag: string;
  lastModified: string;
  owner: Owner;
  headers: StoredHeaders;
  metadata: Record<string, string>;
  acl: Acl;
  tags: Tag[];
  checksum?: { algorithm: string; value: string };
  partsCount?: number;
  segments: Segment[];
  /** Object Lock on this version, in a bucket with Object Lock enabled. */
  lock?: ObjectLock;
}

export interface UploadRecord {
  uploadId: string;
  bucket: string;
  key: string;
  initiated: string;
  owner: Owner;
  headers: StoredHeaders;
  metadata: Record<string, string>;
  acl: Acl;
  tags: Tag[];
  checksumAlgorithm?: string;
  /** The Object Lock the completed object is to have. */
  lock?: ObjectLock;
  /** How the upload's parts are sealed (server-side encryption); absent when they are not. */
  sealing?: UploadSealing;
}

/** An upload's parts sealed with Walrus's keys (SSE-S3), or with its customer's (SSE-C), checked by `keyCheck`. */
export type UploadSealing = { by: 'walrus' } | { by: 'customer'; keyCheck: string };

export interface PartRecord {
  uploadId: string;
  partNumber: number;
  blob: string;
  size: number;
  etag: string;
  lastModified: string;
  seal?: string;
}

/**
 * An object's row as its statements return it: values in the order of `objectColumns`, not an object keyed by column
 * name (those statements run in raw mode, which spares a GET building a seventeen-key object from column names).
 */
type ObjectRow = [
  bucket: string,
  key: string,
  versionId: string,
  isLatest: number,
  isDeleteMarker: number,
  size: number,
  etag: string,
  lastModified: string,
  ownerId: string,
  ownerName: string,
  headers: string,
  metadata: string,
  acl: string,
  tags: string,
  checksum: string | null,
  partsCount: number | null,
  segments: string,
  lock: string | null,
];

const objectColumns =
  'bucket, key, version_id, is_latest, is_delete_marker, size, etag, last_modified, owner_id, owner_name, headers, ' +
  'metadata, acl, tags, checksum, parts_count, segments, object_lock';

/** What `updateBucket` may change; `null` removes a setting. */
type BucketChange = {
  [Field in 'acl' | 'versioning' | 'tags' | 'objectLock']?: BucketRecord[Field];
} & {
  [Field in 'publicAccessBlock' | 'objectOwnership' | 'cors' | 'lifecycle' | 'policy' | 'encryption']?:
    BucketRecord[Field] | null;
};

/** The column of each field `updateBucket` changes. */
const bucketColumns: Readonly<Record<keyof BucketChange, string>> = {
  acl: 'acl',
  versioning: 'versioning',
  tags: 'tags',
  objectLock: 'object_lock',
  publicAccessBlock: 'public_access_block',
  objectOwnership: 'object_ownership',
  cors: 'cors',
  lifecycle: 'lifecycle',
  policy: 'policy',
  encryption: 'encryption',
};

/** What `updateObject` may change on one version. */
type ObjectChange = Partial<Pick<ObjectRecord, 'acl' | 'tags' | 'lock'>>;

const objectColumnsChanged: Readonly<Record<keyof ObjectChange, string>> = {
  acl: 'acl',
  tags: 'tags',
  lock: 'object_lock',
};

/** A field as its column holds it: text as it is, `null` as NULL, anything else as JSON. */
function columnValue(value: unknown): string | null {
  return value === null || typeof value === 'string' ? value : JSON.stringify(value);
}

interface BucketRow {
  name: string;
  owner_id: string;
  owner_name: string;
  created_at: string;
  region: string;
  acl: string;
  versioning: string;
  tags: string;
  public_access_block: string | null;
  object_ownership: string | null;
  cors: string | null;
  lifecycle: string | null;
  object_lock: string | null;
  policy: string | null;
  encryption: string | null;
}

interface UploadRow {
  upload_id: string;
  bucket: string;
  key: string;
  initiated: string;
  owner_id: string;
  owner_name: string;
  headers: string;
  metadata: string;
  acl: string;
  tags: string;
  checksum_algorithm: string | null;
  object_lock: string | null;
  sealing: string | null;
}

interface PartRow {
  upload_id: string;
  part_number: number;
  blob_id: string;
  size: number;
  etag: string;
  last_modified: string;
  seal: string | null;
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const member of Object.values(value)) deepFreeze(member);
  }
  return value;
}

function toBucket(row: BucketRow): BucketRecord {
  return {
    name: row.name,
    owner: { id: row.owner_id, displayName: row.owner_name },
    createdAt: row.created_at,
    region: row.region,
    acl: JSON.parse(row.acl) as Acl,
    versioning: row.versioning as Versioning,
    tags: JSON.parse(row.tags) as Tag[],
    ...(row.public_access_block !== null && {
      publicAccessBlock: JSON.parse(row.public_access_block) as PublicAccessBlock,
    }),
    ...(row.object_ownership !== null && { objectOwnership: row.object_ownership as ObjectOwnership }),
    ...(row.cors !== null && { cors: JSON.parse(row.cors) as CorsRule[] }),
    ...(row.lifecycle !== null && { lifecycle: JSON.parse(row.lifecycle) as LifecycleRule[] }),
    ...(row.object_lock !== null && { objectLock: JSON.parse(row.object_lock) as BucketObjectLock }),
    ...(row.policy !== null && { policy: row.policy }),
    ...(row.encryption !== null && { encryption: JSON.parse(row.encryption) as BucketEncryption }),
  };
}

function toObject(row: ObjectRow): ObjectRecord {
  const [bucket, key, versionId, isLatest, isDeleteMarker, size, etag, lastModified, ownerId, ownerName, ...rest] = row;
  const [headers, metadata, acl, tags, checksum, partsCount, segments, lock] = rest;
  return {
    bucket,
    key,
    versionId,
    isLatest: isLatest === 1,
    isDeleteMarker: isDeleteMarker === 1,
    size,
    etag,
    lastModified,
    owner: { id: ownerId, displayName: ownerName },
    headers: JSON.parse(headers) as StoredHeaders,
    metadata: JSON.parse(metadata) as Record<string, string>,
    acl: JSON.parse(acl) as Acl,
    tags: JSON.parse(tags) as Tag[],
    ...(checksum !== null && { checksum: JSON.parse(checksum) as ObjectRecord['checksum'] }),
    ...(partsCount !== null && { partsCount }),
    segments: JSON.parse(segments) as Segment[],
    ...(lock !== null && { lock: JSON.parse(lock) as ObjectLock }),
  };
}

function toUpload(row: UploadRow): UploadRecord {
  return {
    uploadId: row.upload_id,
    bucket: row.bucket,
    key: row.key,
    initiated: row.initiated,
    owner: { id: row.owner_id, displayName: row.owner_name },
    headers: JSON.parse(row.headers) as StoredHeaders,
    metadata: JSON.parse(row.metadata) as Record<string, string>,
    acl: JSON.parse(row.acl) as Acl,
    tags: JSON.parse(row.tags) as Tag[],
    ...(row.checksum_algorithm !== null && { checksumAlgorithm: row.checksum_algorithm }),
    ...(row.object_lock !== null && { lock: JSON.parse(row.object_lock) as ObjectLock }),
    ...(row.sealing !== null && { sealing: JSON.parse(row.sealing) as UploadSealing }),
  };
}

function toPart(row: PartRow): PartRecord {
  return {
    uploadId: row.upload_id,
    partNumber: row.part_number,
    blob: row.blob_id,
    size: row.size,
    etag: row.etag,
    lastModified: row.last_modified,
    ...(row.seal !== null && { seal: row.seal }),
  };
}

/**
 * The key range of a prefix for the index: from the prefix to the first string after every string that starts with
 * it (its last code point plus one: UTF-8 keeps code point order), and the byte comparison that decides.
 */
export function prefixRange(prefix: string): { end?: string; parameters: unknown[] } {
  let stem = prefix;
  let end: string | undefined;
  while (stem.length > 0) {
    const last = stem.codePointAt(
      stem.length - 1 - (stem.length > 1 && /[\uDC00-\uDFFF]/.test(stem.slice(-1)) ? 1 : 0),
    )!;
    const width = last > 0xffff ? 2 : 1;
    if (last < 0x10ffff) {
      const next = last + 1 === 0xd800 ? 0xe000 : last + 1;
      end = stem.slice(0, stem.length - width) + String.fromCodePoint(next);
      break;
    }
    stem = stem.slice(0, stem.length - width);
  }
  const bytes = Buffer.from(prefix, 'utf8');
  return { end, parameters: [prefix, ...(end === undefined ? [] : [end]), bytes.length, bytes] };
}

function blobsOf(records: readonly { segments: Segment[] }[]): string[] {
  return records.flatMap((record) => record.segments.map((segment) => segment.blob));
}

/** `user_version` of a database a clean stop left (0 otherwise, as SQLite starts it). */
const cleanStopMark = 1;

export class MetadataStore {
  private readonly db: SqliteDatabase.Database;
  private readonly file: string;
  /** Commits made, and how many of them are known to be on disk. */
  private commits = 0;
  private durableCommits = 0;
  private wal?: FileHandle;
  private readonly walSync = new GroupSync(() => this.fsyncWal());
  private readonly buckets = new Map<string, BucketRecord>();
  /** Prepared statements by their SQL: preparing one costs more than running it, and every request runs a few. */
  private readonly statements = new Map<string, SqliteDatabase.Statement>();
  /** Runs a change as a savepoint of the open batch (one wrapper, made once). */
  private readonly inSavepoint: (change: () => unknown) => unknown;
  /** How deep in `write()` calls the running change is: only the outermost one is a savepoint, and counts. */
  private changeDepth = 0;
  private batchTimer?: NodeJS.Timeout;
  /** Commits made before the open batch began. */
  private batchFrom = 0;
  /** Batches whose commit failed lately (rolled back): commits `from` (exclusive) to `to`, and why. */
  private readonly lostBatches: { from: number; to: number; error: unknown }[] = [];
  private checkpointer?: Worker;
  private checkpointRunning = false;
  private commitsSinceCheckpoint = 0;

  /** `onCheckpoint` hears of every checkpoint the worker thread finishes. */
  constructor(
    file: string,
    private readonly options: {
      onCheckpoint?: (done: CheckpointDone) => void;
      /** Hears why checkpoints went back to SQLite's automatic ones, inside commits (the worker failed or died). */
      onCheckpointerLost?: (reason: string) => void;
    } = {},
  ) {
    this.file = file;
    if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
    this.db = new SqliteDatabase(file);
    this.inSavepoint = this.db.transaction((change: () => unknown) => change());
    try {
      if (file !== ':memory:') this.db.pragma('journal_mode = WAL');
      // Commits write the WAL without waiting for the disk; `flush()` makes them durable before anyone hears "200 OK".
      // (Checkpoints still fsync the WAL before copying it into the database, so NORMAL never corrupts it.)
      this.db.pragma('synchronous = NORMAL');
      this.db.pragma('foreign_keys = ON');
      this.db.pragma('busy_timeout = 5000');
      this.db.pragma(`cache_size = -${cacheKiB}`);
      this.db.pragma(`mmap_size = ${mmapBytes}`);
      migrateWalrus(this.db);
      if (file !== ':memory:') this.startCheckpointer();
    } catch (error) {
      this.db.close();
      throw error;
    }
  }

  /** Moves checkpoints to a worker thread; if it cannot run (or dies), SQLite's automatic checkpoint takes over. */
  private startCheckpointer(): void {
    let worker: Worker;
    try {
      worker = new Worker(new URL('./checkpoint-worker.js', import.meta.url), { workerData: { file: this.file } });
    } catch (error) {
      this.options.onCheckpointerLost?.(`the checkpoint thread could not start: ${(error as Error).message}`);
      return;
    }
    this.db.pragma('wal_autocheckpoint = 0');
    worker.unref();
    worker.on('message', (done: CheckpointDone) => {
      this.checkpointRunning = false;
      this.options.onCheckpoint?.(done);
    });
    const fallBack = (reason: string) => {
      if (this.checkpointer !== worker) return;
      this.checkpointer = undefined;
      this.checkpointRunning = false;
      if (!this.db.open) return;
      this.db.pragma('wal_autocheckpoint = 1000');
      this.options.onCheckpointerLost?.(reason);
    };
    worker.on('error', (error: Error) => fallBack(`the checkpoint thread failed: ${error.message}`));
    worker.on('exit', (code: number) => fallBack(`the checkpoint thread exited with code ${code}`));
    this.checkpointer = worker;
  }

  private checkpointSoon(): void {
    if (++this.commitsSinceCheckpoint < checkpointEveryCommits || this.checkpointRunning || !this.checkpointer) return;
    this.commitsSinceCheckpoint = 0;
    this.checkpointRunning = true;
    this.checkpointer.postMessage({ kind: 'checkpoint' } satisfies CheckpointRequest);
  }

  close(): void {
    if (this.db.open) this.commitBatch();
    const checkpointer = this.checkpointer;
    this.checkpointer = undefined;
    void checkpointer?.terminate();
    this.db.close();
    void this.wal?.close().catch(() => undefined);
    this.wal = undefined;
  }

  /** Resolves once every commit made before the call is on disk (one shared fsync of the WAL for many callers). */
  /** How many changes were made so far: pass it to `flush()` to hear whether the ones made after it were kept. */
  get commitCount(): number {
    return this.commits;
  }

  /**
   * Resolves once every change made before the call is on disk, or rejects when a change made after commit number
   * `since` (by default, the last change) was lost with a batch whose commit failed.
   */
  async flush(since = this.commits - 1): Promise<void> {
    const upTo = this.commits;
    if (this.durableCommits !== this.commits) {
      if (this.file === ':memory:') {
        this.commitBatch();
        this.durableCommits = this.commits;
      } else {
        await this.walSync.sync();
      }
    }
    const lost = this.lostBatches.find((batch) => batch.to > since && batch.from < upTo);
    if (lost) throw lost.error;
  }

  /**
   * Commits the open batch, if any. A commit that fails (a full disk) rolls the whole batch back: nobody heard of
   * it yet, and every caller waiting in `flush()` gets the error.
   */
  private commitBatch(): void {
    clearTimeout(this.batchTimer);
    this.batchTimer = undefined;
    if (!this.db.inTransaction) return;
    try {
      this.sql('COMMIT').run();
    } catch (error) {
      if (this.db.inTransaction) this.sql('ROLLBACK').run();
      // Records read inside the batch may be gone with it.
      this.buckets.clear();
      this.lostBatches.push({ from: this.batchFrom, to: this.commits, error });
      if (this.lostBatches.length > 16) this.lostBatches.shift();
      throw error;
    }
  }

  private async fsyncWal(): Promise<void> {
    const covers = this.commits;
    this.commitBatch();
    if (!this.wal) {
      // The WAL file exists from the first commit on and keeps its inode until the last connection closes.
      this.wal = await open(`${this.file}-wal`, 'r');
      await fsyncDir(dirname(this.file));
    }
    await this.wal.sync();
    this.durableCommits = Math.max(this.durableCommits, covers);
  }

  /** A statement that reads object rows: `SELECT objectColumns FROM objects` and then `rest`, in raw mode. */
  private objectRows(rest: string): SqliteDatabase.Statement {
    const text = `SELECT ${objectColumns} FROM objects ${rest}`;
    let statement = this.statements.get(text);
    if (!statement) {
      statement = this.db.prepare(text).raw(true);
      this.statements.set(text, statement);
    }
    return statement;
  }

  private sql(text: string): SqliteDatabase.Statement {
    let statement = this.statements.get(text);
    if (!statement) {
      statement = this.db.prepare(text);
      this.statements.set(text, statement);
    }
    return statement;
  }

  /** One transaction that changes something: counted, so that `flush()` knows there is something to sync. */
  private write<T>(change: () => T): T {
    if (!this.db.inTransaction) {
      this.sql('BEGIN IMMEDIATE').run();
      this.batchFrom = this.commits;
      this.batchTimer = setTimeout(() => {
        try {
          this.commitBatch();
        } catch {
          // Kept in lostBatches: the flush() of whoever made one of its changes rejects with this error.
        }
      }, batchCommitMs);
      this.batchTimer.unref();
    }
    // A change made inside another (`atomically`) is part of that one's savepoint: all of it goes, or none of it.
    if (this.changeDepth > 0) return change();
    this.changeDepth++;
    let result: T;
    try {
      result = this.inSavepoint(change) as T;
    } finally {
      this.changeDepth--;
    }
    this.commits++;
    this.checkpointSoon();
    return result;
  }

  /** Several of the methods here in one transaction (one savepoint, theirs run inside it): all of them or none. */
  atomically<T>(changes: () => T): T {
    return this.write(changes);
  }

  /**
   * Marks the metadata as left by a clean stop (one that left no orphan blob, see OrphanWatch), durably. The mark is
   * SQLite's user_version, in the database's own header: a copy taken while Walrus runs (a backup) never has it.
   */
  async recordCleanStop(): Promise<void> {
    this.write(() => this.db.pragma(`user_version = ${cleanStopMark}`));
    await this.flush();
  }

  /** Whether the last run stopped cleanly; the mark goes, durably, so that a crash from now on is noticed. */
  async takeCleanStop(): Promise<boolean> {
    if (this.db.pragma('user_version', { simple: true }) !== cleanStopMark) return false;
    this.write(() => this.db.pragma('user_version = 0'));
    await this.flush();
    return true;
  }

  /** A cheap read, for health checks. */
  ping(): void {
    this.sql('SELECT 1').get();
  }

  // Buckets

  /** Inserts a bucket; the existing one when the name is taken (nothing is changed then). */
  createBucket(bucket: BucketRecord): BucketRecord | undefined {
    return this.write(() => {
      const existing = this.getBucket(bucket.name);
      if (existing) return existing;
      this.sql(
        `INSERT INTO buckets (name, owner_id, owner_name, created_at, region, acl, versioning, tags, object_ownership,
             object_lock) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ).run(
        bucket.name,
        bucket.owner.id,
        bucket.owner.displayName,
        bucket.createdAt,
        bucket.region,
        JSON.stringify(bucket.acl),
        bucket.versioning,
        JSON.stringify(bucket.tags),
        bucket.objectOwnership ?? null,
        bucket.objectLock ? JSON.stringify(bucket.objectLock) : null,
      );
      return undefined;
    });
  }

  /** Every request looks its bucket up: the records are kept (this store is their only writer), frozen. */
  getBucket(name: string): BucketRecord | undefined {
    const cached = this.buckets.get(name);
    if (cached) return cached;
    const row = this.sql('SELECT * FROM buckets WHERE name = ?').get(name) as BucketRow | undefined;
    if (!row) return undefined;
    const bucket = deepFreeze(toBucket(row));
    if (this.buckets.size >= 10_000) this.buckets.clear();
    this.buckets.set(name, bucket);
    return bucket;
  }

  listBuckets(ownerId: string): BucketRecord[] {
    const rows = this.sql('SELECT * FROM buckets WHERE owner_id = ? ORDER BY name').all(ownerId) as BucketRow[];
    return rows.map(toBucket);
  }

  /**
   * Changes what `change` names; `null` removes a setting (public access block, Object Ownership, CORS, lifecycle
   * rules, policy).
   */
  updateBucket(name: string, change: BucketChange): void {
    this.write(() => {
      this.buckets.delete(name);
      for (const [field, column] of Object.entries(bucketColumns) as [keyof BucketChange, string][]) {
        const value = change[field];
        if (value === undefined) continue;
        this.sql(`UPDATE buckets SET ${column} = ? WHERE name = ?`).run(columnValue(value), name);
      }
    });
  }

  /** Deletes an empty bucket: `'not-empty'` when any object version or upload is left in it. */
  deleteBucket(name: string): 'deleted' | 'not-empty' | 'missing' {
    return this.write(() => {
      if (!this.getBucket(name)) return 'missing';
      const object = this.sql('SELECT 1 FROM objects WHERE bucket = ? LIMIT 1').get(name);
      const upload = this.sql('SELECT 1 FROM uploads WHERE bucket = ? LIMIT 1').get(name);
      if (object || upload) return 'not-empty';
      this.buckets.delete(name);
      this.sql('DELETE FROM buckets WHERE name = ?').run(name);
      return 'deleted';
    });
  }

  // Objects

  /** The current version of a key, or one version by id; delete markers included. */
  getObject(bucket: string, key: string, versionId?: string): ObjectRecord | undefined {
    const row = (
      versionId === undefined
        ? this.objectRows('WHERE bucket = ? AND key = ? AND is_latest = 1').get(bucket, key)
        : this.objectRows('WHERE bucket = ? AND key = ? AND version_id = ?').get(bucket, key, versionId)
    ) as ObjectRow | undefined;
    return row && toObject(row);
  }

  /**
   * Makes `record` the current version of its key. The `null` version it replaces (versioning off or suspended), if
   * any, is dropped: its blobs are returned.
   */
  putObject(record: Omit<ObjectRecord, 'isLatest'>): string[] {
    return this.write(() => this.insertVersion(record));
  }

  private insertVersion(record: Omit<ObjectRecord, 'isLatest'>): string[] {
    const replaced =
      record.versionId === 'null'
        ? (
            this.objectRows(`WHERE bucket = ? AND key = ? AND version_id = 'null'`).all(
              record.bucket,
              record.key,
            ) as ObjectRow[]
          ).map(toObject)
        : [];
    if (replaced.length > 0) {
      this.sql(`DELETE FROM objects WHERE bucket = ? AND key = ? AND version_id = 'null'`).run(
        record.bucket,
        record.key,
      );
    }
    this.sql('UPDATE objects SET is_latest = 0 WHERE bucket = ? AND key = ? AND is_latest = 1').run(
      record.bucket,
      record.key,
    );
    this.sql(
      `INSERT INTO objects (bucket, key, version_id, is_latest, is_delete_marker, size, etag, last_modified, owner_id,
           owner_name, headers, metadata, acl, tags, checksum, parts_count, segments, object_lock)
         VALUES (?, ?, ?, 1, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ).run(
      record.bucket,
      record.key,
      record.versionId,
      record.isDeleteMarker ? 1 : 0,
      record.size,
      record.etag,
      record.lastModified,
      record.owner.id,
      record.owner.displayName,
      JSON.stringify(record.headers),
      JSON.stringify(record.metadata),
      JSON.stringify(record.acl),
      JSON.stringify(record.tags),
      record.checksum ? JSON.stringify(record.checksum) : null,
      record.partsCount ?? null,
      JSON.stringify(record.segments),
      record.lock ? JSON.stringify(record.lock) : null,
    );
    return blobsOf(replaced);
  }

  /** Removes one version for good; the newest remaining one becomes current. Returns its blobs. */
  deleteVersion(bucket: string, key: string, versionId: string): { removed?: ObjectRecord; blobs: string[] } {
    return this.write(() => {
      const removed = this.getObject(bucket, key, versionId);
      if (!removed) return { blobs: [] };
      this.sql('DELETE FROM objects WHERE bucket = ? AND key = ? AND version_id = ?').run(bucket, key, versionId);
      if (removed.isLatest) {
        this.sql(
          `UPDATE objects SET is_latest = 1 WHERE seq = (SELECT MAX(seq) FROM objects WHERE bucket = ? AND key = ?)`,
        ).run(bucket, key);
      }
      return { removed, blobs: blobsOf([removed]) };
    });
  }

  updateObject(bucket: string, key: string, versionId: string, change: ObjectChange): void {
    this.write(() => this.changeObject(bucket, key, versionId, change));
  }

  private changeObject(bucket: string, key: string, versionId: string, change: ObjectChange): void {
    for (const [field, column] of Object.entries(objectColumnsChanged) as [keyof ObjectChange, string][]) {
      const value = change[field];
      if (value === undefined) continue;
      this.sql(`UPDATE objects SET ${column} = ? WHERE bucket = ? AND key = ? AND version_id = ?`).run(
        columnValue(value),
        bucket,
        key,
        versionId,
      );
    }
  }

  /** Current, non-deleted objects with keys after `after` (and starting with `prefix`), in key order. */
  listCurrent(bucket: string, options: { after?: string; prefix: string; limit: number }): ObjectRecord[] {
    const range = prefixRange(options.prefix);
    const rows = this.objectRows(
      `WHERE bucket = ? AND is_latest = 1 AND is_delete_marker = 0 AND key > ? AND key >= ?
           ${range.end === undefined ? '' : 'AND key < ?'} AND substr(CAST(key AS BLOB), 1, ?) = ? ORDER BY key LIMIT ?`,
    ).all(bucket, options.after ?? '', ...range.parameters, options.limit) as ObjectRow[];
    return rows.map(toObject);
  }

  /** Buckets with lifecycle rules, for the lifecycle pass. */
  bucketsWithLifecycle(): BucketRecord[] {
    const rows = this.sql('SELECT * FROM buckets WHERE lifecycle IS NOT NULL ORDER BY name').all() as BucketRow[];
    return rows.map(toBucket);
  }

  /** Every version of one key (delete markers included), newest first. */
  versionsOfKey(bucket: string, key: string): ObjectRecord[] {
    const rows = this.objectRows('WHERE bucket = ? AND key = ? ORDER BY seq DESC').all(bucket, key) as ObjectRow[];
    return rows.map(toObject);
  }

  /** Every version (delete markers included), by key, newest first within a key. */
  listVersions(bucket: string, options: { afterKey?: string; prefix: string; limit: number }): ObjectRecord[] {
    const range = prefixRange(options.prefix);
    const rows = this.objectRows(
      `WHERE bucket = ? AND key > ? AND key >= ? ${range.end === undefined ? '' : 'AND key < ?'}
           AND substr(CAST(key AS BLOB), 1, ?) = ? ORDER BY key, seq DESC LIMIT ?`,
    ).all(bucket, options.afterKey ?? '', ...range.parameters, options.limit) as ObjectRow[];
    return rows.map(toObject);
  }

  /** The versions of one key newer-first, from just after `versionId` (for version-id-marker). */
  versionsOfKeyAfter(bucket: string, key: string, versionId: string): ObjectRecord[] {
    const marker = this.sql('SELECT seq FROM objects WHERE bucket = ? AND key = ? AND version_id = ?').get(
      bucket,
      key,
      versionId,
    ) as { seq: number } | undefined;
    if (!marker) return [];
    const rows = this.objectRows('WHERE bucket = ? AND key = ? AND seq < ? ORDER BY seq DESC').all(
      bucket,
      key,
      marker.seq,
    ) as ObjectRow[];
    return rows.map(toObject);
  }

  // Multipart uploads

  createUpload(upload: UploadRecord): void {
    this.write(() => this.insertUpload(upload));
  }

  private insertUpload(upload: UploadRecord): void {
    this.sql(
      `INSERT INTO uploads (upload_id, bucket, key, initiated, owner_id, owner_name, headers, metadata, acl, tags,
           checksum_algorithm, object_lock, sealing) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ).run(
      upload.uploadId,
      upload.bucket,
      upload.key,
      upload.initiated,
      upload.owner.id,
      upload.owner.displayName,
      JSON.stringify(upload.headers),
      JSON.stringify(upload.metadata),
      JSON.stringify(upload.acl),
      JSON.stringify(upload.tags),
      upload.checksumAlgorithm ?? null,
      upload.lock ? JSON.stringify(upload.lock) : null,
      upload.sealing ? JSON.stringify(upload.sealing) : null,
    );
  }

  getUpload(uploadId: string): UploadRecord | undefined {
    const row = this.sql('SELECT * FROM uploads WHERE upload_id = ?').get(uploadId) as UploadRow | undefined;
    return row && toUpload(row);
  }

  listUploads(bucket: string, options: { prefix: string }): UploadRecord[] {
    const rows = this.sql(
      `SELECT * FROM uploads WHERE bucket = ? AND substr(CAST(key AS BLOB), 1, ?) = ?
           ORDER BY key, initiated, upload_id`,
    ).all(bucket, Buffer.byteLength(options.prefix), Buffer.from(options.prefix)) as UploadRow[];
    return rows.map(toUpload);
  }

  /** Records a part; the part it replaces (same number), if any, is dropped: its blob is returned. */
  putPart(part: PartRecord): string[] | 'no-upload' {
    return this.write(() => {
      if (!this.getUpload(part.uploadId)) return 'no-upload';
      const previous = this.sql('SELECT blob_id FROM parts WHERE upload_id = ? AND part_number = ?').get(
        part.uploadId,
        part.partNumber,
      ) as { blob_id: string } | undefined;
      this.sql(
        `INSERT OR REPLACE INTO parts (upload_id, part_number, blob_id, size, etag, last_modified, seal)
           VALUES (?, ?, ?, ?, ?, ?, ?)`,
      ).run(part.uploadId, part.partNumber, part.blob, part.size, part.etag, part.lastModified, part.seal ?? null);
      return previous ? [previous.blob_id] : [];
    });
  }

  listParts(uploadId: string): PartRecord[] {
    const rows = this.sql('SELECT * FROM parts WHERE upload_id = ? ORDER BY part_number').all(uploadId) as PartRow[];
    return rows.map(toPart);
  }

  /** Drops an upload and its parts; returns their blobs. */
  deleteUpload(uploadId: string): string[] {
    return this.write(() => this.dropUpload(uploadId));
  }

  private dropUpload(uploadId: string): string[] {
    const blobs = this.listParts(uploadId).map((part) => part.blob);
    this.sql('DELETE FROM parts WHERE upload_id = ?').run(uploadId);
    this.sql('DELETE FROM uploads WHERE upload_id = ?').run(uploadId);
    return blobs;
  }

  /**
   * Completes an upload in one transaction: the object version goes in (its segments are the chosen parts' blobs),
   * the upload and its parts go out. Returns the blobs no longer referenced: parts left out, and the version the new
   * one replaces. `'no-upload'` when the upload is gone (completed or aborted meanwhile).
   */
  completeUpload(uploadId: string, record: Omit<ObjectRecord, 'isLatest'>): string[] | 'no-upload' {
    return this.write(() => {
      if (!this.getUpload(uploadId)) return 'no-upload';
      const kept = new Set(record.segments.map((segment) => segment.blob));
      const unused = this.dropUpload(uploadId).filter((blob) => !kept.has(blob));
      return [...unused, ...this.insertVersion(record)];
    });
  }

  // Inline blobs: the bytes of small objects and parts, for the byte store (InlineBlobTable).

  putInlineBlob(id: string, data: Buffer): void {
    this.write(() => this.sql('INSERT INTO inline_blobs (id, data) VALUES (?, ?)').run(id, data));
  }

  getInlineBlob(id: string): Buffer | undefined {
    return this.sql('SELECT data FROM inline_blobs WHERE id = ?').pluck(true).get(id) as Buffer | undefined;
  }

  removeInlineBlob(id: string): void {
    this.write(() => this.sql('DELETE FROM inline_blobs WHERE id = ?').run(id));
  }

  inlineBlobIds(): string[] {
    return (this.sql('SELECT id FROM inline_blobs').all() as { id: string }[]).map((row) => row.id);
  }

  // Master keys of sealed blobs (SealingKeyTable): they live with the metadata, and its backup carries them.

  sealingKeys(): SealingKey[] {
    return this.sql('SELECT id, key FROM sealing_keys ORDER BY created_at, id').all() as SealingKey[];
  }

  addSealingKey(key: SealingKey): void {
    this.write(() =>
      this.sql('INSERT INTO sealing_keys (id, key, created_at) VALUES (?, ?, ?)').run(
        key.id,
        key.key,
        new Date().toISOString(),
      ),
    );
  }

  /** Every blob id the metadata refers to, for the byte store's sweep. */
  referencedBlobs(): Set<string> {
    const ids = new Set<string>();
    for (const row of this.sql('SELECT segments FROM objects').iterate() as Iterable<{ segments: string }>) {
      for (const segment of JSON.parse(row.segments) as Segment[]) ids.add(segment.blob);
    }
    for (const row of this.sql('SELECT blob_id FROM parts').iterate() as Iterable<{ blob_id: string }>) {
      ids.add(row.blob_id);
    }
    return ids;
  }
}
