import { join } from 'node:path';
import express, { type Request, type Response } from 'express';
import type { Logger } from 'pino';
import { fromIncomingMessage } from '../../src/aws/auth/index.js';
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
import type { CloudTopology } from './handlers/context.js';
import { bootstrapAdmin } from './models/accounts.js';
import { createAwsPipeline, requestParams } from './request-pipeline.js';

/** What the clc reads from its config's `settings`. */
export interface ClcSettings {
  /** The first admin's root access key, created at first start (and kept: a new one is added beside it). */
  adminCredentials: { accessKeyId: string; secretAccessKey: string };
  /** A `postgres://` URL; the SQLite file in the data directory when absent. */
  databaseUrl?: string;
  /** The zones of the cloud; the config's own `zone` when absent. */
  zones?: string[];
  /** The public EC2 URL, when clients reach the clc through a name or proxy; else the URL each request reached. */
  ec2Endpoint?: string;
}

/** Largest Query request accepted: EC2's own limit on user data is 16 KiB, and requests are small otherwise. */
const queryBodyLimit = '2mb';

function clcSettings(config: ServiceConfig): ClcSettings {
  const settings = (config.settings ?? {}) as Partial<ClcSettings>;
  if (!settings.adminCredentials) throw new Error('clc settings lack adminCredentials');
  return settings as ClcSettings;
}

function topologyOf(config: ServiceConfig, settings: ClcSettings): Omit<CloudTopology, 'ec2Endpoint'> {
  const names = settings.zones ?? (config.zone ? [config.zone] : [`${config.region}a`]);
  const clusters = [config.peers?.cc ?? []].flat();
  return {
    region: config.region,
    zones: [...names].sort().map((name, index) => ({ name, clusterUrl: clusters[index] })),
  };
}

/**
 * Cloud controller: the EC2, IAM and STS Query endpoint at `/`, EC2 over SOAP at `/services/compute`, and the
 * admin SOAP interface (`wsdl/admin.wsdl`) for `cloudctl` at `/services/admin`, over its own database.
 */
export const clcComponent: ComponentDefinition = {
  describe: 'Mallee cloud controller (clc): EC2 Query and SOAP, IAM and STS, accounts, state.',
  async mount({ app }, { config, log }) {
    const settings = clcSettings(config);
    const db = await openDatabase(
      settings.databaseUrl !== undefined
        ? { url: settings.databaseUrl, onPoolError: (error) => log.warn({ err: error }, 'database connection lost') }
        : { sqliteFile: defaultSqliteFile(config.dataDir) },
    );
    const bootstrap = await bootstrapAdmin(db, settings.adminCredentials);
    if (bootstrap.accountCreated) log.info({ accountId: bootstrap.account.accountId }, 'admin account created');
    const pipeline = createAwsPipeline({
      db,
      cloud: { ...topologyOf(config, settings), ec2Endpoint: settings.ec2Endpoint },
    });

    // The admin interface: only the cloud CA's admin certificate.
    const admin = express.Router();
    app.use(adminServicePath, requireCloudPeer, requirePeerNamed(adminCertificateName), admin);
    mountSoapService(admin, {
      wsdlFile: join(malleePackage().root, 'wsdl', 'admin.wsdl'),
      service: 'AdminService',
      port: 'AdminPort',
      operations: adminOperations(db),
      log,
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

    const tls = peerTlsFromConfig(config);
    return {
      health: async () => {
        await db.selectFrom('accounts').select('account_id').limit(1).execute();
        return { database: settings.databaseUrl ? 'postgresql' : 'sqlite', peers: await probePeers(config, tls) };
      },
      close: () => db.destroy(),
    };
  },
};
