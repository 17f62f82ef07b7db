import { readFileSync } from 'node:fs';
import { Agent } from 'node:https';
import { join } from 'node:path';
import { EC2Client } from '@aws-sdk/client-ec2';
import { IAMClient } from '@aws-sdk/client-iam';
import { STSClient } from '@aws-sdk/client-sts';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import type { Test } from 'tap';
import { generateAccessKey } from '../../src/cloud/credentials.js';
import { SoapServiceClient } from '../../src/soap/soap-client.js';
import { projectRoot } from './cli.js';
import {
  awsCliEnv,
  createAccountAt,
  createTestPki,
  startDaemon,
  type Credentials,
  type TestAccount,
} from './daemons.js';

export type { Credentials, TestAccount } from './daemons.js';

export interface TestClc {
  url: string;
  region: string;
  zones: string[];
  dir: string;
  /** The daemon's data directory (its SQLite file is `clc.sqlite` there). */
  dataDir: string;
  pid: number;
  /** The admin account's root key (account 000000000000). */
  admin: Credentials;
  /** PEM file of the cloud CA the endpoint's certificate chains to. */
  caBundle: string;
  /** Clients of the real SDK for this endpoint, trusting only the test cloud's CA; the admin's key by default. */
  ec2(credentials?: Credentials): EC2Client;
  iam(credentials?: Credentials): IAMClient;
  sts(credentials?: Credentials): STSClient;
  /** A new account through the admin SOAP interface, with its root key. */
  newAccount(name: string): Promise<TestAccount>;
  /** Environment for the `aws` CLIs (v1 on PATH, v2 at /usr/bin/aws) against this endpoint. */
  awsEnv(credentials?: Credentials): NodeJS.ProcessEnv;
  /** The admin SOAP client (cloudctl's identity). */
  adminClient(): Promise<SoapServiceClient>;
  /** Stops the daemon (SIGTERM, then SIGKILL after its grace); also done at teardown. */
  stop(): Promise<void>;
  /** SIGKILL, no goodbye: for durability tests. */
  kill(): void;
  /** Starts the daemon again on the same data (and database), on a new port. */
  restart(): Promise<void>;
}

export interface StartClcOptions {
  /** PostgreSQL instead of the SQLite file in the data directory. */
  databaseUrl?: string;
  zones?: string[];
  /** The clc's `publicAddresses` (Elastic IP pool): addresses and CIDR ranges. */
  publicAddresses?: string[];
}

/**
 * A real clc daemon, started from dist/ (npm test builds first) as `cloudctl local up` starts it: its own CA and
 * certificates, SQLite (or PostgreSQL) under a temp dir, a random loopback port. Stopped when the test ends.
 */
export async function startClc(t: Test, options: StartClcOptions = {}): Promise<TestClc> {
  const pki = await createTestPki();
  const admin = generateAccessKey();
  const region = 'mallee-test-1';
  const zones = options.zones ?? [`${region}a`];
  const daemon = await startDaemon(t, pki, {
    component: 'clc',
    name: 'clc',
    region,
    settings: {
      adminCredentials: admin,
      zones,
      ...(options.databaseUrl !== undefined && { databaseUrl: options.databaseUrl }),
      ...(options.publicAddresses !== undefined && { publicAddresses: options.publicAddresses }),
    },
  });
  const adminTls = await pki.peer('admin');
  const caBundle = pki.caBundle;
  const dir = pki.dir;
  const agent = new Agent({ ca: readFileSync(caBundle), keepAlive: true });
  t.teardown(() => agent.destroy());
  const requestHandler = () => new NodeHttpHandler({ httpsAgent: agent });
  const clientConfig = (credentials: Credentials = admin) => ({
    endpoint: daemon.url,
    region,
    credentials,
    requestHandler: requestHandler(),
    maxAttempts: 1,
  });
  const clc: TestClc = {
    get url() {
      return daemon.url;
    },
    region,
    zones,
    dir,
    get pid() {
      return daemon.pid;
    },
    admin,
    caBundle,
    ec2: (credentials) => new EC2Client(clientConfig(credentials)),
    iam: (credentials) => new IAMClient(clientConfig(credentials)),
    sts: (credentials) => new STSClient(clientConfig(credentials)),
    adminClient: () =>
      SoapServiceClient.connect(
        join(projectRoot, 'wsdl', 'admin.wsdl'),
        `${daemon.url}/services/admin`,
        adminTls,
        'test-operator',
      ),
    newAccount: (accountName) => createAccountAt(daemon.url, adminTls, accountName),
    awsEnv: (credentials = admin) => awsCliEnv(credentials, region, caBundle),
    dataDir: daemon.dataDir,
    stop: () => daemon.stop(),
    kill: () => daemon.kill(),
    restart: () => daemon.restart(),
  };
  return clc;
}
