import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import SqliteDatabase from 'better-sqlite3';
import type { BackupFileEntry } from '../../src/cloud/backup-archive.js';
import { downloadBackupFile } from '../../src/cloud/backup-transfer.js';
import { splitPostgresUrl } from '../../src/db/postgres-password.js';
import type { PeerTls } from '../../src/runtime/peer-client.js';
import { sha256OfFile } from '../../src/util/file-hash.js';

export interface CloudBackupSource {
  /** The clc's SQLite file, or a PostgreSQL URL (dumped with `pg_dump`, which must be on the clc host). */
  database: { sqliteFile: string } | { url: string };
  /** Walrus's URL, asked for its metadata over mTLS; absent when the cloud has no Walrus. */
  walrusUrl?: string;
  tls: PeerTls;
}

/** A backup's files, each a consistent copy of itself, in one folder under the names the manifest gives them. */
export interface TakenBackup {
  createdAt: Date;
  parts: BackupFileEntry[];
}

const run = promisify(execFile);

/**
 * A backup made while everything keeps running, written into `dir`: SQLite's online backup API (a second connection
 * copies one committed state; the clc's own connection keeps writing) or `pg_dump` (one repeatable-read snapshot),
 * then Walrus's metadata the same way on its host, streamed here. Each part is consistent in itself; the two are
 * taken one after the other. Nothing is held in memory: Walrus's metadata holds its small objects and can be large.
 */
export async function takeCloudBackup(source: CloudBackupSource, dir: string): Promise<TakenBackup> {
  const createdAt = new Date();
  const parts = [await backupClcDatabase(source.database, dir)];
  if (source.walrusUrl) parts.push(await fetchWalrusMetadata(source.walrusUrl, source.tls, dir));
  return { createdAt, parts };
}

async function backupClcDatabase(database: CloudBackupSource['database'], dir: string): Promise<BackupFileEntry> {
  if ('url' in database) {
    const file = join(dir, 'clc.pgdump');
    const { url, password } = splitPostgresUrl(database.url);
    await run('pg_dump', ['--format=custom', '--no-owner', '--no-privileges', `--file=${file}`, url], {
      env: { ...process.env, ...(password !== undefined && { PGPASSWORD: password }) },
    });
    return entryOf('clc', 'postgresql', dir, 'clc.pgdump');
  }
  const connection = new SqliteDatabase(database.sqliteFile, { fileMustExist: true });
  try {
    await connection.backup(join(dir, 'clc.sqlite'));
  } finally {
    connection.close();
  }
  return entryOf('clc', 'sqlite', dir, 'clc.sqlite');
}

async function fetchWalrusMetadata(walrusUrl: string, tls: PeerTls, dir: string): Promise<BackupFileEntry> {
  const url = new URL('/internal/metadata-backup', walrusUrl).toString();
  const what = `Walrus's metadata backup from ${walrusUrl}`;
  // Walrus copies its database before the first byte comes (the checksum goes first): for a large one, minutes.
  const { sizeBytes, sha256 } = await downloadBackupFile(url, tls, join(dir, 'walrus.sqlite'), what, {
    idleMs: 15 * 60_000,
  });
  return { component: 'walrus', engine: 'sqlite', fileName: 'walrus.sqlite', sizeBytes, sha256 };
}

async function entryOf(
  component: BackupFileEntry['component'],
  engine: BackupFileEntry['engine'],
  dir: string,
  fileName: string,
): Promise<BackupFileEntry> {
  const path = join(dir, fileName);
  return { component, engine, fileName, sizeBytes: statSync(path).size, sha256: await sha256OfFile(path) };
}

/** A backup taken and kept on the clc's disk until it is archived or fetched, under an id of its own. */
export interface StagedBackup extends TakenBackup {
  backupId: string;
  dir: string;
  stagedAt: number;
}

/**
 * Backups being handed over: `cloudctl backup create` has the clc take one (`CreateBackup`), fetches its files one
 * by one over mTLS and discards it (`DiscardBackup`); scheduled backups archive and discard theirs at once. Staged
 * copies live in their own folder of the clc's data directory, emptied when the clc starts; one not discarded (its
 * cloudctl died) is removed `maxAgeMs` after it was taken.
 */
export class BackupStaging {
  private readonly staged = new Map<string, StagedBackup>();

  constructor(
    private readonly root: string,
    private readonly take: (dir: string) => Promise<TakenBackup>,
    private readonly options: { maxAgeMs?: number; now?: () => number } = {},
  ) {
    rmSync(root, { recursive: true, force: true });
  }

  async stage(): Promise<StagedBackup> {
    this.sweep();
    const backupId = randomBytes(12).toString('hex');
    const dir = join(this.root, backupId);
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    try {
      const taken = await this.take(dir);
      const staged = { ...taken, backupId, dir, stagedAt: this.now() };
      this.staged.set(backupId, staged);
      return staged;
    } catch (error) {
      rmSync(dir, { recursive: true, force: true });
      throw error;
    }
  }

  /** A staged file's path and facts, or undefined for an unknown backup or a name that is not one of its files. */
  file(backupId: string, fileName: string): (BackupFileEntry & { path: string }) | undefined {
    const staged = this.staged.get(backupId);
    const entry = staged?.parts.find((part) => part.fileName === fileName);
    return staged && entry && { ...entry, path: join(staged.dir, entry.fileName) };
  }

  /** Removes a staged backup; true when there was one. */
  discard(backupId: string): boolean {
    const staged = this.staged.get(backupId);
    if (!staged) return false;
    this.staged.delete(backupId);
    rmSync(staged.dir, { recursive: true, force: true });
    return true;
  }

  private sweep(): void {
    const oldest = this.now() - (this.options.maxAgeMs ?? 3600_000);
    for (const staged of [...this.staged.values()]) if (staged.stagedAt < oldest) this.discard(staged.backupId);
  }

  private now(): number {
    return (this.options.now ?? Date.now)();
  }
}
