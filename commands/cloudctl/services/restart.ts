import { Args, Flags } from '@oclif/core';
import { MalleeCommand } from '../../../src/cli/base-command.js';
import { installedCloudFlags, installedCloudOptions } from '../../../src/cli/host-flags.js';
import { formatServiceChanges } from '../../../src/operations/format-services.js';
import { openInstalledCloud } from '../../../src/operations/installed-cloud.js';
import { changeServices, type ServiceChange } from '../../../src/operations/services.js';

export default class ServicesRestart extends MalleeCommand {
  static override summary = 'Restart a daemon and wait until it answers /healthz.';
  static override description =
    'Stops the daemon (SIGTERM, in-flight requests finish), starts it again at the same revision, and waits up to 60 s for it to be healthy.';
  static override examples = ['<%= config.bin %> <%= command.id %> nc --host node1 --yes'];
  static override args = {
    name: Args.string({
      description: 'a daemon (clc, walrus, cc-ZONE, nc-HOST), a component (every nc), or all (every daemon)',
      required: true,
    }),
  };
  static override flags = {
    ...installedCloudFlags,
    host: Flags.string({ description: 'only on this host' }),
    yes: Flags.boolean({ char: 'y', description: 'do not ask for confirmation', default: false }),
  };

  async run(): Promise<ServiceChange[]> {
    const { args, flags } = await this.parse(ServicesRestart);
    const installed = openInstalledCloud(installedCloudOptions(flags));
    const changes = await changeServices(installed, 'restart', args.name, { host: flags.host, yes: flags.yes });
    this.log(formatServiceChanges(changes));
    return changes;
  }
}
