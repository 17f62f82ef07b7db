import { Flags } from '@oclif/core';
import { MalleeCommand } from '../../src/cli/base-command.js';
import { cloudFlag } from '../../src/cli/flags.js';
import { loadCloud } from '../../src/cloud/cloud-file.js';
import {
  formatWrittenCredentials,
  issueCredentials,
  type WrittenCredentials,
} from '../../src/cloud/credential-files.js';

export default class Credentials extends MalleeCommand {
  static override summary = 'Issue an access key and write an AWS CLI profile and a eucarc for it (mode 0600).';
  static override description =
    "Without --user the key is the account's root key. The files go to --output-dir, by default " +
    'credentials/ACCOUNT[-USER] beside the cloud.json.';
  static override examples = [
    '<%= config.bin %> <%= command.id %> --account research --user alice',
    '<%= config.bin %> <%= command.id %> --output-dir ~/creds',
  ];
  static override flags = {
    cloud: cloudFlag,
    account: Flags.string({ description: 'account name', default: 'admin' }),
    user: Flags.string({ description: 'IAM user name (default: the account root)' }),
    'output-dir': Flags.string({ description: 'folder for config, credentials and eucarc', helpValue: 'DIR' }),
  };

  async run(): Promise<WrittenCredentials> {
    const { flags } = await this.parse(Credentials);
    const { cloud, path } = loadCloud(flags.cloud);
    const written = await issueCredentials(cloud, path, {
      accountName: flags.account,
      userName: flags.user,
      outputDir: flags['output-dir'],
    });
    this.log(formatWrittenCredentials(written));
    return written;
  }
}
