import { MalleeCommand } from '../../../src/cli/base-command.js';
import { installedCloudFlags, installedCloudOptions } from '../../../src/cli/host-flags.js';
import { outputFlag, renderList } from '../../../src/cli/list-output.js';
import { openInstalledCloud } from '../../../src/operations/installed-cloud.js';
import { listNodes, type NodeRow } from '../../../src/operations/nodes.js';

export default class NodesList extends MalleeCommand {
  static override summary = "List every zone's nodes as their cc sees them: reachable, enabled, instances, capacity.";
  static override examples = ['<%= config.bin %> <%= command.id %> --json'];
  static override flags = { ...installedCloudFlags, output: outputFlag };

  async run(): Promise<NodeRow[]> {
    const { flags } = await this.parse(NodesList);
    const nodes = await listNodes(openInstalledCloud(installedCloudOptions(flags)));
    const columns = [
      { header: 'ZONE', cell: (n: NodeRow) => n.zone },
      { header: 'NODE', cell: (n: NodeRow) => n.nodeName },
      { header: 'HOST', cell: (n: NodeRow) => n.host },
      { header: 'REACHABLE', cell: (n: NodeRow) => (n.reachable ? 'yes' : 'no') },
      { header: 'ENABLED', cell: (n: NodeRow) => (n.enabled === undefined ? '' : n.enabled ? 'yes' : 'drained') },
      { header: 'INSTANCES', cell: (n: NodeRow) => n.instances },
      { header: 'CORES FREE/TOTAL', cell: (n: NodeRow) => (n.cores ? `${n.cores.free}/${n.cores.total}` : '') },
      { header: 'LAST ERROR', cell: (n: NodeRow) => n.lastError },
    ];
    this.log(renderList(nodes, columns, flags.output, 'No nodes.'));
    return nodes;
  }
}
