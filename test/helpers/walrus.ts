import { readFileSync } from 'node:fs';
import { Agent } from 'node:https';
import { S3Client, type S3ClientConfig } from '@aws-sdk/client-s3';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import type { Test } from 'tap';
import { generateAccessKey } from '../../src/cloud/credentials.js';
import type { WalrusSettings } from '../../services/walrus/component.js';
import {
  awsCliEnv,
  createAccountAt,
  createTestPki,
  startDaemon,
  type Credentials,
  type TestAccount,
  type TestDaemon,
  type TestPki,
} from './daemons.js';

export interface TestWalrus {
  /** Walrus's S3 endpoint. */
  readonly url: string;
  region: string;
  pki: TestPki;
  clc: TestDaemon;
  walrus: TestDaemon;
  /** The admin account's root key (account 000000000000). */
  admin: Credentials;
  caBundle: string;
  /** The real SDK's S3 client for this endpoint (path style), trusting only the test cloud's CA. */
  s3(credentials?: Credentials, extra?: Partial<S3ClientConfig>): S3Client;
  /** A new account through the clc's admin SOAP interface, with its root key. */
  newAccount(name: string): Promise<TestAccount>;
  /** Environment for the `aws` CLIs and boto3 against this endpoint (pass `--endpoint-url`). */
  awsEnv(credentials?: Credentials): NodeJS.ProcessEnv;
}

/**
 * A clc and a walrus daemon (from dist/: `npm run build` first) sharing a test CA, walrus asking the clc for keys.
 * Both stop when the test ends.
 */
export async function startWalrus(t: Test, settings: WalrusSettings = {}): Promise<TestWalrus> {
  const pki = await createTestPki();
  const region = 'mallee-test-1';
  const admin = generateAccessKey();
  const clc = await startDaemon(t, pki, {
    component: 'clc',
    name: 'clc',
    region,
    settings: { adminCredentials: admin, zones: [`${region}a`] },
  });
  const walrus = await startDaemon(t, pki, {
    component: 'walrus',
    name: 'walrus',
    region,
    peers: { clc: clc.url },
    settings: { ...settings },
  });
  const agent = new Agent({ ca: readFileSync(pki.caBundle), keepAlive: true, maxSockets: 32 });
  t.teardown(() => agent.destroy());
  return {
    get url() {
      return walrus.url;
    },
    region,
    pki,
    clc,
    walrus,
    admin,
    caBundle: pki.caBundle,
    s3: (credentials = admin, extra = {}) =>
      new S3Client({
        endpoint: walrus.url,
        region,
        credentials,
        forcePathStyle: true,
        requestHandler: new NodeHttpHandler({ httpsAgent: agent }),
        maxAttempts: 1,
        ...extra,
      }),
    newAccount: async (accountName) => createAccountAt(clc.url, await pki.peer('admin'), accountName),
    awsEnv: (credentials = admin) => awsCliEnv(credentials, region, pki.caBundle),
  };
}
