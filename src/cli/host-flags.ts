import { Flags } from '@oclif/core';
import { cloudFlag } from './flags.js';

/**
 * How a command reaches a cloud's hosts over SSH: the same flags for `faststart install` and every cloudctl command
 * that acts on hosts, so one command line works for both.
 */
export const sshFlags = {
  'ssh-user': Flags.string({ description: 'SSH user for every host (overrides cloud.yaml)' }),
  'ssh-key': Flags.string({ description: 'SSH private key for every host (overrides cloud.yaml)', helpValue: 'FILE' }),
  'known-hosts': Flags.string({ description: 'known_hosts file (default ~/.ssh/known_hosts)', helpValue: 'FILE' }),
  'accept-new-host-keys': Flags.boolean({
    description: 'trust and record host keys not yet known (never a changed one)',
    default: false,
  }),
};

/** Which installed cloud, and where its plan and files are: for cloudctl commands that act on the cloud's hosts. */
export const installedCloudFlags = {
  cloud: cloudFlag,
  config: Flags.string({
    description: 'the cloud.yaml it was installed from (default: the one faststart install recorded)',
    helpValue: 'FILE',
  }),
  prefix: Flags.string({ description: 'the folder it was installed under on each host (tests)', hidden: true }),
  ...sshFlags,
};

/** The parsed values of `installedCloudFlags`, as src/operations takes them. */
export function installedCloudOptions(flags: {
  cloud?: string;
  config?: string;
  prefix?: string;
  'ssh-user'?: string;
  'ssh-key'?: string;
  'known-hosts'?: string;
  'accept-new-host-keys': boolean;
}) {
  return {
    cloud: flags.cloud,
    config: flags.config,
    prefix: flags.prefix,
    ssh: {
      sshUser: flags['ssh-user'],
      sshKey: flags['ssh-key'],
      knownHosts: flags['known-hosts'],
      acceptNewHostKeys: flags['accept-new-host-keys'],
    },
  };
}
