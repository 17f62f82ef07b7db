import { MalleeCommand } from '../../../src/cli/base-command.js';
import { localDirFlag } from '../../../src/cli/flags.js';
import { localDown } from '../../../src/local/local-cloud.js';
import { formatLocalDown } from '../../../src/local/local-messages.js';

export default class LocalDown extends MalleeCommand {
  static override summary = 'Stop every daemon of a local cloud.';
  static override description =
    'Sends each daemon SIGTERM (in-flight requests finish), newest first, and SIGKILL after a grace period. ' +
    'Data, keys and certificates stay in --dir, so `local up` starts the same cloud again.';
  static override examples = ['<%= config.bin %> <%= command.id %> --dir /tmp/cloud'];
  static override flags = { dir: localDirFlag };

  async run(): Promise<{ stopped: { name: string; pid: number; result: string }[] }> {
    const { flags } = await this.parse(LocalDown);
    const stopped = await localDown(flags.dir);
    this.log(formatLocalDown(stopped));
    return { stopped };
  }
}
