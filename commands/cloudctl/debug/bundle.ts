import { Flags } from '@oclif/core';
import { MalleeCommand } from '../../../src/cli/base-command.js';
import { installedCloudFlags, installedCloudOptions } from '../../../src/cli/host-flags.js';
import { createDebugBundle, type DebugBundle } from '../../../src/operations/debug-bundle.js';
import { openInstalledCloud } from '../../../src/operations/installed-cloud.js';

export default class DebugBundleCommand extends MalleeCommand {
  static override summary =
    'Collect logs, configs (secrets removed), status and host facts from every host into a .tgz.';
  static override description =
    'For a support case: status.json, the plan, and per host its discovery facts, daemon and supervisor configs, ' +
    'supervisor state and the last 20,000 lines of every log. Secret keys, passwords and private keys are removed.';
  static override examples = ['<%= config.bin %> <%= command.id %> --output support.tgz'];
  static override flags = {
    ...installedCloudFlags,
    output: Flags.string({
      char: 'o',
      description: 'archive to write (default ./CLOUD-debug-TIME.tgz)',
      helpValue: 'FILE.tgz',
    }),
  };

  async run(): Promise<DebugBundle> {
    const { flags } = await this.parse(DebugBundleCommand);
    const bundle = await createDebugBundle(openInstalledCloud(installedCloudOptions(flags)), flags.output);
    this.log(`Wrote ${bundle.path} (${bundle.files.length} files, ${Math.ceil(bundle.bytes / 1024)} KiB).`);
    for (const problem of bundle.problems) this.log(`problem: ${problem}`);
    return bundle;
  }
}
