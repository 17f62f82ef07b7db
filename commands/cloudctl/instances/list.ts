import { Args } from '@oclif/core';
import { MalleeCommand } from '../../../src/cli/base-command.js';
import { cloudFlag } from '../../../src/cli/flags.js';
import { outputFlag, renderList } from '../../../src/cli/list-output.js';
import { loadCloud } from '../../../src/cloud/cloud-file.js';
import { instanceColumns, listInstances, type Instance } from '../../../src/cloud/instances.js';

export default class InstancesList extends MalleeCommand {
  static override summary = 'List the instances of the account (all, or those named).';
  static override examples = [
    '<%= config.bin %> <%= command.id %>',
    '<%= config.bin %> <%= command.id %> i-0123456789abcdef0',
  ];
  static override strict = false;
  static override args = { instanceId: Args.string({ description: 'instance ids (default: all)' }) };
  static override flags = { cloud: cloudFlag, output: outputFlag };

  async run(): Promise<{ instances: Instance[] }> {
    const { argv, flags } = await this.parse(InstancesList);
    const { cloud } = loadCloud(flags.cloud);
    const instances = await listInstances(cloud, argv as string[]);
    this.log(renderList(instances, instanceColumns, flags.output, 'No instances.'));
    return { instances };
  }
}
