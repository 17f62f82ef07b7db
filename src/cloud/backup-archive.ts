import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { execa } from 'execa';
import { CliError } from '../cli/cli-error.js';
import { sha256OfFile } from '../util/file-hash.js';
import { finishAtomically, startAtomically } from '../util/secret-file.js';

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

/**
 * Writes the archive of the files in `dir` (named as `parts` name them, their checksums already taken), mode 0600
 * from the start (the database holds secret keys): `manifest.json` is added to `dir`, tar writes the archive under a
 * temporary name beside `path`, renamed into place once whole. The files are streamed, never read into memory.
 */
export async function writeBackupArchive(
  path: string,
  about: { cloud: string; region: string; createdAt: Date },
  dir: string,
  parts: readonly BackupFileEntry[],
): Promise<BackupManifest> {
  const manifest: BackupManifest = {
    format: 'mallee-backup/1',
    cloud: about.cloud,
    region: about.region,
    createdAt: about.createdAt.toISOString(),
    files: parts.map(({ component, engine, fileName, sizeBytes, sha256 }) => ({
      component,
      engine,
      fileName,
      sizeBytes,
      sha256,
    })),
    consistency: 'each file is a consistent online copy; the clc database was copied first, then Walrus metadata',
  };
  writeFileSync(join(dir, manifestName), JSON.stringify(manifest, null, 2) + '\n', { mode: 0o600 });
  const temporary = startAtomically(path, 0o600);
  try {
    await execa('tar', ['-czf', temporary, '-C', dir, manifestName, ...parts.map((part) => part.fileName)]);
    finishAtomically(temporary, path, 0o600);
  } catch (error) {
    rmSync(temporary, { force: true });
    throw error;
  }
  return manifest;
}

/**
 * Where a backup is unpacked: beside the archive (its disk had room for it, and /tmp is often a small tmpfs), or in
 * the temporary folder when the archive's folder is read-only (a mounted backup volume).
 */
function unpackingDir(archive: string): string {
  try {
    return mkdtempSync(join(dirname(archive), '.mallee-restore-'));
  } catch {
    return mkdtempSync(join(tmpdir(), 'mallee-restore-'));
  }
}

/** Unpacks a backup into a temporary folder and checks every file against the manifest. */
export async function openBackup(file: string): Promise<{ dir: string; manifest: BackupManifest; close(): void }> {
  const path = resolve(file);
  if (!existsSync(path)) throw new CliError('notFound', `No backup file at ${path}.`);
  const dir = unpackingDir(path);
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
      if ((await sha256OfFile(join(dir, entry.fileName))) !== entry.sha256) {
        throw new CliError('invalidConfig', `${entry.fileName} in ${path} is damaged (checksum differs).`);
      }
    }
    return { dir, manifest, close };
  } catch (error) {
    close();
    throw error;
  }
}
