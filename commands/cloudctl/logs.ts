import { Args, Flags } from '@oclif/core';
import { MalleeCommand } from '../../src/cli/base-command.js';
import { installedCloudFlags, installedCloudOptions } from '../../src/cli/host-flags.js';
import { openInstalledCloud } from '../../src/operations/installed-cloud.js';
import { followLog, logSource, readLog, type LogLines } from '../../src/operations/logs.js';

export default class Logs extends MalleeCommand {
  static override summary = "Print a daemon's log from its host, or follow it.";
  static override description =
    'SERVICE is a daemon (clc, walrus, cc-ZONE, nc-HOST), a component with --host, or supervisor.';
  static override examples = [
    '<%= config.bin %> <%= command.id %> clc --lines 50',
    '<%= config.bin %> <%= command.id %> nc --host node1 --follow',
  ];
  static override args = { service: Args.string({ description: 'the daemon whose log to show', required: true }) };
  static override flags = {
    ...installedCloudFlags,
    host: Flags.string({ description: 'the host, when several run it' }),
    lines: Flags.integer({ char: 'n', description: 'how many of the last lines', default: 100, min: 0 }),
    follow: Flags.boolean({ char: 'f', description: 'keep printing new lines until Ctrl-C', default: false }),
  };

  async run(): Promise<LogLines | undefined> {
    const { args, flags } = await this.parse(Logs);
    const installed = openInstalledCloud(installedCloudOptions(flags));
    const source = logSource(installed, args.service, flags.host);
    if (flags.follow) {
      const stop = new Promise<void>((resolve) => process.once('SIGINT', () => resolve()));
      await followLog(installed, source, flags.lines, (chunk) => process.stdout.write(chunk), stop);
      return undefined;
    }
    const log = await readLog(installed, source, flags.lines);
    if (log.lines.length > 0) this.log(log.lines.join('\n'));
    return log;
  }
}
