// Walrus's metadata store: changes batched into one commit per flush, and WAL checkpoints on a worker thread (dist/:
// the worker is compiled JavaScript).
import { statSync } from 'node:fs';
import { join } from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import t from 'tap';
import type { CheckpointDone } from '../../../services/walrus/storage/checkpoint-worker.js';
import type { MetadataStore as MetadataStoreType } from '../../../services/walrus/storage/metadata-store.js';
import { projectRoot, temporaryDir } from '../../helpers/cli.js';

const { MetadataStore } = (await import(join(projectRoot, 'dist/services/walrus/storage/metadata-store.js'))) as {
  MetadataStore: typeof MetadataStoreType;
};

const owner = { id: 'acct-1', displayName: 'one' };

function bucketRecord(name: string): Parameters<MetadataStoreType['createBucket']>[0] {
  return {
    name,
    owner,
    createdAt: new Date().toISOString(),
    region: 'test-1',
    acl: { owner, grants: [] },
    versioning: '',
    tags: [],
  };
}

function objectRecord(bucket: string, key: string): Parameters<MetadataStoreType['putObject']>[0] {
  return {
    bucket,
    key,
    versionId: 'null',
    isDeleteMarker: false,
    size: 0,
    etag: '"d41d8cd98f00b204e9800998ecf8427e"',
    lastModified: new Date().toISOString(),
    owner,
    headers: {},
    metadata: {},
    acl: { owner, grants: [] },
    tags: [],
    segments: [],
  };
}

function committedKeys(file: string): string[] {
  const reader = new SqliteDatabase(file, { readonly: true });
  try {
    return (reader.prepare('SELECT key FROM objects ORDER BY key').all() as { key: string }[]).map((row) => row.key);
  } finally {
    reader.close();
  }
}

t.test('changes wait in one batch until a flush commits them; a change that fails undoes only itself', async (t) => {
  const file = join(temporaryDir('walrus-batch'), 'walrus.sqlite');
  const store = new MetadataStore(file);
  t.teardown(() => store.close());
  store.createBucket(bucketRecord('bucket'));
  store.putObject(objectRecord('bucket', 'a'));
  t.throws(() =>
    store.atomically(() => {
      store.putObject(objectRecord('bucket', 'b'));
      throw new Error('the handler gave up');
    }),
  );
  store.putObject(objectRecord('bucket', 'c'));
  t.same(committedKeys(file), [], 'another connection sees nothing before the flush');
  t.equal(store.getObject('bucket', 'c')?.key, 'c', 'this connection reads its own batch');
  await store.flush();
  t.same(committedKeys(file), ['a', 'c'], 'one commit: both changes, not the one that failed');

  // An inline blob and the version that refers to it: one change, whose inner steps are not changes of their own.
  const before = store.commitCount;
  t.throws(() =>
    store.atomically(() => {
      store.putInlineBlob('i'.padEnd(32, '0'), Buffer.from('bytes'));
      store.putObject(objectRecord('bucket', 'd'));
      throw new Error('the commit of the version failed');
    }),
  );
  t.same([store.getInlineBlob('i'.padEnd(32, '0')), store.getObject('bucket', 'd')], [undefined, undefined]);
  store.atomically(() => {
    store.putInlineBlob('i'.padEnd(32, '1'), Buffer.from('bytes'));
    store.putObject(objectRecord('bucket', 'e'));
  });
  t.equal(store.commitCount - before, 1, 'the one that went through counts once');
  await store.flush();
  t.same(committedKeys(file), ['a', 'c', 'e']);
});

t.test('a batch whose commit fails is lost whole, and only the flushes of its own changes hear of it', async (t) => {
  const file = join(temporaryDir('walrus-lost-batch'), 'walrus.sqlite');
  const store = new MetadataStore(file);
  t.teardown(() => store.close());
  store.createBucket(bucketRecord('bucket'));
  await store.flush();
  // Fault injection: a foreign key checked only at COMMIT makes the next commit fail.
  (store as unknown as { db: SqliteDatabase.Database }).db.pragma('defer_foreign_keys = ON');
  const before = store.commitCount;
  store.putObject(objectRecord('bucket', 'kept-back'));
  store.putObject(objectRecord('no-such-bucket', 'orphan'));
  await t.rejects(store.flush(before), { code: 'SQLITE_CONSTRAINT_FOREIGNKEY' }, "the change's own flush fails");
  t.same(committedKeys(file), [], 'nothing of the batch reached the database');
  t.equal(store.getObject('bucket', 'kept-back'), undefined, 'nor does this connection see it any more');

  const later = store.commitCount;
  store.putObject(objectRecord('bucket', 'after'));
  await store.flush(later);
  t.same(committedKeys(file), ['after'], 'the next batch commits as usual and its flush succeeds');
});

t.test('close commits what is still in the batch', async (t) => {
  const file = join(temporaryDir('walrus-close'), 'walrus.sqlite');
  const store = new MetadataStore(file);
  store.createBucket(bucketRecord('bucket'));
  store.putObject(objectRecord('bucket', 'last'));
  store.close();
  t.same(committedKeys(file), ['last']);
});

t.test(
  "a bucket's public access block and Object Ownership are kept across a restart, and removed by null",
  async (t) => {
    const file = join(temporaryDir('walrus-block'), 'walrus.sqlite');
    const block = {
      blockPublicAcls: true,
      ignorePublicAcls: false,
      blockPublicPolicy: false,
      restrictPublicBuckets: true,
    };
    const first = new MetadataStore(file);
    first.createBucket(bucketRecord('bucket'));
    t.equal(first.getBucket('bucket')?.publicAccessBlock, undefined, 'a new bucket has none');
    first.updateBucket('bucket', { publicAccessBlock: block, objectOwnership: 'BucketOwnerEnforced' });
    t.same(first.getBucket('bucket')?.publicAccessBlock, block, 'the cached record is replaced at once');
    first.createBucket({ ...bucketRecord('born-owned'), objectOwnership: 'BucketOwnerPreferred' });
    first.close();
    const second = new MetadataStore(file);
    t.same(second.getBucket('bucket')?.publicAccessBlock, block, 'read back after a restart');
    t.equal(second.getBucket('bucket')?.objectOwnership, 'BucketOwnerEnforced');
    t.equal(second.getBucket('born-owned')?.objectOwnership, 'BucketOwnerPreferred', 'as created');
    second.updateBucket('bucket', { tags: [{ Key: 'k', Value: 'v' }] });
    t.same(second.getBucket('bucket')?.publicAccessBlock, block, 'other changes leave it alone');
    second.updateBucket('bucket', { publicAccessBlock: null, objectOwnership: null });
    second.close();
    const third = new MetadataStore(file);
    t.equal(third.getBucket('bucket')?.publicAccessBlock, undefined, 'removed for good');
    t.equal(third.getBucket('bucket')?.objectOwnership, undefined);
    third.close();
  },
);

t.test('commits are checkpointed into the database by the worker thread, off the event loop', async (t) => {
  const file = join(temporaryDir('walrus-checkpoint'), 'walrus.sqlite');
  let heard!: (done: CheckpointDone) => void;
  const firstCheckpoint = new Promise<CheckpointDone>((resolve) => (heard = resolve));
  const store = new MetadataStore(file, { onCheckpoint: (done) => heard(done) });
  t.teardown(() => store.close());
  const databaseBefore = statSync(file).size;
  store.createBucket(bucketRecord('bucket'));
  for (let index = 0; index < 250; index++) {
    store.putObject({ ...objectRecord('bucket', `key-${index}`), metadata: { note: 'x'.repeat(1000) } });
    // One commit each, as requests that come one after the other make them.
    await store.flush();
  }
  const done = await firstCheckpoint;
  t.ok(done.walFrames > 0, 'the WAL had frames to copy');
  t.equal(done.checkpointedFrames, done.walFrames, 'a passive checkpoint with no reader in the way copies them all');
  t.ok(statSync(file).size > databaseBefore + 100 * 1024, 'the rows are in the database file itself now');

  const reader = new SqliteDatabase(file, { readonly: true });
  t.teardown(() => reader.close());
  t.equal((reader.prepare('SELECT count(*) AS n FROM objects').get() as { n: number }).n, 250);
  t.equal(store.getObject('bucket', 'key-249')?.metadata.note?.length, 1000, 'the writer reads on as before');
});

t.test('a checkpoint thread that dies is reported, and SQLite checkpoints inside commits from then on', async (t) => {
  const file = join(temporaryDir('walrus-checkpointer-lost'), 'walrus.sqlite');
  let lost!: (reason: string) => void;
  const reported = new Promise<string>((resolve) => (lost = resolve));
  const store = new MetadataStore(file, { onCheckpointerLost: (reason) => lost(reason) });
  t.teardown(() => store.close());
  store.createBucket(bucketRecord('bucket'));
  await store.flush();
  // What a crash of the thread looks like from here: it is gone.
  await (store as unknown as { checkpointer: { terminate(): Promise<number> } }).checkpointer.terminate();
  t.match(await reported, /checkpoint thread exited with code/);
  const databaseBefore = statSync(file).size;
  // Well over SQLite's automatic threshold of 1,000 pages, in commits of their own.
  for (let index = 0; index < 300; index++) {
    store.putObject({ ...objectRecord('bucket', `key-${index}`), metadata: { note: 'x'.repeat(16_000) } });
    await store.flush();
  }
  t.ok(statSync(file).size > databaseBefore + 1024 * 1024, 'the rows reached the database file: SQLite checkpointed');
  t.equal(store.getObject('bucket', 'key-299')?.metadata.note?.length, 16_000, 'writes and reads go on');
});

t.test('a clean stop is marked in the database header, and taking the mark clears it, durably', async (t) => {
  const file = join(temporaryDir('meta-clean-stop'), 'walrus.sqlite');
  const first = new MetadataStore(file);
  t.equal(await first.takeCleanStop(), false, 'a new database was not left by a clean stop');
  first.createBucket(bucketRecord('b'));
  await first.recordCleanStop();
  first.close();
  // What SQLite itself reads from the file: the mark is the header's user_version.
  const raw = new SqliteDatabase(file, { readonly: true });
  t.equal(raw.pragma('user_version', { simple: true }), 1);
  raw.close();

  const second = new MetadataStore(file);
  t.equal(await second.takeCleanStop(), true, 'the next start finds it');
  t.equal(await second.takeCleanStop(), false, 'and it is gone: a crash from now on is not a clean stop');
  t.ok(second.getBucket('b'), 'the data is untouched');
  second.close();
  const third = new MetadataStore(file);
  t.equal(await third.takeCleanStop(), false, 'taking it was kept on disk');
  third.close();
});
