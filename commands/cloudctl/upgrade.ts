import { Flags } from '@oclif/core';
import { MalleeCommand } from '../../src/cli/base-command.js';
import { interruptionSignal } from '../../src/cli/interruption.js';
import { installedCloudFlags, installedCloudOptions } from '../../src/cli/host-flags.js';
import { openInstalledCloud } from '../../src/operations/installed-cloud.js';
import { upgradeMessages } from '../../src/operations/upgrade-messages.js';
import { formatUpgrade, releaseFrom, upgradeCloud, type UpgradeResult } from '../../src/operations/upgrade.js';

const stderr = (text: string) => process.stderr.write(`${text}\n`);

export default class Upgrade extends MalleeCommand {
  static override summary = 'Move every daemon of the cloud to a new release, one at a time, rolling back on failure.';
  static override description =
    'Takes a backup first, copies the release to every host beside the running one, then restarts the daemons on ' +
    'it in a safe order (clc, walrus, each cc, each sc, then each node controller), each awaited until it answers ' +
    'healthy as the new version. When one does not, every daemon moved so far goes back to its previous release ' +
    'and the command exits 5. Ctrl-C stops once the daemon moving then is healthy, and moves back those moved (exit ' +
    '130). Running instances keep running. Without --bundle: the build this cloudctl runs from.';
  static override examples = [
    '<%= config.bin %> <%= command.id %> --yes',
    '<%= config.bin %> <%= command.id %> --bundle ~/src/mallee --cloud prod --ssh-key ~/.ssh/cloud',
  ];
  static override flags = {
    ...installedCloudFlags,
    bundle: Flags.string({
      description: 'a built Mallee project folder, or a bundle tarball (mallee-HASH.tar.gz)',
      helpValue: 'PATH',
    }),
    'health-timeout': Flags.integer({
      description: 'seconds each daemon has to answer healthy as the new version',
      default: 60,
      min: 1,
    }),
    yes: Flags.boolean({ char: 'y', description: 'do not ask for confirmation', default: false }),
  };

  async run(): Promise<UpgradeResult> {
    const { flags } = await this.parse(Upgrade);
    const installed = openInstalledCloud(installedCloudOptions(flags));
    const release = await releaseFrom(flags.bundle);
    const interruption = interruptionSignal((signal) => stderr(upgradeMessages.stopping(signal)));
    const result = await upgradeCloud(installed, release, {
      yes: flags.yes,
      healthTimeoutSeconds: flags['health-timeout'],
      progress: stderr,
      signal: interruption.signal,
    }).finally(interruption.dispose);
    this.log(formatUpgrade(result));
    return result;
  }
}
