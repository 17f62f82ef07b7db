import { mkdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { CreateBucketCommand, GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import t, { type Test } from 'tap';
import { startWalrus } from '../helpers/walrus.js';

// A start sweeps for orphan blobs (published, never recorded) by listing every blob and looking each up, which for a
// large store takes long. After a clean stop there are none to find, so Walrus only clears staging; after a crash it
// sweeps everything. A blob file planted under blobs/ while Walrus is down (an orphan nothing refers to) shows which
// start did which: the sweep removes it, a clean start never lists it.
const cloud = await startWalrus(t);
const s3 = cloud.s3();
const blobsDir = join(cloud.walrus.dataDir, 'objects', 'blobs');
const stagingDir = join(cloud.walrus.dataDir, 'objects', 'staging');
await s3.send(new CreateBucketCommand({ Bucket: 'kept' }));
const large = Buffer.alloc(256 * 1024, 7); // above the inline size: a blob file of its own
await s3.send(new PutObjectCommand({ Bucket: 'kept', Key: 'large', Body: large }));
await s3.send(new PutObjectCommand({ Bucket: 'kept', Key: 'small', Body: 'small' }));

const logLines = () =>
  readFileSync(cloud.walrus.logPath, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as { msg: string; staged?: number; orphans?: number });
const lastStartLine = () =>
  logLines()
    .filter((line) => /stopped cleanly|swept every blob/.test(line.msg))
    .at(-1);
function plantOrphan(): string {
  const path = join(blobsDir, 'ff', 'ff', 'ffff0123456789abcdef0123456789ab');
  mkdirSync(join(blobsDir, 'ff', 'ff'), { recursive: true });
  writeFileSync(path, 'nobody refers to this');
  writeFileSync(join(stagingDir, 'half-an-upload'), 'staged, never published');
  return path;
}
async function objectsReadBack(t: Test) {
  const s3 = cloud.s3(); // a restarted daemon listens on a new port
  const got = await s3.send(new GetObjectCommand({ Bucket: 'kept', Key: 'large' }));
  t.ok(Buffer.from(await got.Body!.transformToByteArray()).equals(large), 'the large object reads back');
  const small = await s3.send(new GetObjectCommand({ Bucket: 'kept', Key: 'small' }));
  t.equal(await small.Body!.transformToString(), 'small', 'the small one too');
}

t.test('after a clean stop the start sweeps nothing but staging', async (t) => {
  await cloud.walrus.stop();
  const orphan = plantOrphan();
  await cloud.walrus.restart();
  t.match(lastStartLine(), { msg: 'the last run stopped cleanly: no orphan blobs to sweep', staged: 1 });
  t.ok(existsSync(orphan), 'no blob was listed');
  t.notOk(existsSync(join(stagingDir, 'half-an-upload')), 'staging was cleared');
  await objectsReadBack(t);
});

t.test('after a crash the start sweeps every blob', async (t) => {
  cloud.walrus.kill();
  await cloud.walrus.restart();
  t.match(lastStartLine(), { msg: 'swept every blob for orphans: the last run did not stop cleanly', orphans: 1 });
  t.notOk(existsSync(join(blobsDir, 'ff', 'ff', 'ffff0123456789abcdef0123456789ab')), 'the orphan is gone');
  await objectsReadBack(t);
});

t.test('a start clears the mark: a crash after a clean start is noticed', async (t) => {
  await cloud.walrus.stop();
  await cloud.walrus.restart();
  t.match(lastStartLine(), { msg: /stopped cleanly/ });
  const orphan = plantOrphan();
  cloud.walrus.kill();
  await cloud.walrus.restart();
  t.match(lastStartLine(), { msg: /swept every blob/, orphans: 1 });
  t.notOk(existsSync(orphan));
});
