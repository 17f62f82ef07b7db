import { Args } from '@oclif/core';
import { MalleeCommand } from '../../../src/cli/base-command.js';
import { cloudFlag } from '../../../src/cli/flags.js';
import { loadCloud } from '../../../src/cloud/cloud-file.js';
import { consoleOutput } from '../../../src/cloud/instances.js';

export default class InstancesConsole extends MalleeCommand {
  static override summary = "Print an instance's serial console output.";
  static override examples = ['<%= config.bin %> <%= command.id %> i-0123456789abcdef0'];
  static override args = { instanceId: Args.string({ description: 'instance id', required: true }) };
  static override flags = { cloud: cloudFlag };

  async run(): Promise<Awaited<ReturnType<typeof consoleOutput>>> {
    const { args, flags } = await this.parse(InstancesConsole);
    const { cloud } = loadCloud(flags.cloud);
    const console = await consoleOutput(cloud, args.instanceId);
    this.log(console.output.trimEnd());
    return console;
  }
}
