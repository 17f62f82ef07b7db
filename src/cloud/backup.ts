import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { CliError } from '../cli/cli-error.js';
import { confirmOrRefuse } from '../cli/confirm.js';
import type { InstalledCloudOptions } from '../operations/installed-cloud.js';
import { adminCall, asList } from './admin-client.js';
import { openBackup, writeBackupArchive, type BackupFileEntry, type BackupManifest } from './backup-archive.js';
import { backupMessages } from './backup-messages.js';
import type { CloudFile } from './cloud-file.js';
import { runRestore, type RestoreRunOptions } from './restore-run.js';
import { restoreTargetFor } from './restore-targets.js';

export interface CreatedBackup {
  path: string;
  manifest: BackupManifest;
}

interface WirePart extends BackupFileEntry {
  data: string | Buffer;
}

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
  const files = asList(answer.parts).map((part) => {
    const bytes = Buffer.isBuffer(part.data) ? part.data : Buffer.from(part.data, 'base64');
    if (createHash('sha256').update(bytes).digest('hex') !== part.sha256) {
      throw new CliError('failure', `${part.fileName} arrived damaged (checksum differs).`);
    }
    return { ...part, bytes };
  });
  const manifest = await writeBackupArchive(path, { cloud: cloud.name, region: cloud.region, createdAt }, files);
  return { path, manifest };
}

export interface RestoredBackup {
  path: string;
  manifest: BackupManifest;
  target: string;
  steps: string[];
}

/**
 * Restores a backup into the cloud `--cloud` names, through the restore target that kind of cloud has. The archive
 * is checked against its manifest before the question is asked, so a damaged file stops nothing.
 */
export async function restoreBackup(
  options: InstalledCloudOptions,
  file: string,
  yes: boolean,
  run: Omit<RestoreRunOptions, 'file'> = {},
): Promise<RestoredBackup> {
  const target = restoreTargetFor(options);
  const backup = await openBackup(file);
  try {
    await confirmOrRefuse(
      backupMessages.confirmRestore(resolve(file), backup.manifest, target.describe, target.stops),
      yes,
    );
    const steps = await runRestore(target, backup.manifest, (entry) => join(backup.dir, entry.fileName), {
      ...run,
      file,
    });
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
