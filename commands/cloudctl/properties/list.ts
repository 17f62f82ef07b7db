import { MalleeCommand } from '../../../src/cli/base-command.js';
import { cloudFlag } from '../../../src/cli/flags.js';
import { outputFlag, renderList } from '../../../src/cli/list-output.js';
import { loadCloud } from '../../../src/cloud/cloud-file.js';
import { listProperties, propertyColumns, type CloudProperty } from '../../../src/cloud/properties.js';

export default class PropertiesList extends MalleeCommand {
  static override summary = 'List the cloud-wide properties held by the cloud controller, with their values.';
  static override examples = [
    '<%= config.bin %> <%= command.id %>',
    '<%= config.bin %> <%= command.id %> --output yaml',
  ];
  static override flags = { cloud: cloudFlag, output: outputFlag };

  async run(): Promise<{ properties: CloudProperty[] }> {
    const { flags } = await this.parse(PropertiesList);
    const { cloud } = loadCloud(flags.cloud);
    const properties = await listProperties(cloud);
    this.log(renderList(properties, propertyColumns, flags.output, 'No properties.'));
    return { properties };
  }
}
