/** What `cloudctl nodes` says to people. */
export const nodeMessages = {
  noSuchNode: (host: string) => `No node controller on "${host}" is registered with any cc.`,
  knownNodes: (nodes: string[]) =>
    nodes.length > 0 ? `Registered nodes: ${nodes.join(', ')}.` : 'No node is registered.',
  busy: (node: string, instances: string[]) =>
    `${node} still runs ${instances.length} instance(s): ${instances.join(', ')}.`,
  busyHint: 'Terminate them, or pass --force to terminate them as part of the removal.',
  stillBusy: (node: string, instances: string[]) =>
    `${node} still has ${instances.length} instance(s) after waiting: ${instances.join(', ')}.`,
  stillBusyHint: 'New instances go elsewhere already; wait longer (--wait), or remove it with --force.',
  confirmRemove: (node: string, instances: string[]) =>
    instances.length > 0
      ? `Terminate ${instances.join(', ')} and remove ${node} from its zone?`
      : `Remove ${node} from its zone and stop its node controller?`,
  removedNote: (node: string) =>
    `The cc registers the nodes its config names again when it restarts: remove the nc of ${node} from cloud.yaml before the next faststart install.`,
};
