import { MalleeCommand } from '../../../src/cli/base-command.js';
import { cloudFlag } from '../../../src/cli/flags.js';
import { outputFlag, renderList } from '../../../src/cli/list-output.js';
import { loadCloud } from '../../../src/cloud/cloud-file.js';
import { keyPairColumns, listKeyPairs, type KeyPair } from '../../../src/cloud/keypairs.js';

export default class KeypairsList extends MalleeCommand {
  static override summary = 'List the EC2 key pairs of the account.';
  static override examples = ['<%= config.bin %> <%= command.id %>'];
  static override flags = { cloud: cloudFlag, output: outputFlag };

  async run(): Promise<{ keyPairs: KeyPair[] }> {
    const { flags } = await this.parse(KeypairsList);
    const { cloud } = loadCloud(flags.cloud);
    const keyPairs = await listKeyPairs(cloud);
    this.log(renderList(keyPairs, keyPairColumns, flags.output, 'No key pairs.'));
    return { keyPairs };
  }
}
