import { Args } from '@oclif/core';
import { MalleeCommand } from '../../../src/cli/base-command.js';
import { cloudFlag } from '../../../src/cli/flags.js';
import { loadCloud } from '../../../src/cloud/cloud-file.js';
import { formatPropertyChange, setProperty, type CloudProperty } from '../../../src/cloud/properties.js';

export default class PropertiesSet extends MalleeCommand {
  static override summary = 'Change a property; it takes effect at once, without restarting anything.';
  static override description =
    "The value is checked against the property's type and range; setting the default value returns it to the default.";
  static override examples = ['<%= config.bin %> <%= command.id %> iam.users.max_per_account 100'];
  static override args = {
    name: Args.string({ description: 'property name', required: true }),
    value: Args.string({ description: 'new value', required: true }),
  };
  static override flags = { cloud: cloudFlag };

  async run(): Promise<{ property: CloudProperty; previousValue: string }> {
    const { args, flags } = await this.parse(PropertiesSet);
    const { cloud } = loadCloud(flags.cloud);
    const set = await setProperty(cloud, args.name, args.value);
    this.log(formatPropertyChange(set));
    return set;
  }
}
