import { createReadStream } from 'node:fs';
import { mkdir, open, readdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import type { S3ObjectStoreConfig } from '../../../src/config/types.js';
import { GroupSync } from './group-sync.js';

/**
 * Where published blobs live (those too large to be kept inline in the metadata database): folders on Walrus's own
 * disk by default, or a bucket of an S3-compatible engine such as Ceph RGW (`S3Shelf`, for a cloud whose objects
 * outgrow one server's disks). The byte store stages every blob on local disk first; a shelf takes over a staged,
 * fsynced file and makes it durable under its id.
 */
export interface BlobShelf {
  /** What `/healthz` names as Walrus's store: `local-disk`, or `s3 ENDPOINT/BUCKET/PREFIX`. */
  readonly description: string;
  /** Takes the staged file (fsynced, `size` bytes) as blob `id`, durably; the staged file is gone once it resolves. */
  shelve(id: string, stagedFile: string, size: number): Promise<void>;
  /** The bytes of blob `id`, `start` to `end` inclusive when given; a missing blob errors with code `ENOENT`. */
  read(id: string, range?: { start: number; end: number }): Readable;
  /** Removes blob `id`; no error when it is already gone. */
  remove(id: string): Promise<void>;
  /** Removes every blob `isReferenced` does not claim (and anything else under the shelf's name); returns how many. */
  sweep(isReferenced: (id: string) => boolean): Promise<number>;
  /** Rejects, saying why, when the shelf cannot be used now (a remote engine down, its bucket gone). */
  check?(): Promise<void>;
}

/**
 * The shelf on an S3-compatible engine, checked: its module (and the S3 client) is loaded only here, from beside this
 * one (`services/walrus/s3-shelf.js` in a host's bundle, where this code is part of walrus's main.js).
 */
export async function s3ShelfFor(store: S3ObjectStoreConfig): Promise<BlobShelf> {
  const { S3Shelf } = (await import(new URL('./s3-shelf.js', import.meta.url).href)) as typeof import('./s3-shelf.js');
  const shelf = new S3Shelf(store);
  await shelf.check();
  return shelf;
}

/** A shelf on another server that did not take or give a blob (down, refusing): S3's 503, which clients retry. */
export class ShelfUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ShelfUnavailableError';
  }
}

/** By name, not `instanceof`: on hosts the S3 shelf is a program of its own, with its own copy of the class. */
export function isShelfUnavailable(error: unknown): boolean {
  return error instanceof Error && error.name === 'ShelfUnavailableError';
}

/** Blob ids: 32 hex digits, the first two pairs naming the folders they live in. */
export const blobIdPattern = /^[0-9a-f]{32}$/;

/** GETs read files in pieces this large: a few thread-pool trips per MiB instead of sixteen. */
const readChunkBytes = 1024 * 1024;

export async function fsyncDir(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * Blobs as files `ROOT/AB/CD/ID` (the id's first two pairs of digits): a staged file is renamed in, and the folder
 * fsynced so that the rename survives a power cut. Blobs written around the same time share a folder (the byte store
 * picks their ids so), and so one folder fsync (`GroupSync`) instead of paying one each.
 */
export class LocalFolderShelf implements BlobShelf {
  readonly description = 'local-disk';
  private readonly knownDirs = new Set<string>();
  private readonly dirSyncs = new Map<string, GroupSync>();

  constructor(private readonly root: string) {}

  private pathOf(id: string): string {
    if (!blobIdPattern.test(id)) throw new Error(`not a blob id: ${id}`);
    return join(this.root, id.slice(0, 2), id.slice(2, 4), id);
  }

  /** Makes the renames done into `dir` so far durable, sharing the fsync with every other caller meanwhile. */
  private syncDir(dir: string): Promise<void> {
    let group = this.dirSyncs.get(dir);
    if (!group) {
      group = new GroupSync(() => fsyncDir(dir));
      // Only the folder new blobs go to is busy; a handful of groups is plenty.
      if (this.dirSyncs.size >= 64) this.dirSyncs.clear();
      this.dirSyncs.set(dir, group);
    }
    return group.sync();
  }

  async shelve(id: string, stagedFile: string): Promise<void> {
    const dir = join(this.root, id.slice(0, 2), id.slice(2, 4));
    if (!this.knownDirs.has(dir)) {
      await mkdir(dir, { recursive: true });
      this.knownDirs.add(dir);
    }
    await rename(stagedFile, this.pathOf(id));
    await this.syncDir(dir);
  }

  read(id: string, range?: { start: number; end: number }): Readable {
    return createReadStream(this.pathOf(id), { highWaterMark: readChunkBytes, ...range });
  }

  async remove(id: string): Promise<void> {
    await rm(this.pathOf(id), { force: true });
  }

  async sweep(isReferenced: (id: string) => boolean): Promise<number> {
    let removed = 0;
    for (const first of await readdir(this.root).catch(() => [])) {
      for (const second of await readdir(join(this.root, first)).catch(() => [])) {
        for (const name of await readdir(join(this.root, first, second)).catch(() => [])) {
          if (blobIdPattern.test(name) && isReferenced(name)) continue;
          await rm(join(this.root, first, second, name), { force: true });
          removed++;
        }
      }
    }
    return removed;
  }
}
