import { Args, Flags } from '@oclif/core';
import { MalleeCommand } from '../../../src/cli/base-command.js';
import { confirmOrRefuse } from '../../../src/cli/confirm.js';
import { cloudFlag } from '../../../src/cli/flags.js';
import { loadCloud } from '../../../src/cloud/cloud-file.js';
import { deleteUser, type AdminUser } from '../../../src/cloud/users.js';

export default class UsersDelete extends MalleeCommand {
  static override summary = 'Delete an IAM user.';
  static override description = 'Refused while the user has access keys, unless --force, which deletes them too.';
  static override examples = ['<%= config.bin %> <%= command.id %> alice --account research --force --yes'];
  static override args = { name: Args.string({ description: 'user name', required: true }) };
  static override flags = {
    cloud: cloudFlag,
    account: Flags.string({ description: 'account name', default: 'admin' }),
    force: Flags.boolean({ description: 'delete its access keys too' }),
    yes: Flags.boolean({ char: 'y', description: 'do not ask for confirmation' }),
  };

  async run(): Promise<{ user: AdminUser }> {
    const { args, flags } = await this.parse(UsersDelete);
    const { cloud } = loadCloud(flags.cloud);
    await confirmOrRefuse(`Delete user ${args.name} of account ${flags.account}?`, flags.yes);
    const user = await deleteUser(cloud, flags.account, args.name, flags.force);
    this.log(`Deleted user ${user.userName} of account ${user.accountName}.`);
    return { user };
  }
}
