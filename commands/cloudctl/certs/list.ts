import { MalleeCommand } from '../../../src/cli/base-command.js';
import { cloudFlag } from '../../../src/cli/flags.js';
import { outputFlag } from '../../../src/cli/list-output.js';
import { formatCertificateTable, openCloudPki, type CertInfo } from '../../../src/pki/index.js';

export interface CertsListResult {
  cloud: string;
  pkiDir: string;
  certificates: CertInfo[];
}

export default class CertsList extends MalleeCommand {
  static override summary = 'Show the cloud CA and every host certificate.';
  static override description =
    'For each certificate: its SANs, when it expires, days left (negative once expired) and whether it verifies against the cloud CA.';
  static override examples = ['<%= config.bin %> certs list --cloud lab'];

  static override flags = { cloud: cloudFlag, output: outputFlag };

  async run(): Promise<CertsListResult> {
    const { flags } = await this.parse(CertsList);
    const { cloudName, store } = openCloudPki(flags.cloud);
    const certificates = store.list();
    this.log(formatCertificateTable(certificates, flags.output));
    return { cloud: cloudName, pkiDir: store.dir, certificates };
  }
}
