import { Args, Flags } from '@oclif/core';
import { MalleeCommand } from '../../../src/cli/base-command.js';
import { cloudFlag } from '../../../src/cli/flags.js';
import { loadCloud } from '../../../src/cloud/cloud-file.js';
import { createKeyPair, type KeyPair } from '../../../src/cloud/keypairs.js';

export default class KeypairsCreate extends MalleeCommand {
  static override summary = 'Create an EC2 key pair; its private key goes to a 0600 file.';
  static override examples = ['<%= config.bin %> <%= command.id %> mine --private-key-file ~/.ssh/mine.pem'];
  static override args = { name: Args.string({ description: 'key pair name', required: true }) };
  static override flags = {
    cloud: cloudFlag,
    type: Flags.option({
      options: ['rsa', 'ed25519'] as const,
      default: 'ed25519' as const,
      description: 'key type',
    })(),
    'private-key-file': Flags.string({ description: 'where to write the private key (default ./NAME.pem)' }),
  };

  async run(): Promise<KeyPair & { privateKeyFile: string }> {
    const { args, flags } = await this.parse(KeypairsCreate);
    const { cloud } = loadCloud(flags.cloud);
    const created = await createKeyPair(cloud, {
      keyName: args.name,
      keyType: flags.type,
      privateKeyFile: flags['private-key-file'],
    });
    this.log(`Created key pair ${created.keyName} (${created.fingerprint}); private key in ${created.privateKeyFile}.`);
    return created;
  }
}
