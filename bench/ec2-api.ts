// The EC2 API's speed, in one run, against the issue's goals:
//  - DescribeRegions and DescribeInstances (10,000 instances in the database, first page of MaxResults=1000) on the
//    clc, beside the same server's /healthz (the HTTP framework's own ceiling) and beside moto_server holding the same
//    10,000 instances (created there with RunInstances); requests/s at concurrency 8, p50/p99 at concurrency 1 and 8;
//  - RunInstances of 100 instances until all are `running`, on a local cloud with libvirt's simulated hypervisor.
// The clc's instances are written with its own model (createReservation) into its SQLite file before it starts: honest
// for a read benchmark, and quicker than the API. The load comes from a second Node process with requests signed once
// (SigV4 allows replaying a signed request for 15 minutes); moto checks no signatures, the clc checks every one.
// Run: npm run build && npm run bench:ec2-api [-- --profile]   (--profile: a CPU profile of the clc under DescribeInstances)
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { Agent as HttpAgent, request as httpRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { SignatureV4 } from '@smithy/signature-v4';
import type { Test } from 'tap';
import { openDatabase, defaultSqliteFile } from '../src/db/open-database.js';
import { bootstrapAdmin } from '../services/clc/models/accounts.js';
import { createReservation } from '../services/clc/models/instances.js';
import { daemonScript } from '../src/supervisor/daemon-process.js';
import { startClc, type Credentials, type TestClc } from '../test/helpers/clc.js';
import { runCli, temporaryDir } from '../test/helpers/cli.js';
import { NodeSha256 } from '../test/unit/aws/auth/helpers.js';

const instanceCount = 10_000;
const pageSize = 1000;
const runBatch = 100;

interface Target {
  url: string;
  method: 'GET' | 'POST';
  path: string;
  headers: Record<string, string>;
  body?: string;
  ca?: string;
}

interface LoadResult {
  requests: number;
  seconds: number;
  perSecond: number;
  p50: number;
  p99: number;
  failures: number;
}

// The load generator, in its own process: `ec2-api.ts load JSON`.
if (process.argv[2] === 'load') {
  const { target, concurrency, seconds, minRequests } = JSON.parse(process.argv[3]!) as {
    target: Target;
    concurrency: number;
    seconds: number;
    minRequests: number;
  };
  console.log(JSON.stringify(await load(target, concurrency, seconds, minRequests)));
  process.exit(0);
}

async function load(target: Target, concurrency: number, seconds: number, minRequests: number): Promise<LoadResult> {
  const url = new URL(target.url);
  const secure = url.protocol === 'https:';
  const agent = secure
    ? new HttpsAgent({ keepAlive: true, ca: target.ca ? readFileSync(target.ca) : undefined })
    : new HttpAgent({ keepAlive: true });
  const once = () =>
    new Promise<number>((resolve, reject) => {
      const started = process.hrtime.bigint();
      const options = { agent, hostname: url.hostname, port: url.port, method: target.method, path: target.path };
      const request = (secure ? httpsRequest : httpRequest)({ ...options, headers: target.headers }, (response) => {
        response.resume();
        response.on('end', () => {
          const ms = Number(process.hrtime.bigint() - started) / 1e6;
          resolve(response.statusCode === 200 ? ms : -ms);
        });
      });
      request.on('error', reject);
      request.end(target.body);
    });
  for (let i = 0; i < Math.min(3, concurrency); i++) await once(); // warm the connections and the server
  const latencies: number[] = [];
  let failures = 0;
  const started = performance.now();
  const deadline = started + seconds * 1000;
  const worker = async () => {
    while (performance.now() < deadline || latencies.length + failures < minRequests) {
      const ms = await once();
      if (ms < 0) failures++;
      else latencies.push(ms);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const elapsed = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? NaN;
  agent.destroy();
  return {
    requests: latencies.length,
    seconds: elapsed,
    perSecond: latencies.length / elapsed,
    p50: at(0.5),
    p99: at(0.99),
    failures,
  };
}

/** Runs the load generator in a second process, so it takes no time from the server's. */
function measure(target: Target, concurrency: number, seconds = 4, minRequests = 8): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [
        ...process.execArgv,
        import.meta.filename,
        'load',
        JSON.stringify({ target, concurrency, seconds, minRequests }),
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('exit', (code) =>
      code === 0 ? resolve(JSON.parse(output) as LoadResult) : reject(new Error(`load generator exited ${code}`)),
    );
  });
}

/** A Query request signed once with SigV4 in the Authorization header, to be replayed. */
async function signedQuery(
  baseUrl: string,
  params: Record<string, string>,
  credentials: Credentials,
  region: string,
  method: 'GET' | 'POST' = 'GET',
  ca?: string,
): Promise<Target> {
  const url = new URL(baseUrl);
  const form = new URLSearchParams({ Version: '2016-11-15', ...params }).toString();
  const signer = new SignatureV4({ service: 'ec2', region, credentials, sha256: NodeSha256, uriEscapePath: true });
  const headers: Record<string, string> = { host: url.host };
  if (method === 'POST') headers['content-type'] = 'application/x-www-form-urlencoded; charset=utf-8';
  const signed = await signer.sign({
    method,
    protocol: url.protocol,
    hostname: url.hostname,
    port: Number(url.port),
    path: '/',
    query: method === 'GET' ? Object.fromEntries(new URLSearchParams(form)) : {},
    headers,
    body: method === 'POST' ? form : undefined,
  });
  const query = method === 'GET' ? `?${form.replace(/\+/g, '%20')}` : '';
  return { url: baseUrl, method, path: `/${query}`, headers: signed.headers, body: signed.body as string, ca };
}

/** One request now, for its body. */
function fetchOnce(target: Target): Promise<{ status: number; body: string }> {
  const url = new URL(target.url);
  const secure = url.protocol === 'https:';
  return new Promise((resolve, reject) => {
    const options = {
      hostname: url.hostname,
      port: url.port,
      method: target.method,
      path: target.path,
      headers: target.headers,
      ...(secure && target.ca ? { ca: readFileSync(target.ca) } : {}),
    };
    const request = (secure ? httpsRequest : httpRequest)(options, (response) => {
      let body = '';
      response.on('data', (chunk: Buffer) => (body += chunk.toString()));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
    });
    request.on('error', reject);
    request.end(target.body);
  });
}

const countOf = (body: string, element: string) => body.split(`<${element}>`).length - 1;

/** startClc wants a tap Test only for its teardown: collect those and run them at the end. */
function teardowns() {
  const pending: (() => unknown)[] = [];
  return {
    t: { teardown: (fn: () => unknown) => pending.push(fn) } as unknown as Test,
    run: async () => {
      for (const fn of pending.reverse()) await fn();
    },
  };
}

async function seedClc(clc: TestClc): Promise<void> {
  const db = await openDatabase({ sqliteFile: defaultSqliteFile(clc.dataDir) });
  try {
    await bootstrapAdmin(db, clc.admin);
    for (let batch = 0; batch < instanceCount / runBatch; batch++) {
      await createReservation(
        db,
        '000000000000',
        {
          zone: clc.zones[0]!,
          imageId: 'ami-0123456789abcdef0',
          instanceType: 'm1.small',
          architecture: 'x86_64',
          virtualizationType: 'hvm',
          keyName: 'bench',
          groupIds: [],
          tagSpecifications: [{ ResourceType: 'instance', Tags: [{ Key: 'batch', Value: String(batch) }] }],
        },
        { min: runBatch, max: runBatch },
        async () => Number.MAX_SAFE_INTEGER,
      );
    }
    // Running, as after their launch; with no cluster controller the scheduler leaves them be.
    await db.updateTable('instances').set({ state: 'running', dispatched: 1, state_reason_code: null }).execute();
  } finally {
    await db.destroy();
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

async function startMoto(): Promise<{ url: string; process: ChildProcess }> {
  const port = await freePort();
  const child = spawn('moto_server', ['-H', '127.0.0.1', '-p', String(port)], { stdio: 'ignore' });
  const url = `http://127.0.0.1:${port}`;
  for (let attempt = 0; ; attempt++) {
    try {
      await fetchOnce({ url, method: 'GET', path: '/moto-api/', headers: {} });
      return { url, process: child };
    } catch (error) {
      if (attempt > 100) throw error;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

async function seedMoto(url: string, credentials: Credentials): Promise<void> {
  const images = await fetchOnce(await signedQuery(url, { Action: 'DescribeImages' }, credentials, 'us-east-1'));
  const imageId = /<imageId>(ami-[0-9a-f]+)<\/imageId>/.exec(images.body)?.[1];
  if (!imageId) throw new Error('moto has no image to launch');
  for (let batch = 0; batch < instanceCount / runBatch; batch++) {
    const run = await signedQuery(
      url,
      {
        Action: 'RunInstances',
        ImageId: imageId,
        MinCount: String(runBatch),
        MaxCount: String(runBatch),
        InstanceType: 'm1.small',
        'TagSpecification.1.ResourceType': 'instance',
        'TagSpecification.1.Tag.1.Key': 'batch',
        'TagSpecification.1.Tag.1.Value': String(batch),
      },
      credentials,
      'us-east-1',
      'POST',
    );
    const answer = await fetchOnce(run);
    if (answer.status !== 200) throw new Error(`moto RunInstances: ${answer.status} ${answer.body.slice(0, 300)}`);
  }
}

/** RunInstances of up to 100 on a local cloud with the simulated hypervisor, timed until all are running. */
async function timeRunInstances(): Promise<{ launched: number; room: number; seconds: number; note?: string }> {
  const dir = temporaryDir('bench-run');
  const up = await runCli('cloudctl', ['local', 'up', '--dir', dir, '--hypervisor', 'test', '--json']);
  if (up.code !== 0) throw new Error(`cloudctl local up: ${up.stderr}`);
  try {
    const cloud = JSON.parse(readFileSync(join(dir, 'cloud.json'), 'utf8')) as {
      endpoints: { ec2: string; s3: string };
      region: string;
      credentials: Credentials;
      caBundle: string;
    };
    const cloudS3 = new S3Client({
      endpoint: cloud.endpoints.s3,
      region: cloud.region,
      credentials: cloud.credentials,
      forcePathStyle: true,
      requestHandler: new NodeHttpHandler({ httpsAgent: new HttpsAgent({ ca: readFileSync(cloud.caBundle) }) }),
    });
    await cloudS3.send(new CreateBucketCommand({ Bucket: 'bench' }));
    await cloudS3.send(new PutObjectCommand({ Bucket: 'bench', Key: 'disk.img', Body: Buffer.alloc(1 << 20, 1) }));
    cloudS3.destroy();
    const call = async (params: Record<string, string>) => {
      const answer = await fetchOnce(
        await signedQuery(cloud.endpoints.ec2, params, cloud.credentials, cloud.region, 'POST', cloud.caBundle),
      );
      if (answer.status !== 200) throw new Error(`${params.Action}: ${answer.status} ${answer.body.slice(0, 300)}`);
      return answer.body;
    };
    const registered = await call({ Action: 'RegisterImage', Name: 'bench', ImageLocation: 'bench/disk.img' });
    const imageId = /<imageId>([^<]+)</.exec(registered)?.[1] ?? '';
    const zones = await call({ Action: 'DescribeAvailabilityZones', 'ZoneName.1': 'verbose' });
    // Eucalyptus's verbose listing: the zone entry named `|- m1.small` has `<zoneState>0015 / 0015 ...</zoneState>`.
    const entry = zones.split('<item>').find((item) => item.includes('<zoneName>|- m1.small</zoneName>')) ?? '';
    const room = Number(/<zoneState>(\d+)/.exec(entry)?.[1] ?? 0);
    const count = Math.min(runBatch, room);
    const started = performance.now();
    const run = await call({
      Action: 'RunInstances',
      ImageId: imageId,
      MinCount: String(count),
      MaxCount: String(count),
      InstanceType: 'm1.small',
    });
    const ids = [...run.matchAll(/<instanceId>([^<]+)</g)].map((match) => match[1]!);
    for (;;) {
      const described = await call({
        Action: 'DescribeInstances',
        'Filter.1.Name': 'instance-state-name',
        'Filter.1.Value.1': 'running',
      });
      if (countOf(described, 'instanceId') >= ids.length) break;
      if (performance.now() - started > 300_000) throw new Error('instances not running after 5 minutes');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const seconds = (performance.now() - started) / 1000;
    await call({
      Action: 'TerminateInstances',
      ...Object.fromEntries(ids.map((id, i) => [`InstanceId.${i + 1}`, id])),
    });
    return {
      launched: ids.length,
      room,
      seconds,
      ...(count < runBatch && {
        note: `not 100: the node has room for ${room} m1.small (5 GiB of disk promised each; the nc has no disk overcommit)`,
      }),
    };
  } finally {
    await runCli('cloudctl', ['local', 'down', '--dir', dir]);
  }
}

/** The functions with the most self time in a V8 CPU profile. */
function topFunctions(file: string, count = 15): string[] {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as {
    nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number } }[];
    samples: number[];
  };
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const self = new Map<string, number>();
  for (const id of profile.samples) {
    const frame = byId.get(id)?.callFrame;
    if (!frame) continue;
    const where = `${frame.functionName || '(anonymous)'} ${frame.url.replace(/^.*\/(node_modules|dist)\//, '$1/')}:${frame.lineNumber + 1}`;
    self.set(where, (self.get(where) ?? 0) + 1);
  }
  const total = profile.samples.length;
  return [...self]
    .sort((a, b) => b[1] - a[1])
    .slice(0, count)
    .map(([where, samples]) => `${((100 * samples) / total).toFixed(1).padStart(5)}%  ${where}`);
}

/** The same clc, started by hand under `node --cpu-prof` (not allowed in NODE_OPTIONS), loaded with DescribeInstances. */
async function profileDescribeInstances(clc: TestClc): Promise<string[]> {
  const profileDir = join(tmpdir(), `mallee-bench-profile-${process.pid}`);
  const child = spawn(
    process.execPath,
    ['--cpu-prof', `--cpu-prof-dir=${profileDir}`, daemonScript('clc'), '--config', join(clc.dir, 'clc.json')],
    { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] },
  );
  try {
    const { url } = await new Promise<{ url: string }>((resolve) => child.once('message', resolve));
    const target = await signedQuery(
      url,
      { Action: 'DescribeInstances', MaxResults: String(pageSize) },
      clc.admin,
      clc.region,
      'GET',
      clc.caBundle,
    );
    await measure(target, 4, 6, 20);
  } finally {
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await exited;
  }
  const file = readdirSync(profileDir).find((name) => name.endsWith('.cpuprofile'));
  const top = file ? topFunctions(join(profileDir, file)) : [];
  rmSync(profileDir, { recursive: true, force: true });
  return top;
}

const profiling = process.argv.includes('--profile');
const cleanup = teardowns();
try {
  // 1. RunInstances until running, on the simulated hypervisor (first: it needs the machine to itself the least).
  const launch = await timeRunInstances().catch((error: Error) => ({
    launched: 0,
    room: 0,
    seconds: NaN,
    note: `failed: ${error.message}`,
  }));

  // 2. The clc with 10,000 instances in its database.
  const clc = await startClc(cleanup.t);
  await clc.stop();
  const seeding = performance.now();
  await seedClc(clc);
  const seededIn = (performance.now() - seeding) / 1000;
  await clc.restart();

  const ca = clc.caBundle;
  const ours = {
    healthz: { url: clc.url, method: 'GET', path: '/healthz', headers: {}, ca } satisfies Target,
    regions: await signedQuery(clc.url, { Action: 'DescribeRegions' }, clc.admin, clc.region, 'GET', ca),
    instances: await signedQuery(
      clc.url,
      { Action: 'DescribeInstances', MaxResults: String(pageSize) },
      clc.admin,
      clc.region,
      'GET',
      ca,
    ),
  };
  const page = await fetchOnce(ours.instances);
  const ourPage = { status: page.status, items: countOf(page.body, 'instanceId'), next: /<nextToken>/.test(page.body) };
  if (ourPage.items !== pageSize)
    throw new Error(`the clc's first page has ${ourPage.items} instances, not ${pageSize}`);

  // 3. moto_server with the same 10,000 instances.
  const moto = await startMoto();
  cleanup.t.teardown(() => moto.process.kill());
  const dummy = { accessKeyId: 'AKIAMOTOMOTOMOTO0000', secretAccessKey: 'moto'.repeat(10) };
  const motoSeeding = performance.now();
  await seedMoto(moto.url, dummy);
  const motoSeededIn = (performance.now() - motoSeeding) / 1000;
  const theirs = {
    regions: await signedQuery(moto.url, { Action: 'DescribeRegions' }, dummy, 'us-east-1'),
    // moto counts MaxResults in reservations, not instances: 10 reservations of 100 are the same page of 1,000.
    instances: await signedQuery(
      moto.url,
      { Action: 'DescribeInstances', MaxResults: String(pageSize / runBatch) },
      dummy,
      'us-east-1',
    ),
  };
  const motoPageAnswer = await fetchOnce(theirs.instances);
  const motoPage = {
    status: motoPageAnswer.status,
    items: countOf(motoPageAnswer.body, 'instanceId'),
    next: /<nextToken>/.test(motoPageAnswer.body),
  };

  // 4. Measure, one target at a time: latency alone (concurrency 1) and under load (concurrency 8).
  const results: Record<string, { single: LoadResult; loaded: LoadResult }> = {};
  // moto takes seconds for a page of 1,000: fewer requests there, or a run would take many minutes.
  const both = async (name: string, target: Target, minRequests = { single: 8, loaded: 16 }) => {
    results[name] = {
      single: await measure(target, 1, 4, minRequests.single),
      loaded: await measure(target, 8, 4, minRequests.loaded),
    };
  };
  await both('clc /healthz', ours.healthz);
  await both('clc DescribeRegions', ours.regions);
  await both('clc DescribeInstances', ours.instances);
  await both('moto DescribeRegions', theirs.regions);
  await both('moto DescribeInstances', theirs.instances, { single: 3, loaded: 8 });
  moto.process.kill();

  let profile: string[] = [];
  if (profiling) {
    await clc.stop();
    profile = await profileDescribeInstances(clc);
  }

  // 5. The table and the goals.
  const ms = (value: number) => (value >= 100 ? value.toFixed(0) : value.toFixed(1)).padStart(7);
  const rate = (value: number) => value.toFixed(0).padStart(8);
  console.log(
    `clc: ${instanceCount} instances written with createReservation in ${seededIn.toFixed(1)} s; ` +
      `moto: ${instanceCount} by RunInstances (${instanceCount / runBatch} x ${runBatch}) in ${motoSeededIn.toFixed(1)} s`,
  );
  console.log(
    `first DescribeInstances page (MaxResults=${pageSize}): clc ${ourPage.items} instances, nextToken ${ourPage.next}; ` +
      `moto ${motoPage.items} instances, nextToken ${motoPage.next}`,
  );
  console.log('');
  console.log('call                        req/s (c=8)   p50 c=1   p99 c=1   p50 c=8   p99 c=8   (ms)   requests');
  for (const [name, { single, loaded }] of Object.entries(results)) {
    console.log(
      `${name.padEnd(26)} ${rate(loaded.perSecond)}    ${ms(single.p50)}   ${ms(single.p99)}   ${ms(loaded.p50)}   ${ms(loaded.p99)}` +
        `          ${single.requests + loaded.requests}${single.failures + loaded.failures ? ` (${single.failures + loaded.failures} failed)` : ''}`,
    );
  }
  const get = (name: string) => results[name]!;
  const regionsShare = get('clc DescribeRegions').loaded.perSecond / get('clc /healthz').loaded.perSecond;
  const instancesP50 = get('clc DescribeInstances').single.p50;
  const regionsVsMoto = get('clc DescribeRegions').loaded.perSecond / get('moto DescribeRegions').loaded.perSecond;
  const instancesVsMoto =
    get('clc DescribeInstances').loaded.perSecond / get('moto DescribeInstances').loaded.perSecond;
  const verdict = (met: boolean) => (met ? 'met' : 'MISSED');
  console.log('');
  console.log('goal                                                measured        verdict');
  console.log(
    `DescribeRegions >= 50% of /healthz rate            ${(100 * regionsShare).toFixed(0).padStart(5)}%          ${verdict(regionsShare >= 0.5)}`,
  );
  console.log(
    `DescribeInstances (10,000, page 1,000) p50 < 50 ms ${ms(instancesP50)} ms      ${verdict(instancesP50 < 50)}`,
  );
  console.log(
    `DescribeRegions >= 3x moto's rate                  ${regionsVsMoto.toFixed(1).padStart(6)}x         ${verdict(regionsVsMoto >= 3)}`,
  );
  console.log(
    `DescribeInstances >= 3x moto's rate                ${instancesVsMoto.toFixed(1).padStart(6)}x         ${verdict(instancesVsMoto >= 3)}`,
  );
  console.log('');
  console.log(
    `RunInstances of ${launch.launched} (m1.small) until all running, simulated hypervisor: ${launch.seconds.toFixed(2)} s` +
      (launch.note ? `  [${launch.note}]` : ''),
  );
  if (profile.length > 0) {
    console.log('');
    console.log('clc CPU profile under DescribeInstances (self time):');
    for (const line of profile) console.log(`  ${line}`);
  }
} finally {
  await cleanup.run();
}
