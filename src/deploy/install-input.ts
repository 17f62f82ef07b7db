import { homedir } from 'node:os';
import { withSshOverrides } from '../config/ssh-overrides.js';
import { join } from 'node:path';
import { confirm } from '@inquirer/prompts';
import { CliError } from '../cli/cli-error.js';
import { loadCloudConfig } from '../config/load-cloud-config.js';
import type { CloudConfig, HostConfig } from '../config/types.js';
import { LocalOperator } from '../operators/local-operator.js';
import type { Operator } from '../operators/operator.js';
import { allInOneCloud, type AllInOneHypervisor } from './all-in-one.js';
import { installMessages } from './install-messages.js';

export interface InstallFlags {
  config?: string;
  allInOne: boolean;
  name?: string;
  hypervisor: AllInOneHypervisor;
  yes: boolean;
  sshUser?: string;
  sshKey?: string;
  knownHosts?: string;
  acceptNewHostKeys: boolean;
}

/** The cloud to install and how to reach its hosts, from the command line. */
export function resolveInstallTarget(flags: InstallFlags): {
  cloud: CloudConfig;
  openOperator: (host: HostConfig) => Promise<Operator>;
} {
  if (!flags.config && !flags.allInOne) {
    throw new CliError('usage', installMessages.needsConfigOrAllInOne, installMessages.needsConfigOrAllInOneHint);
  }
  const cloud = flags.config ? loadCloudConfig(flags.config) : allInOneCloud(flags.name ?? 'local', flags.hypervisor);
  if (flags.config && flags.name && flags.name !== cloud.name) {
    throw new CliError('usage', installMessages.nameMismatch(flags.name, cloud.name), installMessages.nameMismatchHint);
  }
  if (flags.allInOne) {
    if (cloud.hosts.length !== 1) {
      throw new CliError(
        'usage',
        installMessages.allInOneOneHost(cloud.hosts.length),
        installMessages.allInOneOneHostHint,
      );
    }
    return { cloud, openOperator: async (host) => new LocalOperator(host.name, host.address) };
  }
  // The cloud carries the --ssh-user/--ssh-key overrides so install.json has them too: uninstall reaches the hosts
  // the same way install did.
  return {
    cloud: { ...cloud, hosts: cloud.hosts.map((host) => withSshOverrides(host, flags)) },
    openOperator: (host) =>
      openInstallOperator(host, {
        knownHosts: flags.knownHosts,
        yes: flags.yes,
        acceptNewHostKeys: flags.acceptNewHostKeys,
      }),
  };
}

/** An SSH operator for a host of the cloud; an unknown host key is asked about on a terminal unless --yes. */
export async function openInstallOperator(
  host: HostConfig,
  flags: { knownHosts?: string; yes: boolean; acceptNewHostKeys?: boolean },
): Promise<Operator> {
  const { openOperator } = await import('../operators/ssh-operator.js');
  const interactive = process.stdin.isTTY && !flags.yes;
  return openOperator(host, {
    knownHostsFile: flags.knownHosts ?? join(homedir(), '.ssh', 'known_hosts'),
    acceptNewHostKeys: flags.acceptNewHostKeys ?? false,
    confirmHostKey: interactive
      ? (key) =>
          confirm({
            message: `${host.name} (${key.host}) offers the ${key.keyType} key ${key.fingerprint}, not in ${key.knownHostsFile}. Trust it?`,
            default: false,
          })
      : undefined,
  });
}
