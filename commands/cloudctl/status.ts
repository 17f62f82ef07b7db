import { MalleeCommand } from '../../src/cli/base-command.js';
import { installedCloudFlags, installedCloudOptions } from '../../src/cli/host-flags.js';
import { cloudStatus, type CloudStatus } from '../../src/operations/cloud-status.js';
import { formatCloudStatus } from '../../src/operations/format-status.js';
import { openInstalledCloud } from '../../src/operations/installed-cloud.js';

export default class Status extends MalleeCommand {
  static override summary = 'Show every component on every host, every zone, the endpoints, certificates and clocks.';
  static override description =
    "Reads each host's supervisor (or systemd) state and asks each daemon's /healthz, each zone's cc for its nodes " +
    'and capacity, and checks the endpoints, certificate expiry and clock offsets. Exits 5 when anything is unhealthy.';
  static override examples = ['<%= config.bin %> <%= command.id %>', '<%= config.bin %> <%= command.id %> --json'];
  static override flags = installedCloudFlags;

  async run(): Promise<CloudStatus> {
    const { flags } = await this.parse(Status);
    const status = await cloudStatus(openInstalledCloud(installedCloudOptions(flags)));
    this.log(formatCloudStatus(status));
    if (!status.healthy) this.finishWith('unhealthy');
    return status;
  }
}
