import { Flags } from '@oclif/core';
import { MalleeCommand } from '../../../src/cli/base-command.js';
import { installedCloudFlags, installedCloudOptions } from '../../../src/cli/host-flags.js';
import { outputFlag } from '../../../src/cli/list-output.js';
import type { ComponentStatus } from '../../../src/operations/cloud-status.js';
import { formatComponents } from '../../../src/operations/format-status.js';
import { openInstalledCloud } from '../../../src/operations/installed-cloud.js';
import { listServices } from '../../../src/operations/services.js';

export default class ServicesList extends MalleeCommand {
  static override summary = 'List the daemons of the cloud with their state, pid, version, uptime and restarts.';
  static override examples = ['<%= config.bin %> <%= command.id %> --host node1 --json'];
  static override flags = {
    ...installedCloudFlags,
    host: Flags.string({ description: 'only on this host' }),
    output: outputFlag,
  };

  async run(): Promise<ComponentStatus[]> {
    const { flags } = await this.parse(ServicesList);
    const services = await listServices(openInstalledCloud(installedCloudOptions(flags)), undefined, flags.host);
    this.log(formatComponents(services, flags.output));
    return services;
  }
}
