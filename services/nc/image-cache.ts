import { createHash, randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, open, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { get } from 'node:https';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import type { NodeImage } from '../../src/clients/node-controller.js';
import { peerTlsOptions, type PeerTls } from '../../src/runtime/peer-client.js';

export interface CachedImage {
  imageId: string;
  path: string;
  sha256: string;
  sizeBytes: number;
  /** What `qemu-img create -F` is told the backing file is. */
  format: 'raw' | 'qcow2';
  /** When an instance last used it (ms since the epoch): the LRU order. */
  lastUsed: number;
}

/** Why an image could not be had; `code` becomes the instance's state reason. */
export class ImageCacheError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'ImageCacheError';
  }
}

export interface ImageCacheOptions {
  dir: string;
  /** Most bytes the cache keeps; images no instance uses are evicted, least recently used first. */
  limitBytes: number;
  /** For https URLs of the object store: trust the cloud CA and present this host's certificate. */
  tls?: PeerTls;
  /** Image ids instances on this node use (their disks are overlays of them): never evicted. */
  inUse: () => Promise<ReadonlySet<string>>;
}

const qcow2Magic = Buffer.from([0x51, 0x46, 0x49, 0xfb]);

/**
 * The node's cache of machine, kernel and ramdisk images under `dataDir/images`: one file per image id plus a JSON
 * record of its checksum, size, format and last use. Downloads are checked against the SHA-256 the cloud registered
 * and moved into place only once complete, so a crash never leaves a half image behind a valid name.
 */
export class ImageCache {
  private readonly fetching = new Map<string, Promise<CachedImage>>();
  private readonly pins = new Map<string, number>();

  constructor(private readonly options: ImageCacheOptions) {}

  /** Keeps images from eviction while an instance that will use them is being set up. */
  pin(imageIds: readonly string[]): () => void {
    for (const id of imageIds) this.pins.set(id, (this.pins.get(id) ?? 0) + 1);
    return () => {
      for (const id of imageIds) {
        const count = (this.pins.get(id) ?? 1) - 1;
        if (count > 0) this.pins.set(id, count);
        else this.pins.delete(id);
      }
    };
  }

  /** The image from the cache, fetched first if it is not there (or is not what the cloud registered). */
  fetch(image: NodeImage): Promise<CachedImage> {
    const invalid = invalidImageId(image.imageId);
    if (invalid) return Promise.reject(invalid);
    const running = this.fetching.get(image.imageId);
    if (running) return running;
    const fetching = this.fetchOnce(image).finally(() => this.fetching.delete(image.imageId));
    this.fetching.set(image.imageId, fetching);
    return fetching;
  }

  async list(): Promise<CachedImage[]> {
    await mkdir(this.options.dir, { recursive: true, mode: 0o755 });
    const names = (await readdir(this.options.dir)).filter((name) => name.endsWith('.json'));
    const entries = await Promise.all(names.map((name) => this.entry(name.slice(0, -'.json'.length))));
    return entries.filter((entry): entry is CachedImage => entry !== undefined);
  }

  private async fetchOnce(image: NodeImage): Promise<CachedImage> {
    const cached = await this.entry(image.imageId);
    if (cached && (!image.sha256 || image.sha256.toLowerCase() === cached.sha256)) {
      cached.lastUsed = Date.now();
      await this.writeEntry(cached);
      return cached;
    }
    if (cached && (await this.options.inUse()).has(image.imageId)) {
      throw new ImageCacheError(
        'Server.ImageFetchFailure',
        `image ${image.imageId} changed (sha256 ${image.sha256}) while instances here still use the cached one (sha256 ${cached.sha256})`,
      );
    }
    if (image.sizeBytes !== undefined) await this.makeRoom(image.sizeBytes, image.imageId);
    await mkdir(this.options.dir, { recursive: true, mode: 0o755 });
    const partial = join(this.options.dir, `.download-${image.imageId}-${randomUUID()}`);
    try {
      const { sha256, sizeBytes } = await this.download(image, partial);
      if (image.sha256 && image.sha256.toLowerCase() !== sha256) {
        throw new ImageCacheError(
          'Server.ImageFetchFailure',
          `image ${image.imageId} from ${image.url} has sha256 ${sha256}, not the registered ${image.sha256}`,
        );
      }
      if (image.sizeBytes === undefined) await this.makeRoom(sizeBytes, image.imageId);
      const entry: CachedImage = {
        imageId: image.imageId,
        path: this.imagePath(image.imageId),
        sha256,
        sizeBytes,
        format: await formatOf(partial),
        lastUsed: Date.now(),
      };
      await rename(partial, entry.path);
      await this.writeEntry(entry);
      return entry;
    } finally {
      await rm(partial, { force: true });
    }
  }

  /** Evicts unused images, least recently used first, until `bytes` more fit under the limit. */
  private async makeRoom(bytes: number, forImage: string): Promise<void> {
    const entries = (await this.list()).filter((entry) => entry.imageId !== forImage);
    let total = entries.reduce((sum, entry) => sum + entry.sizeBytes, 0);
    if (total + bytes <= this.options.limitBytes) return;
    const inUse = await this.options.inUse();
    const evictable = entries
      .filter((entry) => !inUse.has(entry.imageId) && !this.pins.has(entry.imageId))
      .sort((a, b) => a.lastUsed - b.lastUsed);
    for (const entry of evictable) {
      if (total + bytes <= this.options.limitBytes) break;
      await rm(this.recordPath(entry.imageId), { force: true });
      await rm(entry.path, { force: true });
      total -= entry.sizeBytes;
    }
    if (total + bytes > this.options.limitBytes) {
      throw new ImageCacheError(
        'Server.ImageFetchFailure',
        `image ${forImage} (${bytes} bytes) does not fit in the image cache (limit ${this.options.limitBytes} bytes, ${total} bytes held by images in use)`,
      );
    }
  }

  private async download(image: NodeImage, path: string): Promise<{ sha256: string; sizeBytes: number }> {
    let source: Readable;
    try {
      source = await this.open(image.url);
    } catch (error) {
      throw new ImageCacheError(
        'Server.ImageFetchFailure',
        `cannot fetch image ${image.imageId} from ${image.url}: ${(error as Error).message}`,
      );
    }
    const hash = createHash('sha256');
    let sizeBytes = 0;
    source.on('data', (chunk: Buffer) => {
      hash.update(chunk);
      sizeBytes += chunk.length;
    });
    try {
      await pipeline(source, createWriteStream(path, { mode: 0o644 }));
    } catch (error) {
      throw new ImageCacheError(
        'Server.ImageFetchFailure',
        `fetching image ${image.imageId} from ${image.url} failed: ${(error as Error).message}`,
      );
    }
    return { sha256: hash.digest('hex'), sizeBytes };
  }

  private async open(url: string): Promise<Readable> {
    const parsed = new URL(url);
    if (parsed.protocol === 'file:') {
      const path = fileURLToPath(parsed);
      await stat(path);
      return createReadStream(path);
    }
    if (parsed.protocol !== 'https:') throw new Error(`unsupported URL scheme ${parsed.protocol}`);
    const tls = this.options.tls;
    return new Promise((resolve, reject) => {
      const request = get(parsed, { ...(tls && peerTlsOptions(tls)), timeout: 30_000 }, (response) => {
        if (response.statusCode !== 200) {
          response.resume();
          reject(new Error(`HTTP ${response.statusCode}`));
          return;
        }
        resolve(response);
      });
      request.on('timeout', () => request.destroy(new Error('no answer in 30 s')));
      request.on('error', reject);
    });
  }

  private async entry(imageId: string): Promise<CachedImage | undefined> {
    try {
      const entry = JSON.parse(await readFile(this.recordPath(imageId), 'utf8')) as CachedImage;
      const file = await stat(this.imagePath(imageId));
      return file.size === entry.sizeBytes ? { ...entry, path: this.imagePath(imageId) } : undefined;
    } catch {
      return undefined;
    }
  }

  private async writeEntry(entry: CachedImage): Promise<void> {
    const temporary = `${this.recordPath(entry.imageId)}.${randomUUID()}`;
    await writeFile(temporary, JSON.stringify(entry));
    await rename(temporary, this.recordPath(entry.imageId));
  }

  private imagePath(imageId: string): string {
    return join(this.options.dir, imageId);
  }

  private recordPath(imageId: string): string {
    return join(this.options.dir, `${imageId}.json`);
  }
}

function invalidImageId(imageId: string): ImageCacheError | undefined {
  // Image ids become file names: nothing that could leave the cache folder.
  if (/^[a-z]{3}-[0-9a-zA-Z]{1,32}$/.test(imageId)) return undefined;
  return new ImageCacheError('InvalidParameterValue', `not an image id: ${JSON.stringify(imageId)}`);
}

async function formatOf(path: string): Promise<'raw' | 'qcow2'> {
  const file = await open(path, 'r');
  try {
    const head = Buffer.alloc(4);
    await file.read(head, 0, 4, 0);
    return head.equals(qcow2Magic) ? 'qcow2' : 'raw';
  } finally {
    await file.close();
  }
}
