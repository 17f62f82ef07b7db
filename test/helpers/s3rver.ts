import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { Agent } from 'node:https';
import { join } from 'node:path';
import { HeadBucketCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import type { Test } from 'tap';
import { projectRoot, temporaryDir } from './cli.js';
import { createTestPki, freePorts } from './daemons.js';

/** s3rver (npm) as the S3-compatible engine behind a Walrus: its own process, over HTTPS with a CA of its own. */
export interface TestS3Engine {
  /** `https://127.0.0.1:PORT` */
  endpoint: string;
  bucket: string;
  /** The CA that signed the engine's certificate (what `objectStore.caFile` names). */
  caFile: string;
  /** s3rver's fixed key. */
  accessKeyId: string;
  secretAccessKey: string;
  /** A client of the engine itself, to look at what Walrus put there. */
  client: S3Client;
  /** The engine's keys under `prefix`, sorted. */
  keys(prefix?: string): Promise<string[]>;
  /** Stops the engine (it is stopped when the test ends anyway). */
  stop(): Promise<void>;
}

export async function startS3Engine(t: Test, bucket: string): Promise<TestS3Engine> {
  const pki = await createTestPki();
  const [port] = (await freePorts(1)) as [number];
  const engine = spawn(
    process.execPath,
    [
      join(projectRoot, 'node_modules', 's3rver', 'bin', 's3rver.js'),
      ...['-d', temporaryDir('s3rver'), '-a', '127.0.0.1', '-p', String(port), '--silent'],
      ...['--key', pki.tls.key, '--cert', pki.tls.cert, '--configure-bucket', bucket],
    ],
    { stdio: 'ignore' },
  );
  const exited = new Promise<void>((resolve) => engine.once('exit', () => resolve()));
  const stop = async () => {
    engine.kill();
    await exited;
  };
  t.teardown(stop);
  const agent = new Agent({ ca: readFileSync(pki.caBundle), keepAlive: true });
  t.teardown(() => agent.destroy());
  const endpoint = `https://127.0.0.1:${port}`;
  const client = new S3Client({
    endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
    requestHandler: new NodeHttpHandler({ httpsAgent: agent }),
    requestChecksumCalculation: 'WHEN_REQUIRED',
  });
  // s3rver serves once its bucket answers (a few hundred milliseconds after it starts).
  for (let deadline = Date.now() + 20_000; ;) {
    const ready = await client.send(new HeadBucketCommand({ Bucket: bucket })).then(
      () => true,
      (error: Error) => (Date.now() > deadline ? Promise.reject(error) : false),
    );
    if (ready) break;
    // A retry interval, not a wait for something to happen: each try is answered at once, refused or not.
    await new Promise<void>((resolve) => setTimeout(resolve, 25));
  }
  return {
    endpoint,
    bucket,
    caFile: pki.caBundle,
    accessKeyId: 'S3RVER',
    secretAccessKey: 'S3RVER',
    client,
    async keys(prefix = '') {
      const page = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix }));
      return (page.Contents ?? []).map((object) => object.Key!).sort();
    },
    async stop() {
      agent.destroy();
      await stop();
    },
  };
}
