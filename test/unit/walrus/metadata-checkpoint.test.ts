// Walrus's metadata store checkpoints its WAL on a worker thread (dist/: the worker is compiled JavaScript).
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

t.test('commits are checkpointed into the database by the worker thread, off the event loop', async (t) => {
  const file = join(temporaryDir('walrus-checkpoint'), 'walrus.sqlite');
  let heard!: (done: CheckpointDone) => void;
  const firstCheckpoint = new Promise<CheckpointDone>((resolve) => (heard = resolve));
  const store = new MetadataStore(file, { onCheckpoint: (done) => heard(done) });
  t.teardown(() => store.close());
  const databaseBefore = statSync(file).size;
  store.createBucket({
    name: 'bucket',
    owner,
    createdAt: new Date().toISOString(),
    region: 'test-1',
    acl: { owner, grants: [] },
    versioning: 'Disabled',
  } as Parameters<MetadataStoreType['createBucket']>[0]);
  for (let index = 0; index < 250; index++) {
    store.putObject({
      bucket: 'bucket',
      key: `key-${index}`,
      versionId: 'null',
      isDeleteMarker: false,
      size: 0,
      etag: '"d41d8cd98f00b204e9800998ecf8427e"',
      lastModified: new Date().toISOString(),
      owner,
      headers: {},
      metadata: { note: 'x'.repeat(1000) },
      acl: { owner, grants: [] },
      tags: [],
      segments: [],
    });
  }
  await store.flush();
  const done = await firstCheckpoint;
  t.ok(done.walFrames > 0, 'the WAL had frames to copy');
  t.equal(done.checkpointedFrames, done.walFrames, 'a passive checkpoint with no reader in the way copies them all');
  t.ok(statSync(file).size > databaseBefore + 100 * 1024, 'the rows are in the database file itself now');

  const reader = new SqliteDatabase(file, { readonly: true });
  t.teardown(() => reader.close());
  t.equal((reader.prepare('SELECT count(*) AS n FROM objects').get() as { n: number }).n, 250);
  t.equal(store.getObject('bucket', 'key-249')?.metadata.note?.length, 1000, 'the writer reads on as before');
});
