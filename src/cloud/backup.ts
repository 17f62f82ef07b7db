import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { execa } from 'execa';
import { CliError } from '../cli/cli-error.js';
import { writeSecretFile } from '../util/secret-file.js';
import { adminCall, asList } from './admin-client.js';
import type { CloudFile } from './cloud-file.js';
import { restoreTargetFor } from './restore-targets.js';

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

export interface CreatedBackup {
  path: string;
  manifest: BackupManifest;
}

interface WirePart extends BackupFileEntry {
  data: string | Buffer;
}

const manifestName = 'manifest.json';

/**
 * Asks the clc for a backup (its database and Walrus's metadata, each a consistent online copy) and writes them with
 * a manifest into one `.tgz`, mode 0600: the database holds secret keys.
 */
export async function createBackup(cloud: CloudFile, cloudPath: string, output?: string): Promise<CreatedBackup> {
  const answer = await adminCall<{ createdAt: Date; parts: WirePart | WirePart[] }>(cloud, 'CreateBackup');
  const createdAt = new Date(answer.createdAt);
  const path = resolve(
    output ?? join(dirname(cloudPath), 'backups', `${cloud.name}-${createdAt.toISOString().replace(/[:.]/g, '-')}.tgz`),
  );
  if (existsSync(path)) {
    throw new CliError('conflict', `${path} already exists.`, 'Pass --output with another file name.');
  }
  const staging = mkdtempSync(join(tmpdir(), 'mallee-backup-'));
  try {
    const files = asList(answer.parts).map((part): BackupFileEntry => {
      const bytes = Buffer.isBuffer(part.data) ? part.data : Buffer.from(part.data, 'base64');
      const sha256 = createHash('sha256').update(bytes).digest('hex');
      if (sha256 !== part.sha256) throw new CliError('failure', `${part.fileName} arrived damaged (checksum differs).`);
      writeSecretFile(join(staging, part.fileName), bytes);
      const { data: _data, ...entry } = part;
      return { ...entry, sizeBytes: bytes.length };
    });
    const manifest: BackupManifest = {
      format: 'mallee-backup/1',
      cloud: cloud.name,
      region: cloud.region,
      createdAt: createdAt.toISOString(),
      files,
      consistency: 'each file is a consistent online copy; the clc database was copied first, then Walrus metadata',
    };
    writeFileSync(join(staging, manifestName), JSON.stringify(manifest, null, 2) + '\n', { mode: 0o600 });
    const archive = join(staging, 'backup.tgz');
    await execa('tar', ['-czf', archive, '-C', staging, manifestName, ...files.map((file) => file.fileName)]);
    writeSecretFile(path, readFileSync(archive));
    return { path, manifest };
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

export interface RestoredBackup {
  path: string;
  manifest: BackupManifest;
  target: string;
  steps: string[];
}

/** Restores a backup into the cloud `cloudPath` names, through the restore target that kind of cloud has. */
export async function restoreBackup(cloudPath: string, file: string): Promise<RestoredBackup> {
  const target = restoreTargetFor(cloudPath);
  const backup = await openBackup(file);
  try {
    const steps = await target.restore(backup.manifest, (entry) => join(backup.dir, entry.fileName));
    return { path: resolve(file), manifest: backup.manifest, target: target.describe, steps };
  } finally {
    backup.close();
  }
}

export function formatCreatedBackup(created: CreatedBackup): string {
  return [
    `Backup of ${created.manifest.cloud} written to ${created.path} (mode 0600):`,
    ...created.manifest.files.map((file) => `  ${file.fileName}  ${file.sizeBytes} bytes  (${file.component})`),
  ].join('\n');
}

export function formatRestoredBackup(restored: RestoredBackup): string {
  return [
    `Restored ${restored.path} (taken ${restored.manifest.createdAt}) into ${restored.target}:`,
    ...restored.steps.map((step) => `  ${step}`),
  ].join('\n');
}
