import { Flags } from '@oclif/core';
import { MalleeCommand } from '../../../src/cli/base-command.js';
import { cloudFlag } from '../../../src/cli/flags.js';
import { renderList } from '../../../src/cli/list-output.js';
import { loadCloud } from '../../../src/cloud/cloud-file.js';
import { instanceColumns, runInstances, type Instance } from '../../../src/cloud/instances.js';

export default class InstancesRun extends MalleeCommand {
  static override summary = 'Start instances of a machine image (EMI).';
  static override examples = ['<%= config.bin %> <%= command.id %> --image emi-0123456789abcdef0 --key mine --count 2'];
  static override flags = {
    cloud: cloudFlag,
    image: Flags.string({ description: 'machine image id (emi-...)', required: true }),
    type: Flags.string({ description: 'instance type', default: 't1.micro' }),
    count: Flags.integer({ description: 'how many', default: 1, min: 1 }),
    key: Flags.string({ description: 'key pair name' }),
    zone: Flags.string({ description: 'availability zone (default: the cloud picks)' }),
    'user-data-file': Flags.string({ description: 'file passed to the instance as user data' }),
  };

  async run(): Promise<{ instances: Instance[] }> {
    const { flags } = await this.parse(InstancesRun);
    const { cloud } = loadCloud(flags.cloud);
    const instances = await runInstances(cloud, {
      imageId: flags.image,
      instanceType: flags.type,
      count: flags.count,
      keyName: flags.key,
      zone: flags.zone,
      userDataFile: flags['user-data-file'],
    });
    this.log(renderList(instances, instanceColumns, 'table', 'No instances started.'));
    return { instances };
  }
}
