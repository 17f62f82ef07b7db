import { Args, Flags } from '@oclif/core';
import { MalleeCommand } from '../../../src/cli/base-command.js';
import { installedCloudFlags, installedCloudOptions } from '../../../src/cli/host-flags.js';
import { formatServiceDescription } from '../../../src/operations/format-services.js';
import { openInstalledCloud } from '../../../src/operations/installed-cloud.js';
import { describeService, type ServiceDescription } from '../../../src/operations/services.js';

export default class ServicesDescribe extends MalleeCommand {
  static override summary = 'Show one daemon: its state, process, version, files and configuration (secrets removed).';
  static override examples = ['<%= config.bin %> <%= command.id %> clc'];
  static override args = {
    name: Args.string({ description: 'a daemon (clc, walrus, cc-ZONE, nc-HOST) or a component', required: true }),
  };
  static override flags = {
    ...installedCloudFlags,
    host: Flags.string({ description: 'the host, when several run it' }),
  };

  async run(): Promise<ServiceDescription> {
    const { args, flags } = await this.parse(ServicesDescribe);
    const service = await describeService(openInstalledCloud(installedCloudOptions(flags)), args.name, flags.host);
    this.log(formatServiceDescription(service));
    return service;
  }
}
