import { Flags } from '@oclif/core';
import { MalleeCommand } from '../../src/cli/base-command.js';
import {
  ensureCloudCertificates,
  formatCloudCertificates,
  parseHostSpec,
  type CloudCertificatesResult,
} from '../../src/pki/index.js';

export default class Certs extends MalleeCommand {
  static override summary = "Create the cloud CA and each component host's certificate.";
  static override description =
    "The installer's certificates step on its own. Creates the CA in --dir if there is none (an existing CA is never replaced), then makes sure each --host has a certificate for its addresses, localhost and loopback: issued when missing, renewed when it lacks an address or expires within 30 days, kept otherwise.";
  static override examples = [
    '<%= config.bin %> certs --dir /etc/mallee/pki --cloud-name lab --host clc=10.0.0.2 --host node1=10.0.0.5,node1.lab',
  ];

  static override flags = {
    dir: Flags.string({ description: 'folder for ca.pem, ca-key.pem and hosts/', required: true, helpValue: 'DIR' }),
    'cloud-name': Flags.string({ description: "the cloud's name, written into a new CA", required: true }),
    host: Flags.string({
      description: 'a component host and the addresses it is reached at (repeatable)',
      multiple: true,
      helpValue: 'NAME=ADDR[,ADDR...]',
    }),
  };

  async run(): Promise<CloudCertificatesResult> {
    const { flags } = await this.parse(Certs);
    const hosts = (flags.host ?? []).map(parseHostSpec);
    const result = await ensureCloudCertificates(flags.dir, flags['cloud-name'], hosts);
    this.log(formatCloudCertificates(result));
    return result;
  }
}
