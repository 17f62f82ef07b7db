import { createReadStream, mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import SqliteDatabase from 'better-sqlite3';
import type { Request, Response, Router } from 'express';
import type { Logger } from 'pino';
import { backupHeaders } from '../../src/cloud/backup-transfer.js';
import { sha256OfFile } from '../../src/util/file-hash.js';

/** Where the clc asks for a copy of Walrus's metadata when it makes a backup, below the runtime's mTLS `/internal`. */
export const metadataBackupPath = '/metadata-backup';

/**
 * `GET /internal/metadata-backup`: a consistent copy of the metadata database while Walrus keeps serving. SQLite's
 * online backup API, on a second connection, copies one committed state (WAL readers never block the writer) into a
 * file beside the database (not /tmp, often a small tmpfs); the answer streams that file, its size and SHA-256 in the
 * headers, so memory stays flat however large the metadata (small objects live in it) has grown. Object bytes kept
 * as files are not included: they are immutable blobs the restored metadata refers to.
 */
export function mountMetadataBackup(
  internal: Router,
  options: { sqliteFile: string; stagingDir: string; log: Logger },
): void {
  internal.get(metadataBackupPath, async (request: Request, response: Response) => {
    mkdirSync(options.stagingDir, { recursive: true, mode: 0o700 });
    const dir = mkdtempSync(join(options.stagingDir, 'backup-'));
    const copy = join(dir, 'walrus.sqlite');
    const done = () => rmSync(dir, { recursive: true, force: true });
    try {
      const source = new SqliteDatabase(options.sqliteFile, { fileMustExist: true });
      try {
        await source.backup(copy);
      } finally {
        source.close();
      }
      const sizeBytes = statSync(copy).size;
      const sha256 = await sha256OfFile(copy);
      response.writeHead(200, backupHeaders({ sizeBytes, sha256 }));
      await pipeline(createReadStream(copy), response);
      options.log.info({ sizeBytes }, 'metadata backup sent');
    } catch (error) {
      options.log.error({ err: error, aborted: request.destroyed }, 'metadata backup failed');
      if (!response.headersSent) {
        response.status(500).json({ error: 'BackupFailed', message: (error as Error).message });
      } else response.destroy(error as Error);
    } finally {
      done();
    }
  });
}
