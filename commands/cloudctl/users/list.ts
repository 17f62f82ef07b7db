import { Flags } from '@oclif/core';
import { MalleeCommand } from '../../../src/cli/base-command.js';
import { cloudFlag } from '../../../src/cli/flags.js';
import { outputFlag, renderList } from '../../../src/cli/list-output.js';
import { loadCloud } from '../../../src/cloud/cloud-file.js';
import { listUsers, userColumns, type AdminUser } from '../../../src/cloud/users.js';

export default class UsersList extends MalleeCommand {
  static override summary = 'List the IAM users of an account.';
  static override examples = ['<%= config.bin %> <%= command.id %> --account research'];
  static override flags = {
    cloud: cloudFlag,
    account: Flags.string({ description: 'account name', default: 'admin' }),
    output: outputFlag,
  };

  async run(): Promise<{ users: AdminUser[] }> {
    const { flags } = await this.parse(UsersList);
    const { cloud } = loadCloud(flags.cloud);
    const users = await listUsers(cloud, flags.account);
    this.log(renderList(users, userColumns, flags.output, `No users in account ${flags.account}.`));
    return { users };
  }
}
