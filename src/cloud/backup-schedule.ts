import { adminCall, asList } from './admin-client.js';
import type { CloudFile } from './cloud-file.js';
import { setProperty } from './properties.js';

/** An archive the clc's scheduled backups wrote, on the clc's host. */
export interface ScheduledBackup {
  path: string;
  createdAt: Date;
  sizeBytes: number;
}

/** The schedule as the clc runs it (wsdl/admin.wsdl `DescribeBackupScheduleResponse`). */
export interface BackupSchedule {
  interval: string;
  keep: number;
  dir: string;
  nextBackupAt?: Date;
  lastError?: string;
  lastErrorAt?: Date;
  backups: ScheduledBackup[];
}

/** What `cloudctl backup schedule` changes: `off` turns scheduled backups off; unset fields stay as they are. */
export interface ScheduleChange {
  every?: string;
  off?: boolean;
  keep?: number;
  dir?: string;
}

/** The properties a change sets, by name; the clc validates each (an interval, a count, an absolute path). */
function propertiesOf(change: ScheduleChange): [string, string][] {
  const interval = change.off ? 'off' : change.every;
  return [
    ...(interval !== undefined ? [['backup.schedule.interval', interval] as [string, string]] : []),
    ...(change.keep !== undefined ? [['backup.schedule.keep', String(change.keep)] as [string, string]] : []),
    ...(change.dir !== undefined ? [['backup.schedule.dir', change.dir] as [string, string]] : []),
  ];
}

/**
 * Sets the schedule's properties (the clc reads them at its next look, within seconds) and returns the schedule as
 * the clc then sees it.
 */
export async function configureBackupSchedule(cloud: CloudFile, change: ScheduleChange): Promise<BackupSchedule> {
  for (const [name, value] of propertiesOf(change)) await setProperty(cloud, name, value);
  return describeBackupSchedule(cloud);
}

export async function describeBackupSchedule(cloud: CloudFile): Promise<BackupSchedule> {
  const answer = await adminCall<Omit<BackupSchedule, 'backups'> & { backups?: ScheduledBackup | ScheduledBackup[] }>(
    cloud,
    'DescribeBackupSchedule',
  );
  return {
    ...answer,
    keep: Number(answer.keep),
    backups: asList(answer.backups).map((backup) => ({ ...backup, sizeBytes: Number(backup.sizeBytes) })),
  };
}

export function formatBackupSchedule(schedule: BackupSchedule): string {
  const iso = (date: Date) => new Date(date).toISOString();
  const lines = [
    schedule.interval === 'off'
      ? `Scheduled backups are off (the last ${schedule.keep} would be kept in ${schedule.dir} on the clc's host).`
      : `Every ${schedule.interval}, keeping the last ${schedule.keep}, in ${schedule.dir} on the clc's host.`,
  ];
  if (schedule.nextBackupAt) lines.push(`Next backup: ${iso(schedule.nextBackupAt)}`);
  if (schedule.lastError) lines.push(`Last attempt failed at ${iso(schedule.lastErrorAt!)}: ${schedule.lastError}`);
  if (schedule.backups.length > 0) lines.push('Backups:');
  for (const backup of schedule.backups) {
    lines.push(`  ${backup.path}  ${backup.sizeBytes} bytes  ${iso(backup.createdAt)}`);
  }
  return lines.join('\n');
}
