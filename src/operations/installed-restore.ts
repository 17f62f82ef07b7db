import { join } from 'node:path';
import { CliError } from '../cli/cli-error.js';
import type { BackupFileEntry, BackupManifest } from '../cloud/backup-archive.js';
import { backupMessages } from '../cloud/backup-messages.js';
import type { RestoreTarget } from '../cloud/restore-targets.js';
import type { PlannedDaemon } from '../deploy/daemon-plan.js';
import { shellQuote as q } from '../deploy/host-layout.js';
import type { Operator } from '../operators/operator.js';
import { onHost } from './host-access.js';
import type { InstalledCloud } from './installed-cloud.js';
import { controlServices } from './service-control.js';
import { passfileLine, splitPostgresUrl } from '../db/postgres-password.js';
import { waitHealthy } from './services.js';

/** The file each component's database is, in its data directory (services/clc and services/walrus open these). */
const sqliteFiles: Record<BackupFileEntry['component'], string> = { clc: 'clc.sqlite', walrus: 'walrus.sqlite' };

/**
 * A cloud `faststart install` installed: the clc and Walrus are stopped on their hosts (systemd or Mallee's
 * supervisor, as installed), their databases are put in place through the installer's Operator (local for an
 * all-in-one cloud, SSH otherwise), and they start again, Walrus first, each awaited until /healthz says healthy.
 * SQLite files replace the old ones along with their write-ahead log; a PostgreSQL dump is loaded with pg_restore
 * on the clc's host, which already needs pg_dump for backups.
 */
export function installedRestoreTarget(installed: InstalledCloud): RestoreTarget {
  const daemonOf = (component: BackupFileEntry['component']): PlannedDaemon | undefined =>
    installed.daemons.find((daemon) => daemon.component.component === component);
  const held = (['clc', 'walrus'] as const).flatMap((component) => daemonOf(component) ?? []);
  return {
    describe: `the installed cloud ${installed.name}`,
    stops: held.map((daemon) => `${daemon.name} (${daemon.host.name})`),
    prepare(manifest) {
      const parts = placements(installed, manifest, daemonOf);
      // The clc first: it writes its database and asks Walrus; Walrus then has no client left mid-request.
      const stopping = held.filter((daemon) => parts.some((part) => part.daemon === daemon));
      // Each daemon a stop was asked of, even one whose stop failed halfway: start asks them all back.
      const stopped: PlannedDaemon[] = [];
      return {
        async stop(progress) {
          const steps: string[] = [];
          for (const daemon of stopping) {
            progress(backupMessages.stopping(daemon.name, daemon.host.name));
            stopped.push(daemon);
            await onHost(installed.open, daemon.host, (operator) =>
              controlServices(operator, installed, [daemon], 'stop'),
            );
            steps.push(`stopped ${daemon.name} on ${daemon.host.name}`);
          }
          return steps;
        },
        async putInPlace(fileOf, progress) {
          const steps: string[] = [];
          for (const part of parts) {
            progress(backupMessages.puttingInPlace(part.entry.fileName, part.daemon.host.name));
            steps.push(
              await onHost(installed.open, part.daemon.host, (operator) =>
                putInPlace(installed, operator, part, fileOf(part.entry)),
              ),
            );
          }
          return steps;
        },
        // Walrus first, then the clc; each is healthy only once it reaches the other, so both start before the wait.
        async start(progress) {
          const starting = [...stopped].reverse();
          for (const daemon of starting) {
            progress(backupMessages.starting(daemon.name, daemon.host.name));
            await onHost(installed.open, daemon.host, (operator) =>
              controlServices(operator, installed, [daemon], 'start'),
            );
          }
          const steps: string[] = [];
          for (const daemon of starting) {
            const status = await waitHealthy(installed, daemon);
            steps.push(`started ${daemon.name} on ${daemon.host.name}: ${status.state}`);
          }
          return steps;
        },
      };
    },
  };
}

interface Placement {
  entry: BackupFileEntry;
  daemon: PlannedDaemon;
}

/** Which daemon each file of the backup belongs to; refuses before anything is stopped when one does not fit. */
function placements(
  installed: InstalledCloud,
  manifest: BackupManifest,
  daemonOf: (component: BackupFileEntry['component']) => PlannedDaemon | undefined,
): Placement[] {
  return manifest.files.map((entry) => {
    const daemon = daemonOf(entry.component);
    if (!daemon) {
      throw new CliError(
        'usage',
        backupMessages.noDaemonFor(entry.component, installed.name),
        backupMessages.noDaemonForHint,
      );
    }
    const engine = entry.component === 'clc' ? installed.config.database.engine : 'sqlite';
    if (entry.engine !== engine) {
      throw new CliError(
        'usage',
        backupMessages.engineMismatch(entry.fileName, entry.engine, engine),
        backupMessages.engineMismatchHint,
      );
    }
    return { entry, daemon };
  });
}

async function putInPlace(
  installed: InstalledCloud,
  operator: Operator,
  { entry, daemon }: Placement,
  localFile: string,
): Promise<string> {
  const dataDir = daemon.component.dataDir;
  if (entry.engine === 'sqlite') {
    const destination = join(dataDir, sqliteFiles[entry.component]);
    // The write-ahead log beside the old file belongs to the old database: replayed onto the new one it would corrupt it.
    await operator.check(`rm -f ${q(`${destination}-wal`)} ${q(`${destination}-shm`)}`, { sudo: true });
    await operator.putFile(localFile, destination, { mode: 0o600, sudo: true });
    return `restored ${entry.fileName} to ${destination} on ${operator.hostName}`;
  }
  const { database } = installed.config;
  if (database.engine !== 'postgresql') throw new Error('a PostgreSQL dump for a SQLite cloud');
  const dump = join(dataDir, `restore-${entry.fileName}`);
  const script = `${dump}.sql`;
  const passfile = `${dump}.pgpass`;
  const { url, password } = splitPostgresUrl(database.url);
  await operator.putFile(localFile, dump, { mode: 0o600, sudo: true });
  try {
    await operator.writeFile(script, dropClcTables, { mode: 0o600, sudo: true });
    // The password in a 0600 file, not on psql's command line, which every user of the host can read.
    if (password !== undefined) await operator.writeFile(passfile, passfileLine(password), { mode: 0o600, sudo: true });
    // The dump as SQL after the drop, into one file (no pipe: sh has no pipefail, and half a dump must never load).
    await restoreStep(operator, `pg_restore --no-owner --no-privileges --file=- ${q(dump)} >> ${q(script)}`);
    await restoreStep(
      operator,
      `PGPASSFILE=${q(passfile)} psql --no-psqlrc --quiet -v ON_ERROR_STOP=1 --single-transaction --dbname=${q(url)} --file=${q(script)}`,
    );
  } finally {
    await operator.run(`rm -f ${q(dump)} ${q(script)} ${q(passfile)}`, { sudo: true });
  }
  return `loaded ${entry.fileName} into the PostgreSQL database with pg_restore and psql on ${operator.hostName}`;
}

/**
 * Every table of the clc's schema goes first, so the database becomes exactly the backup's (as a SQLite file would):
 * tables a later migration made do not linger to trip that migration when it runs again. The clc's schema is tables
 * and their indexes only (src/db/migrations). All of it runs in the one transaction with the dump's SQL.
 */
const dropClcTables = `DO $$
DECLARE t record;
BEGIN
  FOR t IN SELECT tablename FROM pg_tables WHERE schemaname = current_schema() LOOP
    EXECUTE format('DROP TABLE IF EXISTS %I CASCADE', t.tablename);
  END LOOP;
END $$;
`;

async function restoreStep(operator: Operator, command: string): Promise<void> {
  const result = await operator.run(command, { sudo: true, timeoutMs: 10 * 60_000 });
  if (result.exitCode !== 0) {
    throw new CliError(
      'failure',
      backupMessages.pgRestoreFailed(operator.hostName, result.stderr.trim().split('\n').slice(-5).join('\n')),
      backupMessages.pgRestoreHint,
    );
  }
}
