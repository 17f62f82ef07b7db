import type { Column } from '../cli/list-output.js';
import { renderList } from '../cli/list-output.js';
import type { AddNodeResult } from './node-add.js';
import { nodeMessages } from './node-messages.js';
import type { NodeRow, RemoveResult } from './nodes.js';

/** The columns `nodes list` prints, and `nodes add` for the node it added. */
export const nodeColumns: Column<NodeRow>[] = [
  { header: 'ZONE', cell: (n) => n.zone },
  { header: 'NODE', cell: (n) => n.nodeName },
  { header: 'HOST', cell: (n) => n.host },
  { header: 'REACHABLE', cell: (n) => (n.reachable ? 'yes' : 'no') },
  { header: 'ENABLED', cell: (n) => (n.enabled === undefined ? '' : n.enabled ? 'yes' : 'drained') },
  { header: 'INSTANCES', cell: (n) => n.instances },
  { header: 'CORES FREE/TOTAL', cell: (n) => (n.cores ? `${n.cores.free}/${n.cores.total}` : '') },
  { header: 'LAST ERROR', cell: (n) => n.lastError },
];

export function formatAddedNode(result: AddNodeResult): string {
  return [
    nodeMessages.added(result.node.nodeName, result.zone),
    `  ${result.reason}`,
    ...result.warnings.map((warning) => `  warning: ${warning}`),
    '',
    renderList([result.node], nodeColumns, 'table', ''),
    '',
    nodeMessages.planNote(result.planFiles, result.planFileCreated),
  ].join('\n');
}

export function formatRemovedNode(result: RemoveResult, purge: boolean): string {
  const { node } = result;
  const terminated = result.terminated.length > 0 ? ` after terminating ${result.terminated.join(', ')}` : '';
  return [
    `${node.nodeName} was removed from ${node.zone}${terminated}.`,
    ...(result.hostRemoved ? [nodeMessages.uninstalled(node.host ?? node.nodeName, purge)] : []),
    ...(result.emptiedZone ? [nodeMessages.emptiedZone(result.emptiedZone)] : []),
    ...(result.planFiles.length > 0 ? [nodeMessages.planNote(result.planFiles, result.planFileCreated)] : []),
  ].join('\n');
}
