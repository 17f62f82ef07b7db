import { Args, Flags } from '@oclif/core';
import { MalleeCommand } from '../../../src/cli/base-command.js';
import { confirmOrRefuse } from '../../../src/cli/confirm.js';
import { cloudFlag } from '../../../src/cli/flags.js';
import { loadCloud } from '../../../src/cloud/cloud-file.js';
import { terminateInstances } from '../../../src/cloud/instances.js';

export default class InstancesTerminate extends MalleeCommand {
  static override summary = 'Terminate instances.';
  static override examples = ['<%= config.bin %> <%= command.id %> i-0123456789abcdef0 --yes'];
  static override strict = false;
  static override args = { instanceId: Args.string({ description: 'instance ids', required: true }) };
  static override flags = {
    cloud: cloudFlag,
    yes: Flags.boolean({ char: 'y', description: 'do not ask for confirmation' }),
  };

  async run(): Promise<{ instances: Awaited<ReturnType<typeof terminateInstances>> }> {
    const { argv, flags } = await this.parse(InstancesTerminate);
    const ids = argv as string[];
    const { cloud } = loadCloud(flags.cloud);
    await confirmOrRefuse(`Terminate ${ids.join(', ')}?`, flags.yes);
    const instances = await terminateInstances(cloud, ids);
    for (const change of instances) this.log(`${change.instanceId}: ${change.previousState} -> ${change.currentState}`);
    return { instances };
  }
}
