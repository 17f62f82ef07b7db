import { createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { mkdirSync, readFileSync, readdirSync, renameSync, statfsSync } from 'node:fs';
import { type ConnectionOptions, connect } from 'node:tls';
import {
  DeleteObjectCommand,
  CreateBucketCommand,
  GetObjectCommand,
  HeadObjectCommand,
  PutObjectCommand,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import t from 'tap';
import { runCommand } from '../helpers/cli.js';
import { startWalrus } from '../helpers/walrus.js';

// A full disk, for real: Walrus's whole data dir (metadata and bytes) on a 20 MiB tmpfs. An upload that does not fit
// gets a clean S3 error (507 InsufficientCapacity, XML), leaves no partial object and no staged bytes, the objects
// stored before read back intact, and once space is freed uploads work again without a restart.
if (process.getuid?.() !== 0) {
  t.plan(0, 'mounting a tmpfs needs root');
} else {
  const cloud = await startWalrus(t);
  const dataDir = cloud.walrus.dataDir;
  await cloud.walrus.stop();
  renameSync(dataDir, `${dataDir}.before`);
  mkdirSync(dataDir);
  const mounted = await runCommand('mount', ['-t', 'tmpfs', '-o', 'size=20m,mode=0755', 'tmpfs', dataDir]);
  if (mounted.code !== 0) throw new Error(`mount failed: ${mounted.stderr}`);
  // Lazy: the daemon's own teardown (registered earlier, so run later) may still hold files open.
  t.teardown(() => runCommand('umount', ['-l', dataDir]));
  const copied = await runCommand('cp', ['-a', `${dataDir}.before/.`, dataDir]);
  if (copied.code !== 0) throw new Error(`copy failed: ${copied.stderr}`);
  await cloud.walrus.restart();

  const s3 = cloud.s3();
  const bucket = 'tight';
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  const sha256 = (data: Uint8Array) => createHash('sha256').update(data).digest('hex');
  const stagingDir = `${dataDir}/objects/staging`;
  const freeBytes = () => {
    const stats = statfsSync(dataDir);
    return stats.bavail * stats.bsize;
  };

  t.test('uploads until the disk is full: the one that does not fit gets 507 InsufficientCapacity', async (t) => {
    const stored = new Map<string, string>();
    let refused: S3ServiceException | undefined;
    let refusedKey = '';
    for (let index = 0; index < 10 && !refused; index++) {
      const key = `object-${index}`;
      const body = randomBytes(4 * 1024 * 1024);
      try {
        await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
        stored.set(key, sha256(body));
      } catch (error) {
        if (!(error instanceof S3ServiceException)) throw error;
        refused = error;
        refusedKey = key;
      }
    }
    t.ok(stored.size >= 2, `${stored.size} objects of 4 MiB fit before the disk filled`);
    t.ok(refused, 'an upload was refused');
    t.equal(refused?.name, 'InsufficientCapacity', 'the S3 error code');
    t.equal(refused?.$metadata.httpStatusCode, 507);
    t.match(refused?.message, /disk is full/, 'the message says why');

    const head = await s3
      .send(new HeadObjectCommand({ Bucket: bucket, Key: refusedKey }))
      .catch((error: S3ServiceException) => error);
    t.equal((head as S3ServiceException).$metadata?.httpStatusCode, 404, 'the refused object does not exist');
    t.same(readdirSync(stagingDir), [], 'no staged bytes are left behind');
    t.ok(freeBytes() > 0, 'the partial upload gave its space back');

    for (const [key, digest] of stored) {
      const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      t.equal(sha256(await got.Body!.transformToByteArray()), digest, `${key} reads back intact`);
    }

    // Freeing space is enough: the next upload of the same size works, without a restart.
    await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: [...stored.keys()][0]! }));
    const deadline = Date.now() + 10_000;
    while (freeBytes() < 5 * 1024 * 1024 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    const body = randomBytes(4 * 1024 * 1024);
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: refusedKey, Body: body }));
    const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: refusedKey }));
    t.equal(sha256(await got.Body!.transformToByteArray()), sha256(body), 'after freeing space the upload is stored');
  });

  t.test('small uploads on a full disk are each stored or refused with 507, never half-stored', async (t) => {
    // Fill what is left with one upload, then try many small ones: each is stored or refused with S3's XML error.
    const filler = await s3
      .send(new PutObjectCommand({ Bucket: bucket, Key: 'filler', Body: randomBytes(8 * 1024 * 1024) }))
      .then(() => 'stored')
      .catch((error: S3ServiceException) => error.name);
    t.ok(['stored', 'InsufficientCapacity'].includes(filler), `the filler: ${filler}`);
    const outcomes = new Set<string>();
    for (let index = 0; index < 20; index++) {
      const outcome = await s3
        .send(new PutObjectCommand({ Bucket: bucket, Key: `small-${index}`, Body: randomBytes(256 * 1024) }))
        .then(() => 'stored')
        .catch((error: S3ServiceException) => `${error.name} ${error.$metadata?.httpStatusCode}`);
      outcomes.add(outcome);
    }
    t.ok(
      [...outcomes].every((outcome) => outcome === 'stored' || outcome === 'InsufficientCapacity 507'),
      `every answer is a success or 507 InsufficientCapacity: ${[...outcomes].join(', ')}`,
    );
    t.ok(outcomes.has('InsufficientCapacity 507'), 'the disk did fill up');
    t.same(readdirSync(stagingDir), [], 'no staged bytes are left behind');
  });

  t.test('an upload far larger than the disk: its 507 comes before an orderly close, never a reset', async (t) => {
    // Refused a few MiB in, with most of the body still to come. A raw client keeps sending, as the SDKs do: closing
    // the socket with unread bytes on it would make the kernel reset the connection, and a client that was writing
    // when the reset came would report ECONNRESET or EPIPE, never having read the 507.
    const size = 64 * 1024 * 1024;
    const url = new URL(
      await getSignedUrl(s3, new PutObjectCommand({ Bucket: bucket, Key: 'huge' }), { expiresIn: 300 }),
    );
    // allowHalfOpen: keep sending after the server's end, which tls.connect passes on though its type omits it.
    const options: ConnectionOptions & { allowHalfOpen: boolean } = {
      host: url.hostname,
      port: Number(url.port),
      ca: readFileSync(cloud.caBundle),
      allowHalfOpen: true,
    };
    const socket = connect(options);
    await once(socket, 'secureConnect');
    const received: Buffer[] = [];
    const errors: string[] = [];
    socket.on('data', (chunk: Buffer) => received.push(chunk));
    socket.on('error', (error: NodeJS.ErrnoException) => errors.push(error.code ?? error.message));
    const closed = new Promise((resolve) => socket.once('close', resolve));
    socket.write(`PUT ${url.pathname}${url.search} HTTP/1.1\r\nHost: ${url.host}\r\nContent-Length: ${size}\r\n\r\n`);
    const chunk = randomBytes(1024 * 1024);
    let written = 0;
    while (written < size && errors.length === 0 && !socket.destroyed) {
      if (!socket.write(chunk)) await Promise.race([new Promise((resolve) => socket.once('drain', resolve)), closed]);
      written += chunk.length;
    }
    if (!socket.destroyed) socket.end();
    await closed;
    const answer = Buffer.concat(received).toString('latin1');
    t.match(answer, /^HTTP\/1\.1 507 /, 'the answer is 507');
    t.match(answer, /<Code>InsufficientCapacity<\/Code>/, 'with the S3 error document');
    t.match(answer, /\r\nconnection: close\r\n/i, 'and says the connection closes');
    t.same(errors, [], 'the connection was never reset');
    t.equal(written, size, 'the client could send its whole body');
    t.same(readdirSync(stagingDir), [], 'no staged bytes are left behind');
  });
}
