import { CliError } from '../cli/cli-error.js';
import type { BackupFileEntry, BackupManifest } from './backup-archive.js';
import { backupMessages } from './backup-messages.js';
import type { Progress, RestoreTarget } from './restore-targets.js';

export interface RestoreRunOptions {
  /** Told what each phase begins, as it begins. */
  progress?: Progress;
  /** Aborted by Ctrl-C (or SIGTERM). */
  signal?: AbortSignal;
  /** The archive, for the hint after an interruption. */
  file: string;
}

/**
 * Stops the daemons, puts the backup's files in place and starts the daemons again; returns what was done, step by
 * step. The cloud is never left stopped by what the restore itself can see: a file that fails to go in place leaves
 * the old one (each is replaced atomically), and the daemons start again on it.
 *
 * Ctrl-C before any file is replaced stops there: the daemons stopped start again on their own data, nothing is
 * restored, and the error says so (exit 130). Once files are going in place the restore finishes, since stopping
 * halfway would leave the clc's database and Walrus's metadata from two different points in time.
 */
export async function runRestore(
  target: RestoreTarget,
  manifest: BackupManifest,
  fileOf: (entry: BackupFileEntry) => string,
  { progress = () => undefined, signal, file }: RestoreRunOptions,
): Promise<string[]> {
  const phases = target.prepare(manifest);
  let replacing = false;
  const acknowledge = () => {
    const name = String(signal!.reason);
    progress(
      replacing ? backupMessages.interruptedWhileReplacing(name) : backupMessages.interruptedBeforeReplacing(name),
    );
  };
  const interrupted = (startedAgain: boolean) =>
    new CliError(
      'interrupted',
      backupMessages.interrupted(String(signal!.reason), startedAgain),
      backupMessages.interruptedHint(file),
    );
  if (signal?.aborted) throw interrupted(false);
  signal?.addEventListener('abort', acknowledge, { once: true });
  try {
    const steps: string[] = [];
    try {
      steps.push(...(await phases.stop(progress)));
      if (!signal?.aborted) {
        replacing = true;
        steps.push(...(await phases.putInPlace(fileOf, progress)));
      }
    } catch (error) {
      // A stop or a file that failed: what is in place is whole, and better running than stopped.
      await phases.start(progress).catch(() => undefined);
      throw error;
    }
    steps.push(...(await phases.start(progress)));
    if (!replacing) throw interrupted(true);
    return steps;
  } finally {
    signal?.removeEventListener('abort', acknowledge);
  }
}
