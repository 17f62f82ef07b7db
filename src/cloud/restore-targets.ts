import { existsSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { CliError } from '../cli/cli-error.js';
import { hypervisorUris, localDown, localLayout, localUp, type LocalHypervisor } from '../local/local-cloud.js';
import { openInstalledCloud, type InstalledCloudOptions } from '../operations/installed-cloud.js';
import { installedRestoreTarget } from '../operations/installed-restore.js';
import { writeFileAtomically } from '../util/secret-file.js';
import type { BackupFileEntry, BackupManifest } from './backup-archive.js';
import { resolveCloudPath } from './cloud-file.js';

/**
 * Where a backup goes back in: the seam between `cloudctl backup restore` and the kind of cloud. A local cloud is
 * one folder on this machine; an installed cloud's clc and Walrus live on their hosts, reached over SSH.
 */
export interface RestoreTarget {
  describe: string;
  /** The daemons the restore stops and starts again, for the confirmation question. */
  stops: string[];
  /** Puts every file of the manifest in place and brings the cloud back; returns what it did, step by step. */
  restore(manifest: BackupManifest, fileOf: (entry: BackupFileEntry) => string): Promise<string[]>;
}

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
    async restore(manifest, fileOf) {
      for (const entry of manifest.files) {
        if (entry.engine !== 'sqlite') {
          throw new CliError('usage', `${entry.fileName} is a ${entry.engine} backup; a local cloud uses SQLite.`);
        }
      }
      const hypervisor = localHypervisorOf(layout);
      const steps: string[] = [];
      if (existsSync(layout.daemonsFile)) {
        const stopped = await localDown(dir);
        steps.push(`stopped ${stopped.map((daemon) => daemon.name).join(', ')}`);
      }
      for (const entry of manifest.files) {
        const destination = destinations[entry.component];
        for (const suffix of ['-wal', '-shm']) rmSync(`${destination}${suffix}`, { force: true });
        writeFileAtomically(destination, readFileSync(fileOf(entry)), 0o600);
        steps.push(`restored ${entry.fileName} to ${destination}`);
      }
      const up = await localUp(dir, hypervisor);
      steps.push(`started ${up.daemons.map((daemon) => daemon.name).join(', ')} (${up.seconds.toFixed(1)} s)`);
      return steps;
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
