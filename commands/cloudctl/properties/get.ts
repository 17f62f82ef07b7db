import { Args } from '@oclif/core';
import { MalleeCommand } from '../../../src/cli/base-command.js';
import { cloudFlag } from '../../../src/cli/flags.js';
import { loadCloud } from '../../../src/cloud/cloud-file.js';
import { formatProperty, getProperty, type CloudProperty } from '../../../src/cloud/properties.js';

export default class PropertiesGet extends MalleeCommand {
  static override summary = 'Show one property: its value, type, default and what it does.';
  static override examples = ['<%= config.bin %> <%= command.id %> cloud.instances.terminated_visible_seconds'];
  static override args = { name: Args.string({ description: 'property name', required: true }) };
  static override flags = { cloud: cloudFlag };

  async run(): Promise<{ property: CloudProperty }> {
    const { args, flags } = await this.parse(PropertiesGet);
    const { cloud } = loadCloud(flags.cloud);
    const property = await getProperty(cloud, args.name);
    this.log(formatProperty(property));
    return { property };
  }
}
