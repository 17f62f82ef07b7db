import { Args, Flags } from '@oclif/core';
import { MalleeCommand } from '../../../src/cli/base-command.js';
import { interruptionSignal } from '../../../src/cli/interruption.js';
import { installedCloudFlags, installedCloudOptions } from '../../../src/cli/host-flags.js';
import { formatRestoredBackup, restoreBackup, type RestoredBackup } from '../../../src/cloud/backup.js';

export default class BackupRestore extends MalleeCommand {
  static override summary = "Restore the cloud controller's database and Walrus's metadata from a backup.";
  static override description =
    'Everything changed since the backup is lost. A local cloud is stopped, restored and started again. An ' +
    'installed cloud has its clc and walrus stopped on their hosts (over SSH, or locally for an all-in-one cloud), ' +
    'their databases put in place (a PostgreSQL dump through pg_restore on the clc host), and both started again ' +
    'and awaited until healthy. Ctrl-C before any file is replaced starts the daemons again on their own data ' +
    '(exit 130); once files are going in place, the restore finishes. Cloud properties (the backup schedule among them) live in the clc database and ' +
    'come back as the backup had them.';
  static override examples = [
    '<%= config.bin %> <%= command.id %> cloud.tgz --yes',
    '<%= config.bin %> <%= command.id %> cloud.tgz --cloud prod --ssh-key ~/.ssh/cloud',
  ];
  static override args = { file: Args.string({ description: 'backup archive', required: true }) };
  static override flags = {
    ...installedCloudFlags,
    yes: Flags.boolean({ char: 'y', description: 'do not ask for confirmation' }),
  };

  async run(): Promise<RestoredBackup> {
    const { args, flags } = await this.parse(BackupRestore);
    // What the first Ctrl-C does depends on the phase: the restore says it (src/cloud/restore-run.ts).
    const interruption = interruptionSignal(() => undefined);
    const restored = await restoreBackup(installedCloudOptions(flags), args.file, flags.yes, {
      progress: (line) => process.stderr.write(`${line}\n`),
      signal: interruption.signal,
    }).finally(interruption.dispose);
    this.log(formatRestoredBackup(restored));
    return restored;
  }
}
