import type { Request, Response, Router } from 'express';
import type { Logger } from 'pino';
import { isAccessAllowed } from './models/access.js';
import type { RequestFacts } from './models/bucket-policy.js';
import { segmentStream } from './models/object-bytes.js';
import { isCustomerSeal } from './storage/blob-sealing.js';
import type { ByteStore } from './storage/byte-store.js';
import type { MetadataStore } from './storage/metadata-store.js';

/** Where images are served to other components, below the runtime's mTLS-only `/internal`. */
export const internalImagesPath = '/images';

/**
 * Machine, kernel and ramdisk images for the cloud's own components (behind the cloud CA, never the public S3 API):
 * `GET /internal/images/BUCKET/KEY` streams the object to a node controller fetching it into its cache, `HEAD` is how
 * the clc checks at `RegisterImage` that an image is there. `?account=ID` asks whether that account may read it
 * (its owner, or an ACL that grants it READ): the clc registers an image only for an account that can read its bytes.
 */
export function mountInternalImages(
  internal: Router,
  stores: { meta: MetadataStore; bytes: ByteStore; log: Logger },
): void {
  internal.get(`${internalImagesPath}/:bucket/*key`, (request: Request, response: Response) => {
    const { bucket, key } = request.params as { bucket: string; key: string | string[] };
    const objectKey = [key].flat().join('/');
    const bucketRecord = stores.meta.getBucket(bucket);
    const object = bucketRecord && stores.meta.getObject(bucket, objectKey);
    if (!bucketRecord || !object || object.isDeleteMarker) {
      response.status(404).json({ error: 'NoSuchKey', message: `no object ${bucket}/${objectKey}` });
      return;
    }
    const account = typeof request.query.account === 'string' ? request.query.account : undefined;
    const reader = account === undefined ? undefined : { id: account, displayName: account };
    // An image read for an account, as that account's own GetObject would be: its policy, then the object's ACL.
    const facts = (): RequestFacts => ({
      sourceIp: request.socket.remoteAddress ?? '',
      time: new Date(),
      secureTransport: true,
      ...(reader && { principal: { accountId: reader.id, arn: `arn:aws:iam::${reader.id}:root` } }),
      amzHeaders: {},
      query: {},
    });
    const read = {
      caller: reader,
      bucket: bucketRecord,
      action: 's3:GetObject',
      key: objectKey,
      acl: object.acl,
      facts,
    };
    if (reader && !isAccessAllowed(read)) {
      response
        .status(403)
        .json({ error: 'AccessDenied', message: `account ${account} may not read ${bucket}/${objectKey}` });
      return;
    }
    // An image sealed with its customer's key (SSE-C) cannot be read by the cloud's components, which do not have it.
    if (object.segments.some((segment) => segment.seal !== undefined && isCustomerSeal(segment.seal))) {
      response.status(409).json({
        error: 'CustomerKeyRequired',
        message: `${bucket}/${objectKey} is encrypted with a customer-provided key (SSE-C): store images unencrypted or with SSE-S3`,
      });
      return;
    }
    response.setHeader('content-length', String(object.size));
    response.setHeader('etag', object.etag);
    response.setHeader('content-type', 'application/octet-stream');
    if (request.method === 'HEAD') {
      response.end();
      return;
    }
    const stream = segmentStream(stores.bytes, object.segments);
    stream.on('error', (error) => {
      stores.log.error({ err: error, bucket, key: objectKey }, 'image read failed');
      response.destroy(error);
    });
    stream.pipe(response);
  });
}
