import { CliError } from '../cli/cli-error.js';
import { confirmOrRefuse } from '../cli/confirm.js';
import { ClusterControllerClient } from '../clients/cc-client.js';
import type { ClusterNode } from '../clients/cluster-controller.js';
import type { PlannedDaemon } from '../deploy/daemon-plan.js';
import { onHost } from './host-access.js';
import type { InstalledCloud } from './installed-cloud.js';
import { nodeMessages } from './node-messages.js';
import { controlServices } from './service-control.js';

export interface NodeRow {
  zone: string;
  nodeName: string;
  /** The host of cloud.yaml whose nc this is; absent for a node registered by hand. */
  host?: string;
  url: string;
  reachable: boolean;
  enabled?: boolean;
  instances?: number;
  cores?: { total: number; free: number };
  memoryMiB?: { total: number; free: number };
  lastSeen?: string;
  lastError?: string;
}

const liveStates = new Set(['pending', 'running', 'stopping', 'stopped', 'shutting-down']);

function ccOf(installed: InstalledCloud, zone: string): PlannedDaemon {
  return installed.daemons.find(
    (d) => d.component.component === 'cc' && 'zone' in d.component && d.component.zone === zone,
  )!;
}

function connectCc(installed: InstalledCloud, zone: string): Promise<ClusterControllerClient> {
  return ClusterControllerClient.connect(ccOf(installed, zone).url, installed.adminTls, 'cloudctl');
}

function rowOf(installed: InstalledCloud, zone: string, node: ClusterNode): NodeRow {
  const daemon = installed.daemons.find((d) => d.component.component === 'nc' && d.name === node.nodeName);
  return {
    zone,
    nodeName: node.nodeName,
    ...(daemon && { host: daemon.host.name }),
    url: node.url,
    reachable: node.reachable,
    ...(node.resource && {
      enabled: node.resource.enabled,
      instances: node.resource.instances,
      cores: node.resource.cores,
      memoryMiB: node.resource.memoryMiB,
    }),
    ...(node.lastSeen && { lastSeen: node.lastSeen.toISOString() }),
    ...(node.lastError && { lastError: node.lastError }),
  };
}

/** Every node every zone's cc knows, as the cc reports it. */
export async function listNodes(installed: InstalledCloud): Promise<NodeRow[]> {
  const perZone = await Promise.all(
    installed.config.zones.map(async (zone) => {
      const cc = await connectCc(installed, zone.name);
      return (await cc.describeNodes()).map((node) => rowOf(installed, zone.name, node));
    }),
  );
  return perZone.flat();
}

/** The node controller on `host` (a host name of cloud.yaml, or a node name such as nc-node1). */
async function findNode(installed: InstalledCloud, host: string): Promise<NodeRow> {
  const nodes = await listNodes(installed);
  const node = nodes.find((row) => row.host === host || row.nodeName === host);
  if (!node) {
    throw new CliError(
      'notFound',
      nodeMessages.noSuchNode(host),
      nodeMessages.knownNodes(nodes.map((row) => `${row.nodeName} (${row.host ?? row.url})`)),
    );
  }
  return node;
}

async function instancesOn(installed: InstalledCloud, node: NodeRow): Promise<string[]> {
  const cc = await connectCc(installed, node.zone);
  return (await cc.describeInstances())
    .filter((instance) => instance.nodeName === node.nodeName && liveStates.has(instance.state))
    .map((instance) => instance.instanceId);
}

async function waitUntilEmpty(installed: InstalledCloud, node: NodeRow, timeoutMs: number): Promise<string[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const left = await instancesOn(installed, node);
    if (left.length === 0 || Date.now() >= deadline) return left;
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
}

export interface DrainResult {
  node: NodeRow;
  instancesLeft: string[];
}

/**
 * `nodes drain`: the cc stops placing instances on the node (ModifyNode enabled=false), then this waits up to
 * `waitSeconds` for the instances still there to end. It never terminates them: that is `nodes remove --force`.
 */
export async function drainNode(installed: InstalledCloud, host: string, waitSeconds: number): Promise<DrainResult> {
  const node = await findNode(installed, host);
  const cc = await connectCc(installed, node.zone);
  const drained = rowOf(installed, node.zone, await cc.modifyNode({ nodeName: node.nodeName, enabled: false }));
  const instancesLeft = await waitUntilEmpty(installed, node, waitSeconds * 1000);
  if (instancesLeft.length > 0) {
    throw new CliError('unhealthy', nodeMessages.stillBusy(node.nodeName, instancesLeft), nodeMessages.stillBusyHint, {
      node: drained,
      instancesLeft,
    });
  }
  return { node: drained, instancesLeft };
}

export interface RemoveResult {
  node: NodeRow;
  terminated: string[];
  stopped: boolean;
}

/**
 * `nodes remove`: refuses while instances run there unless `force` (then terminates them, after confirmation),
 * deregisters the node from its cc and stops its nc. The cc re-registers the nodes its config names when it
 * restarts, so the node also has to leave cloud.yaml for good (the result says so).
 */
export async function removeNode(
  installed: InstalledCloud,
  host: string,
  options: { force: boolean; yes: boolean },
): Promise<RemoveResult> {
  const node = await findNode(installed, host);
  const running = await instancesOn(installed, node);
  if (running.length > 0 && !options.force) {
    throw new CliError('conflict', nodeMessages.busy(node.nodeName, running), nodeMessages.busyHint);
  }
  await confirmOrRefuse(nodeMessages.confirmRemove(node.nodeName, running), options.yes);
  const cc = await connectCc(installed, node.zone);
  if (running.length > 0) {
    await cc.terminateInstances(running);
    const left = await waitUntilEmpty(installed, node, 120_000);
    if (left.length > 0)
      throw new CliError('unhealthy', nodeMessages.stillBusy(node.nodeName, left), nodeMessages.stillBusyHint);
  }
  await cc.deregisterNode(node.nodeName);
  const daemon = installed.daemons.find((d) => d.name === node.nodeName);
  if (daemon) {
    await onHost(installed.open, daemon.host, (operator) =>
      controlServices(operator, installed.layout, [daemon], 'stop'),
    );
  }
  return { node, terminated: running, stopped: daemon !== undefined };
}
