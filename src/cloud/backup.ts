import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { CliError } from '../cli/cli-error.js';
import { confirmOrRefuse } from '../cli/confirm.js';
import type { InstalledCloudOptions } from '../operations/installed-cloud.js';
import { PkiStore } from '../pki/pki-store.js';
import { adminCall, adminCertificateName, asList } from './admin-client.js';
import { openBackup, writeBackupArchive, type BackupFileEntry, type BackupManifest } from './backup-archive.js';
import { backupMessages } from './backup-messages.js';
import { downloadBackupFile } from './backup-transfer.js';
import type { CloudFile } from './cloud-file.js';
import { runRestore, type RestoreRunOptions } from './restore-run.js';
import { restoreTargetFor } from './restore-targets.js';

export interface CreatedBackup {
  path: string;
  manifest: BackupManifest;
}

/** What `CreateBackup` answers: the backup's files are fetched after it, one by one. */
interface StagedBackupAnswer {
  backupId: string;
  createdAt: Date;
  parts: BackupFileEntry | BackupFileEntry[];
}

/**
 * Has the clc take a backup (its database and Walrus's metadata, each a consistent online copy, kept on its disk),
 * streams each file here over mTLS with the admin certificate, checking size and SHA-256, and writes them with a
 * manifest into one `.tgz`, mode 0600 (the database holds secret keys). The clc's copy is discarded in the end,
 * fetched or not. Files go through a folder beside the archive, never through memory.
 */
export async function createBackup(cloud: CloudFile, cloudPath: string, output?: string): Promise<CreatedBackup> {
  const refuseExisting = (path: string) => {
    if (existsSync(path)) {
      throw new CliError('conflict', `${path} already exists.`, 'Pass --output with another file name.');
    }
  };
  // A named archive that is there already is refused before the clc takes a backup for nothing.
  if (output !== undefined) refuseExisting(resolve(output));
  const answer = await adminCall<StagedBackupAnswer>(cloud, 'CreateBackup');
  try {
    const createdAt = new Date(answer.createdAt);
    const path = resolve(
      output ??
        join(dirname(cloudPath), 'backups', `${cloud.name}-${createdAt.toISOString().replace(/[:.]/g, '-')}.tgz`),
    );
    refuseExisting(path);
    mkdirSync(dirname(path), { recursive: true });
    const staging = mkdtempSync(join(dirname(path), '.mallee-backup-'));
    try {
      const tls = PkiStore.open(cloud.pkiDir).hostCredentials(adminCertificateName);
      const parts = asList(answer.parts);
      for (const part of parts) {
        const url = `${cloud.endpoints.admin}/backups/${answer.backupId}/${encodeURIComponent(part.fileName)}`;
        const fetched = await downloadBackupFile(url, tls, join(staging, part.fileName), part.fileName).catch(
          (error: Error) => {
            throw new CliError('failure', `${error.message}.`);
          },
        );
        if (fetched.sha256 !== part.sha256) {
          throw new CliError('failure', `${part.fileName} arrived damaged (checksum differs).`);
        }
      }
      const manifest = await writeBackupArchive(
        path,
        { cloud: cloud.name, region: cloud.region, createdAt },
        staging,
        parts,
      );
      return { path, manifest };
    } finally {
      rmSync(staging, { recursive: true, force: true });
    }
  } finally {
    await adminCall(cloud, 'DiscardBackup', { backupId: answer.backupId }).catch(() => undefined);
  }
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
