import { Flags } from '@oclif/core';
import { MalleeCommand } from '../../../src/cli/base-command.js';
import { cloudFlag } from '../../../src/cli/flags.js';
import { createBackup, formatCreatedBackup, type CreatedBackup } from '../../../src/cloud/backup.js';
import { loadCloud } from '../../../src/cloud/cloud-file.js';

export default class BackupCreate extends MalleeCommand {
  static override summary = "Back up the cloud controller's database and Walrus's metadata while the cloud runs.";
  static override description =
    "The clc copies its database with SQLite's online backup API (or pg_dump) and fetches a copy of Walrus's " +
    'metadata the same way; both go into one .tgz with a manifest. Object bytes are not included.';
  static override examples = ['<%= config.bin %> <%= command.id %> --output cloud.tgz --json'];
  static override flags = {
    cloud: cloudFlag,
    output: Flags.string({ description: 'archive to write (default backups/CLOUD-TIME.tgz beside cloud.json)' }),
  };

  async run(): Promise<CreatedBackup> {
    const { flags } = await this.parse(BackupCreate);
    const { cloud, path } = loadCloud(flags.cloud);
    const created = await createBackup(cloud, path, flags.output);
    this.log(formatCreatedBackup(created));
    return created;
  }
}
