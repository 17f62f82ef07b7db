import type { HostConfig } from './types.js';

/** `--ssh-user` and `--ssh-key` as every command that reaches hosts takes them: they override cloud.yaml's. */
export interface SshOverrides {
  sshUser?: string;
  sshKey?: string;
}

/** The host with the command line's SSH user and key in place of cloud.yaml's, where given. */
export function withSshOverrides(host: HostConfig, overrides: SshOverrides): HostConfig {
  return {
    ...host,
    ssh: {
      ...host.ssh,
      ...(overrides.sshUser && { user: overrides.sshUser }),
      ...(overrides.sshKey && { key: overrides.sshKey }),
    },
  };
}
