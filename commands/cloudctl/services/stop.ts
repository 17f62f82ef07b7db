import { Args, Flags } from '@oclif/core';
import { MalleeCommand } from '../../../src/cli/base-command.js';
import { installedCloudFlags, installedCloudOptions } from '../../../src/cli/host-flags.js';
import { formatServiceChanges } from '../../../src/operations/format-services.js';
import { openInstalledCloud } from '../../../src/operations/installed-cloud.js';
import { changeServices, type ServiceChange } from '../../../src/operations/services.js';

export default class ServicesStop extends MalleeCommand {
  static override summary = 'Stop a daemon of the cloud; it stays stopped until `services start`.';
  static override description =
    "Under Mallee's supervisor the daemon leaves the supervisor's config (kept aside for start); under systemd its unit is disabled and stopped.";
  static override examples = ['<%= config.bin %> <%= command.id %> walrus --yes'];
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
    const { args, flags } = await this.parse(ServicesStop);
    const installed = openInstalledCloud(installedCloudOptions(flags));
    const changes = await changeServices(installed, 'stop', args.name, { host: flags.host, yes: flags.yes });
    this.log(formatServiceChanges(changes));
    return changes;
  }
}
