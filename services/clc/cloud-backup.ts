import { createHash } from 'node:crypto';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import SqliteDatabase from 'better-sqlite3';
import { splitPostgresUrl } from '../../src/db/postgres-password.js';
import { callPeer, type PeerTls } from '../../src/runtime/peer-client.js';

/** One file of a backup: the clc's database or Walrus's metadata, each a consistent copy of itself. */
export interface BackupPart {
  component: 'clc' | 'walrus';
  engine: 'sqlite' | 'postgresql';
  /** The name it has in the archive: `clc.sqlite`, `clc.pgdump`, `walrus.sqlite`. */
  fileName: string;
  sizeBytes: number;
  sha256: string;
  /** base64 */
  data: string;
}

export interface CloudBackupSource {
  /** The clc's SQLite file, or a PostgreSQL URL (dumped with `pg_dump`, which must be on the clc host). */
  database: { sqliteFile: string } | { url: string };
  /** Walrus's URL, asked for its metadata over mTLS; absent when the cloud has no Walrus. */
  walrusUrl?: string;
  tls: PeerTls;
}

const run = promisify(execFile);

/**
 * A backup made while everything keeps running: SQLite's online backup API (a second connection copies one committed
 * state; the clc's own connection keeps writing) or `pg_dump` (one repeatable-read snapshot), then Walrus's metadata
 * the same way on its host. Each part is consistent in itself; the two are taken one after the other.
 */
export async function takeCloudBackup(source: CloudBackupSource): Promise<{ createdAt: Date; parts: BackupPart[] }> {
  const createdAt = new Date();
  const parts = [await backupClcDatabase(source.database)];
  if (source.walrusUrl) parts.push(await fetchWalrusMetadata(source.walrusUrl, source.tls));
  return { createdAt, parts };
}

async function backupClcDatabase(database: CloudBackupSource['database']): Promise<BackupPart> {
  const dir = mkdtempSync(join(tmpdir(), 'clc-backup-'));
  try {
    if ('url' in database) {
      const file = join(dir, 'clc.pgdump');
      const { url, password } = splitPostgresUrl(database.url);
      await run('pg_dump', ['--format=custom', '--no-owner', '--no-privileges', `--file=${file}`, url], {
        env: { ...process.env, ...(password !== undefined && { PGPASSWORD: password }) },
      });
      return part('clc', 'postgresql', 'clc.pgdump', readFileSync(file));
    }
    const file = join(dir, 'clc.sqlite');
    const connection = new SqliteDatabase(database.sqliteFile, { fileMustExist: true });
    try {
      await connection.backup(file);
    } finally {
      connection.close();
    }
    return part('clc', 'sqlite', 'clc.sqlite', readFileSync(file));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function fetchWalrusMetadata(walrusUrl: string, tls: PeerTls): Promise<BackupPart> {
  const url = new URL('/internal/metadata-backup', walrusUrl).toString();
  const answer = await callPeer(url, tls, { timeoutMs: 60_000 });
  if (answer.status !== 200) throw new Error(`Walrus at ${walrusUrl} refused its metadata backup: ${answer.body}`);
  const backup = JSON.parse(answer.body) as { data: string; sha256: string };
  const bytes = Buffer.from(backup.data, 'base64');
  const made = part('walrus', 'sqlite', 'walrus.sqlite', bytes);
  if (made.sha256 !== backup.sha256) throw new Error(`Walrus's metadata backup arrived damaged (checksum differs)`);
  return made;
}

function part(component: BackupPart['component'], engine: BackupPart['engine'], fileName: string, bytes: Buffer) {
  return {
    component,
    engine,
    fileName,
    sizeBytes: bytes.length,
    sha256: createHash('sha256').update(bytes).digest('hex'),
    data: bytes.toString('base64'),
  };
}
