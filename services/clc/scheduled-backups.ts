import { mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import { writeBackupArchive } from '../../src/cloud/backup-archive.js';
import type { BackupSchedule, ScheduledBackup } from '../../src/cloud/backup-schedule.js';
import type { Database } from '../../src/db/schema.js';
import type { BackupStaging } from './cloud-backup.js';
import { cloudPropertyValue, intervalSeconds } from './models/cloud-properties.js';

export interface ScheduledBackupsOptions {
  db: Kysely<Database>;
  /** Takes the backups (onto the clc's disk); each is discarded once archived. */
  staging: Pick<BackupStaging, 'stage' | 'discard'>;
  about: { cloud: string; region: string };
  /** Where backups go while `backup.schedule.dir` is empty: `backups/` in the clc's data directory. */
  defaultDir: string;
  log: Logger;
  /** The clock; tests pass their own to step through a schedule without waiting. */
  now?: () => number;
  /** Longest wait between two looks at the properties, so a changed schedule is seen soon (default 5 s). */
  recheckMs?: number;
}

/** Scheduled archives are named so that their names sort by time and nothing else in the folder is touched. */
const archivePattern = /^scheduled-(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})(\d{3})Z\.tgz$/;

function archiveName(at: Date): string {
  return `scheduled-${at.toISOString().replace(/[-:]/g, '').replace('.', '')}.tgz`;
}

/**
 * The clc's own scheduled backups: no cron or systemd timer needed, so it works wherever the clc runs. The schedule
 * is three cloud properties read at every look (a change needs no restart); the time of the newest archive in the
 * folder decides when the next is due, so a restarted clc keeps the rhythm. After each backup the oldest archives
 * beyond `backup.schedule.keep` are removed. A failure is logged and kept for `cloudctl backup schedule` to show; the
 * next attempt comes one interval later.
 */
export class ScheduledBackups {
  private timer?: NodeJS.Timeout;
  private running?: Promise<unknown>;
  private stopped = false;
  private lastError?: { message: string; at: Date };
  private lastAttemptMs?: number;
  private readonly now: () => number;

  constructor(private readonly options: ScheduledBackupsOptions) {
    this.now = options.now ?? Date.now;
  }

  start(): void {
    this.stopped = false;
    this.arm(0);
  }

  /** Waits for a backup being written, so the database is not closed under it. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running?.catch(() => undefined);
  }

  private arm(ms: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.running = this.runDue()
        .catch((error: Error) => {
          this.options.log.error({ err: error }, 'scheduled backup check failed');
          return this.options.recheckMs ?? 5000;
        })
        .then((next) => this.arm(next));
    }, ms);
    this.timer.unref();
  }

  /** Takes a backup if one is due; returns how long to wait before looking again. */
  async runDue(): Promise<number> {
    const recheckMs = this.options.recheckMs ?? 5000;
    const schedule = await this.schedule();
    if (schedule.intervalMs === undefined) return recheckMs;
    const due = this.dueAt(schedule.dir, schedule.intervalMs);
    if (due > this.now()) return Math.min(due - this.now(), recheckMs);
    await this.backupNow(schedule.dir, schedule.keep);
    return Math.min(schedule.intervalMs, recheckMs);
  }

  async describe(): Promise<BackupSchedule> {
    const schedule = await this.schedule();
    return {
      interval: schedule.interval,
      keep: schedule.keep,
      dir: schedule.dir,
      ...(schedule.intervalMs !== undefined && {
        nextBackupAt: new Date(Math.max(this.dueAt(schedule.dir, schedule.intervalMs), this.now())),
      }),
      ...(this.lastError && { lastError: this.lastError.message, lastErrorAt: this.lastError.at }),
      backups: this.archives(schedule.dir),
    };
  }

  private async schedule() {
    const { db } = this.options;
    const interval = await cloudPropertyValue(db, 'backup.schedule.interval');
    const seconds = intervalSeconds(interval);
    return {
      interval,
      intervalMs: seconds === undefined ? undefined : seconds * 1000,
      keep: Number(await cloudPropertyValue(db, 'backup.schedule.keep')),
      dir: (await cloudPropertyValue(db, 'backup.schedule.dir')) || this.options.defaultDir,
    };
  }

  /** One interval after the newest archive (or after the last failed attempt); now when there is none. */
  private dueAt(dir: string, intervalMs: number): number {
    const newest = this.archives(dir).at(-1)?.createdAt.getTime();
    const last = Math.max(newest ?? -Infinity, this.lastAttemptMs ?? -Infinity);
    return Number.isFinite(last) ? last + intervalMs : this.now();
  }

  private archives(dir: string): ScheduledBackup[] {
    let names: string[];
    try {
      names = readdirSync(dir).filter((name) => archivePattern.test(name));
    } catch {
      return [];
    }
    return names.sort().map((name) => {
      const [, year, month, day, hour, minute, second, ms] = archivePattern.exec(name)!.map(Number);
      const createdAt = new Date(Date.UTC(year!, month! - 1, day, hour, minute, second, ms));
      return { path: join(dir, name), createdAt, sizeBytes: statSync(join(dir, name)).size };
    });
  }

  private async backupNow(dir: string, keep: number): Promise<void> {
    const { log, about } = this.options;
    this.lastAttemptMs = this.now();
    try {
      const backup = await this.options.staging.stage();
      const path = join(dir, archiveName(backup.createdAt));
      try {
        mkdirSync(dir, { recursive: true, mode: 0o700 });
        await writeBackupArchive(path, { ...about, createdAt: backup.createdAt }, backup.dir, backup.parts);
      } finally {
        this.options.staging.discard(backup.backupId);
      }
      this.lastError = undefined;
      const removed = this.archives(dir).slice(0, -keep);
      for (const old of removed) rmSync(old.path, { force: true });
      log.info({ path, removed: removed.map((old) => old.path) }, 'scheduled backup written');
    } catch (error) {
      this.lastError = { message: (error as Error).message, at: new Date(this.now()) };
      log.error({ err: error, dir }, 'scheduled backup failed');
    }
  }
}
