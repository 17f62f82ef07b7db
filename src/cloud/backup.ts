import { createHash } from 'node:crypto';
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
import { writeSecretFile } from '../util/secret-file.js';
import type { CloudFile } from './cloud-file.js';
import { runRestore, type RestoreRunOptions } from './restore-run.js';
import { restoreTargetFor } from './restore-targets.js';

export interface CreatedBackup {
  path: string;
  manifest: BackupManifest;
}

/**
 * What `CreateBackup` answers: the backup's id, its files to fetch one by one after it. A clc from before streamed
 * backups (met by `cloudctl upgrade`, which backs up the cloud it is about to upgrade) has no id and puts each file's
 * bytes in the answer, in base64.
 */
export interface CreateBackupAnswer {
  backupId?: string;
  createdAt: Date;
  parts: BackupPartAnswer | BackupPartAnswer[];
}

type BackupPartAnswer = BackupFileEntry & { data?: string | Buffer };

/** Puts one file of the backup at `destination`: fetched from the clc, or written from the answer of an older clc. */
export async function fetchBackupPart(
  cloud: CloudFile,
  answer: CreateBackupAnswer,
  part: BackupPartAnswer,
  destination: string,
): Promise<void> {
  let sha256: string;
  if (part.data !== undefined) {
    const bytes = Buffer.isBuffer(part.data) ? part.data : Buffer.from(part.data, 'base64');
    writeSecretFile(destination, bytes);
    sha256 = createHash('sha256').update(bytes).digest('hex');
  } else {
    const url = `${cloud.endpoints.admin}/backups/${answer.backupId}/${encodeURIComponent(part.fileName)}`;
    const tls = PkiStore.open(cloud.pkiDir).hostCredentials(adminCertificateName);
    ({ sha256 } = await downloadBackupFile(url, tls, destination, part.fileName).catch((error: Error) => {
      throw new CliError('failure', `${error.message}.`);
    }));
  }
  if (sha256 !== part.sha256) throw new CliError('failure', `${part.fileName} arrived damaged (checksum differs).`);
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
  const answer = await adminCall<CreateBackupAnswer>(cloud, 'CreateBackup');
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
      const parts = asList(answer.parts);
      for (const part of parts) await fetchBackupPart(cloud, answer, part, join(staging, part.fileName));
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
    if (answer.backupId !== undefined) {
      await adminCall(cloud, 'DiscardBackup', { backupId: answer.backupId }).catch(() => undefined);
    }
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
