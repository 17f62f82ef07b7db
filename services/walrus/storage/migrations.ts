import type SqliteDatabase from 'better-sqlite3';

/**
 * Walrus's own metadata schema (its SQLite file, not the clc's database), one entry per version, applied in order
 * and recorded in `walrus_migrations`. A migration, once released, is never changed: add the next one.
 *
 * Keys and names compare with SQLite's BINARY collation, byte by byte over UTF-8: the order S3 lists keys in.
 */
export const walrusMigrations: readonly { id: string; sql: string }[] = [
  {
    id: '0001-buckets-objects-uploads',
    sql: `
      CREATE TABLE buckets (
        name TEXT PRIMARY KEY,
        owner_id TEXT NOT NULL,
        owner_name TEXT NOT NULL,
        created_at TEXT NOT NULL,
        region TEXT NOT NULL,
        acl TEXT NOT NULL,
        versioning TEXT NOT NULL DEFAULT ''
      );
      CREATE INDEX buckets_owner ON buckets (owner_id, name);

      CREATE TABLE objects (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        bucket TEXT NOT NULL REFERENCES buckets (name),
        key TEXT NOT NULL,
        version_id TEXT NOT NULL,
        is_latest INTEGER NOT NULL,
        is_delete_marker INTEGER NOT NULL,
        size INTEGER NOT NULL,
        etag TEXT NOT NULL,
        last_modified TEXT NOT NULL,
        owner_id TEXT NOT NULL,
        owner_name TEXT NOT NULL,
        headers TEXT NOT NULL,
        metadata TEXT NOT NULL,
        acl TEXT NOT NULL,
        tags TEXT NOT NULL,
        checksum TEXT,
        parts_count INTEGER,
        segments TEXT NOT NULL,
        UNIQUE (bucket, key, version_id)
      );
      CREATE INDEX objects_latest ON objects (bucket, key) WHERE is_latest = 1;
      CREATE INDEX objects_versions ON objects (bucket, key, seq);

      CREATE TABLE uploads (
        upload_id TEXT PRIMARY KEY,
        bucket TEXT NOT NULL REFERENCES buckets (name),
        key TEXT NOT NULL,
        initiated TEXT NOT NULL,
        owner_id TEXT NOT NULL,
        owner_name TEXT NOT NULL,
        headers TEXT NOT NULL,
        metadata TEXT NOT NULL,
        acl TEXT NOT NULL,
        tags TEXT NOT NULL,
        checksum_algorithm TEXT
      );
      CREATE INDEX uploads_key ON uploads (bucket, key, initiated);

      CREATE TABLE parts (
        upload_id TEXT NOT NULL REFERENCES uploads (upload_id),
        part_number INTEGER NOT NULL,
        blob_id TEXT NOT NULL,
        size INTEGER NOT NULL,
        etag TEXT NOT NULL,
        last_modified TEXT NOT NULL,
        PRIMARY KEY (upload_id, part_number)
      );
    `,
  },
  {
    // Small objects' bytes, kept in the database instead of a file each (see LocalDiskByteStore).
    id: '0002-inline-blobs',
    sql: `
      CREATE TABLE inline_blobs (
        id TEXT PRIMARY KEY,
        data BLOB NOT NULL
      );
    `,
  },
  {
    // A bucket's tag set (PutBucketTagging), as JSON like an object's.
    id: '0003-bucket-tags',
    sql: `ALTER TABLE buckets ADD COLUMN tags TEXT NOT NULL DEFAULT '[]';`,
  },
  {
    // A bucket's public access block (PutPublicAccessBlock), as JSON; NULL when none is set.
    id: '0004-public-access-block',
    sql: `ALTER TABLE buckets ADD COLUMN public_access_block TEXT;`,
  },
  {
    // A bucket's Object Ownership (PutBucketOwnershipControls); NULL when none is set.
    id: '0005-object-ownership',
    sql: `ALTER TABLE buckets ADD COLUMN object_ownership TEXT;`,
  },
  {
    // A bucket's CORS rules (PutBucketCors), as JSON; NULL when none are set.
    id: '0006-bucket-cors',
    sql: `ALTER TABLE buckets ADD COLUMN cors TEXT;`,
  },
  {
    // A bucket's lifecycle rules (PutBucketLifecycleConfiguration), as JSON; NULL when none are set.
    id: '0007-bucket-lifecycle',
    sql: `ALTER TABLE buckets ADD COLUMN lifecycle TEXT;`,
  },
  {
    // Object Lock: a bucket's (enabled, default retention), a version's and an upload's (retention, legal hold), as
    // JSON; NULL where there is none.
    id: '0008-object-lock',
    sql: `
      ALTER TABLE buckets ADD COLUMN object_lock TEXT;
      ALTER TABLE objects ADD COLUMN object_lock TEXT;
      ALTER TABLE uploads ADD COLUMN object_lock TEXT;
    `,
  },
  {
    // A bucket's policy, the JSON document as PutBucketPolicy was given it; NULL where there is none.
    id: '0009-bucket-policy',
    sql: `ALTER TABLE buckets ADD COLUMN policy TEXT;`,
  },
  {
    // Server-side encryption: the master keys that wrap sealed blobs' data keys; a part's seal; how an upload's parts
    // are sealed (JSON); a bucket's default encryption (JSON). An object's seals are in its segments.
    id: '0010-server-side-encryption',
    sql: `
      CREATE TABLE sealing_keys (id TEXT PRIMARY KEY, key BLOB NOT NULL, created_at TEXT NOT NULL);
      ALTER TABLE parts ADD COLUMN seal TEXT;
      ALTER TABLE uploads ADD COLUMN sealing TEXT;
      ALTER TABLE buckets ADD COLUMN encryption TEXT;
    `,
  },
];

export function migrateWalrus(db: SqliteDatabase.Database): void {
  db.exec('CREATE TABLE IF NOT EXISTS walrus_migrations (id TEXT PRIMARY KEY, applied_at TEXT NOT NULL)');
  const applied = new Set(
    (db.prepare('SELECT id FROM walrus_migrations').all() as { id: string }[]).map((row) => row.id),
  );
  const known = new Set(walrusMigrations.map((migration) => migration.id));
  const unknown = [...applied].filter((id) => !known.has(id));
  if (unknown.length > 0) {
    throw new Error(
      `the walrus metadata was migrated by a newer Mallee (${unknown.join(', ')}): upgrade Mallee on this host`,
    );
  }
  for (const migration of walrusMigrations) {
    if (applied.has(migration.id)) continue;
    db.transaction(() => {
      db.exec(migration.sql);
      db.prepare('INSERT INTO walrus_migrations (id, applied_at) VALUES (?, ?)').run(
        migration.id,
        new Date().toISOString(),
      );
    })();
  }
}
