import { Args } from '@oclif/core';
import { MalleeCommand } from '../../../src/cli/base-command.js';
import { cloudFlag } from '../../../src/cli/flags.js';
import { loadCloud } from '../../../src/cloud/cloud-file.js';
import { deleteKeyPair, type KeyPair } from '../../../src/cloud/keypairs.js';

export default class KeypairsDelete extends MalleeCommand {
  static override summary = 'Delete an EC2 key pair (instances started with it keep it).';
  static override examples = ['<%= config.bin %> <%= command.id %> mine'];
  static override args = { name: Args.string({ description: 'key pair name', required: true }) };
  static override flags = { cloud: cloudFlag };

  async run(): Promise<{ keyPair: KeyPair }> {
    const { args, flags } = await this.parse(KeypairsDelete);
    const { cloud } = loadCloud(flags.cloud);
    const keyPair = await deleteKeyPair(cloud, args.name);
    this.log(`Deleted key pair ${keyPair.keyName}.`);
    return { keyPair };
  }
}
