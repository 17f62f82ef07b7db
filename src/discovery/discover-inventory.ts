import { homedir } from 'node:os';
import { join } from 'node:path';
import { cloudDefaults, loadCloudConfig, type HostConfig } from '../config/index.js';
import { withSshOverrides } from '../config/ssh-overrides.js';
import { expandHostList } from '../inventory/address-ranges.js';
import { terminalHostKeyConfirmer } from '../operators/confirm-host-key.js';
import { openOperator } from '../operators/ssh-operator.js';
import { discoverHosts } from './discover-host.js';
import type { HostFacts } from './host-facts.js';

/** `faststart discover`'s inputs: hosts from --hosts (addresses and ranges) or from a cloud.yaml. */
export interface DiscoverRequest {
  hosts?: string;
  config?: string;
  /** Override cloud.yaml's with --config; for --hosts, default root. */
  sshUser?: string;
  sshPort: number;
  sshKey?: string;
  knownHosts?: string;
  acceptNewHostKeys: boolean;
  connectTimeoutSeconds: number;
}

export const defaultKnownHostsFile = join(homedir(), '.ssh', 'known_hosts');

/**
 * The hosts to inspect: each --hosts address becomes a host named after it, with the SSH settings of the flags; a
 * cloud.yaml's hosts keep theirs unless --ssh-user or --ssh-key overrides them, as for `faststart install`.
 */
export function inventoryFromRequest(request: DiscoverRequest): HostConfig[] {
  if (request.config) return loadCloudConfig(request.config).hosts.map((host) => withSshOverrides(host, request));
  const user = request.sshUser ?? cloudDefaults.sshUser;
  return expandHostList(request.hosts ?? '').map((address) => ({
    name: address,
    address,
    ssh: { user, port: request.sshPort, key: request.sshKey, sudo: user !== 'root' },
    dataDir: cloudDefaults.dataDir,
  }));
}

/** Discovers every host in parallel over SSH; unknown host keys are confirmed at the terminal when there is one. */
export async function discoverInventory(request: DiscoverRequest): Promise<HostFacts[]> {
  const hosts = inventoryFromRequest(request);
  const sshOptions = {
    knownHostsFile: request.knownHosts ?? defaultKnownHostsFile,
    acceptNewHostKeys: request.acceptNewHostKeys,
    confirmHostKey: terminalHostKeyConfirmer(),
    connectTimeoutMs: request.connectTimeoutSeconds * 1000,
  };
  return discoverHosts(hosts, (host) => openOperator(host, sshOptions));
}
