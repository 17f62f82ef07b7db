import { Args, Flags } from '@oclif/core';
import { MalleeCommand } from '../../../src/cli/base-command.js';
import { installedCloudFlags, installedCloudOptions } from '../../../src/cli/host-flags.js';
import { formatServiceChanges } from '../../../src/operations/format-services.js';
import { openInstalledCloud } from '../../../src/operations/installed-cloud.js';
import { changeServices, type ServiceChange } from '../../../src/operations/services.js';

export default class ServicesStart extends MalleeCommand {
  static override summary = 'Start a stopped daemon and wait until it answers /healthz.';
  static override description =
    'Puts the daemon back under its supervisor (or enables and starts its systemd unit), then waits up to 60 s for it to be healthy.';
  static override examples = ['<%= config.bin %> <%= command.id %> walrus'];
  static override args = {
    name: Args.string({
      description: 'a daemon (clc, walrus, cc-ZONE, nc-HOST), a component (every nc), or all (every daemon)',
      required: true,
    }),
  };
  static override flags = {
    ...installedCloudFlags,
    host: Flags.string({ description: 'only on this host' }),
  };

  async run(): Promise<ServiceChange[]> {
    const { args, flags } = await this.parse(ServicesStart);
    const installed = openInstalledCloud(installedCloudOptions(flags));
    const changes = await changeServices(installed, 'start', args.name, { host: flags.host, yes: true });
    this.log(formatServiceChanges(changes));
    return changes;
  }
}
