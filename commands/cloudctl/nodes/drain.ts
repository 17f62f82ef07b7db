import { Args, Flags } from '@oclif/core';
import { MalleeCommand } from '../../../src/cli/base-command.js';
import { installedCloudFlags, installedCloudOptions } from '../../../src/cli/host-flags.js';
import { openInstalledCloud } from '../../../src/operations/installed-cloud.js';
import { drainNode, type DrainResult } from '../../../src/operations/nodes.js';

export default class NodesDrain extends MalleeCommand {
  static override summary = 'Stop placing new instances on a node, and wait for the ones there to end.';
  static override description = 'Exits 5 when instances are still there after --wait seconds; none is terminated.';
  static override examples = ['<%= config.bin %> <%= command.id %> node1 --wait 600'];
  static override args = { host: Args.string({ description: 'the host (or node name) to drain', required: true }) };
  static override flags = {
    ...installedCloudFlags,
    wait: Flags.integer({ description: 'seconds to wait for its instances to end', default: 300, min: 0 }),
  };

  async run(): Promise<DrainResult> {
    const { args, flags } = await this.parse(NodesDrain);
    const result = await drainNode(openInstalledCloud(installedCloudOptions(flags)), args.host, flags.wait);
    this.log(`${result.node.nodeName} is drained: no instance runs there and no new one will be placed there.`);
    return result;
  }
}
