import { Args, Flags } from '@oclif/core';
import { MalleeCommand } from '../../../src/cli/base-command.js';
import { CliError } from '../../../src/cli/cli-error.js';
import { confirmOrRefuse } from '../../../src/cli/confirm.js';
import { cloudFlag } from '../../../src/cli/flags.js';
import { openCloudPki, type RevokedHost } from '../../../src/pki/index.js';

export default class CertsRevoke extends MalleeCommand {
  static override summary =
    "Revoke a host's certificate: its key was exposed, or the host should no longer be trusted.";
  static override description =
    "Adds the certificate to the cloud CA's revocation list and deletes it and its key from the CA's folder. Every " +
    'daemon refuses it once it has the new list, which `faststart install` (run again with the cloud.yaml) gives every ' +
    'host; that run also issues the host a new certificate if it is still in the cloud. `cloudctl nodes remove` ' +
    'revokes a removed host by itself.';
  static override examples = ['<%= config.bin %> <%= command.id %> h3 --yes'];
  static override args = { name: Args.string({ description: 'the host name', required: true }) };
  static override flags = {
    cloud: cloudFlag,
    yes: Flags.boolean({ char: 'y', description: 'do not ask for confirmation' }),
  };

  async run(): Promise<RevokedHost> {
    const { args, flags } = await this.parse(CertsRevoke);
    const { cloudName, store } = openCloudPki(flags.cloud);
    if (!store.hostNames().includes(args.name)) {
      throw new CliError(
        'notFound',
        `The cloud CA of "${cloudName}" holds no certificate for ${args.name}.`,
        '`cloudctl certs list` shows the hosts that have one, and those already revoked.',
      );
    }
    await confirmOrRefuse(`Revoke the certificate of ${args.name}? Daemons will refuse it.`, flags.yes);
    const revoked = (await store.revokeHost(args.name))!;
    this.log(
      [
        `Revoked the certificate of ${revoked.hostName} (serial ${revoked.serialNumber}).`,
        "Every daemon refuses it once it has the new revocation list: run `faststart install` again with the cloud's",
        `cloud.yaml. That run also gives ${revoked.hostName} a new certificate if it is still in the cloud.`,
      ].join('\n'),
    );
    return revoked;
  }
}
