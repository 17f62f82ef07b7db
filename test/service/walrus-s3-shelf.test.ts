import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { get } from 'node:https';
import { join } from 'node:path';
import {
  CompleteMultipartUploadCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3ServiceException,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import t from 'tap';
import type { S3ObjectStoreConfig } from '../../src/config/types.js';
import { startS3Engine } from '../helpers/s3rver.js';
import { startWalrus } from '../helpers/walrus.js';

// Walrus with its objects' bytes on an S3-compatible engine (cloud.yaml `objectStore: { engine: s3 }`): here s3rver,
// over HTTPS with a certificate of its own CA (the `caFile` path). Small objects stay inline in Walrus's database;
// larger ones become keys PREFIX+BLOBID in the engine's bucket, read back with ranges, removed when deleted, and swept
// at start when no metadata refers to them. The engine going away makes /healthz say so.
const engine = await startS3Engine(t, 'backing');
const store: S3ObjectStoreConfig = {
  engine: 's3',
  endpoint: engine.endpoint,
  bucket: 'backing',
  prefix: 'walrus/',
  region: 'us-east-1',
  accessKeyId: engine.accessKeyId,
  secretAccessKey: engine.secretAccessKey,
  caFile: engine.caFile,
};
const backing = engine.client;
const backingKeys = (prefix = '') => engine.keys(prefix);
const blobKey = /^walrus\/[0-9a-f]{32}$/;

const cloud = await startWalrus(t, { objectStore: store, minPartSize: 1024 * 1024 });
const s3 = cloud.s3();
await s3.send(new CreateBucketCommand({ Bucket: 'photos' }));
const sha256 = (data: Uint8Array) => createHash('sha256').update(data).digest('hex');
const large = randomBytes(3 * 1024 * 1024 + 17);

t.test('a large object lands in the engine under the prefix, and only there', async (t) => {
  await s3.send(new PutObjectCommand({ Bucket: 'photos', Key: 'large.bin', Body: large }));
  const keys = await backingKeys('walrus/');
  t.equal(keys.length, 1, 'one blob in the engine');
  t.match(keys[0], blobKey, 'named by its blob id under the prefix');
  const stored = await backing.send(new GetObjectCommand({ Bucket: 'backing', Key: keys[0] }));
  t.equal(sha256(await stored.Body!.transformToByteArray()), sha256(large), 'the engine holds its bytes');
  const objects = join(cloud.walrus.dataDir, 'objects');
  t.same(readdirSync(join(objects, 'staging')), [], 'nothing left staged on the walrus host');
  t.notOk(existsSync(join(objects, 'blobs')), 'and no local blob folders at all');
});

t.test('reads come back whole and by range', async (t) => {
  const whole = await s3.send(new GetObjectCommand({ Bucket: 'photos', Key: 'large.bin' }));
  t.equal(sha256(await whole.Body!.transformToByteArray()), sha256(large));
  const part = await s3.send(new GetObjectCommand({ Bucket: 'photos', Key: 'large.bin', Range: 'bytes=1000-1999' }));
  t.equal(part.ContentRange, `bytes 1000-1999/${large.length}`);
  t.same(Buffer.from(await part.Body!.transformToByteArray()), large.subarray(1000, 2000));
});

t.test('small objects stay inline in walrus; multipart parts are blobs of their own', async (t) => {
  await s3.send(new PutObjectCommand({ Bucket: 'photos', Key: 'small.txt', Body: 'hello' }));
  t.equal((await backingKeys('walrus/')).length, 1, 'a small object adds nothing to the engine');
  const upload = await s3.send(new CreateMultipartUploadCommand({ Bucket: 'photos', Key: 'parts.bin' }));
  const parts = [randomBytes(1024 * 1024 + 5), randomBytes(300_000)];
  const etags: string[] = [];
  for (const [index, body] of parts.entries()) {
    const answer = await s3.send(
      new UploadPartCommand({
        Bucket: 'photos',
        Key: 'parts.bin',
        UploadId: upload.UploadId,
        PartNumber: index + 1,
        Body: body,
      }),
    );
    etags.push(answer.ETag!);
  }
  await s3.send(
    new CompleteMultipartUploadCommand({
      Bucket: 'photos',
      Key: 'parts.bin',
      UploadId: upload.UploadId,
      MultipartUpload: { Parts: etags.map((ETag, index) => ({ ETag, PartNumber: index + 1 })) },
    }),
  );
  t.equal((await backingKeys('walrus/')).length, 3, 'each part is one more blob in the engine');
  const got = await s3.send(new GetObjectCommand({ Bucket: 'photos', Key: 'parts.bin' }));
  t.equal(sha256(await got.Body!.transformToByteArray()), sha256(Buffer.concat(parts)), 'read across both parts');
  const small = await s3.send(new GetObjectCommand({ Bucket: 'photos', Key: 'small.txt' }));
  t.equal(await small.Body!.transformToString(), 'hello');
});

t.test("a deleted object's bytes leave the engine", async (t) => {
  const before = await backingKeys('walrus/');
  await s3.send(new DeleteObjectCommand({ Bucket: 'photos', Key: 'parts.bin' }));
  // The blobs go once the delete's commit is on disk, just after the answer: wait for that, at most a few seconds.
  const deadline = Date.now() + 10_000;
  let after = await backingKeys('walrus/');
  while (after.length !== before.length - 2 && Date.now() < deadline) {
    await new Promise<void>((resolve) => setImmediate(resolve));
    after = await backingKeys('walrus/');
  }
  t.equal(after.length, before.length - 2, "both parts' blobs are gone");
  t.ok(
    after.every((key) => before.includes(key)),
    'and nothing else changed',
  );
});

t.test('a restart after a crash sweeps blobs no object refers to, and leaves other keys alone', async (t) => {
  const orphan = `walrus/${'ab'.repeat(16)}`;
  await backing.send(new PutObjectCommand({ Bucket: 'backing', Key: orphan, Body: 'left by a crash' }));
  await backing.send(new PutObjectCommand({ Bucket: 'backing', Key: 'walrus/notes/readme', Body: 'not a blob' }));
  await backing.send(new PutObjectCommand({ Bucket: 'backing', Key: 'elsewhere/file', Body: 'outside the prefix' }));
  const referenced = (await backingKeys('walrus/')).filter((key) => blobKey.test(key) && key !== orphan);
  // A crash: a clean stop leaves no orphans, so the start after one lists nothing (walrus-clean-stop).
  cloud.walrus.kill();
  await cloud.walrus.restart();
  const keys = await backingKeys();
  t.notOk(keys.includes(orphan), 'the orphan blob is gone');
  for (const key of referenced) t.ok(keys.includes(key), `${key}, still referenced, stays`);
  t.ok(keys.includes('walrus/notes/readme'), 'a key under a deeper prefix stays');
  t.ok(keys.includes('elsewhere/file'), 'a key outside the prefix stays');
  const got = await cloud.s3().send(new GetObjectCommand({ Bucket: 'photos', Key: 'large.bin' }));
  t.equal(sha256(await got.Body!.transformToByteArray()), sha256(large), 'and objects read as before');
});

function health(): Promise<{ status: number; body: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    get(`${cloud.url}/healthz`, { ca: readFileSync(cloud.caBundle) }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () =>
        resolve({ status: response.statusCode!, body: JSON.parse(Buffer.concat(chunks).toString()) }),
      );
    }).on('error', reject);
  });
}

t.test('/healthz names the engine, and says so when it cannot be reached', async (t) => {
  const up = await health();
  t.equal(up.status, 200);
  t.equal(up.body.store, `s3 ${store.endpoint}/backing/walrus/`);
  await engine.stop();
  const down = await health();
  t.equal(down.status, 503);
  t.match(String(down.body.error), /objects' bytes cannot be reached: the object store bucket backing at https:/);

  // An upload the engine cannot take is refused whole with S3's 503 (SDKs retry it), and leaves nothing behind.
  const s3 = cloud.s3(); // walrus restarted above, on a new port
  const refused = await s3
    .send(new PutObjectCommand({ Bucket: 'photos', Key: 'while-down.bin', Body: randomBytes(200_000) }))
    .catch((error: S3ServiceException) => error);
  t.ok(refused instanceof S3ServiceException, 'the upload fails');
  t.equal((refused as S3ServiceException).name, 'ServiceUnavailable');
  t.equal((refused as S3ServiceException).$metadata.httpStatusCode, 503);
  const listed = await s3.send(new ListObjectsV2Command({ Bucket: 'photos' }));
  t.notOk(
    listed.Contents?.some((object) => object.Key === 'while-down.bin'),
    'no such object is listed',
  );
  t.same(readdirSync(join(cloud.walrus.dataDir, 'objects', 'staging')), [], 'and nothing stays staged');
  const small = await s3.send(new GetObjectCommand({ Bucket: 'photos', Key: 'small.txt' }));
  t.equal(await small.Body!.transformToString(), 'hello', 'inline objects are still served');
});
