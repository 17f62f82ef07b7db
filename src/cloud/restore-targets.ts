import { existsSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { CliError } from '../cli/cli-error.js';
import { hypervisorUris, localDown, localLayout, localUp, type LocalHypervisor } from '../local/local-cloud.js';
import { openInstalledCloud, type InstalledCloudOptions } from '../operations/installed-cloud.js';
import { installedRestoreTarget } from '../operations/installed-restore.js';
import { copyFileAtomically } from '../util/secret-file.js';
import type { BackupFileEntry, BackupManifest } from './backup-archive.js';
import { backupMessages } from './backup-messages.js';
import { resolveCloudPath } from './cloud-file.js';

/**
 * Where a backup goes back in: the seam between `cloudctl backup restore` and the kind of cloud. A local cloud is
 * one folder on this machine; an installed cloud's clc and Walrus live on their hosts, reached over SSH.
 */
export interface RestoreTarget {
  describe: string;
  /** The daemons the restore stops and starts again, for the confirmation question. */
  stops: string[];
  /** Checks that the backup fits this cloud, refusing before anything stops, and gives the restore's three phases. */
  prepare(manifest: BackupManifest): RestorePhases;
}

/**
 * A restore in three phases, run in order by `runRestore` (src/cloud/restore-run.ts). Each tells `progress` what it
 * begins and returns what it did, a line a step.
 */
export interface RestorePhases {
  /** Stops the daemons that hold the files. */
  stop(progress: Progress): Promise<string[]>;
  /** Puts every file of the backup in place, each replaced atomically. */
  putInPlace(fileOf: (entry: BackupFileEntry) => string, progress: Progress): Promise<string[]>;
  /** Starts the daemons stopped again, and waits until they are healthy. */
  start(progress: Progress): Promise<string[]>;
}

export type Progress = (line: string) => void;

/** The cloud `--cloud` names: a local cloud when its folder has the local layout, else an installed one. */
export function restoreTargetFor(options: InstalledCloudOptions): RestoreTarget {
  const dir = dirname(resolveCloudPath(options.cloud));
  if (existsSync(localLayout(dir).config('clc'))) return localRestoreTarget(dir);
  return installedRestoreTarget(openInstalledCloud(options));
}

/**
 * A local cloud: stop its daemons, put the SQLite files in their data folders (with no write-ahead log left beside
 * them, which belongs to the replaced database), and start it again. Walrus sweeps blobs no restored metadata refers
 * to as it starts.
 */
function localRestoreTarget(dir: string): RestoreTarget {
  const layout = localLayout(dir);
  const destinations: Record<BackupFileEntry['component'], string> = {
    clc: join(layout.data('clc'), 'clc.sqlite'),
    walrus: join(layout.data('walrus'), 'walrus.sqlite'),
  };
  return {
    describe: `the local cloud in ${layout.root}`,
    stops: existsSync(layout.daemonsFile) ? ['its daemons'] : [],
    prepare(manifest) {
      for (const entry of manifest.files) {
        if (entry.engine !== 'sqlite') {
          throw new CliError('usage', `${entry.fileName} is a ${entry.engine} backup; a local cloud uses SQLite.`);
        }
      }
      const hypervisor = localHypervisorOf(layout);
      return {
        async stop(progress) {
          if (!existsSync(layout.daemonsFile)) return [];
          progress(backupMessages.stopping('its daemons', 'this machine'));
          const stopped = await localDown(dir);
          return [`stopped ${stopped.map((daemon) => daemon.name).join(', ')}`];
        },
        async putInPlace(fileOf, progress) {
          const steps: string[] = [];
          for (const entry of manifest.files) {
            const destination = destinations[entry.component];
            progress(backupMessages.puttingInPlace(entry.fileName, 'this machine'));
            for (const suffix of ['-wal', '-shm']) rmSync(`${destination}${suffix}`, { force: true });
            copyFileAtomically(fileOf(entry), destination, 0o600);
            steps.push(`restored ${entry.fileName} to ${destination}`);
          }
          return steps;
        },
        async start(progress) {
          progress(backupMessages.starting('its daemons', 'this machine'));
          const up = await localUp(dir, hypervisor);
          return [`started ${up.daemons.map((daemon) => daemon.name).join(', ')} (${up.seconds.toFixed(1)} s)`];
        },
      };
    },
  };
}

function localHypervisorOf(layout: ReturnType<typeof localLayout>): LocalHypervisor {
  const ncConfig = layout.config('nc-local');
  if (!existsSync(ncConfig)) return 'test';
  const uri = (JSON.parse(readFileSync(ncConfig, 'utf8')) as { hypervisor?: string }).hypervisor;
  const known = Object.entries(hypervisorUris).find(([, value]) => value === uri);
  return (known?.[0] as LocalHypervisor | undefined) ?? 'test';
}
