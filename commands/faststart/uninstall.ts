import { Flags } from '@oclif/core';
import { MalleeCommand } from '../../src/cli/base-command.js';
import { confirmOrRefuse } from '../../src/cli/confirm.js';
import { sshFlags } from '../../src/cli/host-flags.js';
import { withSshOverrides } from '../../src/config/ssh-overrides.js';
import { openInstallOperator } from '../../src/deploy/install-input.js';
import { uninstallCloud, type UninstallResult } from '../../src/deploy/uninstall.js';

export default class Uninstall extends MalleeCommand {
  static override summary = 'Remove an installed cloud from its hosts; data stays unless --purge.';
  static override description =
    'Stops every daemon (systemd units or the supervisor) and removes the release, configs, certificates, logs and ' +
    "pid files from each host that faststart install deployed. --purge also deletes the daemons' data and ~/.mallee/CLOUD.";
  static override examples = ['<%= config.bin %> <%= command.id %> --name local --yes'];

  static override flags = {
    name: Flags.string({ description: 'the cloud, as named at install', required: true }),
    purge: Flags.boolean({
      description: 'also delete data (instances, objects, the database) and credentials',
      default: false,
    }),
    yes: Flags.boolean({ char: 'y', description: 'ask nothing', default: false }),
    ...sshFlags,
  };

  async run(): Promise<UninstallResult> {
    const { flags } = await this.parse(Uninstall);
    await confirmOrRefuse(`Remove the cloud "${flags.name}"${flags.purge ? ' and all its data' : ''}?`, flags.yes);
    const result = await uninstallCloud({
      name: flags.name,
      purge: flags.purge,
      // The hosts are reached as the install reached them, unless the SSH flags say otherwise.
      openOperator: (host, record) =>
        openInstallOperator(withSshOverrides(host, { sshUser: flags['ssh-user'], sshKey: flags['ssh-key'] }), {
          knownHosts: flags['known-hosts'] ?? record.knownHosts,
          acceptNewHostKeys: flags['accept-new-host-keys'],
          yes: flags.yes,
        }),
    });
    for (const host of result.hosts) this.log(`${host.name}: removed ${host.removed.join(', ')}`);
    this.log(
      result.credentials.removed
        ? `Removed ${result.credentials.dir} and the daemons' data.`
        : `Data and ${result.credentials.dir} were kept (--purge removes them).`,
    );
    return result;
  }
}
