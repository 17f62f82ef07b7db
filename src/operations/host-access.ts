import { homedir } from 'node:os';
import { join } from 'node:path';
import { confirm } from '@inquirer/prompts';
import type { HostConfig } from '../config/types.js';
import { LocalOperator } from '../operators/local-operator.js';
import type { Operator } from '../operators/operator.js';

/** The SSH flags of `faststart install`, as cloudctl takes them too. */
export interface SshAccess {
  sshUser?: string;
  sshKey?: string;
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
  return async (host) => {
    if (allInOne || isThisMachine(host)) return new LocalOperator(host.name, host.address);
    const { openOperator } = await import('../operators/ssh-operator.js');
    const ssh = {
      ...host.ssh,
      ...(access.sshUser && { user: access.sshUser }),
      ...(access.sshKey && { key: access.sshKey }),
    };
    return openOperator(
      { ...host, ssh },
      {
        knownHostsFile: access.knownHosts ?? join(homedir(), '.ssh', 'known_hosts'),
        acceptNewHostKeys: access.acceptNewHostKeys,
        confirmHostKey: process.stdin.isTTY
          ? (key) =>
              confirm({
                message: `${host.name} (${key.host}) offers the ${key.keyType} key ${key.fingerprint}, not in ${key.knownHostsFile}. Trust it?`,
                default: false,
              })
          : undefined,
      },
    );
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
