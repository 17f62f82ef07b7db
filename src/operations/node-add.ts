import { runtimePlatform } from '../deploy/bundle.js';
import { resolve } from 'node:path';
import type { ListrRendererValue } from 'listr2';
import { CliError } from '../cli/cli-error.js';
import { confirmOrRefuse } from '../cli/confirm.js';
import { cloudDefaults, componentDefaults } from '../config/component-defaults.js';
import type { CloudConfig, HostConfig } from '../config/types.js';
import { planDaemons } from '../deploy/daemon-plan.js';
import type { HostReport } from '../deploy/deploy.js';
import { installMessages } from '../deploy/install-messages.js';
import { discoverHost } from '../discovery/discover-host.js';
import type { HostFacts } from '../discovery/host-facts.js';
import { profileHost } from '../placement/host-profile.js';
import { placeComponents } from '../placement/place-components.js';
import { problemTexts, reasonTexts } from '../placement/placement-messages.js';
import type { PlacementProblem, PlacementProblemCode } from '../placement/placement-types.js';
import { isThisMachine, onHost } from './host-access.js';
import type { InstalledCloud } from './installed-cloud.js';
import { deployPlan, planFileFor, recordPlan } from './node-deploy.js';
import { nodeMessages } from './node-messages.js';
import {
  addNodeToYaml,
  chooseZone,
  defaultHostName,
  ncOn,
  validatedPlan,
  withNode,
  type NodeEntry,
} from './node-plan.js';
import { waitUntilReachable, type NodeRow } from './nodes.js';

export interface AddNodeRequest {
  address: string;
  name?: string;
  zone?: string;
  hypervisor?: string;
  port?: number;
  /** The SSH user and key the new host is reached with (recorded in the plan for later commands). */
  sshUser?: string;
  sshKey?: string;
  /** The port the new host's sshd listens on (22 by default). */
  sshPort?: number;
  yes: boolean;
  renderer: ListrRendererValue;
  /** Ctrl-C: no deploy step starts after it and the hosts' connections close; the command fails as `interrupted`. */
  signal?: AbortSignal;
}

export type Virtualization = 'kvm' | 'emulation' | 'simulated';

/** What `cloudctl nodes add --json` prints. */
export interface AddNodeResult {
  node: NodeRow;
  host: string;
  address: string;
  zone: string;
  hypervisor: string;
  virtualization: Virtualization;
  /** Why the node is as it is, in placement's words. */
  reason: string;
  warnings: string[];
  /** install.json and the cloud.yaml beside cloud.json. */
  planFiles: string[];
  /** That cloud.yaml was written from the plan: the install had left none there. */
  planFileCreated: boolean;
  hosts: HostReport[];
  seconds: number;
}

/** Placement's problems that stop a host from running an nc; the rest concern components a node does not run. */
const blocking = new Set<PlacementProblemCode>([
  'unreachable',
  'no-sudo',
  'low-memory',
  'low-disk',
  'clock-skew',
  'wrong-architecture',
  'old-glibc',
  'unknown-libc',
]);

/** The host the node goes on: the cloud's host at that address, or a new one reached as the flags say. */
function hostFor(cloud: CloudConfig, request: AddNodeRequest): HostConfig {
  const atAddress = cloud.hosts.find((host) => host.address === request.address);
  if (atAddress && request.name !== undefined && request.name !== atAddress.name) {
    throw new CliError(
      'conflict',
      nodeMessages.addressTaken(request.address, atAddress.name),
      nodeMessages.addressTakenHint(atAddress.name),
    );
  }
  if (atAddress) return atAddress;
  const name = request.name ?? defaultHostName(cloud, request.address);
  const named = cloud.hosts.find((host) => host.name === name);
  if (named)
    throw new CliError(
      'conflict',
      nodeMessages.nameTaken(name, named.address),
      nodeMessages.nameTakenHint(request.address),
    );
  const user = request.sshUser ?? cloudDefaults.sshUser;
  return {
    name,
    address: request.address,
    ssh: {
      user,
      port: request.sshPort ?? cloudDefaults.sshPort,
      ...(request.sshKey !== undefined && { key: resolve(request.sshKey) }),
      sudo: user !== 'root',
    },
    dataDir: cloud.dataDir,
  };
}

/** What discovery found that keeps the host from running the nc, as placement words it. */
function problemsOf(facts: HostFacts, cloud: CloudConfig, entry: NodeEntry, repair: boolean): PlacementProblem[] {
  const { host } = entry;
  const placement = placeComponents([facts], {
    cloudName: cloud.name,
    dataDir: cloud.dataDir,
    inventory: [{ name: host.name, address: host.address, dataDir: host.dataDir }],
    runtime: runtimePlatform(),
  });
  const problems = placement.problems.filter((problem) => blocking.has(problem.code));
  const simulated = entry.hypervisor.startsWith('test:');
  if (!simulated && facts.virtualization === undefined) {
    problems.push({ severity: 'error', code: 'no-vm-host', host: host.name, ...problemTexts.noVmHost() });
  }
  // On a re-run the port is the node's own.
  if (!repair && facts.listeningPorts?.includes(entry.port)) {
    problems.push({
      severity: 'error',
      code: 'port-in-use',
      host: host.name,
      ...problemTexts.portInUse(host.name, entry.port, 'nc'),
    });
  }
  return problems;
}

/**
 * `cloudctl nodes add`: checks the host's SSH key and discovers it as the installer does, refuses a host that
 * cannot run an nc, puts the host and its nc into the plan (validated, recorded before anything is deployed), deploys
 * the whole plan with the installer's steps and waits until the zone's cc reaches the node. A node already in the
 * plan is finished or repaired the same way.
 */
export async function addNode(installed: InstalledCloud, request: AddNodeRequest): Promise<AddNodeResult> {
  const started = Date.now();
  const cloud = installed.config;
  const host = hostFor(cloud, request);
  // An all-in-one cloud listens on loopback: a node elsewhere could not reach its cc or walrus.
  if (!isThisMachine(host) && cloud.hosts.some((entry) => isThisMachine(entry))) {
    throw new CliError('usage', nodeMessages.loopbackCloud(request.address), nodeMessages.loopbackCloudHint);
  }
  const existing = ncOn(cloud, host.name);
  const facts = await onHost(installed.open, host, (operator) => discoverHost(operator, { dataDir: host.dataDir }));
  const zone = chooseZone(cloud, {
    zone: request.zone ?? existing?.zone,
    address: host.address,
    subnet: profileHost(facts, 0, undefined, cloud.dataDir).subnet,
  });
  const entry: NodeEntry = {
    host,
    zone,
    port: request.port ?? existing?.port ?? componentDefaults.nc.port,
    hypervisor: request.hypervisor ?? existing?.hypervisor ?? cloudDefaults.hypervisor,
  };
  const problems = problemsOf(facts, cloud, entry, existing !== undefined);
  if (problems.length > 0) {
    throw new CliError(
      'invalidConfig',
      nodeMessages.hostUnfit(
        host.name,
        host.address,
        problems.map((problem) => problem.message),
      ),
      problems.map((problem) => problem.fix).join(' '),
      problems,
    );
  }
  const virtualization: Virtualization = entry.hypervisor.startsWith('test:')
    ? 'simulated'
    : facts.virtualization === 'kvm'
      ? 'kvm'
      : 'emulation';
  const capacity = [facts.cores ?? 0, facts.memoryMiB?.total ?? 0] as const;
  const reason =
    virtualization === 'kvm'
      ? reasonTexts.nc.kvm(host.name, zone, ...capacity)
      : virtualization === 'emulation'
        ? reasonTexts.nc.emulation(host.name, zone, ...capacity)
        : nodeMessages.simulatedReason(host.name, zone);
  const warnings = virtualization === 'emulation' ? [problemTexts.noKvm(host.name).message] : [];

  const planned = validatedPlan(withNode(cloud, entry), 'install.json');
  const planFile = planFileFor(installed, planned, (text) => addNodeToYaml(text, cloud, entry));
  const daemons = planDaemons(planned);
  const nodeName = daemons.find((d) => d.component.component === 'nc' && d.host.name === host.name)!.name;
  const cc = daemons.find((d) => d.component.component === 'cc' && 'zone' in d.component && d.component.zone === zone);
  await confirmOrRefuse(
    nodeMessages.confirmAdd(
      nodeName,
      host.name,
      host.address,
      zone,
      entry.hypervisor,
      cc ? `${cc.name} on ${cc.host.name}` : 'its cc',
    ),
    request.yes,
  );
  const planFiles = recordPlan(installed, planned, planFile);
  const hosts = await deployPlan(
    installed,
    planned,
    request.renderer,
    { failed: nodeMessages.deployFailedHint, interrupted: installMessages.interruptedHint },
    request.signal,
  );
  const node = await waitUntilReachable(
    { ...installed, config: planned, daemons },
    zone,
    nodeName,
    60_000,
    request.signal,
  ).catch((error: unknown) => {
    if (!request.signal?.aborted) throw error;
    throw new CliError(
      'interrupted',
      nodeMessages.interruptedWaiting(String(request.signal.reason), nodeName),
      installMessages.interruptedHint,
    );
  });
  return {
    node,
    host: host.name,
    address: host.address,
    zone,
    hypervisor: entry.hypervisor,
    virtualization,
    reason,
    warnings,
    planFiles,
    planFileCreated: planFile.created,
    hosts,
    seconds: (Date.now() - started) / 1000,
  };
}
