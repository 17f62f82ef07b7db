import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import type { Request, Response, Router } from 'express';
import type { Logger } from 'pino';

/** Where the clc asks for a copy of Walrus's metadata when it makes a backup, below the runtime's mTLS `/internal`. */
export const metadataBackupPath = '/metadata-backup';

/** What the route answers: the metadata database as one consistent SQLite file, in base64. */
export interface MetadataBackup {
  engine: 'sqlite';
  sizeBytes: number;
  sha256: string;
  data: string;
}

/**
 * `GET /internal/metadata-backup`: a consistent copy of the metadata database while Walrus keeps serving. SQLite's
 * online backup API, on a second connection, copies one committed state (WAL readers never block the writer). Object
 * bytes are not included: they are immutable blobs the restored metadata refers to.
 */
export function mountMetadataBackup(internal: Router, options: { sqliteFile: string; log: Logger }): void {
  internal.get(metadataBackupPath, async (_request: Request, response: Response) => {
    const dir = mkdtempSync(join(tmpdir(), 'walrus-backup-'));
    const copy = join(dir, 'walrus.sqlite');
    const source = new SqliteDatabase(options.sqliteFile, { fileMustExist: true });
    try {
      await source.backup(copy);
      const bytes = readFileSync(copy);
      const backup: MetadataBackup = {
        engine: 'sqlite',
        sizeBytes: bytes.length,
        sha256: createHash('sha256').update(bytes).digest('hex'),
        data: bytes.toString('base64'),
      };
      options.log.info({ sizeBytes: backup.sizeBytes }, 'metadata backup taken');
      response.json(backup);
    } catch (error) {
      options.log.error({ err: error }, 'metadata backup failed');
      response.status(500).json({ error: 'BackupFailed', message: (error as Error).message });
    } finally {
      source.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
}
