import { Flags } from '@oclif/core';
import { MalleeCommand } from '../../../src/cli/base-command.js';
import { cloudFlag } from '../../../src/cli/flags.js';
import {
  configureBackupSchedule,
  formatBackupSchedule,
  type BackupSchedule,
} from '../../../src/cloud/backup-schedule.js';
import { loadCloud } from '../../../src/cloud/cloud-file.js';

export default class BackupScheduleCommand extends MalleeCommand {
  static override summary = 'Show or change the backups the cloud controller takes by itself.';
  static override description =
    'The clc writes each backup as a .tgz (like `backup create`) into a folder on its own host and removes the oldest ' +
    'beyond --keep. The schedule is held in the cloud properties backup.schedule.*, so it survives restarts and ' +
    'needs no cron or systemd timer. Without flags, shows the schedule and the backups it has written.';
  static override examples = [
    '<%= config.bin %> <%= command.id %> --every 6h --keep 7',
    '<%= config.bin %> <%= command.id %> --off',
    '<%= config.bin %> <%= command.id %> --json',
  ];
  static override flags = {
    cloud: cloudFlag,
    every: Flags.string({ description: 'take a backup this often: 30m, 6h, 1d ...', exclusive: ['off'] }),
    off: Flags.boolean({ description: 'stop taking scheduled backups (those written stay)', exclusive: ['every'] }),
    keep: Flags.integer({ description: 'how many scheduled backups to keep', min: 1 }),
    dir: Flags.string({ description: "folder on the clc's host (default: backups/ in its data directory)" }),
  };

  async run(): Promise<BackupSchedule> {
    const { flags } = await this.parse(BackupScheduleCommand);
    const { cloud } = loadCloud(flags.cloud);
    const schedule = await configureBackupSchedule(cloud, flags);
    this.log(formatBackupSchedule(schedule));
    return schedule;
  }
}
