import { Args, Flags } from '@oclif/core';
import { MalleeCommand } from '../../../src/cli/base-command.js';
import { confirmOrRefuse } from '../../../src/cli/confirm.js';
import { cloudFlag } from '../../../src/cli/flags.js';
import { adminCall, type AdminAccount } from '../../../src/cloud/admin-client.js';
import { loadCloud } from '../../../src/cloud/cloud-file.js';

export default class AccountsDelete extends MalleeCommand {
  static override summary = 'Delete an account.';
  static override description = 'Refused while the account still has users or resources, unless --force.';
  static override examples = ['<%= config.bin %> <%= command.id %> research --cloud local --yes'];
  static override args = { name: Args.string({ description: 'account name', required: true }) };
  static override flags = {
    cloud: cloudFlag,
    force: Flags.boolean({ description: 'delete its users and access keys too' }),
    yes: Flags.boolean({ char: 'y', description: 'do not ask for confirmation' }),
  };

  async run(): Promise<{ account: AdminAccount }> {
    const { args, flags } = await this.parse(AccountsDelete);
    const { cloud } = loadCloud(flags.cloud);
    await confirmOrRefuse(`Delete account ${args.name}${flags.force ? ' and everything in it' : ''}?`, flags.yes);
    const { account } = await adminCall<{ account: AdminAccount }>(cloud, 'DeleteAccount', {
      accountName: args.name,
      force: flags.force,
    });
    this.log(`Deleted account ${account.accountName} (${account.accountId}).`);
    return { account };
  }
}
