import { MalleeCommand } from '../../src/cli/base-command.js';
import { cloudFlag } from '../../src/cli/flags.js';
import { outputFlag, renderList } from '../../src/cli/list-output.js';
import { cloudProfileColumns, listCloudProfiles, type CloudProfiles } from '../../src/cloud/cloud-profiles.js';

export default class Clouds extends MalleeCommand {
  static override summary = 'List the clouds cloudctl knows, and which one commands talk to.';
  static override description =
    'Clouds live in ~/.mallee/NAME/cloud.json (MALLEE_HOME moves the folder). A command talks to the cloud --cloud ' +
    'names, else the one MALLEE_CLOUD names, else the only one there is.';
  static override examples = [
    '<%= config.bin %> <%= command.id %>',
    '<%= config.bin %> <%= command.id %> --output csv',
  ];
  static override flags = { cloud: cloudFlag, output: outputFlag };

  async run(): Promise<CloudProfiles> {
    const { flags } = await this.parse(Clouds);
    const profiles = listCloudProfiles(flags.cloud);
    const empty = `No clouds under ${profiles.home}. Create one with \`cloudctl local up\` or \`faststart install\`.`;
    this.log(renderList(profiles.clouds, cloudProfileColumns, flags.output, empty));
    if (profiles.noSelection && profiles.clouds.length > 0 && flags.output === 'table') {
      this.log(`\nNone selected: ${profiles.noSelection} Pass --cloud NAME or set MALLEE_CLOUD.`);
    }
    return profiles;
  }
}
