import { setTimeout as pause } from 'node:timers/promises';
import { CliError } from '../cli/cli-error.js';
import { confirmOrRefuse } from '../cli/confirm.js';
import { ClusterControllerClient } from '../clients/cc-client.js';
import type { ClusterNode } from '../clients/cluster-controller.js';
import type { ListrRendererValue } from 'listr2';
import type { PlannedDaemon } from '../deploy/daemon-plan.js';
import type { HostReport } from '../deploy/deploy.js';
import { shellQuote as q, type HostLayout } from '../deploy/host-layout.js';
import { uninstallCommand } from '../deploy/uninstall.js';
import type { Operator } from '../operators/operator.js';
import { PkiStore } from '../pki/pki-store.js';
import { onHost } from './host-access.js';
import { heldDaemonsPath, readHeldDaemons } from './host-daemons.js';
import type { InstalledCloud } from './installed-cloud.js';
import { deployPlan, planFileFor, recordPlan } from './node-deploy.js';
import { nodeMessages } from './node-messages.js';
import { removeNodeFromYaml, validatedPlan, withoutNode } from './node-plan.js';
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

export function connectCc(installed: InstalledCloud, zone: string): Promise<ClusterControllerClient> {
  return ClusterControllerClient.connect(ccOf(installed, zone).url, installed.adminTls, 'cloudctl');
}

export function rowOf(installed: InstalledCloud, zone: string, node: ClusterNode): NodeRow {
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

/**
 * The node controller on `host` (a host name of cloud.yaml, or a node name such as nc-node1), as its cc reports it;
 * a node the plan has but no cc knows (a removal cut short after deregistering) as the plan has it.
 */
async function findNode(installed: InstalledCloud, host: string): Promise<{ row: NodeRow; registered: boolean }> {
  const nodes = await listNodes(installed);
  const node = nodes.find((row) => row.host === host || row.nodeName === host);
  if (node) return { row: node, registered: true };
  const planned = installed.daemons.find(
    (d) => d.component.component === 'nc' && (d.host.name === host || d.name === host),
  );
  if (planned && 'zone' in planned.component) {
    const row = { zone: planned.component.zone, nodeName: planned.name, host: planned.host.name, url: planned.url };
    return { row: { ...row, reachable: false }, registered: false };
  }
  throw new CliError(
    'notFound',
    nodeMessages.noSuchNode(host),
    nodeMessages.knownNodes(nodes.map((row) => `${row.nodeName} (${row.host ?? row.url})`)),
  );
}

/** Polls the zone's cc until it reaches the node; the node's row then, a CliError at the deadline. */
export async function waitUntilReachable(
  installed: InstalledCloud,
  zone: string,
  nodeName: string,
  timeoutMs: number,
  signal?: AbortSignal,
): Promise<NodeRow> {
  const deadline = Date.now() + timeoutMs;
  const cc = await connectCc(installed, zone);
  for (;;) {
    signal?.throwIfAborted();
    const node = (await cc.describeNodes()).find((entry) => entry.nodeName === nodeName);
    if (node?.reachable) return rowOf(installed, zone, node);
    if (Date.now() >= deadline) {
      throw new CliError(
        'unhealthy',
        nodeMessages.notReachable(nodeName, zone, node?.lastError),
        nodeMessages.notReachableHint,
      );
    }
    await pause(500, undefined, { signal });
  }
}

async function instancesOn(installed: InstalledCloud, node: NodeRow): Promise<string[]> {
  const cc = await connectCc(installed, node.zone);
  return (await cc.describeInstances())
    .filter((instance) => instance.nodeName === node.nodeName && liveStates.has(instance.state))
    .map((instance) => instance.instanceId);
}

async function waitUntilEmpty(
  installed: InstalledCloud,
  node: NodeRow,
  timeoutMs: number,
  signal?: AbortSignal,
): Promise<string[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    signal?.throwIfAborted();
    const left = await instancesOn(installed, node);
    if (left.length === 0 || Date.now() >= deadline) return left;
    await pause(1000, undefined, { signal });
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
  const { row: node, registered } = await findNode(installed, host);
  if (!registered) throw new CliError('notFound', nodeMessages.noSuchNode(host), nodeMessages.notRegisteredHint);
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
  /** Nothing else of the cloud ran on the host: it left the plan and Mallee was uninstalled from it. */
  hostRemoved: boolean;
  /** The zone this was the last node of: it stays, with no capacity until a node joins it. */
  emptiedZone?: string;
  /** install.json and the cloud.yaml beside cloud.json. */
  planFiles: string[];
  /** That cloud.yaml was written from the plan: the install had left none there. */
  planFileCreated: boolean;
  hosts: HostReport[];
  seconds: number;
}

export interface RemoveOptions {
  force: boolean;
  yes: boolean;
  /** Also delete the node's data when Mallee leaves its host. */
  purge: boolean;
  renderer: ListrRendererValue;
  /**
   * Ctrl-C: while instances are being terminated, the wait stops (run the command again); during the deploy of the
   * remaining plan, no step starts after it and the command says where each host stopped.
   */
  signal?: AbortSignal;
}

/**
 * `nodes remove`: refuses while instances run there unless `force` (then terminates them, after confirmation),
 * deregisters the node from its cc and stops its nc; then takes it out of the plan for good (install.json and the
 * cloud.yaml beside it), uninstalls Mallee from its host when nothing else of the cloud runs there, and deploys the
 * remaining plan, so the zone's cc config no longer names the node and the host's supervisor lets it go. The last
 * node of a zone may go too: the zone keeps its cc (and sc) and has no capacity until `nodes add` gives it a node.
 */
export async function removeNode(
  installed: InstalledCloud,
  host: string,
  options: RemoveOptions,
): Promise<RemoveResult> {
  const started = Date.now();
  const { row: node, registered } = await findNode(installed, host);
  const running = registered ? await instancesOn(installed, node) : [];
  if (running.length > 0 && !options.force) {
    throw new CliError('conflict', nodeMessages.busy(node.nodeName, running), nodeMessages.busyHint);
  }
  await confirmOrRefuse(nodeMessages.confirmRemove(node.nodeName, running), options.yes);
  const daemon = installed.daemons.find((d) => d.name === node.nodeName);
  const removal = daemon ? withoutNode(installed.config, daemon.host.name) : undefined;
  const planned = removal && validatedPlan(removal.cloud, 'install.json', removal.emptiedZone);
  const planFile =
    daemon &&
    removal &&
    planned &&
    planFileFor(
      installed,
      planned,
      (text) => removeNodeFromYaml(text, daemon.host.name, removal.hostRemoved),
      removal.emptiedZone,
    );

  if (registered) {
    const cc = await connectCc(installed, node.zone);
    if (running.length > 0) {
      await cc.terminateInstances(running);
      const left = await waitUntilEmpty(installed, node, 120_000, options.signal).catch((error: unknown) => {
        if (!options.signal?.aborted) throw error;
        throw new CliError(
          'interrupted',
          nodeMessages.interruptedTerminating(String(options.signal.reason), node.nodeName),
          nodeMessages.interruptedTerminatingHint,
        );
      });
      if (left.length > 0)
        throw new CliError('unhealthy', nodeMessages.stillBusy(node.nodeName, left), nodeMessages.stillBusyHint);
    }
    await cc.deregisterNode(node.nodeName);
  }
  if (!daemon || !removal || !planned || !planFile) {
    const seconds = (Date.now() - started) / 1000;
    return {
      node,
      terminated: running,
      stopped: false,
      hostRemoved: false,
      planFiles: [],
      planFileCreated: false,
      hosts: [],
      seconds,
    };
  }
  const { prefix } = installed.record;
  await onHost(installed.open, daemon.host, async (operator) => {
    if (removal.hostRemoved) {
      // The plan as it was names what ran there: its units, and its data for --purge.
      await operator.check(uninstallCommand(installed.config, daemon.host, prefix, options.purge), {
        sudo: true,
        timeoutMs: 120_000,
      });
    } else {
      await controlServices(operator, installed, [daemon], 'stop');
    }
  });
  const planFiles = recordPlan(installed, planned, planFile);
  // A host that left the cloud is no longer trusted: its certificate is revoked (the deploy below gives every
  // remaining host the new revocation list) and deleted here, so adding it again issues a new one.
  if (removal.hostRemoved) await PkiStore.open(installed.cloudFile.pkiDir).revokeHost(daemon.host.name);
  const hosts = await deployPlan(
    installed,
    planned,
    options.renderer,
    { failed: nodeMessages.removeDeployFailedHint, interrupted: nodeMessages.removeInterruptedHint(planFile.path) },
    options.signal,
  );
  if (!removal.hostRemoved) {
    await onHost(installed.open, daemon.host, (operator) => forgetDaemon(operator, installed.layout, daemon.name));
  }
  return {
    node,
    terminated: running,
    stopped: true,
    hostRemoved: removal.hostRemoved,
    ...(removal.emptiedZone && { emptiedZone: removal.emptiedZone }),
    planFiles,
    planFileCreated: planFile.created,
    hosts,
    seconds: (Date.now() - started) / 1000,
  };
}

/**
 * What a host that keeps running other daemons still held of a removed one: its entry among the daemons `services
 * stop` holds, its config, and its systemd unit.
 */
async function forgetDaemon(operator: Operator, layout: HostLayout, name: string): Promise<void> {
  const held = await readHeldDaemons(operator, layout);
  if (name in held) {
    delete held[name];
    await operator.writeFile(heldDaemonsPath(layout), JSON.stringify(held, null, 2) + '\n', {
      mode: 0o644,
      sudo: true,
    });
  }
  const unit = `${layout.unitDir}/${layout.unitName(name)}`;
  await operator.check(
    `rm -f ${q(layout.daemonConfig(name))}; if [ -f ${q(unit)} ]; then rm -f ${q(unit)}; systemctl daemon-reload 2>/dev/null || true; fi`,
    { sudo: true },
  );
}
