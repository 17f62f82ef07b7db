// Walrus's throughput, in one run, against the goals:
//  - PUT and GET of one large object (1 GiB) and of many small ones (10,000 of 4 KiB), for Walrus beside a plain
//    `cp` of the same bytes on the same disk (the floor) and beside two peers on the same machine: `s3rver` (npm) and
//    `moto_server` (Python). Every server runs in its own process, over HTTPS with the same certificate, and is driven
//    by the same client: @aws-sdk/client-s3 in this process, one keep-alive agent, the same concurrency, checksums
//    only where required (s3rver does not understand the SDK's default trailing checksums).
//  - Bounded memory: one PutObject of several GiB streamed through Walrus while its peak RSS (VmHWM) is sampled.
// Goals: large objects at least 70% of the cp rate; small objects at least 3x the faster peer's rate.
// Run: npm run bench:s3 [-- --large-mib 1024 --small 10000 --small-kib 4 --concurrency 32 --stream-gib 5
//                           --peers s3rver,moto]   (smaller numbers for a quick run; --stream-gib 0 skips the RSS part)
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, createReadStream, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { Agent } from 'node:https';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { parseArgs } from 'node:util';
import {
  CreateBucketCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  ListBucketsCommand,
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
  },
});
const largeBytes = Number(flags['large-mib']) * 1024 * 1024;
const smallCount = Number(flags.small);
const smallBytes = Number(flags['small-kib']) * 1024;
const concurrency = Number(flags.concurrency);
const streamBytes = Number(flags['stream-gib']) * 1024 ** 3;
const peerNames = flags.peers.split(',').filter((name) => name !== '');
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

function clientFor(server: Server, ca: Buffer): { s3: S3Client; agent: Agent } {
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
  return { s3, agent };
}

async function drain(body: unknown): Promise<number> {
  let size = 0;
  for await (const chunk of body as AsyncIterable<Uint8Array>) size += chunk.length;
  return size;
}

async function waitUntilServing(s3: S3Client, name: string): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      await s3.send(new ListBucketsCommand({}));
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

async function measureServer(server: Server, ca: Buffer, largeFile: string, smallBodies: Buffer): Promise<Row> {
  const { s3, agent } = clientFor(server, ca);
  const cpu: number[] = [];
  const timed = async (work: () => Promise<unknown>) => {
    const before = cpuSeconds(server.pid);
    const elapsed = await timedWall(work);
    cpu.push(cpuSeconds(server.pid) - before);
    return elapsed;
  };
  try {
    await waitUntilServing(s3, server.name);
    const bucket = 'bench';
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    const largePut = await timed(() =>
      s3.send(
        new PutObjectCommand({
          Bucket: bucket,
          Key: 'large.bin',
          Body: createReadStream(largeFile, { highWaterMark: MiB }),
          ContentLength: largeBytes,
        }),
      ),
    );
    let largeGot = 0;
    const largeGet = await timed(async () => {
      const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'large.bin' }));
      largeGot = await drain(got.Body);
    });
    if (largeGot !== largeBytes) throw new Error(`${server.name} returned ${largeGot} bytes of ${largeBytes}`);
    await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: 'large.bin' }));
    const bodyOf = (index: number) => smallBodies.subarray(index % 1024, (index % 1024) + smallBytes);
    const smallPut = await timed(() =>
      pool(smallCount, concurrency, async (index) => {
        await s3.send(new PutObjectCommand({ Bucket: bucket, Key: `small/${index}`, Body: bodyOf(index) }));
      }),
    );
    const smallGet = await timed(() =>
      pool(smallCount, concurrency, async (index) => {
        const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: `small/${index}` }));
        if ((await drain(got.Body)) !== smallBytes) throw new Error(`${server.name}: small/${index} is short`);
      }),
    );
    return {
      largePut: largeBytes / largePut,
      largeGet: largeBytes / largeGet,
      smallPut: smallCount / smallPut,
      smallGet: smallCount / smallGet,
      cpu: {
        largePut: cpu[0]! / (largeBytes / MiB),
        largeGet: cpu[1]! / (largeBytes / MiB),
        smallPut: cpu[2]! / smallCount,
        smallGet: cpu[3]! / smallCount,
      },
    };
  } finally {
    s3.destroy();
    agent.destroy();
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
  const { s3, agent } = clientFor(server, ca);
  const block = randomBytes(MiB);
  const body = Readable.from(
    (function* () {
      for (let sent = 0; sent < streamBytes; sent += MiB) yield block.subarray(0, Math.min(MiB, streamBytes - sent));
    })(),
  );
  try {
    const elapsed = await timedWall(() =>
      s3.send(new PutObjectCommand({ Bucket: 'bench', Key: 'stream.bin', Body: body, ContentLength: streamBytes })),
    );
    const peak = statusKiB(pid, 'VmHWM');
    await s3.send(new DeleteObjectCommand({ Bucket: 'bench', Key: 'stream.bin' }));
    return { before, peak, rate: streamBytes / elapsed };
  } finally {
    s3.destroy();
    agent.destroy();
  }
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

  const walrusCloud = await startWalrus(fakeTest);
  const ca = readFileSync(walrusCloud.caBundle);
  const tls = { cert: walrusCloud.pki.tls.cert, key: walrusCloud.pki.tls.key };
  const walrus: Server = {
    name: 'walrus',
    endpoint: walrusCloud.url,
    region: walrusCloud.region,
    credentials: walrusCloud.admin,
    pid: walrusCloud.walrus.pid,
  };
  rows.set('walrus', await measureServer(walrus, ca, largeFile, smallBodies));
  console.log('walrus done');
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
  // On a shared machine the rates above depend on the load; the server's own CPU per unit of work does not.
  console.log('');
  console.log('server CPU time (user+sys of its process): ms per MiB for large objects, ms per object for small ones');
  for (const [name, row] of rows) {
    if (!row.cpu) continue;
    const ms = (value: number) => (value * 1000).toFixed(2).padStart(8);
    console.log(
      `  ${name.padEnd(12)} PUT ${ms(row.cpu.largePut)} GET ${ms(row.cpu.largeGet)}   small PUT ${ms(row.cpu.smallPut)} GET ${ms(row.cpu.smallGet)}`,
    );
  }

  const floor = rows.get('cp (floor)')!;
  const ours = rows.get('walrus')!;
  const peers = [...rows].filter(([name]) => name !== 'walrus' && name !== 'cp (floor)').map(([, row]) => row);
  const fastest = (pick: (row: Row) => number) => Math.max(...peers.map(pick));
  const goals: [string, number, number][] = [
    ['large PUT >= 70% of cp', ours.largePut / floor.largePut, 0.7],
    ['large GET >= 70% of cp', ours.largeGet / floor.largeGet, 0.7],
    ['small PUT >= 3x the faster peer', ours.smallPut / fastest((row) => row.smallPut), 3],
    ['small GET >= 3x the faster peer', ours.smallGet / fastest((row) => row.smallGet), 3],
  ];
  console.log('');
  for (const [goal, ratio, wanted] of goals) {
    const shown = wanted < 1 ? `${(ratio * 100).toFixed(0)}%` : `${ratio.toFixed(1)}x`;
    console.log(`${goal.padEnd(34)} ${shown.padStart(7)}  ${ratio >= wanted ? 'met' : 'MISSED'}`);
  }

  if (streamBytes > 0) {
    const memory = await measureMemory(walrus, ca);
    console.log('');
    console.log(
      `bounded memory: one ${(streamBytes / 1024 ** 3).toFixed(1)} GiB PutObject at ${fmt(memory.rate, 'MiB/s')}; ` +
        `walrus peak RSS (VmHWM) ${(memory.before / 1024).toFixed(0)} MiB before, ${(memory.peak / 1024).toFixed(0)} MiB after ` +
        `(goal < 200 MiB: ${memory.peak < 200 * 1024 ? 'met' : 'MISSED'})`,
    );
  }
} finally {
  for (const fn of pending.reverse()) await fn();
  rmSync(work, { recursive: true, force: true });
}
