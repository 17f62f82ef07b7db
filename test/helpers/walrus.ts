import { readFileSync } from 'node:fs';
import { Agent } from 'node:https';
import { S3Client, type S3ClientConfig } from '@aws-sdk/client-s3';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import type { Test } from 'tap';
import { generateAccessKey } from '../../src/cloud/credentials.js';
import { runCommand } from './cli.js';
import type { WalrusSettings } from '../../services/walrus/component.js';
import type { ServiceConfig } from '../../src/runtime/service-config.js';
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
export async function startWalrus(
  t: Test,
  settings: WalrusSettings = {},
  runtime: Pick<ServiceConfig, 'requestIdleSeconds'> = {},
): Promise<TestWalrus> {
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
    ...runtime,
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

/** One boto3 call's outcome: `{ status: 200, body: {...} }`, or `{ status: 404, code: 'NoSuchKey' }`. */
export interface Boto3Answer {
  status: number;
  code?: string;
  body?: Record<string, unknown>;
}

/**
 * Each call of boto3's S3 client named (method and parameters), in one Python process against `cloud` as
 * `credentials`: many calls cost one interpreter start. Dates in answers come back as strings.
 */
export async function boto3Calls(
  cloud: TestWalrus,
  credentials: Credentials,
  calls: [string, Record<string, unknown>][],
): Promise<Boto3Answer[]> {
  const script = `
import boto3, botocore.config, botocore.exceptions, json, sys
s3 = boto3.client('s3', endpoint_url=sys.argv[1], region_name=sys.argv[2], verify=sys.argv[3],
    config=botocore.config.Config(s3={'addressing_style': 'path'}, retries={'max_attempts': 1}))
for name, params in json.loads(sys.argv[4]):
    try:
        body = getattr(s3, name)(**params)
        status = body.pop('ResponseMetadata')['HTTPStatusCode']
        print(json.dumps({'status': status, 'body': body}, default=str))
    except botocore.exceptions.ClientError as error:
        print(json.dumps({'status': error.response['ResponseMetadata']['HTTPStatusCode'],
                          'code': error.response['Error']['Code']}))
`;
  const run = await runCommand(
    '/usr/bin/python3',
    ['-c', script, cloud.url, cloud.region, cloud.caBundle, JSON.stringify(calls)],
    { env: cloud.awsEnv(credentials) },
  );
  if (run.code !== 0) throw new Error(run.stderr);
  return run.stdout
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as Boto3Answer);
}
