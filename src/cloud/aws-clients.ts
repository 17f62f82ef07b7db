import { readFileSync } from 'node:fs';
import { Agent } from 'node:https';
import { EC2Client } from '@aws-sdk/client-ec2';
import { S3Client } from '@aws-sdk/client-s3';
import { CliError } from '../cli/cli-error.js';
import type { CloudFile } from './cloud-file.js';

/** Access keys to sign with; the cloud.json's admin key unless a command is given another. */
export interface SigningKey {
  accessKeyId: string;
  secretAccessKey: string;
}

/**
 * The AWS SDK's own clients, pointed at the cloud's endpoints and trusting only its CA (cloud.json `caBundle`), so
 * cloudctl talks to the cloud exactly as any SDK user does. One attempt: a command reports a failure at once.
 */
function clientConfig(cloud: CloudFile, endpoint: string, key: SigningKey = cloud.credentials) {
  // The SDK warns on every run that its releases after January 2027 need Node 22; the locked version runs on Node 20
  // (what Mallee supports), and the warning would bury each command's own output.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  let ca: Buffer;
  try {
    ca = readFileSync(cloud.caBundle);
  } catch (error) {
    throw new CliError(
      'invalidConfig',
      `Cannot read the cloud CA ${cloud.caBundle}: ${(error as Error).message}`,
      'The cloud.json names it as caBundle; run cloudctl on a machine that has the cloud folder.',
    );
  }
  return {
    endpoint,
    region: cloud.region,
    credentials: key,
    requestHandler: { httpsAgent: new Agent({ ca, keepAlive: false }) },
    maxAttempts: 1,
  };
}

export function ec2Client(cloud: CloudFile, key?: SigningKey): EC2Client {
  return new EC2Client(clientConfig(cloud, cloud.endpoints.ec2, key));
}

/** Walrus addresses buckets by path, not by host name. */
export function s3Client(cloud: CloudFile, key?: SigningKey): S3Client {
  return new S3Client({ ...clientConfig(cloud, cloud.endpoints.s3, key), forcePathStyle: true });
}

/**
 * An SDK call as cloudctl makes it: an error the cloud answers (`InvalidKeyPair.NotFound`, `NoSuchBucket`) becomes a
 * CliError naming its code, an unreachable endpoint one with a hint.
 */
export async function awsCall<T>(what: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    const failure = error as Error & { name: string; $metadata?: { httpStatusCode?: number }; Code?: string };
    const status = failure.$metadata?.httpStatusCode;
    if (status !== undefined) {
      const code = failure.Code ?? failure.name;
      const kind =
        status === 404 || /NotFound|NoSuch/.test(code)
          ? 'notFound'
          : /Duplicate|AlreadyExists|AlreadyOwned/.test(code)
            ? 'conflict'
            : status < 500
              ? 'usage'
              : 'failure';
      throw new CliError(kind, `${what}: ${code}: ${failure.message}`);
    }
    throw new CliError(
      'unhealthy',
      `${what}: cannot reach the cloud: ${failure.message}`,
      'Check it with `cloudctl local status` (or `cloudctl status`).',
    );
  }
}
