import { createReadStream } from 'node:fs';
import { join } from 'node:path';
import { pipeline as streamPipeline } from 'node:stream/promises';
import express, { type Request, type Response } from 'express';
import type { Logger } from 'pino';
import { fromIncomingMessage } from '../../src/aws/auth/index.js';
import { serializeError } from '../../src/aws/protocol/error-serializer.js';
import { ServiceError } from '../../src/aws/service-error.js';
import { ClusterControllerClient } from '../../src/clients/cc-client.js';
import { adminCertificateName, adminServicePath } from '../../src/cloud/admin-client.js';
import { defaultSqliteFile, openDatabase } from '../../src/db/open-database.js';
import { malleePackage } from '../../src/runtime/package-root.js';
import { requireCloudPeer, requirePeerNamed } from '../../src/runtime/peer-auth.js';
import { peerTlsFromConfig } from '../../src/runtime/peer-client.js';
import { probePeers } from '../../src/runtime/peer-health.js';
import type { ServiceConfig } from '../../src/runtime/service-config.js';
import type { ComponentDefinition } from '../../src/runtime/service.js';
import { mountSoapService } from '../../src/soap/soap-service.js';
import { adminOperations } from './admin-service.js';
import { BackupStaging, takeCloudBackup } from './cloud-backup.js';
import { backupHeaders } from '../../src/cloud/backup-transfer.js';
import { ScheduledBackups } from './scheduled-backups.js';
import type { ZoneTopology } from './handlers/context.js';
import { Scheduler } from './scheduler.js';
import { walrusImageStore, walrusImageUrlBase } from './walrus-images.js';
import { ec2Handlers } from './handlers/ec2/index.js';
import { bootstrapAdmin, lookupAccessKey } from './models/accounts.js';
import { parseAddressPool } from './models/addresses.js';
import { createAwsPipeline, requestParams, withDryRun } from './request-pipeline.js';
import { mountEc2Soap } from './soap-compute.js';

/** What the clc reads from its config's `settings`. */
export interface ClcSettings {
  /** The first admin's root access key, created at first start (and kept: a new one is added beside it). */
  adminCredentials: { accessKeyId: string; secretAccessKey: string };
  /** The cloud's name in cloud.yaml, written into the manifests of scheduled backups (the region when absent). */
  cloudName?: string;
  /** A `postgres://` URL; the SQLite file in the data directory when absent. */
  databaseUrl?: string;
  /** The zones of the cloud and their cluster controllers; the config's own `zone` and `peers.cc` when absent. */
  zones?: (string | { name: string; clusterUrl?: string })[];
  /**
   * Walrus's URL: images are registered by their `bucket/key` there (checked at `RegisterImage`) and nodes fetch
   * them from it over mTLS.
   */
  objectStoreUrl?: string;
  /**
   * Where nodes fetch images from instead: the prefix of an image's `bucket/key`, such as a `file://` folder every
   * node has (tests, and clouds whose images live on shared storage). Without it or Walrus, images cannot run.
   */
  imageUrlBase?: string;
  /** How often the zones are asked about their instances (default 2 s). */
  syncSeconds?: number;
  /** The public EC2 URL, when clients reach the clc through a name or proxy; else the URL each request reached. */
  ec2Endpoint?: string;
  /** Elastic IPs: public IPv4 addresses and CIDR ranges (`198.51.100.0/28`) routed to the cloud. */
  publicAddresses?: string[];
}

/** Largest Query request accepted: EC2's own limit on user data is 16 KiB, and requests are small otherwise. */
const queryBodyLimit = '2mb';

function withSlash(url: string): string {
  return url.endsWith('/') ? url : `${url}/`;
}

function clcSettings(config: ServiceConfig): ClcSettings {
  const settings = (config.settings ?? {}) as Partial<ClcSettings>;
  if (!settings.adminCredentials) throw new Error('clc settings lack adminCredentials');
  return settings as ClcSettings;
}

function zonesOf(config: ServiceConfig, settings: ClcSettings): ZoneTopology[] {
  const clusters = [config.peers?.cc ?? []].flat();
  const declared = settings.zones ?? [config.zone ?? `${config.region}a`];
  // A single zone without its own cc URL is served by the one cc the config names.
  const zones = declared.map((zone) =>
    typeof zone === 'string' ? { name: zone, clusterUrl: declared.length === 1 ? clusters[0] : undefined } : zone,
  );
  return zones.sort((a, b) => a.name.localeCompare(b.name));
}

/**
 * Cloud controller: the EC2, IAM and STS Query endpoint at `/`, EC2 over SOAP at `/services/compute`, and the
 * admin SOAP interface (`wsdl/admin.wsdl`) for `cloudctl` at `/services/admin`, over its own database.
 */
export const clcComponent: ComponentDefinition = {
  describe: 'Mallee cloud controller (clc): EC2 Query and SOAP, IAM and STS, accounts, state.',
  // Before any route is known the request's protocol is not: EC2's error XML, which every AWS SDK parses.
  clientErrorDocument: ({ code, message, status, requestId }) =>
    serializeError('ec2', new ServiceError(code, message, status), requestId),
  async mount({ app, internal }, { config, log }) {
    const settings = clcSettings(config);
    const db = await openDatabase(
      settings.databaseUrl !== undefined
        ? { url: settings.databaseUrl, onPoolError: (error) => log.warn({ err: error }, 'database connection lost') }
        : { sqliteFile: defaultSqliteFile(config.dataDir) },
    );
    const bootstrap = await bootstrapAdmin(db, settings.adminCredentials);
    if (bootstrap.accountCreated) log.info({ accountId: bootstrap.account.accountId }, 'admin account created');
    const zones = zonesOf(config, settings);
    const imageUrlBase = withSlash(
      settings.imageUrlBase ??
        (settings.objectStoreUrl ? walrusImageUrlBase(settings.objectStoreUrl) : `file://${config.dataDir}/images/`),
    );
    const tls = peerTlsFromConfig(config);
    const scheduler = new Scheduler({
      db,
      zones,
      connect: (url) => ClusterControllerClient.connect(url, tls, config.name),
      log,
      // Each segment of `bucket/key` as one path segment of the URL: keys may hold `?`, `#` or spaces.
      imageUrl: (location) => `${imageUrlBase}${location.split('/').map(encodeURIComponent).join('/')}`,
      syncIntervalMs: (settings.syncSeconds ?? 2) * 1000,
    });
    scheduler.start();
    const pipeline = createAwsPipeline({
      db,
      cloud: {
        region: config.region,
        zones,
        ec2Endpoint: settings.ec2Endpoint,
        instances: scheduler,
        capacity: scheduler,
        ...(settings.objectStoreUrl && { imageStore: walrusImageStore(settings.objectStoreUrl, tls) }),
        addressPool: settings.publicAddresses ? parseAddressPool(settings.publicAddresses) : undefined,
      },
    });

    const backups = new BackupStaging(join(config.dataDir, 'backup-staging'), (dir) =>
      takeCloudBackup(
        {
          database:
            settings.databaseUrl !== undefined
              ? { url: settings.databaseUrl }
              : { sqliteFile: defaultSqliteFile(config.dataDir) },
          walrusUrl: settings.objectStoreUrl,
          tls,
        },
        dir,
      ),
    );
    const scheduledBackups = new ScheduledBackups({
      db,
      staging: backups,
      about: { cloud: settings.cloudName ?? config.region, region: config.region },
      defaultDir: join(config.dataDir, 'backups'),
      log,
    });
    scheduledBackups.start();

    // The admin interface: only the cloud CA's admin certificate.
    const admin = express.Router();
    app.use(adminServicePath, requireCloudPeer, requirePeerNamed(adminCertificateName), admin);
    mountSoapService(admin, {
      wsdlFile: join(malleePackage().root, 'wsdl', 'admin.wsdl'),
      service: 'AdminService',
      port: 'AdminPort',
      operations: adminOperations(db, { backups, backupSchedule: () => scheduledBackups.describe() }),
      log,
    });
    // The files of a backup `CreateBackup` took, streamed to the operator who asked for it.
    admin.get('/backups/:backupId/:fileName', (request: Request, response: Response) => {
      const file = backups.file(String(request.params.backupId), String(request.params.fileName));
      if (!file) {
        response.status(404).json({ error: 'NoSuchBackup', message: 'no such backup file (discarded, or expired)' });
        return;
      }
      response.writeHead(200, backupHeaders(file));
      streamPipeline(createReadStream(file.path), response).catch((error: Error) =>
        log.warn({ err: error, file: file.fileName }, 'a backup file was not sent whole'),
      );
    });

    // Walrus has no account database: it asks here who owns an S3 access key, and caches the answer briefly. The
    // `internal` router admits only peers with a cloud-CA certificate, so secrets never reach the public port.
    internal.get('/credentials/:accessKeyId', async (request: Request, response: Response) => {
      const credential = await lookupAccessKey(db, String(request.params.accessKeyId));
      if (credential) response.json(credential);
      else response.status(404).json({ error: 'NoSuchAccessKey', requestId: response.locals.requestId });
    });

    // EC2 over SOAP at /services/compute, with the Query API's verifier and handlers.
    mountEc2Soap(app, {
      verifier: pipeline.services.ec2.verifier,
      contextFor: pipeline.contextFor,
      handlers: withDryRun(ec2Handlers),
      publicEndpoint: settings.ec2Endpoint,
    });

    // EC2, IAM and STS over Query: GET with parameters in the URL, or POST with a form body.
    app.all(
      '/',
      express.raw({ type: () => true, limit: queryBodyLimit }),
      async (request: Request, response: Response) => {
        const body = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
        const signed = fromIncomingMessage(request, body, { url: request.originalUrl });
        const isForm = /^application\/x-www-form-urlencoded/i.test(request.get('content-type') ?? '');
        const answer = await pipeline.handleQuery({
          signed,
          params: requestParams(signed.query, isForm ? body.toString('utf8') : undefined),
          requestId: response.locals.requestId as string,
          log: response.locals.log as Logger,
          endpoint: `https://${request.get('host') ?? 'localhost'}`,
        });
        (response.locals.log as Logger).debug(
          { service: answer.service, operation: answer.operation, accountId: answer.accountId },
          'aws request',
        );
        response.status(answer.status).type(answer.contentType).send(answer.body);
      },
    );

    return {
      health: async () => {
        await db.selectFrom('accounts').select('account_id').limit(1).execute();
        return { database: settings.databaseUrl ? 'postgresql' : 'sqlite', peers: await probePeers(config, tls) };
      },
      close: async () => {
        await scheduledBackups.stop();
        await scheduler.stop();
        await db.destroy();
      },
    };
  },
};
