import { MalleeCommand } from '../../../src/cli/base-command.js';
import { cloudFlag } from '../../../src/cli/flags.js';
import { outputFlag } from '../../../src/cli/list-output.js';
import { formatAccounts } from '../../../src/cloud/account-messages.js';
import { adminCall, asList, type AdminAccount } from '../../../src/cloud/admin-client.js';
import { loadCloud } from '../../../src/cloud/cloud-file.js';

export default class AccountsList extends MalleeCommand {
  static override summary = 'List the accounts of a cloud.';
  static override examples = ['<%= config.bin %> <%= command.id %> --cloud local --json'];
  static override flags = { cloud: cloudFlag, output: outputFlag };

  async run(): Promise<{ accounts: AdminAccount[] }> {
    const { flags } = await this.parse(AccountsList);
    const { cloud } = loadCloud(flags.cloud);
    const accounts = asList(
      (await adminCall<{ accounts?: AdminAccount | AdminAccount[] }>(cloud, 'ListAccounts')).accounts,
    );
    this.log(formatAccounts(accounts, flags.output));
    return { accounts };
  }
}
