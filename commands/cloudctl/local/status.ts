import { MalleeCommand } from '../../../src/cli/base-command.js';
import { localDirFlag } from '../../../src/cli/flags.js';
import { localStatus, type DaemonStatus } from '../../../src/local/local-cloud.js';
import { formatLocalStatus } from '../../../src/local/local-messages.js';

export default class LocalStatus extends MalleeCommand {
  static override summary = 'Show each daemon of a local cloud and its health.';
  static override description = 'Exits 5 when any daemon is stopped or unhealthy.';
  static override examples = ['<%= config.bin %> <%= command.id %> --dir /tmp/cloud --json'];
  static override flags = { dir: localDirFlag };

  async run(): Promise<{ healthy: boolean; daemons: DaemonStatus[] }> {
    const { flags } = await this.parse(LocalStatus);
    const daemons = await localStatus(flags.dir);
    const healthy = daemons.every((daemon) => daemon.state === 'healthy');
    this.log(formatLocalStatus(daemons));
    if (!healthy) this.finishWith('unhealthy');
    return { healthy, daemons };
  }
}
