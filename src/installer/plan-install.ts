import { mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { CliError } from '../cli/cli-error.js';
import { malleeHome } from '../cloud/cloud-file.js';
import { loadCloudConfig } from '../config/load-cloud-config.js';
import type { CloudConfig, HostConfig } from '../config/types.js';
import { allInOneHypervisors, type AllInOneHypervisor } from '../deploy/all-in-one.js';
import { openInstallOperator } from '../deploy/install-input.js';
import { runtimePlatform } from '../deploy/bundle.js';
import { defaultKnownHostsFile } from '../discovery/discover-inventory.js';
import { discoverHosts } from '../discovery/discover-host.js';
import type { HostFacts } from '../discovery/host-facts.js';
import { terminalHostKeyConfirmer } from '../operators/confirm-host-key.js';
import type { Operator } from '../operators/operator.js';
import type { OpenOperatorOptions } from '../operators/ssh-operator.js';
import { placeComponents, type Placement } from '../placement/index.js';
import { parseHostList, toHostConfigs, writeCloudYaml } from '../plan/index.js';
import { formatPlacement } from './format-placement.js';
import { planInstallMessages as messages } from './plan-install-messages.js';
import { askInventory, reviewPlacement, type Inventory } from './prompts.js';

/** `faststart install`'s flags when it plans the cloud itself from a list of servers. */
export interface PlanInstallFlags {
  hosts?: string;
  name?: string;
  hypervisor: AllInOneHypervisor;
  sshUser?: string;
  sshKey?: string;
  knownHosts?: string;
  acceptNewHostKeys: boolean;
  yes: boolean;
  dryRun: boolean;
  output?: string;
}

/** The command's parsed flags, as planInstall takes them. */
export function planFlags(flags: {
  hosts?: string;
  name?: string;
  hypervisor: string;
  'ssh-user'?: string;
  'ssh-key'?: string;
  'known-hosts'?: string;
  'accept-new-host-keys': boolean;
  yes: boolean;
  'dry-run': boolean;
  output?: string;
}): PlanInstallFlags {
  return {
    hosts: flags.hosts,
    name: flags.name,
    hypervisor: flags.hypervisor as AllInOneHypervisor,
    sshUser: flags['ssh-user'],
    sshKey: flags['ssh-key'],
    knownHosts: flags['known-hosts'],
    acceptNewHostKeys: flags['accept-new-host-keys'],
    yes: flags.yes,
    dryRun: flags['dry-run'],
    output: flags.output,
  };
}

export type PlannedInstall =
  | { aborted: true }
  | {
      aborted: false;
      planFile: string;
      cloud: CloudConfig;
      openOperator: (host: HostConfig) => Promise<Operator>;
    };

/**
 * Servers (from --hosts or asked at the terminal) -> discovery -> placement -> review -> cloud.yaml on disk, then
 * the cloud read back from that file, so the install that follows is exactly `faststart install --config FILE`.
 * `say` prints to the person (stderr, keeping --json output on stdout clean).
 */
export async function planInstall(flags: PlanInstallFlags, say: (text: string) => void): Promise<PlannedInstall> {
  const interactive = Boolean(process.stdin.isTTY) && !flags.yes;
  const inventory = await inventoryFrom(flags);
  const hosts = toHostConfigs(inventory.hosts);
  const sshOptions = {
    knownHostsFile: flags.knownHosts ?? defaultKnownHostsFile,
    acceptNewHostKeys: flags.acceptNewHostKeys,
    confirmHostKey: interactive ? terminalHostKeyConfirmer() : undefined,
    ...(inventory.ssh.password !== undefined && { password: inventory.ssh.password }),
  };
  const facts = await discoverWithProgress(hosts, sshOptions, say);

  let placement: Placement = placeComponents(facts, {
    cloudName: flags.name ?? 'mallee',
    inventory: inventory.hosts,
    runtime: runtimePlatform(),
    ...(flags.hypervisor === 'test' && { hypervisor: allInOneHypervisors.test }),
  });
  if (interactive) {
    const outcome = await reviewPlacement(placement, { output: process.stderr });
    if (!outcome.accepted) {
      say(messages.aborted);
      return { aborted: true };
    }
    placement = outcome.placement;
  } else {
    say(formatPlacement(placement));
  }
  const errors = placement.problems.filter((problem) => problem.severity === 'error');
  if (errors.length > 0) throw new CliError('invalidConfig', messages.refused(errors), messages.refusedHint, errors);

  const planFile = resolve(flags.output ?? join(malleeHome(), placement.cloud.name, 'cloud.yaml'));
  mkdirSync(dirname(planFile), { recursive: true });
  writeCloudYaml(planFile, placement);
  say(flags.dryRun ? messages.dryRunPlanWritten(planFile) : messages.planWritten(planFile));

  const cloud = loadCloudConfig(planFile);
  const openOperator = async (host: HostConfig): Promise<Operator> => {
    if (inventory.ssh.password === undefined) {
      return openInstallOperator(host, {
        knownHosts: flags.knownHosts,
        yes: flags.yes,
        acceptNewHostKeys: flags.acceptNewHostKeys,
      });
    }
    // The password was asked once and is never written to cloud.yaml: it only lives here.
    const ssh = await import('../operators/ssh-operator.js');
    return ssh.openOperator(host, sshOptions);
  };
  return { aborted: false, planFile, cloud, openOperator };
}

async function inventoryFrom(flags: PlanInstallFlags): Promise<Inventory> {
  if (flags.hosts !== undefined) {
    const user = flags.sshUser ?? 'root';
    const ssh = { user, ...(flags.sshKey !== undefined && { key: flags.sshKey }), sudo: user !== 'root' };
    const yamlSsh = { user, ...(flags.sshKey !== undefined && { key: flags.sshKey }), ...(ssh.sudo && { sudo: true }) };
    return { hosts: parseHostList(flags.hosts, yamlSsh), ssh };
  }
  if (!process.stdin.isTTY) throw new CliError('usage', messages.needsHosts, messages.needsHostsHint);
  return askInventory({ output: process.stderr });
}

/** Every host at once; one line per host as it answers, so a slow or dead host is visible while the rest go on. */
async function discoverWithProgress(
  hosts: HostConfig[],
  sshOptions: OpenOperatorOptions,
  say: (text: string) => void,
): Promise<HostFacts[]> {
  const { openOperator } = await import('../operators/ssh-operator.js');
  say(messages.discovering(hosts.length));
  let done = 0;
  return Promise.all(
    hosts.map(async (host) => {
      const [facts] = (await discoverHosts([host], (one) => openOperator(one, sshOptions))) as [HostFacts];
      done += 1;
      say(messages.discovered(done, hosts.length, host.name, facts.reachable));
      return facts;
    }),
  );
}
