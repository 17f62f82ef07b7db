import { rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Request, Response } from 'express';
import type { Logger } from 'pino';
import { serializeRestXmlError } from '../../src/aws/protocol/rest-xml-serializer.js';
import { callPeer, peerTlsFromConfig } from '../../src/runtime/peer-client.js';
import type { ServiceConfig } from '../../src/runtime/service-config.js';
import type { ComponentDefinition } from '../../src/runtime/service.js';
import { ClcCredentialLookup } from './credential-lookup.js';
import { mountInternalImages } from './internal-images.js';
import { LifecycleSchedule } from './lifecycle-pass.js';
import { mountMetadataBackup } from './metadata-backup.js';
import { createWalrusPipeline } from './request-pipeline.js';
import { S3Error } from './s3-errors.js';
import type { S3ObjectStoreConfig } from '../../src/config/types.js';
import { s3ShelfFor } from './storage/blob-shelf.js';
import { BlobSealer } from './storage/blob-sealing.js';
import { LocalDiskByteStore } from './storage/byte-store.js';
import { MetadataStore } from './storage/metadata-store.js';
import { OrphanWatch } from './storage/orphan-watch.js';

/** What walrus reads from its config's `settings`. */
export interface WalrusSettings {
  /** Enables virtual-host style addressing: `BUCKET.dnsName` names the bucket. Path style always works. */
  dnsName?: string;
  /** Smallest part but the last of a multipart upload, in bytes (S3's 5 MiB by default). */
  minPartSize?: number;
  /** How long the clc's answer about an access key is kept, in seconds (30 by default). */
  credentialCacheSeconds?: number;
  /** Published objects' bytes on an S3-compatible engine instead of this host's disk (cloud.yaml `objectStore`). */
  objectStore?: S3ObjectStoreConfig;
  /** How often buckets' lifecycle rules are carried out, in seconds (hourly by default; the first pass follows the start). */
  lifecycleIntervalSeconds?: number;
}

function clcUrlOf(config: ServiceConfig): string {
  const clc = [config.peers?.clc ?? []].flat()[0];
  if (!clc) throw new Error('walrus needs peers.clc: the cloud controller holds the access keys it verifies');
  return clc;
}

/**
 * Walrus, the S3-compatible object store: the S3 REST API at `/`, metadata in its own SQLite file
 * (`DATADIR/walrus.sqlite`), bytes under `DATADIR/objects/`. Before it serves, staged leftovers and blobs no metadata
 * refers to (a crash between writing and committing) are swept away.
 */
export const walrusComponent: ComponentDefinition = {
  describe: 'Mallee object storage (walrus): the S3 REST API.',
  clientErrorDocument: ({ code, message, status, requestId }) =>
    serializeRestXmlError(new S3Error(code, message, status), requestId),
  async mount({ app, internal }, { config, log }) {
    const settings = (config.settings ?? {}) as WalrusSettings;
    const tls = peerTlsFromConfig(config);
    const clcUrl = clcUrlOf(config);
    const meta = new MetadataStore(join(config.dataDir, 'walrus.sqlite'), {
      onCheckpoint: (done) => log.debug(done, 'metadata checkpointed'),
      onCheckpointerLost: (reason) =>
        log.warn({ reason }, 'metadata checkpoints fall back to SQLite running them inside commits (slower commits)'),
    });
    // Small objects' bytes live in the metadata database (inline blobs), larger ones on the shelf: files of their own
    // on this disk, or keys in an S3-compatible engine's bucket when cloud.yaml names one (`objectStore`).
    const shelf = settings.objectStore?.engine === 's3' ? await s3ShelfFor(settings.objectStore) : undefined;
    // Sealed blobs (server-side encryption) are opened with master keys kept in the metadata database.
    const bytes = new LocalDiskByteStore(join(config.dataDir, 'objects'), {
      inline: meta,
      sealer: new BlobSealer(meta),
      ...(shelf && { shelf }),
    });
    // Copies of the metadata a backup left behind when Walrus stopped while sending them.
    const backupStaging = join(config.dataDir, 'backup-staging');
    rmSync(backupStaging, { recursive: true, force: true });
    // Orphan blobs (published, never recorded) are swept before serving: every blob is listed and looked up, which
    // for a large store takes a while. After a clean stop there are none to find, so only staging is cleared.
    const orphans = new OrphanWatch();
    if (await meta.takeCleanStop()) {
      const staged = await bytes.clearStaging();
      log.info({ staged }, 'the last run stopped cleanly: no orphan blobs to sweep');
    } else {
      const referenced = meta.referencedBlobs();
      const swept = await bytes.sweep((id) => referenced.has(id));
      log.info(swept, 'swept every blob for orphans: the last run did not stop cleanly');
    }
    const handle = createWalrusPipeline({
      meta,
      bytes,
      orphans,
      credentials: new ClcCredentialLookup({
        clcUrl,
        tls,
        ttlMs: (settings.credentialCacheSeconds ?? 30) * 1000,
      }),
      region: config.region,
      dnsName: settings.dnsName,
      minPartSize: settings.minPartSize,
    });

    // Lifecycle rules: objects expire and abandoned uploads are aborted by a pass soon after start, then hourly.
    const lifecycle = new LifecycleSchedule(
      { meta, bytes, orphans, log, caller: undefined },
      log,
      settings.lifecycleIntervalSeconds ?? 3600,
    );
    lifecycle.start();

    // Images for the cloud's components (node controllers, the clc), behind the cloud CA.
    mountInternalImages(internal, { meta, bytes, log });
    // A consistent copy of the metadata, for the clc's `cloudctl backup create`.
    mountMetadataBackup(internal, {
      sqliteFile: join(config.dataDir, 'walrus.sqlite'),
      stagingDir: backupStaging,
      log,
    });

    // S3 requests skip express (the runtime hands them over directly); what express still sees under `/internal`
    // and no internal route claims is a bucket's too.
    app.use((request: Request, response: Response) =>
      handle(request, response, response.locals.requestId as string, response.locals.log as Logger),
    );

    return {
      serve: handle,
      health: async () => {
        meta.ping();
        const answer = await callPeer(`${clcUrl.replace(/\/$/, '')}/healthz`, tls, { timeoutMs: 3000 }).catch(
          (error: Error) => {
            throw new Error(
              `the cloud controller at ${clcUrl} cannot be reached (${error.message}): no key can be verified`,
            );
          },
        );
        if (answer.status !== 200) {
          throw new Error(
            `the cloud controller at ${clcUrl} is unhealthy (HTTP ${answer.status}): keys may not verify`,
          );
        }
        await bytes.shelf.check?.().catch((error: Error) => {
          throw new Error(`objects' bytes cannot be reached: ${error.message}`);
        });
        return { clc: 'reachable', store: bytes.shelf.description };
      },
      close: async () => {
        await lifecycle.stop();
        try {
          if (await orphans.leftNoOrphans()) await meta.recordCleanStop();
        } catch (error) {
          log.warn({ err: error }, 'could not mark a clean stop: the next start sweeps every blob');
        }
        meta.close();
      },
    };
  },
};
