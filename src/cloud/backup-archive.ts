import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { execa } from 'execa';
import { CliError } from '../cli/cli-error.js';
import { writeSecretFile } from '../util/secret-file.js';

/**
 * The backup archive: a `.tgz` of the clc's database and Walrus's metadata with `manifest.json` listing each file and
 * its checksum. Written by `cloudctl backup create` and by the clc's scheduled backups; read by `backup restore`.
 */

/** One file of a backup, as the manifest lists it. */
export interface BackupFileEntry {
  component: 'clc' | 'walrus';
  engine: 'sqlite' | 'postgresql';
  fileName: string;
  sizeBytes: number;
  sha256: string;
}

/** `manifest.json` at the top of every backup archive. */
export interface BackupManifest {
  format: 'mallee-backup/1';
  cloud: string;
  region: string;
  createdAt: string;
  files: BackupFileEntry[];
  /** Each file is consistent in itself; the clc's database is copied first, then Walrus's metadata. */
  consistency: string;
}

const manifestName = 'manifest.json';

/** Writes the archive, mode 0600 (the database holds secret keys), through a temporary folder. */
export async function writeBackupArchive(
  path: string,
  about: { cloud: string; region: string; createdAt: Date },
  parts: (BackupFileEntry & { bytes: Buffer })[],
): Promise<BackupManifest> {
  const staging = mkdtempSync(join(tmpdir(), 'mallee-backup-'));
  try {
    const files = parts.map(({ bytes, ...entry }): BackupFileEntry => {
      writeSecretFile(join(staging, entry.fileName), bytes);
      return {
        component: entry.component,
        engine: entry.engine,
        fileName: entry.fileName,
        sizeBytes: bytes.length,
        sha256: createHash('sha256').update(bytes).digest('hex'),
      };
    });
    const manifest: BackupManifest = {
      format: 'mallee-backup/1',
      cloud: about.cloud,
      region: about.region,
      createdAt: about.createdAt.toISOString(),
      files,
      consistency: 'each file is a consistent online copy; the clc database was copied first, then Walrus metadata',
    };
    writeFileSync(join(staging, manifestName), JSON.stringify(manifest, null, 2) + '\n', { mode: 0o600 });
    const archive = join(staging, 'backup.tgz');
    await execa('tar', ['-czf', archive, '-C', staging, manifestName, ...files.map((file) => file.fileName)]);
    writeSecretFile(path, readFileSync(archive));
    return manifest;
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}

/** Unpacks a backup into a temporary folder and checks every file against the manifest. */
export async function openBackup(file: string): Promise<{ dir: string; manifest: BackupManifest; close(): void }> {
  const path = resolve(file);
  if (!existsSync(path)) throw new CliError('notFound', `No backup file at ${path}.`);
  const dir = mkdtempSync(join(tmpdir(), 'mallee-restore-'));
  const close = () => rmSync(dir, { recursive: true, force: true });
  try {
    await execa('tar', ['-xzf', path, '-C', dir]).catch((error: Error) => {
      throw new CliError('invalidConfig', `${path} is not a backup archive: ${error.message}`);
    });
    const manifestPath = join(dir, manifestName);
    if (!existsSync(manifestPath)) throw new CliError('invalidConfig', `${path} has no ${manifestName}.`);
    const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as BackupManifest;
    if (manifest.format !== 'mallee-backup/1') {
      throw new CliError('invalidConfig', `${path} is in format ${manifest.format}, which this cloudctl cannot read.`);
    }
    for (const entry of manifest.files) {
      const bytes = readFileSync(join(dir, entry.fileName));
      if (createHash('sha256').update(bytes).digest('hex') !== entry.sha256) {
        throw new CliError('invalidConfig', `${entry.fileName} in ${path} is damaged (checksum differs).`);
      }
    }
    return { dir, manifest, close };
  } catch (error) {
    close();
    throw error;
  }
}
