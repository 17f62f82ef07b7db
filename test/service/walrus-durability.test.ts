import { createHash, randomBytes } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import {
  CreateBucketCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import SqliteDatabase from 'better-sqlite3';
import t from 'tap';
import { startWalrus } from '../helpers/walrus.js';

// kill -9 of walrus in the middle of 20 parallel upload loops: after a restart every upload the API acknowledged
// reads back byte-identical, the only other objects are uploads that were in flight (and those are whole), and no
// staged or unreferenced bytes are left on disk.
const cloud = await startWalrus(t);
const bucket = 'durable';
await cloud.s3().send(new CreateBucketCommand({ Bucket: bucket }));

const sent = new Map<string, Buffer>();
const acknowledged = new Map<string, string>();
const sha256 = (data: Uint8Array) => createHash('sha256').update(data).digest('hex');

let killed = false;
let resolveKilled: () => void;
const killedNow = new Promise<void>((resolve) => (resolveKilled = resolve));

async function writer(index: number): Promise<void> {
  const s3 = cloud.s3();
  for (let round = 0; !killed; round++) {
    const key = `writer-${index}/object-${round}`;
    // Sizes from a few bytes to 3 MiB, so some uploads are mid-body when the kill comes.
    const body = randomBytes(round % 4 === 0 ? 3 * 1024 * 1024 : 1 + Math.floor(Math.random() * 200_000));
    sent.set(key, body);
    try {
      await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
      if (!killed) acknowledged.set(key, sha256(body));
      if (acknowledged.size >= 150 && !killed) {
        killed = true;
        cloud.walrus.kill();
        resolveKilled();
      }
    } catch {
      if (!killed) throw new Error(`upload ${key} failed before the kill`);
      return;
    }
  }
}

t.test('every acknowledged upload survives kill -9, nothing partial is visible', async (t) => {
  const writers = Promise.all(Array.from({ length: 20 }, (_, index) => writer(index)));
  await killedNow;
  await writers;
  t.ok(acknowledged.size >= 150, `${acknowledged.size} uploads acknowledged before the kill`);
  await cloud.walrus.restart();

  const s3 = cloud.s3();
  const listed: string[] = [];
  let token: string | undefined;
  do {
    const page = await s3.send(new ListObjectsV2Command({ Bucket: bucket, ContinuationToken: token }));
    listed.push(...(page.Contents ?? []).map((object) => object.Key as string));
    token = page.NextContinuationToken;
  } while (token);

  for (const key of acknowledged.keys()) t.ok(listed.includes(key), `acknowledged ${key} is listed`);
  let extra = 0;
  for (const key of listed) {
    const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    const bytes = await got.Body!.transformToByteArray();
    const expected = acknowledged.get(key) ?? (sent.has(key) ? sha256(sent.get(key)!) : undefined);
    if (!acknowledged.has(key)) extra++;
    t.equal(sha256(bytes), expected, `${key} reads back byte-identical`);
  }
  t.ok(extra <= 20, `only uploads in flight at the kill appear unacknowledged (${extra})`);

  const objectsDir = join(cloud.walrus.dataDir, 'objects');
  t.same(readdirSync(join(objectsDir, 'staging')), [], 'no staged leftovers after the restart');
  let files = 0;
  for (const a of readdirSync(join(objectsDir, 'blobs'))) {
    for (const b of readdirSync(join(objectsDir, 'blobs', a)))
      files += readdirSync(join(objectsDir, 'blobs', a, b)).length;
  }
  // Small objects' bytes are rows in the metadata database (inline blobs), larger ones files: both kinds were written.
  const db = new SqliteDatabase(join(cloud.walrus.dataDir, 'walrus.sqlite'), { readonly: true });
  const inline = (db.prepare('SELECT COUNT(*) AS count FROM inline_blobs').get() as { count: number }).count;
  db.close();
  t.ok(files > 0 && inline > 0, `objects of both kinds: ${files} in files, ${inline} inline`);
  t.equal(files + inline, listed.length, 'one blob per object: nothing orphaned stays on disk or in the database');
});

t.test('a wrong Content-MD5 is refused and stores nothing', async (t) => {
  const s3 = cloud.s3();
  const error = await s3
    .send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: 'bad-md5',
        Body: 'the real bytes',
        ContentMD5: createHash('md5').update('other bytes').digest('base64'),
      }),
    )
    .catch((caught: unknown) => caught);
  t.ok(error instanceof S3ServiceException);
  t.equal((error as S3ServiceException).name, 'BadDigest');
  t.equal((error as S3ServiceException).$metadata.httpStatusCode, 400);
  const missing = await s3
    .send(new GetObjectCommand({ Bucket: bucket, Key: 'bad-md5' }))
    .catch((caught: unknown) => caught);
  t.equal((missing as S3ServiceException).name, 'NoSuchKey');
  t.same(readdirSync(join(cloud.walrus.dataDir, 'objects', 'staging')), [], 'the staged bytes are gone');
});
