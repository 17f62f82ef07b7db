import { createReadStream, readFileSync } from 'node:fs';
import { unlink } from 'node:fs/promises';
import { Agent } from 'node:https';
import { PassThrough, Readable } from 'node:stream';
import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadBucketCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import type { S3ObjectStoreConfig } from '../../../src/config/types.js';
import { blobIdPattern, ShelfUnavailableError, type BlobShelf } from './blob-shelf.js';

/**
 * Published blobs as objects `PREFIX + ID` in a bucket of an S3-compatible engine (Ceph RGW, MinIO, AWS S3): for a
 * cloud whose objects outgrow the walrus host's disks. A blob is staged and fsynced on local disk as always, then
 * put with one PutObject (a blob is at most 5 GiB, S3's limit for one) and its staged file removed: the engine's
 * 200 is the durability point, as a folder fsync is for the local shelf. The bucket (under the prefix) belongs to
 * this Walrus alone: the sweep at start removes every key there that no metadata refers to.
 *
 * A separate program (services/walrus/s3-shelf.js on hosts), loaded only when cloud.yaml asks for it: the S3 client
 * stays out of every Walrus that keeps its bytes on its own disk.
 */
export class S3Shelf implements BlobShelf {
  readonly description: string;
  private readonly client: S3Client;

  constructor(private readonly store: S3ObjectStoreConfig) {
    this.description = `s3 ${store.endpoint}/${store.bucket}/${store.prefix}`;
    this.client = new S3Client({
      endpoint: store.endpoint,
      region: store.region,
      forcePathStyle: true,
      credentials: { accessKeyId: store.accessKeyId, secretAccessKey: store.secretAccessKey },
      // Checksums only where S3 requires them: engines of other kinds do not all know the SDK's trailing ones.
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
      ...(store.caFile && {
        requestHandler: { httpsAgent: new Agent({ ca: readFileSync(store.caFile), keepAlive: true }) },
      }),
    });
  }

  private key(id: string): string {
    if (!blobIdPattern.test(id)) throw new Error(`not a blob id: ${id}`);
    return `${this.store.prefix}${id}`;
  }

  /** Fails with the engine's own words when the bucket is not there or the key may not use it. */
  async check(): Promise<void> {
    await this.client.send(new HeadBucketCommand({ Bucket: this.store.bucket })).catch((error: Error) => {
      throw new Error(`the object store bucket ${this.store.bucket} at ${this.store.endpoint}: ${engineError(error)}`);
    });
  }

  async shelve(id: string, stagedFile: string, size: number): Promise<void> {
    await this.client
      .send(
        new PutObjectCommand({
          Bucket: this.store.bucket,
          Key: this.key(id),
          Body: createReadStream(stagedFile),
          ContentLength: size,
          ContentType: 'application/octet-stream',
        }),
      )
      .catch((error: Error) => {
        throw new ShelfUnavailableError(`putting blob ${id} into ${this.description}: ${engineError(error)}`);
      });
    await unlink(stagedFile);
  }

  read(id: string, range?: { start: number; end: number }): Readable {
    // The caller wants a stream now; the engine's answer comes later. An error either way ends the stream with it.
    const out = new PassThrough();
    this.client
      .send(
        new GetObjectCommand({
          Bucket: this.store.bucket,
          Key: this.key(id),
          ...(range && { Range: `bytes=${range.start}-${range.end}` }),
        }),
      )
      .then((answer) => {
        const body = answer.Body as Readable;
        body.on('error', (error) => out.destroy(error));
        body.pipe(out);
      })
      .catch((error: Error & { name?: string }) => {
        const missing = error.name === 'NoSuchKey' || error.name === 'NotFound';
        out.destroy(missing ? Object.assign(new Error(`blob ${id} is gone`), { code: 'ENOENT' }) : error);
      });
    return out;
  }

  async remove(id: string): Promise<void> {
    await this.client.send(new DeleteObjectCommand({ Bucket: this.store.bucket, Key: this.key(id) }));
  }

  async sweep(isReferenced: (id: string) => boolean): Promise<number> {
    let removed = 0;
    let token: string | undefined;
    do {
      const page = await this.client.send(
        new ListObjectsV2Command({ Bucket: this.store.bucket, Prefix: this.store.prefix, ContinuationToken: token }),
      );
      for (const { Key: key } of page.Contents ?? []) {
        if (key === undefined) continue;
        const id = key.slice(this.store.prefix.length);
        // Keys under a deeper prefix (`walrus/old/...`) are not this shelf's blobs: left alone.
        if (id.includes('/') || (blobIdPattern.test(id) && isReferenced(id))) continue;
        await this.client.send(new DeleteObjectCommand({ Bucket: this.store.bucket, Key: key }));
        removed++;
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return removed;
  }
}

/** An SDK error as an operator reads it: the engine's code and status, or the network's. */
function engineError(error: Error & { $metadata?: { httpStatusCode?: number }; code?: string }): string {
  const status = error.$metadata?.httpStatusCode;
  return status === undefined ? `${error.code ?? error.name}: ${error.message}` : `${error.name} (HTTP ${status})`;
}
