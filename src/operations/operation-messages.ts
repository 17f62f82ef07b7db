/** What cloudctl's host-side commands say to people, in one place. */
export const operationMessages = {
  noPlan: (cloud: string, cloudPath: string) =>
    `The cloud "${cloud}" (${cloudPath}) has no record of its hosts: neither install.json nor cloud.yaml beside it.`,
  noPlanHint: 'Pass --config with the cloud.yaml it was installed from.',
  planMismatch: (plan: string, cloud: string) => `The cloud.yaml describes "${plan}", not "${cloud}".`,
  planMismatchHint: 'Pass the cloud.yaml this cloud was installed from, or select the other cloud with --cloud.',
  noSuchHost: (host: string) => `The cloud has no host "${host}".`,
  knownHosts: (hosts: string[]) => `Its hosts: ${hosts.join(', ')}.`,
  noSuchService: (service: string, host?: string) =>
    `No service "${service}"${host ? ` on ${host}` : ''} in this cloud.`,
  knownServices: (services: string[]) => `Its services: ${services.join(', ')}.`,
  oneServiceOnly: (service: string, matches: string[]) => `"${service}" means several daemons: ${matches.join(', ')}.`,
  oneServiceOnlyHint: 'Name one daemon, or add --host HOST.',
  confirmStop: (names: string[]) => `Stop ${names.join(', ')}? Requests to it fail until it is started again.`,
  confirmRestart: (names: string[]) => `Restart ${names.join(', ')}? Requests in flight finish, new ones wait.`,
  supervisorTimeout: (host: string, what: string, log: string) =>
    `On ${host}, the supervisor did not ${what} within 60 s; see ${log}.`,
  supervisorTimeoutHint: 'Look at the supervisor log and the daemon log (`cloudctl logs NAME`).',
  unhealthyAfter: (name: string, detail: string) => `${name} was started but is not healthy: ${detail}.`,
  unhealthyAfterHint: (name: string) => `See its log with \`cloudctl logs ${name}\`.`,
  /** Where systemd is not PID 1 nothing starts the supervisor at boot: a rebooted host stays down until this. */
  supervisorNotRunning: (host: string, cloud: string) =>
    `host ${host}: the supervisor is not running (crashed daemons will not be restarted); ` +
    `start it and the host's daemons with \`cloudctl services start all --host ${host} --cloud ${cloud}\``,
  servicesFailed: (action: string, failures: string[]) =>
    `services ${action}: ${failures.length} did not succeed (everything else did):\n  ${failures.join('\n  ')}`,
  servicesFailedHint:
    'Once a host answers, run the same command again (with --host HOST for it alone); a daemon that is not healthy: `cloudctl logs NAME`.',
  supervisorNeedsHost: 'Every host has its own supervisor: name one with --host.',
  cannotReachHost: (host: string, detail: string) => `Cannot reach ${host}: ${detail}`,
  cannotReachHostHint: 'Check the SSH flags (--ssh-user, --ssh-key, --known-hosts) and that the host is up.',
};
