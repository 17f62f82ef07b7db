import { Args, Flags } from '@oclif/core';
import { MalleeCommand } from '../../../src/cli/base-command.js';
import { cloudFlag } from '../../../src/cli/flags.js';
import { formatHostResults, openCloudPki, type EnsureHostResult } from '../../../src/pki/index.js';

export default class CertsIssue extends MalleeCommand {
  static override summary = "Issue or renew a host's certificate from the cloud CA.";
  static override description =
    "Always issues a new certificate and key. The host name, localhost and loopback are added to the addresses; without --address, the old certificate's addresses are kept (a renewal).";
  static override examples = [
    '<%= config.bin %> certs issue node2 --address 10.0.0.6 --address node2.lab',
    '<%= config.bin %> certs issue node2',
  ];

  static override args = { name: Args.string({ description: 'the host name', required: true }) };

  static override flags = {
    cloud: cloudFlag,
    address: Flags.string({ description: 'an IP address or DNS name of the host (repeatable)', multiple: true }),
  };

  async run(): Promise<EnsureHostResult> {
    const { args, flags } = await this.parse(CertsIssue);
    const { store } = openCloudPki(flags.cloud);
    const result = await store.issueHost(args.name, flags.address ?? []);
    this.log(formatHostResults([result]));
    return result;
  }
}
