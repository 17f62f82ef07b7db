import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import t from 'tap';
import { runCommand } from '../helpers/cli.js';
import { boto3Calls as callBoto3, startWalrus } from '../helpers/walrus.js';

// Lifecycle rules: kept and checked as S3 keeps them (boto3, the aws CLI v2), then carried out by Walrus's lifecycle
// pass, which runs soon after every start. Objects and uploads are aged by rewriting their dates in Walrus's
// metadata while it is stopped; the restart's pass then expires, deletes and aborts what is due, and nothing else.
const cloud = await startWalrus(t);
const other = await cloud.newAccount('lifecycle-other');
const boto3Calls = (calls: [string, Record<string, unknown>][], credentials = cloud.admin) =>
  callBoto3(cloud, credentials, calls);
const dayMs = 24 * 60 * 60 * 1000;
const daysAgo = (days: number) => new Date(Date.now() - days * dayMs).toISOString();

/** The rules both tests set: by prefix, by tags, for old versions and uploads, for lone delete markers, one off. */
const rules = [
  { ID: 'logs', Filter: { Prefix: 'logs/' }, Status: 'Enabled', Expiration: { Days: 30 } },
  {
    ID: 'tidy',
    Filter: { And: { Prefix: 'tmp/', Tags: [{ Key: 'temp', Value: 'yes' }] } },
    Status: 'Enabled',
    Expiration: { Days: 1 },
  },
  {
    ID: 'versions',
    Filter: { Prefix: '' },
    Status: 'Enabled',
    NoncurrentVersionExpiration: { NoncurrentDays: 7 },
    AbortIncompleteMultipartUpload: { DaysAfterInitiation: 2 },
  },
  { ID: 'markers', Filter: { Prefix: '' }, Status: 'Enabled', Expiration: { ExpiredObjectDeleteMarker: true } },
  { ID: 'off', Filter: { Prefix: 'keep/' }, Status: 'Disabled', Expiration: { Days: 1 } },
];

t.test('rules are kept, read back by boto3 and the aws CLI v2, checked, owner only', async (t) => {
  const calls = await boto3Calls([
    ['create_bucket', { Bucket: 'rules' }],
    ['get_bucket_lifecycle_configuration', { Bucket: 'rules' }],
    ['put_bucket_lifecycle_configuration', { Bucket: 'rules', LifecycleConfiguration: { Rules: rules } }],
    ['get_bucket_lifecycle_configuration', { Bucket: 'rules' }],
  ]);
  t.match(calls, [{ status: 200 }, { status: 404, code: 'NoSuchLifecycleConfiguration' }, { status: 200 }]);
  t.same(calls[3]!.body, { Rules: rules }, 'the rules read back as set');
  const cli = await runCommand(
    '/usr/bin/aws',
    ['--endpoint-url', cloud.url, 's3api', 'get-bucket-lifecycle-configuration', '--bucket', 'rules'],
    { env: cloud.awsEnv() },
  );
  t.same(JSON.parse(cli.stdout), { Rules: rules }, 'the aws CLI v2 reads them too');

  const rule = (extra: Record<string, unknown>) => ({
    Bucket: 'rules',
    LifecycleConfiguration: { Rules: [{ ID: 'bad', Filter: { Prefix: '' }, Status: 'Enabled', ...extra }] },
  });
  const refused = await boto3Calls([
    ['put_bucket_lifecycle_configuration', rule({ Transitions: [{ Days: 30, StorageClass: 'GLACIER' }] })],
    ['put_bucket_lifecycle_configuration', rule({ Expiration: { Days: 0 } })],
    ['put_bucket_lifecycle_configuration', rule({ Expiration: { Date: '2030-01-01T12:00:00Z' } })],
    ['put_bucket_lifecycle_configuration', rule({})],
    [
      'put_bucket_lifecycle_configuration',
      {
        Bucket: 'rules',
        LifecycleConfiguration: {
          Rules: [
            { ID: 'twice', Filter: { Prefix: 'a' }, Status: 'Enabled', Expiration: { Days: 1 } },
            { ID: 'twice', Filter: { Prefix: 'b' }, Status: 'Enabled', Expiration: { Days: 1 } },
          ],
        },
      },
    ],
    ['get_bucket_lifecycle_configuration', { Bucket: 'rules' }],
  ]);
  t.match(refused.slice(0, 5), [
    { status: 501, code: 'NotImplemented' },
    { status: 400, code: 'InvalidArgument' },
    { status: 400, code: 'InvalidArgument' },
    { status: 400, code: 'InvalidRequest' },
    { status: 400, code: 'InvalidArgument' },
  ]);
  t.same(refused[5]!.body, { Rules: rules }, 'a refused configuration changes nothing');

  const theirs = await boto3Calls(
    [
      ['get_bucket_lifecycle_configuration', { Bucket: 'rules' }],
      ['delete_bucket_lifecycle', { Bucket: 'rules' }],
    ],
    other,
  );
  t.ok(
    theirs.every((answer) => answer.status === 403 && answer.code === 'AccessDenied'),
    JSON.stringify(theirs),
  );
  const removed = await boto3Calls([
    ['delete_bucket_lifecycle', { Bucket: 'rules' }],
    ['get_bucket_lifecycle_configuration', { Bucket: 'rules' }],
  ]);
  t.match(removed, [{ status: 204 }, { status: 404, code: 'NoSuchLifecycleConfiguration' }]);
});

/** Lines of Walrus's log saying a lifecycle pass finished, with what it did. */
function passLines(): Record<string, number>[] {
  return readFileSync(cloud.walrus.logPath, 'utf8')
    .split('\n')
    .filter((line) => line.includes('"lifecycle pass done"'))
    .map((line) => JSON.parse(line) as Record<string, number>);
}

/** Waits, up to 20 s, for the log to hold more than `seen` finished passes; the newest. */
async function passAfter(seen: number): Promise<Record<string, number>> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const lines = passLines();
    if (lines.length > seen) return lines.at(-1)!;
    if (Date.now() > deadline) throw new Error('no lifecycle pass in 20 s');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

t.test('a pass expires, deletes and aborts what is due, and only that', async (t) => {
  const setup = await boto3Calls([
    ['create_bucket', { Bucket: 'aging' }],
    ['put_object', { Bucket: 'aging', Key: 'logs/old', Body: 'old log' }],
    ['put_object', { Bucket: 'aging', Key: 'logs/new', Body: 'new log' }],
    ['put_object', { Bucket: 'aging', Key: 'keep/old', Body: 'not under logs/' }],
    ['put_object', { Bucket: 'aging', Key: 'tmp/tagged', Body: 'x', Tagging: 'temp=yes' }],
    ['put_object', { Bucket: 'aging', Key: 'tmp/untagged', Body: 'x' }],
    ['create_multipart_upload', { Bucket: 'aging', Key: 'abandoned' }],
    ['create_multipart_upload', { Bucket: 'aging', Key: 'recent' }],
    ['create_bucket', { Bucket: 'history' }],
    ['put_bucket_versioning', { Bucket: 'history', VersioningConfiguration: { Status: 'Enabled' } }],
    ['put_object', { Bucket: 'history', Key: 'doc', Body: 'first' }],
    ['put_object', { Bucket: 'history', Key: 'doc', Body: 'second' }],
    ['put_object', { Bucket: 'history', Key: 'doc', Body: 'third' }],
    ['put_object', { Bucket: 'history', Key: 'gone', Body: 'deleted later' }],
    ['delete_object', { Bucket: 'history', Key: 'gone' }],
    ['put_object', { Bucket: 'history', Key: 'logs/versioned', Body: 'old log' }],
    ['put_object_lock_configuration', { Bucket: 'history', ObjectLockConfiguration: { ObjectLockEnabled: 'Enabled' } }],
    ['put_object', { Bucket: 'history', Key: 'held', Body: 'kept', ObjectLockLegalHoldStatus: 'ON' }],
    ['put_object', { Bucket: 'history', Key: 'held', Body: 'newer' }],
  ]);
  t.ok(
    setup.every((answer) => answer.status === 200 || answer.status === 204),
    JSON.stringify(setup),
  );
  const abandoned = setup[6]!.body!.UploadId as string;
  const configured = await boto3Calls([
    ['put_bucket_lifecycle_configuration', { Bucket: 'aging', LifecycleConfiguration: { Rules: rules } }],
    ['put_bucket_lifecycle_configuration', { Bucket: 'history', LifecycleConfiguration: { Rules: rules } }],
  ]);
  t.ok(
    configured.every((answer) => answer.status === 200),
    JSON.stringify(configured),
  );

  // Age them while Walrus is stopped: 40 days for the old logs and keep/old, 3 days for tmp/ and the abandoned
  // upload; doc's first version 20 days, its second 10 (so the first has been noncurrent 10 days, the second not
  // at all), and gone's delete marker 10 days (so the version under it is due, then the lone marker).
  await cloud.walrus.stop();
  const db = new SqliteDatabase(join(cloud.walrus.dataDir, 'walrus.sqlite'));
  const age = db.prepare('UPDATE objects SET last_modified = ? WHERE bucket = ? AND key = ? AND seq = ?');
  const versions = (bucket: string, key: string) =>
    (
      db.prepare('SELECT seq FROM objects WHERE bucket = ? AND key = ? ORDER BY seq').all(bucket, key) as {
        seq: number;
      }[]
    ).map((row) => row.seq);
  for (const key of ['logs/old', 'keep/old']) age.run(daysAgo(40), 'aging', key, versions('aging', key)[0]);
  for (const key of ['tmp/tagged', 'tmp/untagged']) age.run(daysAgo(3), 'aging', key, versions('aging', key)[0]);
  age.run(daysAgo(40), 'history', 'logs/versioned', versions('history', 'logs/versioned')[0]);
  const [first, second] = versions('history', 'doc');
  age.run(daysAgo(20), 'history', 'doc', first);
  age.run(daysAgo(10), 'history', 'doc', second);
  const [goneVersion, goneMarker] = versions('history', 'gone');
  age.run(daysAgo(11), 'history', 'gone', goneVersion);
  age.run(daysAgo(10), 'history', 'gone', goneMarker);
  // held's first version, under a legal hold, has been noncurrent for 10 days: due, but Object Lock keeps it.
  const [heldFirst, heldSecond] = versions('history', 'held');
  age.run(daysAgo(20), 'history', 'held', heldFirst);
  age.run(daysAgo(10), 'history', 'held', heldSecond);
  db.prepare('UPDATE uploads SET initiated = ? WHERE upload_id = ?').run(daysAgo(3), abandoned);
  db.close();
  const seen = passLines().length;
  await cloud.walrus.restart();
  const pass = await passAfter(seen);
  t.match(
    pass,
    { buckets: 2, expired: 3, noncurrentExpired: 2, deleteMarkersRemoved: 1, uploadsAborted: 1, failed: 0 },
    'the pass says what it did',
  );

  const after = await boto3Calls([
    ['list_objects_v2', { Bucket: 'aging' }],
    ['list_multipart_uploads', { Bucket: 'aging' }],
    ['list_object_versions', { Bucket: 'history' }],
  ]);
  t.same(
    (after[0]!.body!.Contents as { Key: string }[]).map((object) => object.Key),
    ['keep/old', 'logs/new', 'tmp/untagged'],
    'the old log and the tagged temporary object expired; a disabled rule and an untagged object kept theirs',
  );
  t.same(
    (after[1]!.body!.Uploads as { Key: string }[]).map((upload) => upload.Key),
    ['recent'],
    'the abandoned upload was aborted',
  );
  const history = after[2]!.body!;
  const docVersions = (history.Versions as { Key: string; IsLatest: boolean }[]).filter((v) => v.Key === 'doc');
  t.equal(docVersions.length, 2, "doc's version noncurrent for 10 days is gone, the one replaced today stays");
  t.notOk(
    [...((history.Versions as { Key: string }[]) ?? []), ...((history.DeleteMarkers as { Key: string }[]) ?? [])].some(
      (entry) => entry.Key === 'gone',
    ),
    'under gone: the noncurrent version expired, then the lone delete marker was removed',
  );
  t.match(
    history.DeleteMarkers,
    [{ Key: 'logs/versioned', IsLatest: true }],
    'in a versioned bucket an expired object gets a delete marker',
  );
  t.ok(
    (history.Versions as { Key: string }[]).some((version) => version.Key === 'logs/versioned'),
    'and its bytes stay, as a noncurrent version',
  );
  const read = await boto3Calls([['get_object', { Bucket: 'history', Key: 'doc' }]]);
  t.equal(read[0]!.status, 200, 'the current version of doc reads');
  t.equal(
    (history.Versions as { Key: string }[]).filter((version) => version.Key === 'held').length,
    2,
    'a version under a legal hold outlives its noncurrent expiration',
  );
});
