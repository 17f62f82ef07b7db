import { Flags } from '@oclif/core';
import { MalleeCommand } from '../../../src/cli/base-command.js';
import { localDirFlag } from '../../../src/cli/flags.js';
import { localUp, type LocalUpResult } from '../../../src/local/local-cloud.js';
import { formatLocalUp } from '../../../src/local/local-messages.js';

export default class LocalUp extends MalleeCommand {
  static override summary = 'Start an all-in-one cloud on this machine, on loopback.';
  static override description =
    'Starts every Mallee daemon as its own process on a free loopback port, with data under --dir, waits until all ' +
    'are healthy, writes DIR/cloud.json and DIR/aws-config, and returns, leaving the daemons running.';
  static override examples = [
    '<%= config.bin %> <%= command.id %> --dir /tmp/cloud',
    '<%= config.bin %> <%= command.id %> --dir /tmp/cloud --hypervisor qemu --json',
  ];

  static override flags = {
    dir: localDirFlag,
    hypervisor: Flags.string({
      description: 'what the node controller runs instances on: libvirt test driver, or qemu through libvirtd',
      options: ['test', 'qemu'],
      default: 'test',
    }),
  };

  async run(): Promise<LocalUpResult> {
    const { flags } = await this.parse(LocalUp);
    const result = await localUp(flags.dir, flags.hypervisor as 'test' | 'qemu');
    this.log(formatLocalUp(result));
    return result;
  }
}
