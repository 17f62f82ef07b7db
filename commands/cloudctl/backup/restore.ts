import { Args, Flags } from '@oclif/core';
import { MalleeCommand } from '../../../src/cli/base-command.js';
import { confirmOrRefuse } from '../../../src/cli/confirm.js';
import { cloudFlag } from '../../../src/cli/flags.js';
import { formatRestoredBackup, restoreBackup, type RestoredBackup } from '../../../src/cloud/backup.js';
import { resolveCloudPath } from '../../../src/cloud/cloud-file.js';

export default class BackupRestore extends MalleeCommand {
  static override summary = "Restore the cloud controller's database and Walrus's metadata from a backup.";
  static override description =
    'Everything changed since the backup is lost. A local cloud is stopped, restored and started again.';
  static override examples = ['<%= config.bin %> <%= command.id %> cloud.tgz --yes'];
  static override args = { file: Args.string({ description: 'backup archive', required: true }) };
  static override flags = {
    cloud: cloudFlag,
    yes: Flags.boolean({ char: 'y', description: 'do not ask for confirmation' }),
  };

  async run(): Promise<RestoredBackup> {
    const { args, flags } = await this.parse(BackupRestore);
    const cloudPath = resolveCloudPath(flags.cloud);
    await confirmOrRefuse(`Restore ${args.file}, replacing the cloud's current state?`, flags.yes);
    const restored = await restoreBackup(cloudPath, args.file);
    this.log(formatRestoredBackup(restored));
    return restored;
  }
}
