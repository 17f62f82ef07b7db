import { Args, Flags } from '@oclif/core';
import { MalleeCommand } from '../../../src/cli/base-command.js';
import { cloudFlag } from '../../../src/cli/flags.js';
import { loadCloud } from '../../../src/cloud/cloud-file.js';
import { createUser, type AdminUser } from '../../../src/cloud/users.js';

export default class UsersCreate extends MalleeCommand {
  static override summary = 'Create an IAM user in an account.';
  static override description = 'Give it an access key with `cloudctl credentials --account A --user U`.';
  static override examples = ['<%= config.bin %> <%= command.id %> alice --account research'];
  static override args = { name: Args.string({ description: 'user name', required: true }) };
  static override flags = {
    cloud: cloudFlag,
    account: Flags.string({ description: 'account name', default: 'admin' }),
  };

  async run(): Promise<{ user: AdminUser }> {
    const { args, flags } = await this.parse(UsersCreate);
    const { cloud } = loadCloud(flags.cloud);
    const user = await createUser(cloud, flags.account, args.name);
    this.log(`Created user ${user.userName} in account ${user.accountName} (${user.arn}).`);
    return { user };
  }
}
