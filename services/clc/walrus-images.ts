import { ServiceError } from '../../src/aws/service-error.js';
import { callPeer, type PeerTls } from '../../src/runtime/peer-client.js';
import type { ImageStore } from './models/images.js';

/** Walrus's route for images to the cloud's components (mTLS, the cloud CA): see services/walrus/internal-images.ts. */
export function walrusImageUrlBase(walrusUrl: string): string {
  return `${walrusUrl.replace(/\/$/, '')}/internal/images/`;
}

function objectUrl(walrusUrl: string, bucket: string, key: string): string {
  const path = [bucket, ...key.split('/')].map(encodeURIComponent).join('/');
  return `${walrusImageUrlBase(walrusUrl)}${path}`;
}

/**
 * `RegisterImage`'s check that an image's bytes are in Walrus and readable by the registering account, asked over
 * the components' mTLS link. Walrus not answering is the cloud's failure, not the caller's: `ServiceUnavailable`.
 */
export function walrusImageStore(walrusUrl: string, tls: PeerTls): ImageStore {
  return {
    async objectExists(bucket, key, accountId) {
      const url = `${objectUrl(walrusUrl, bucket, key)}?account=${encodeURIComponent(accountId)}`;
      let status: number;
      try {
        status = (await callPeer(url, tls, { method: 'HEAD', timeoutMs: 10_000 })).status;
      } catch (error) {
        throw new ServiceError(
          'ServiceUnavailable',
          `The object store cannot be reached to check the image: ${(error as Error).message}`,
          503,
        );
      }
      if (status === 200) return true;
      if (status === 404 || status === 403) return false;
      // Encrypted with a customer's key (SSE-C): nodes could never read it.
      if (status === 409) {
        throw new ServiceError(
          'InvalidManifest',
          `The image ${bucket}/${key} is encrypted with a customer-provided key (SSE-C), which the cloud's nodes do not ` +
            'have: store it unencrypted or with SSE-S3 (--sse AES256)',
          400,
        );
      }
      throw new ServiceError('ServiceUnavailable', `The object store answered ${status} for the image`, 503);
    },
  };
}
