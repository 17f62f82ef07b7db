import { homedir } from 'node:os';
import { join } from 'node:path';
import { withSshOverrides, type SshOverrides } from '../config/ssh-overrides.js';
import type { HostConfig } from '../config/types.js';
import { terminalHostKeyConfirmer } from '../operators/confirm-host-key.js';
import { LocalOperator } from '../operators/local-operator.js';
import type { Operator } from '../operators/operator.js';

/** The SSH flags of `faststart install`, as cloudctl takes them too. */
export interface SshAccess extends SshOverrides {
  knownHosts?: string;
  acceptNewHostKeys: boolean;
}

const loopback = new Set(['127.0.0.1', '::1', 'localhost']);

/** A host cloud.yaml names by a loopback address is this machine (an all-in-one install): no SSH needed. */
export function isThisMachine(host: HostConfig): boolean {
  return loopback.has(host.address) || host.address.startsWith('127.');
}

/**
 * Opens the same Operator the installer used: local for an all-in-one install or a host on this machine, SSH with
 * verified host keys otherwise.
 */
export function hostOpener(access: SshAccess, allInOne = false): (host: HostConfig) => Promise<Operator> {
  // One confirmer for every host, so parallel connections ask one question at a time.
  const confirmHostKey = terminalHostKeyConfirmer();
  return async (host) => {
    if (allInOne || isThisMachine(host)) return new LocalOperator(host.name, host.address);
    const { openOperator } = await import('../operators/ssh-operator.js');
    return openOperator(withSshOverrides(host, access), {
      knownHostsFile: access.knownHosts ?? join(homedir(), '.ssh', 'known_hosts'),
      acceptNewHostKeys: access.acceptNewHostKeys,
      confirmHostKey,
    });
  };
}

/** Runs `work` with an operator on the host and always closes it. */
export async function onHost<T>(
  open: (host: HostConfig) => Promise<Operator>,
  host: HostConfig,
  work: (operator: Operator) => Promise<T>,
): Promise<T> {
  const operator = await open(host);
  try {
    return await work(operator);
  } finally {
    await operator.close().catch(() => undefined);
  }
}
