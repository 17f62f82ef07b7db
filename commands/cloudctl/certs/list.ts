import { MalleeCommand } from '../../../src/cli/base-command.js';
import { cloudFlag } from '../../../src/cli/flags.js';
import { outputFlag } from '../../../src/cli/list-output.js';
import {
  formatCertificateTable,
  formatRevokedHosts,
  openCloudPki,
  type CertInfo,
  type RevokedHost,
} from '../../../src/pki/index.js';

export interface CertsListResult {
  cloud: string;
  pkiDir: string;
  certificates: CertInfo[];
  /** Certificates of hosts that left the cloud, on the CA's revocation list. */
  revoked: RevokedHost[];
}

export default class CertsList extends MalleeCommand {
  static override summary = 'Show the cloud CA, every host certificate, and the revoked ones.';
  static override description =
    'For each certificate: its SANs, when it expires, days left (negative once expired) and whether it verifies against the cloud CA. Below the table, the certificates on the revocation list (hosts `nodes remove` took out of the cloud), which every daemon refuses.';
  static override examples = ['<%= config.bin %> certs list --cloud lab'];

  static override flags = { cloud: cloudFlag, output: outputFlag };

  async run(): Promise<CertsListResult> {
    const { flags } = await this.parse(CertsList);
    const { cloudName, store } = openCloudPki(flags.cloud);
    const certificates = store.list();
    const revoked = store.revokedHosts();
    this.log(formatCertificateTable(certificates, flags.output));
    // csv and yaml stay one list of certificates, for scripts; --json has both.
    if (flags.output === 'table' && revoked.length > 0) this.log(`\n${formatRevokedHosts(revoked)}`);
    return { cloud: cloudName, pkiDir: store.dir, certificates, revoked };
  }
}
