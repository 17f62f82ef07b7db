import { Args } from '@oclif/core';
import { MalleeCommand } from '../../../src/cli/base-command.js';
import { cloudFlag } from '../../../src/cli/flags.js';
import { formatCreatedAccount } from '../../../src/cloud/account-messages.js';
import { adminCall, type AdminAccount } from '../../../src/cloud/admin-client.js';
import { loadCloud } from '../../../src/cloud/cloud-file.js';

type Created = { account: AdminAccount; rootAccessKey: { accessKeyId: string; secretAccessKey: string } };

export default class AccountsCreate extends MalleeCommand {
  static override summary = 'Create an account, with a root access key.';
  static override examples = ['<%= config.bin %> <%= command.id %> research --cloud local'];
  static override args = { name: Args.string({ description: 'account name', required: true }) };
  static override flags = { cloud: cloudFlag };

  async run(): Promise<Created> {
    const { args, flags } = await this.parse(AccountsCreate);
    const { cloud } = loadCloud(flags.cloud);
    const created = await adminCall<Created>(cloud, 'CreateAccount', { accountName: args.name });
    this.log(formatCreatedAccount(created.account, created.rootAccessKey));
    return { account: created.account, rootAccessKey: created.rootAccessKey };
  }
}
