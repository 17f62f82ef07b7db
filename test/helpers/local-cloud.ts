import { readFileSync } from 'node:fs';
import { Agent } from 'node:https';
import { join } from 'node:path';
import { EC2Client } from '@aws-sdk/client-ec2';
import { IAMClient } from '@aws-sdk/client-iam';
import { S3Client } from '@aws-sdk/client-s3';
import { STSClient } from '@aws-sdk/client-sts';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import type { Test } from 'tap';
import type { CloudFile } from '../../src/cloud/cloud-file.js';
import { runCli, temporaryDir } from './cli.js';
import type { Credentials, TestAccount } from './clc.js';

export interface TestLocalCloud {
  /** The cloud's folder (`--dir`): cloud.json, aws-config, pki/, images/, logs/. */
  dir: string;
  /** cloud.json as `cloudctl local up` wrote it. */
  cloud: CloudFile;
  /** The first admin's root key (account 000000000000). */
  admin: Credentials;
  ec2(credentials?: Credentials): EC2Client;
  /** Walrus, where images live (path-style, as Walrus addresses buckets). */
  s3(credentials?: Credentials): S3Client;
  iam(credentials?: Credentials): IAMClient;
  sts(credentials?: Credentials): STSClient;
  /**
   * Environment for the `aws` CLIs and boto3: the cloud's aws-config (endpoints, region, admin key), trusting only
   * the cloud CA (this machine sets AWS_CA_BUNDLE to the system bundle), no retries; another account's key if given.
   */
  awsEnv(credentials?: Credentials): NodeJS.ProcessEnv;
  /** A new account through `cloudctl accounts create`, with its root key. */
  newAccount(name: string): Promise<TestAccount>;
}

/**
 * A whole cloud (clc, walrus, cc, sc and an nc on libvirt's simulated hypervisor by default) started with
 * `cloudctl local up` in a temp dir, as a user starts one; `cloudctl local down` when the test ends.
 */
export async function startLocalCloud(t: Test, hypervisor: 'test' | 'qemu' = 'test'): Promise<TestLocalCloud> {
  const dir = temporaryDir('local-cloud');
  t.teardown(async () => {
    await runCli('cloudctl', ['local', 'down', '--dir', dir]);
  });
  const up = await runCli('cloudctl', ['local', 'up', '--dir', dir, '--hypervisor', hypervisor, '--json']);
  if (up.code !== 0) throw new Error(`cloudctl local up failed (${up.code}): ${up.stderr}`);
  const cloud = JSON.parse(readFileSync(join(dir, 'cloud.json'), 'utf8')) as CloudFile;
  const endpoints = () => (JSON.parse(readFileSync(join(dir, 'cloud.json'), 'utf8')) as CloudFile).endpoints;
  const agent = new Agent({ ca: readFileSync(cloud.caBundle), keepAlive: true });
  t.teardown(() => agent.destroy());
  const clientConfig = (endpoint: string, credentials: Credentials = cloud.credentials) => ({
    endpoint,
    region: cloud.region,
    credentials,
    requestHandler: new NodeHttpHandler({ httpsAgent: agent }),
    maxAttempts: 1,
  });
  return {
    dir,
    cloud,
    admin: cloud.credentials,
    // Endpoints as cloud.json gives them now: a restart or a restore brings the cloud back on new ports.
    ec2: (credentials) => new EC2Client(clientConfig(endpoints().ec2, credentials)),
    s3: (credentials) => new S3Client({ ...clientConfig(endpoints().s3, credentials), forcePathStyle: true }),
    iam: (credentials) => new IAMClient(clientConfig(endpoints().iam, credentials)),
    sts: (credentials) => new STSClient(clientConfig(endpoints().sts, credentials)),
    awsEnv: (credentials) => ({
      AWS_CONFIG_FILE: join(dir, 'aws-config'),
      AWS_CA_BUNDLE: cloud.caBundle,
      AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
      AWS_MAX_ATTEMPTS: '1',
      AWS_PAGER: '',
      AWS_PROFILE: undefined,
      AWS_DEFAULT_PROFILE: undefined,
      AWS_DEFAULT_REGION: cloud.region,
      AWS_REGION: undefined,
      AWS_ENDPOINT_URL: undefined,
      // The config file's admin key unless another is given: the environment's key wins over the file's.
      AWS_ACCESS_KEY_ID: credentials?.accessKeyId,
      AWS_SECRET_ACCESS_KEY: credentials?.secretAccessKey,
      AWS_SESSION_TOKEN: undefined,
    }),
    async newAccount(name) {
      const created = await runCli('cloudctl', [
        'accounts',
        'create',
        name,
        '--cloud',
        join(dir, 'cloud.json'),
        '--json',
      ]);
      if (created.code !== 0) throw new Error(`cloudctl accounts create ${name} failed: ${created.stderr}`);
      const { account, rootAccessKey } = JSON.parse(created.stdout) as {
        account: { accountId: string; accountName: string };
        rootAccessKey: Credentials;
      };
      return { ...account, ...rootAccessKey };
    },
  };
}
