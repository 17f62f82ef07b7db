// Walrus's throughput, in one run, against the goals:
//  - PUT and GET of one large object (1 GiB) and of many small ones (10,000 of 4 KiB), for Walrus beside a plain
//    `cp` of the same bytes on the same disk (the floor) and beside two peers on the same machine: `s3rver` (npm) and
//    `moto_server` (Python). Every server runs in its own process, over HTTPS with the same certificate (Walrus serves
//    HTTPS only, so the peers do too), and is driven by the same client in this process, one keep-alive agent, the
//    same concurrency. The client is a lean SigV4 one by default (node:https, the payload's SHA-256 for small bodies,
//    UNSIGNED-PAYLOAD for the streamed large one): @aws-sdk/client-s3 costs 2-4 ms of CPU per request, so on two
//    cores it, not the server, would set the small-object rates (`--client sdk` measures with it; checksums only where
//    required, as s3rver does not understand the SDK's default trailing checksums). A `null server` row (an HTTPS
//    server that drains and answers from memory, bench/s3-null-server.ts) shows what the client and transport alone
//    can reach, and every row shows the client's and the server's CPU per operation. A `walrus SSE-S3` row does the
//    same into a bucket with default encryption: what sealing every object (AES-256-CTR) costs.
//  - Bounded memory: one PutObject of several GiB streamed through Walrus while its peak RSS (VmHWM) is sampled.
// Goals: large objects at least 70% of the cp rate; small objects at least 3x the faster peer's rate.
// Run: npm run bench:s3 [-- --large-mib 1024 --small 10000 --small-kib 4 --concurrency 32 --stream-gib 5
//                           --peers s3rver,moto --client lean|sdk --profile-dir DIR]
//   (smaller numbers for a quick run; --stream-gib 0 skips the RSS part; --profile-dir writes Walrus's V8 CPU profile
//    there when it stops, for `node bench/cpu-profile-top.ts FILE`)
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash, createHmac, randomBytes } from 'node:crypto';
import { closeSync, createReadStream, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import type { IncomingMessage } from 'node:http';
import { Agent, request as httpsRequest } from 'node:https';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { parseArgs } from 'node:util';
import {
  CreateBucketCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  ListBucketsCommand,
  PutBucketEncryptionCommand,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import type { Test } from 'tap';
import { projectRoot, runCommand, temporaryDir } from '../test/helpers/cli.js';
import { startWalrus } from '../test/helpers/walrus.js';

const { values: flags } = parseArgs({
  options: {
    'large-mib': { type: 'string', default: '1024' },
    small: { type: 'string', default: '10000' },
    'small-kib': { type: 'string', default: '4' },
    concurrency: { type: 'string', default: '32' },
    'stream-gib': { type: 'string', default: '5' },
    peers: { type: 'string', default: 's3rver,moto' },
    client: { type: 'string', default: 'lean' },
    'profile-dir': { type: 'string' },
  },
});
const largeBytes = Number(flags['large-mib']) * 1024 * 1024;
const smallCount = Number(flags.small);
const smallBytes = Number(flags['small-kib']) * 1024;
const concurrency = Number(flags.concurrency);
const streamBytes = Number(flags['stream-gib']) * 1024 ** 3;
const peerNames = flags.peers.split(',').filter((name) => name !== '');
if (flags.client !== 'lean' && flags.client !== 'sdk') throw new Error('--client is lean or sdk');
const clientKind = flags.client;
const MiB = 1024 * 1024;

interface Server {
  name: string;
  endpoint: string;
  region: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
  pid?: number;
}

/** Throughput of one measurement: bytes/s for large objects, objects/s for small ones. */
interface Row {
  largePut: number;
  largeGet: number;
  smallPut: number;
  smallGet: number;
  /** The server process's own CPU time: seconds per MiB (large) and per object (small). */
  cpu?: { largePut: number; largeGet: number; smallPut: number; smallGet: number };
  /** The same for the bench's own process: the client's share of the work. */
  clientCpu?: { largePut: number; largeGet: number; smallPut: number; smallGet: number };
  note?: string;
}

/** startWalrus wants a tap Test only for its teardown: collect those and run them at the end. */
const pending: (() => unknown)[] = [];
const fakeTest = { teardown: (fn: () => unknown) => pending.push(fn) } as unknown as Test;

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}

function seconds(since: number): number {
  return (performance.now() - since) / 1000;
}

async function timedWall(work: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await work();
  return seconds(started);
}

/** Runs `count` jobs, `width` at a time. */
async function pool(count: number, width: number, job: (index: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(width, count) }, async () => {
      while (next < count) await job(next++);
    }),
  );
}

async function sh(command: string): Promise<void> {
  const result = await runCommand('sh', ['-c', command], { timeoutMs: 900_000 });
  if (result.code !== 0) throw new Error(`${command}: ${result.stderr}`);
}

// The floor: the same bytes copied on the same disk. A PUT is acknowledged only once its bytes are fsynced, so the
// floor's writes are synced too (`sync FILE` is an fsync); plain `cp` is shown beside it.
async function measureCp(work: string, largeFile: string, smallDir: string): Promise<Row> {
  const timed = timedWall;
  const plain = await timed(() => sh(`cp ${largeFile} ${work}/cp-plain.bin`));
  rmSync(`${work}/cp-plain.bin`);
  const largePut = await timed(() => sh(`cp ${largeFile} ${work}/cp.bin && sync ${work}/cp.bin`));
  const largeGet = await timed(() => sh(`cp ${work}/cp.bin /dev/null`));
  rmSync(`${work}/cp.bin`);
  const smallPut = await timed(() => sh(`cp -r ${smallDir} ${work}/cp-small && sync -f ${work}/cp-small`));
  const smallGet = await timed(() => sh(`find ${work}/cp-small -type f -exec cat {} + > /dev/null`));
  rmSync(`${work}/cp-small`, { recursive: true });
  return {
    largePut: largeBytes / largePut,
    largeGet: largeBytes / largeGet,
    smallPut: smallCount / smallPut,
    smallGet: smallCount / smallGet,
    note: `plain cp without fsync: ${(largeBytes / plain / MiB).toFixed(0)} MiB/s; small: cp -r then one sync -f`,
  };
}

/** What the bench asks of a client, whichever it is; the same one drives every server. */
interface S3Driver {
  createBucket(bucket: string): Promise<void>;
  listBuckets(): Promise<void>;
  /** A streamed PUT of a file. */
  putFile(bucket: string, key: string, file: string, size: number): Promise<void>;
  put(bucket: string, key: string, body: Buffer): Promise<void>;
  /** A PUT of `size` bytes from an iterable (never whole in memory). */
  putStream(bucket: string, key: string, body: AsyncIterable<Buffer>, size: number): Promise<void>;
  /** GETs an object and counts its bytes. */
  get(bucket: string, key: string): Promise<number>;
  delete(bucket: string, key: string): Promise<void>;
  destroy(): void;
}

/** Sets `bucket`'s default encryption to SSE-S3 (AES256), with the SDK. */
async function encryptByDefault(server: Server, ca: Buffer, bucket: string): Promise<void> {
  const agent = new Agent({ ca });
  const s3 = new S3Client({
    endpoint: server.endpoint,
    region: server.region,
    credentials: server.credentials,
    forcePathStyle: true,
    requestHandler: new NodeHttpHandler({ httpsAgent: agent }),
  });
  try {
    await s3.send(
      new PutBucketEncryptionCommand({
        Bucket: bucket,
        ServerSideEncryptionConfiguration: {
          Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
        },
      }),
    );
  } finally {
    s3.destroy();
    agent.destroy();
  }
}

function sdkDriver(server: Server, ca: Buffer): S3Driver {
  const agent = new Agent({ ca, keepAlive: true, maxSockets: concurrency });
  const s3 = new S3Client({
    endpoint: server.endpoint,
    region: server.region,
    credentials: server.credentials,
    forcePathStyle: true,
    requestHandler: new NodeHttpHandler({ httpsAgent: agent, requestTimeout: 600_000 }),
    maxAttempts: 1,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
  return {
    createBucket: async (Bucket) => void (await s3.send(new CreateBucketCommand({ Bucket }))),
    listBuckets: async () => void (await s3.send(new ListBucketsCommand({}))),
    putFile: async (Bucket, Key, file, size) =>
      void (await s3.send(
        new PutObjectCommand({
          Bucket,
          Key,
          Body: createReadStream(file, { highWaterMark: MiB }),
          ContentLength: size,
        }),
      )),
    put: async (Bucket, Key, Body) => void (await s3.send(new PutObjectCommand({ Bucket, Key, Body }))),
    putStream: async (Bucket, Key, body, size) =>
      void (await s3.send(new PutObjectCommand({ Bucket, Key, Body: Readable.from(body), ContentLength: size }))),
    get: async (Bucket, Key) => {
      const got = await s3.send(new GetObjectCommand({ Bucket, Key }));
      let size = 0;
      for await (const chunk of got.Body as AsyncIterable<Uint8Array>) size += chunk.length;
      return size;
    },
    delete: async (Bucket, Key) => void (await s3.send(new DeleteObjectCommand({ Bucket, Key }))),
    destroy: () => {
      s3.destroy();
      agent.destroy();
    },
  };
}

const sha256Hex = (data: string | Buffer) => createHash('sha256').update(data).digest('hex');
const emptySha256 = sha256Hex('');

/**
 * A minimal S3 client: path-style requests signed with SigV4 in the Authorization header (host, x-amz-date and
 * x-amz-content-sha256 signed), over one keep-alive HTTPS agent. Small bodies are signed with their SHA-256 (as the
 * SDK does for a body in memory), streamed ones as UNSIGNED-PAYLOAD (as the SDK does over HTTPS). Keys here are
 * plain ASCII with no characters to escape.
 */
function leanDriver(server: Server, ca: Buffer): S3Driver {
  const endpoint = new URL(server.endpoint);
  const agent = new Agent({ ca, keepAlive: true, maxSockets: concurrency });
  let signingDay = '';
  let signingKey = Buffer.alloc(0);
  const keyFor = (day: string) => {
    if (day !== signingDay) {
      let key = createHmac('sha256', `AWS4${server.credentials.secretAccessKey}`).update(day).digest();
      for (const part of [server.region, 's3', 'aws4_request']) key = createHmac('sha256', key).update(part).digest();
      signingDay = day;
      signingKey = key;
    }
    return signingKey;
  };
  const send = (method: string, path: string, body?: Buffer | AsyncIterable<Buffer>, size = 0) =>
    new Promise<IncomingMessage>((resolve, reject) => {
      const amzDate = new Date().toISOString().replace(/[-:]|\.\d{3}/g, '');
      const scope = `${amzDate.slice(0, 8)}/${server.region}/s3/aws4_request`;
      const payloadHash = Buffer.isBuffer(body) ? sha256Hex(body) : body ? 'UNSIGNED-PAYLOAD' : emptySha256;
      const signedHeaders = 'host;x-amz-content-sha256;x-amz-date';
      const canonicalRequest = [
        method,
        path,
        '',
        `host:${endpoint.host}\nx-amz-content-sha256:${payloadHash}\nx-amz-date:${amzDate}\n`,
        signedHeaders,
        payloadHash,
      ].join('\n');
      const stringToSign = ['AWS4-HMAC-SHA256', amzDate, scope, sha256Hex(canonicalRequest)].join('\n');
      const signature = createHmac('sha256', keyFor(amzDate.slice(0, 8)))
        .update(stringToSign)
        .digest('hex');
      const request = httpsRequest({
        host: endpoint.hostname,
        port: endpoint.port,
        method,
        path,
        agent,
        headers: {
          host: endpoint.host,
          'x-amz-date': amzDate,
          'x-amz-content-sha256': payloadHash,
          authorization: `AWS4-HMAC-SHA256 Credential=${server.credentials.accessKeyId}/${scope}, SignedHeaders=${signedHeaders}, Signature=${signature}`,
          'content-length': Buffer.isBuffer(body) ? body.length : size,
        },
      });
      request.on('error', reject);
      request.on('response', (response) => {
        if (response.statusCode! < 300) return resolve(response);
        const parts: Buffer[] = [];
        response.on('data', (chunk: Buffer) => parts.push(chunk));
        response.on('end', () =>
          reject(new Error(`${method} ${path}: HTTP ${response.statusCode} ${Buffer.concat(parts).toString()}`)),
        );
      });
      if (body === undefined || Buffer.isBuffer(body)) request.end(body);
      else Readable.from(body).pipe(request);
    });
  const drain = (response: IncomingMessage) =>
    new Promise<number>((resolve, reject) => {
      let size = 0;
      response.on('data', (chunk: Buffer) => (size += chunk.length));
      response.on('end', () => resolve(size));
      response.on('error', reject);
    });
  const objectPath = (bucket: string, key: string) => `/${bucket}/${key}`;
  return {
    createBucket: async (bucket) => void (await drain(await send('PUT', `/${bucket}`))),
    listBuckets: async () => void (await drain(await send('GET', '/'))),
    putFile: async (bucket, key, file, size) =>
      void (await drain(
        await send('PUT', objectPath(bucket, key), createReadStream(file, { highWaterMark: MiB }), size),
      )),
    put: async (bucket, key, body) => void (await drain(await send('PUT', objectPath(bucket, key), body))),
    putStream: async (bucket, key, body, size) =>
      void (await drain(await send('PUT', objectPath(bucket, key), body, size))),
    get: async (bucket, key) => drain(await send('GET', objectPath(bucket, key))),
    delete: async (bucket, key) => void (await drain(await send('DELETE', objectPath(bucket, key)))),
    destroy: () => agent.destroy(),
  };
}

const driverFor = (server: Server, ca: Buffer): S3Driver =>
  clientKind === 'sdk' ? sdkDriver(server, ca) : leanDriver(server, ca);

async function waitUntilServing(client: S3Driver, name: string): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      await client.listBuckets();
      return;
    } catch (error) {
      if (Date.now() > deadline) throw new Error(`${name} did not answer within 60 s: ${(error as Error).message}`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
}

/** CPU seconds (user + system) a process has used so far; NaN when it cannot be read. */
function cpuSeconds(pid: number | undefined): number {
  if (pid === undefined) return NaN;
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return NaN;
  }
}

function ownCpuSeconds(): number {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1e6;
}

type Costs = NonNullable<Row['cpu']>;

/**
 * One server's row. `encrypted`: into a bucket with default encryption (SSE-S3), set with the SDK before timing, so
 * that the same requests measure what sealing every object costs.
 */
async function measureServer(
  server: Server,
  ca: Buffer,
  largeFile: string,
  smallBodies: Buffer,
  options: { encrypted?: boolean } = {},
): Promise<Row> {
  const client = driverFor(server, ca);
  const cpu: number[] = [];
  const clientCpu: number[] = [];
  const timed = async (work: () => Promise<unknown>) => {
    const before = cpuSeconds(server.pid);
    const ownBefore = ownCpuSeconds();
    const elapsed = await timedWall(work);
    cpu.push(cpuSeconds(server.pid) - before);
    clientCpu.push(ownCpuSeconds() - ownBefore);
    return elapsed;
  };
  const perUnit = (values: number[]): Costs => ({
    largePut: values[0]! / (largeBytes / MiB),
    largeGet: values[1]! / (largeBytes / MiB),
    smallPut: values[2]! / smallCount,
    smallGet: values[3]! / smallCount,
  });
  try {
    await waitUntilServing(client, server.name);
    const bucket = options.encrypted ? 'bench-sse' : 'bench';
    await client.createBucket(bucket);
    if (options.encrypted) await encryptByDefault(server, ca, bucket);
    const largePut = await timed(() => client.putFile(bucket, 'large.bin', largeFile, largeBytes));
    let largeGot = 0;
    const largeGet = await timed(async () => {
      largeGot = await client.get(bucket, 'large.bin');
    });
    if (largeGot !== largeBytes) throw new Error(`${server.name} returned ${largeGot} bytes of ${largeBytes}`);
    await client.delete(bucket, 'large.bin');
    const bodyOf = (index: number) => smallBodies.subarray(index % 1024, (index % 1024) + smallBytes);
    const smallPut = await timed(() =>
      pool(smallCount, concurrency, async (index) => {
        await client.put(bucket, `small/${index}`, bodyOf(index));
      }),
    );
    const smallGet = await timed(() =>
      pool(smallCount, concurrency, async (index) => {
        if ((await client.get(bucket, `small/${index}`)) !== smallBytes) {
          throw new Error(`${server.name}: small/${index} is short`);
        }
      }),
    );
    return {
      largePut: largeBytes / largePut,
      largeGet: largeBytes / largeGet,
      smallPut: smallCount / smallPut,
      smallGet: smallCount / smallGet,
      cpu: perUnit(cpu),
      clientCpu: perUnit(clientCpu),
    };
  } finally {
    client.destroy();
  }
}

function startChild(command: string, args: string[], logFile: string): ChildProcess {
  const log = openSync(logFile, 'a');
  const child = spawn(command, args, { stdio: ['ignore', log, log] });
  closeSync(log);
  pending.push(() => child.kill('SIGKILL'));
  return child;
}

async function startS3rver(work: string, tls: { cert: string; key: string }): Promise<Server> {
  const port = await freePort();
  const dir = join(work, 's3rver-data');
  mkdirSync(dir, { recursive: true });
  const child = startChild(
    process.execPath,
    [
      join(projectRoot, 'node_modules', 's3rver', 'bin', 's3rver.js'),
      '-d',
      dir,
      '-a',
      '127.0.0.1',
      '-p',
      String(port),
      '--silent',
      '--cert',
      tls.cert,
      '--key',
      tls.key,
    ],
    join(work, 's3rver.log'),
  );
  return {
    name: 's3rver',
    endpoint: `https://127.0.0.1:${port}`,
    region: 'us-east-1',
    credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
    pid: child.pid,
  };
}

async function startMoto(work: string, tls: { cert: string; key: string }): Promise<Server> {
  const port = await freePort();
  const child = startChild(
    'moto_server',
    ['-H', '127.0.0.1', '-p', String(port), '-c', tls.cert, '-k', tls.key],
    join(work, 'moto.log'),
  );
  return {
    name: 'moto_server',
    endpoint: `https://127.0.0.1:${port}`,
    region: 'us-east-1',
    credentials: { accessKeyId: 'AKIAMOTOMOTOMOTO0000', secretAccessKey: 'moto'.repeat(10) },
    pid: child.pid,
  };
}

function statusKiB(pid: number, field: 'VmHWM' | 'VmRSS'): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8')
    .split('\n')
    .find((entry) => entry.startsWith(`${field}:`));
  return Number(/(\d+)/.exec(line ?? '')?.[1] ?? NaN);
}

/** One PutObject of `streamBytes` generated on the fly (never on disk here), while Walrus's RSS is sampled. */
async function measureMemory(server: Server, ca: Buffer): Promise<{ before: number; peak: number; rate: number }> {
  const pid = server.pid!;
  const before = statusKiB(pid, 'VmHWM');
  const client = driverFor(server, ca);
  const block = randomBytes(MiB);
  const body = (async function* () {
    for (let sent = 0; sent < streamBytes; sent += MiB) yield block.subarray(0, Math.min(MiB, streamBytes - sent));
  })();
  try {
    const elapsed = await timedWall(() => client.putStream('bench', 'stream.bin', body, streamBytes));
    const peak = statusKiB(pid, 'VmHWM');
    await client.delete('bench', 'stream.bin');
    return { before, peak, rate: streamBytes / elapsed };
  } finally {
    client.destroy();
  }
}

/** The null server (bench/s3-null-server.ts): what the client and HTTPS alone reach on this machine. */
async function startNullServer(work: string, tls: { cert: string; key: string }): Promise<Server> {
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      join(projectRoot, 'bench', 's3-null-server.ts'),
      tls.cert,
      tls.key,
      String(largeBytes),
      String(smallBytes),
    ],
    { cwd: projectRoot, stdio: ['ignore', 'pipe', 'inherit'] },
  );
  pending.push(() => child.kill('SIGKILL'));
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout!.once('data', (data: Buffer) => resolve(Number(data.toString().trim())));
    child.once('exit', (code) => reject(new Error(`the null server exited (${code})`)));
  });
  return {
    name: 'null server',
    endpoint: `https://127.0.0.1:${port}`,
    region: 'us-east-1',
    credentials: { accessKeyId: 'NULL', secretAccessKey: 'NULL' },
    pid: child.pid,
  };
}

function fmt(value: number | undefined, unit: 'MiB/s' | 'obj/s'): string {
  if (value === undefined || !Number.isFinite(value)) return '-';
  return unit === 'MiB/s' ? `${(value / MiB).toFixed(0)} MiB/s` : `${value.toFixed(0)} obj/s`;
}

const work = temporaryDir('bench-s3');
try {
  console.log(
    `bench/s3: large ${largeBytes / MiB} MiB, small ${smallCount} x ${smallBytes / 1024} KiB, concurrency ${concurrency}, work dir ${work}`,
  );
  // The bytes: one large file (1 MiB random blocks, each rotated so no two are alike) and the small objects' source.
  const largeFile = join(work, 'large.bin');
  const block = randomBytes(MiB);
  const handle = await open(largeFile, 'w');
  for (let written = 0; written < largeBytes; written += MiB) {
    const shift = (written / MiB) % MiB;
    await handle.write(
      Buffer.concat([block.subarray(shift), block.subarray(0, shift)]).subarray(0, largeBytes - written),
    );
  }
  await handle.close();
  const smallBodies = randomBytes(smallBytes + 1024);
  const smallDir = join(work, 'small');
  mkdirSync(smallDir);
  for (let index = 0; index < smallCount; index++) {
    writeFileSync(join(smallDir, String(index)), smallBodies.subarray(index % 1024, (index % 1024) + smallBytes));
  }

  const rows = new Map<string, Row>();
  rows.set('cp (floor)', await measureCp(work, largeFile, smallDir));
  rmSync(smallDir, { recursive: true });

  // --profile-dir: Walrus (and the clc started with it) run under V8's sampling profiler, written when they stop.
  const environment = { NODE_OPTIONS: process.env.NODE_OPTIONS, CPU_PROFILE_DIR: process.env.CPU_PROFILE_DIR };
  if (flags['profile-dir']) {
    const preload = join(projectRoot, 'bench', 'cpu-profile-preload.mjs');
    process.env.NODE_OPTIONS = `${environment.NODE_OPTIONS ?? ''} --import ${preload}`.trim();
    process.env.CPU_PROFILE_DIR = flags['profile-dir'];
  }
  const walrusCloud = await startWalrus(fakeTest);
  for (const [name, value] of Object.entries(environment)) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
  const ca = readFileSync(walrusCloud.caBundle);
  const tls = { cert: walrusCloud.pki.tls.cert, key: walrusCloud.pki.tls.key };
  const walrus: Server = {
    name: 'walrus',
    endpoint: walrusCloud.url,
    region: walrusCloud.region,
    credentials: walrusCloud.admin,
    pid: walrusCloud.walrus.pid,
  };
  const nullServer = await startNullServer(work, tls);
  rows.set('null server', await measureServer(nullServer, ca, largeFile, smallBodies));
  process.kill(nullServer.pid!, 'SIGKILL');
  console.log('null server done');
  rows.set('walrus', await measureServer(walrus, ca, largeFile, smallBodies));
  console.log('walrus done');
  rows.set('walrus SSE-S3', await measureServer(walrus, ca, largeFile, smallBodies, { encrypted: true }));
  console.log('walrus SSE-S3 done');
  for (const peer of peerNames) {
    const server = peer === 's3rver' ? await startS3rver(work, tls) : await startMoto(work, tls);
    try {
      rows.set(server.name, await measureServer(server, ca, largeFile, smallBodies));
    } catch (error) {
      console.log(`${server.name} failed: ${(error as Error).message}`);
    }
    if (server.pid) process.kill(server.pid, 'SIGKILL');
    console.log(`${server.name} done`);
  }

  console.log('');
  const header = ['', 'large PUT', 'large GET', 'small PUT', 'small GET'];
  const table = [...rows].map(([name, row]) => [
    name,
    fmt(row.largePut, 'MiB/s'),
    fmt(row.largeGet, 'MiB/s'),
    fmt(row.smallPut, 'obj/s'),
    fmt(row.smallGet, 'obj/s'),
  ]);
  const widths = header.map((_, column) => Math.max(...[header, ...table].map((line) => line[column]!.length)));
  for (const line of [header, ...table]) {
    console.log(line.map((cell, column) => cell.padEnd(widths[column]!)).join('  '));
  }
  for (const [name, row] of rows) if (row.note) console.log(`  ${name}: ${row.note}`);
  console.log(`  null server: the ${clientKind} client and HTTPS alone (the server drains and answers from memory)`);
  // On a shared machine the rates above depend on the load; the server's own CPU per unit of work does not.
  console.log('');
  console.log('CPU time (user+sys) of the server process, and of the client (this process) in brackets:');
  console.log('  ms per MiB for large objects, ms per object for small ones');
  for (const [name, row] of rows) {
    if (!row.cpu || !row.clientCpu) continue;
    const ms = (value: number, client: number) =>
      `${(value * 1000).toFixed(2).padStart(6)} (${(client * 1000).toFixed(2).padStart(5)})`;
    const { cpu, clientCpu } = row;
    console.log(
      `  ${name.padEnd(Math.max(...[...rows.keys()].map((key) => key.length)))} PUT ${ms(cpu.largePut, clientCpu.largePut)}  GET ${ms(cpu.largeGet, clientCpu.largeGet)}` +
        `   small PUT ${ms(cpu.smallPut, clientCpu.smallPut)}  GET ${ms(cpu.smallGet, clientCpu.smallGet)}`,
    );
  }

  const floor = rows.get('cp (floor)')!;
  const ours = rows.get('walrus')!;
  const peers = [...rows]
    .filter(([name]) => !['walrus', 'walrus SSE-S3', 'cp (floor)', 'null server'].includes(name))
    .map(([, row]) => row);
  const fastest = (pick: (row: Row) => number) => Math.max(...peers.map(pick));
  // The null server's ratio is the most any server could show with this client and transport on this machine.
  const ceiling = rows.get('null server')!;
  const goals: [string, number, number, number][] = [
    ['large PUT >= 70% of cp', ours.largePut / floor.largePut, 0.7, ceiling.largePut / floor.largePut],
    ['large GET >= 70% of cp', ours.largeGet / floor.largeGet, 0.7, ceiling.largeGet / floor.largeGet],
    [
      'small PUT >= 3x the faster peer',
      ours.smallPut / fastest((row) => row.smallPut),
      3,
      ceiling.smallPut / fastest((row) => row.smallPut),
    ],
    [
      'small GET >= 3x the faster peer',
      ours.smallGet / fastest((row) => row.smallGet),
      3,
      ceiling.smallGet / fastest((row) => row.smallGet),
    ],
  ];
  console.log('');
  for (const [goal, ratio, wanted, most] of goals) {
    const shown = (value: number) => (wanted < 1 ? `${(value * 100).toFixed(0)}%` : `${value.toFixed(1)}x`);
    console.log(
      `${goal.padEnd(34)} ${shown(ratio).padStart(7)}  ${(ratio >= wanted ? 'met' : 'MISSED').padEnd(6)}` +
        `  (null server: ${shown(most)}${most < wanted ? ', out of reach with this client and transport here' : ''})`,
    );
  }

  if (streamBytes > 0) {
    const memory = await measureMemory(walrus, ca);
    console.log('');
    console.log(
      `bounded memory: one ${(streamBytes / 1024 ** 3).toFixed(1)} GiB PutObject at ${fmt(memory.rate, 'MiB/s')}; ` +
        `walrus peak RSS (VmHWM) ${(memory.before / 1024).toFixed(0)} MiB before, ${(memory.peak / 1024).toFixed(0)} MiB after ` +
        // Bounded: the upload adds little to the peak, whatever its size. (The peak before it already
        // holds the metadata database's page cache and mapped pages from the runs above: 64 + 256 MiB at most.)
        `(goal: the upload adds < 64 MiB: ${memory.peak - memory.before < 64 * 1024 ? 'met' : 'MISSED'})`,
    );
  }
} finally {
  for (const fn of pending.reverse()) await fn();
  rmSync(work, { recursive: true, force: true });
}
