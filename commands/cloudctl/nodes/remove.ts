import { Args, Flags } from '@oclif/core';
import { MalleeCommand } from '../../../src/cli/base-command.js';
import { installedCloudFlags, installedCloudOptions } from '../../../src/cli/host-flags.js';
import { openInstalledCloud } from '../../../src/operations/installed-cloud.js';
import { nodeMessages } from '../../../src/operations/node-messages.js';
import { removeNode, type RemoveResult } from '../../../src/operations/nodes.js';

export default class NodesRemove extends MalleeCommand {
  static override summary = 'Deregister a node from its zone and stop its node controller.';
  static override description =
    'Refuses while instances run there (exit 6) unless --force, which terminates them after confirmation.';
  static override examples = [
    '<%= config.bin %> <%= command.id %> node1',
    '<%= config.bin %> <%= command.id %> node1 --force --yes',
  ];
  static override args = { host: Args.string({ description: 'the host (or node name) to remove', required: true }) };
  static override flags = {
    ...installedCloudFlags,
    force: Flags.boolean({ description: 'terminate the instances still running there', default: false }),
    yes: Flags.boolean({ char: 'y', description: 'do not ask for confirmation', default: false }),
  };

  async run(): Promise<RemoveResult> {
    const { args, flags } = await this.parse(NodesRemove);
    const installed = openInstalledCloud(installedCloudOptions(flags));
    const result = await removeNode(installed, args.host, { force: flags.force, yes: flags.yes });
    const terminated = result.terminated.length > 0 ? ` after terminating ${result.terminated.join(', ')}` : '';
    this.log(`${result.node.nodeName} was removed from ${result.node.zone}${terminated}.`);
    this.log(nodeMessages.removedNote(result.node.host ?? result.node.nodeName));
    return result;
  }
}
