import { MalleeCommand } from '../../../src/cli/base-command.js';
import { installedCloudFlags, installedCloudOptions } from '../../../src/cli/host-flags.js';
import { outputFlag, renderList } from '../../../src/cli/list-output.js';
import { nodeColumns } from '../../../src/operations/format-nodes.js';
import { openInstalledCloud } from '../../../src/operations/installed-cloud.js';
import { listNodes, type NodeRow } from '../../../src/operations/nodes.js';

export default class NodesList extends MalleeCommand {
  static override summary = "List every zone's nodes as their cc sees them: reachable, enabled, instances, capacity.";
  static override examples = ['<%= config.bin %> <%= command.id %> --json'];
  static override flags = { ...installedCloudFlags, output: outputFlag };

  async run(): Promise<NodeRow[]> {
    const { flags } = await this.parse(NodesList);
    const nodes = await listNodes(openInstalledCloud(installedCloudOptions(flags)));
    this.log(renderList(nodes, nodeColumns, flags.output, 'No nodes.'));
    return nodes;
  }
}
