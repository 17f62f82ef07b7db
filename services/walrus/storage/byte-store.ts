import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { open, readdir, rm, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { LocalFolderShelf, type BlobShelf } from './blob-shelf.js';
import { newCustomerSeal, sealBuffer, sealChunks, type BlobKey, type BlobSealer } from './blob-sealing.js';

/**
 * Where object bytes live, apart from their metadata. A blob is written in two steps so that nothing half-written
 * is ever visible: `stage` streams the bytes somewhere private and makes them durable; `publish` moves them into
 * place atomically. The metadata store records the blob only after `publish` returns, in one transaction with the
 * rest of the object's metadata; a blob published but never recorded (a crash in between, a failed commit) is an
 * orphan, which `sweep` removes at the next start. Blobs are never changed after publishing, only removed.
 *
 * Blobs are staged on local disk; published ones live on a `BlobShelf`: local folders by default, or a bucket of an
 * S3-compatible engine (Ceph RGW) for a large cloud (`objectStore` in cloud.yaml).
 *
 * A blob staged sealed is encrypted before it is written (blob-sealing.ts), with a data key of its own or with the
 * customer's key given: its `seal`, recorded with the metadata that refers to it, is what reading it back takes (with
 * the customer's key for a customer's seal); without the seal a read returns the stored (encrypted) bytes.
 */
export interface ByteStore {
  /** Streams `chunks` into a new private blob; rejects (leaving nothing behind) when `chunks` throws. */
  stage(chunks: AsyncIterable<Uint8Array>, options?: StageOptions): Promise<StagedBlob>;
  /** The bytes of a published blob, `start` to `end` inclusive when given, decrypted when it has a seal. */
  read(id: string, range?: { start: number; end: number }, seal?: Unsealing): Readable;
  /** The bytes of a published blob when the store keeps them in its database (small ones), else undefined. */
  inlineBytes(id: string, seal?: Unsealing): Buffer | undefined;
  /** Removes a published blob; no error when it is already gone. */
  remove(id: string): Promise<void>;
  /** Removes staged leftovers and every published blob `isReferenced` does not claim. Run before serving. */
  sweep(isReferenced: (id: string) => boolean): Promise<{ staged: number; orphans: number }>;
  /** Removes staged leftovers only (after a clean stop, which leaves no orphan); returns how many. */
  clearStaging(): Promise<number>;
}

/** How a new blob is sealed: with a data key of its own (`sealed`), or with a customer's key (SSE-C). */
export interface StageOptions {
  sealed?: boolean;
  customerKey?: Buffer;
}

/** What opens a sealed blob: its seal, and the customer's key when the seal is a customer's. */
export interface Unsealing {
  seal: string;
  customerKey?: Buffer;
}

export interface StagedBlob {
  readonly id: string;
  readonly size: number;
  /** A sealed blob's seal (its data key, wrapped): to be recorded with it, for reading it back. */
  readonly seal?: string;
  /** Makes the blob readable under `id`, atomically and durably (on its shelf: a fsynced rename, or a PUT answered). */
  publish(): Promise<void>;
  /**
   * Only for a blob kept in the metadata database (inline): `publish` done synchronously, so that the caller can run
   * it inside the transaction that records the object (one commit instead of two).
   */
  publishInline?(): void;
  /** Forgets a staged blob that will not be published. */
  discard(): Promise<void>;
}

/** Blob ids: 32 hex digits, the first two pairs naming the folders they live in. */
export function newBlobId(folder = randomBytes(2).toString('hex')): string {
  return folder + randomBytes(14).toString('hex');
}

const writeBatchBytes = 1024 * 1024;

/** Blobs up to this size go to the database rather than a file of their own (`InlineBlobTable`). */
export const defaultInlineMaxBytes = 64 * 1024;

/**
 * Where a byte store keeps small blobs: a table in the metadata's own SQLite database. A small upload then costs one
 * row in the WAL, made durable by the same group fsync as the object's metadata, instead of a file to create, write,
 * fsync, close and rename into a folder that is fsynced too; a small GET is one indexed read. Rows are written and
 * removed in the same two steps as files (`publish`, then the metadata commit; `remove` once no metadata refers to
 * them), so the sweep at start treats them alike.
 */
export interface InlineBlobTable {
  putInlineBlob(id: string, data: Buffer): void;
  getInlineBlob(id: string): Buffer | undefined;
  removeInlineBlob(id: string): void;
  inlineBlobIds(): string[];
}

/** Inline blob ids: `i` and 31 hex digits, never taken for a file's. */
const inlineIdPattern = /^i[0-9a-f]{31}$/;

function isInlineId(id: string): boolean {
  return inlineIdPattern.test(id);
}

/** How many new blobs share a folder before the next one is picked. */
const blobsPerFolder = 4096;

/**
 * Blobs staged as files under `root/staging/` (written, fsynced), then handed to the shelf: by default folders
 * `root/blobs/AB/CD/ID` on the same disk, where publishing is a rename. Small blobs go to the metadata database
 * instead (`InlineBlobTable`), whatever the shelf.
 *
 * Blobs written around the same time get ids with the same first four digits (changed every few thousand blobs), so
 * that a local shelf puts them in one folder and concurrent uploads share that folder's fsync.
 */
export class LocalDiskByteStore implements ByteStore {
  private readonly stagingDir: string;
  /** Where published blobs are. */
  readonly shelf: BlobShelf;
  private currentFolder = randomBytes(2).toString('hex');
  private blobsInFolder = 0;
  private readonly inline?: InlineBlobTable;
  private readonly inlineMaxBytes: number;
  private readonly sealer?: BlobSealer;

  constructor(
    root: string,
    options: { inline?: InlineBlobTable; inlineMaxBytes?: number; shelf?: BlobShelf; sealer?: BlobSealer } = {},
  ) {
    this.inline = options.inline;
    this.sealer = options.sealer;
    this.inlineMaxBytes = options.inline ? (options.inlineMaxBytes ?? defaultInlineMaxBytes) : -1;
    this.stagingDir = join(root, 'staging');
    mkdirSync(this.stagingDir, { recursive: true });
    if (options.shelf) this.shelf = options.shelf;
    else {
      mkdirSync(join(root, 'blobs'), { recursive: true });
      this.shelf = new LocalFolderShelf(join(root, 'blobs'));
    }
  }

  private nextId(): string {
    if (++this.blobsInFolder > blobsPerFolder) {
      this.currentFolder = randomBytes(2).toString('hex');
      this.blobsInFolder = 1;
    }
    return newBlobId(this.currentFolder);
  }

  async stage(chunks: AsyncIterable<Uint8Array>, options: StageOptions = {}): Promise<StagedBlob> {
    if (options.customerKey || options.sealed) {
      const { seal, ...blobKey } = options.customerKey
        ? newCustomerSeal(options.customerKey)
        : this.requireSealer().newSeal();
      return { ...(await this.stage(sealChunks(chunks, blobKey))), seal };
    }
    // Up to the inline size the bytes are gathered in memory: a body that ends by then becomes an inline blob.
    const iterator = chunks[Symbol.asyncIterator]();
    const head: Uint8Array[] = [];
    let headBytes = 0;
    while (headBytes <= this.inlineMaxBytes) {
      const next = await iterator.next();
      if (next.done) return this.inlineBlob(Buffer.concat(head, headBytes));
      head.push(next.value);
      headBytes += next.value.length;
    }
    const rest = async function* () {
      let finished = false;
      try {
        yield* head;
        for (;;) {
          const next = await iterator.next();
          if (next.done) break;
          yield next.value;
        }
        finished = true;
      } finally {
        // Stopped early (the write failed): let the source clean up, as `for await` over it would.
        if (!finished) await iterator.return?.();
      }
    };
    return this.fileBlob(rest());
  }

  private inlineBlob(data: Buffer): StagedBlob {
    const inline = this.inline!;
    const id = `i${randomBytes(16).toString('hex').slice(1)}`;
    return {
      id,
      size: data.length,
      // A database write: durable with the metadata's next flush, which comes before any answer.
      publish: async () => inline.putInlineBlob(id, data),
      publishInline: () => inline.putInlineBlob(id, data),
      discard: async () => undefined,
    };
  }

  private async fileBlob(chunks: AsyncIterable<Uint8Array>): Promise<StagedBlob> {
    const id = this.nextId();
    const stagingPath = join(this.stagingDir, id);
    const file = await open(stagingPath, 'wx', 0o600);
    let size = 0;
    // Socket reads come in 16-64 KiB pieces: gathering them into 1 MiB writes saves most of the thread-pool trips.
    let pending: Uint8Array[] = [];
    let pendingBytes = 0;
    const flush = async () => {
      const buffers = pending;
      pending = [];
      pendingBytes = 0;
      while (buffers.length > 0) {
        let { bytesWritten } = await file.writev(buffers);
        while (buffers.length > 0 && bytesWritten >= buffers[0]!.length) bytesWritten -= buffers.shift()!.length;
        if (bytesWritten > 0) buffers[0] = buffers[0]!.subarray(bytesWritten);
      }
    };
    try {
      for await (const chunk of chunks) {
        pending.push(chunk);
        pendingBytes += chunk.length;
        size += chunk.length;
        if (pendingBytes >= writeBatchBytes) await flush();
      }
      await flush();
      await file.sync();
      await file.close();
    } catch (error) {
      await file.close().catch(() => undefined);
      await unlink(stagingPath).catch(() => undefined);
      throw error;
    }
    return {
      id,
      size,
      // A shelf that failed (a remote engine down) leaves no staged file behind: the upload is refused whole.
      publish: () =>
        this.shelf.shelve(id, stagingPath, size).catch(async (error: unknown) => {
          await unlink(stagingPath).catch(() => undefined);
          throw error;
        }),
      discard: () => unlink(stagingPath).catch(() => undefined),
    };
  }

  read(id: string, range?: { start: number; end: number }, seal?: Unsealing): Readable {
    if (isInlineId(id)) {
      const data = this.inlineBytes(id, seal);
      if (!data) {
        const gone = Object.assign(new Error(`inline blob ${id} is gone`), { code: 'ENOENT' });
        return new Readable({ read() {} }).destroy(gone);
      }
      return Readable.from([range ? data.subarray(range.start, range.end + 1) : data], { objectMode: false });
    }
    if (seal === undefined) return this.shelf.read(id, range);
    // The seal first: one that does not open leaves no file open behind it.
    const blobKey = this.open(seal);
    const stored = this.shelf.read(id, range);
    // Counter mode: the range's bytes decrypt on their own, from the counter of their first byte.
    const plain = Readable.from(sealChunks(stored, blobKey, range?.start ?? 0), { objectMode: false });
    stored.once('error', (error) => plain.destroy(error));
    return plain;
  }

  inlineBytes(id: string, seal?: Unsealing): Buffer | undefined {
    const stored = isInlineId(id) ? this.inline?.getInlineBlob(id) : undefined;
    return stored && seal !== undefined ? sealBuffer(stored, this.open(seal)) : stored;
  }

  private open({ seal, customerKey }: Unsealing): BlobKey {
    return this.requireSealer().open(seal, customerKey);
  }

  private requireSealer(): BlobSealer {
    if (!this.sealer) throw new Error('this byte store has no master keys to seal blobs with');
    return this.sealer;
  }

  async remove(id: string): Promise<void> {
    if (isInlineId(id)) {
      this.inline?.removeInlineBlob(id);
      return;
    }
    await this.shelf.remove(id);
  }

  async clearStaging(): Promise<number> {
    let staged = 0;
    for (const name of await readdir(this.stagingDir)) {
      await rm(join(this.stagingDir, name), { force: true });
      staged++;
    }
    return staged;
  }

  async sweep(isReferenced: (id: string) => boolean): Promise<{ staged: number; orphans: number }> {
    const staged = await this.clearStaging();
    let orphans = 0;
    for (const id of this.inline?.inlineBlobIds() ?? []) {
      if (isReferenced(id)) continue;
      this.inline!.removeInlineBlob(id);
      orphans++;
    }
    orphans += await this.shelf.sweep(isReferenced);
    return { staged, orphans };
  }
}
