import type { HostReport, StepFailure } from './deploy.js';

/** Wording of `faststart install` and `faststart uninstall`. */
export const installMessages = {
  /** Hosts where Mallee's supervisor runs the daemons (systemd is not PID 1): nothing starts it at boot. */
  startedAtBoot: (hosts: string[], cloud: string) =>
    `After a reboot: on ${hosts.join(', ')} (sysvinit) init starts Mallee's supervisor and every daemon with ` +
    `/etc/init.d/mallee-${cloud}.`,
  notStartedAtBoot: (hosts: string[], cloud: string) =>
    `After a reboot: on ${hosts.join(', ')} (neither systemd nor sysvinit is PID 1) nothing starts Mallee at boot; ` +
    `\`cloudctl services start all --cloud ${cloud}\` (or \`service mallee-${cloud} start\` there) brings every ` +
    `daemon back (libvirtd first for an nc on qemu).`,
  needsConfigOrAllInOne: 'Nothing to install: give --config cloud.yaml or --all-in-one.',
  needsConfigOrAllInOneHint:
    'Run `faststart install --all-in-one` for this machine, or describe your servers in a cloud.yaml (see templates/cloud.example.yaml).',
  allInOneOneHost: (count: number) =>
    `--all-in-one installs onto this machine only, but the cloud.yaml names ${count} hosts.`,
  allInOneOneHostHint: 'Leave out --all-in-one to install onto those hosts over SSH.',
  nameMismatch: (flag: string, yaml: string) => `--name ${flag} differs from the name in cloud.yaml (${yaml}).`,
  nameMismatchHint: 'Leave out --name, or change `name:` in cloud.yaml.',
  failed: (failures: StepFailure[]) =>
    failures
      .map((failure) =>
        [
          `${failure.host}: step ${failure.step} failed`,
          failure.command !== undefined ? `  command: ${failure.command.split('\n').join('\n           ')}` : undefined,
          failure.exitCode !== undefined ? `  exit code: ${failure.exitCode}` : undefined,
          failure.output ? `  last output:\n${failure.output.replace(/^/gm, '    ')}` : `  ${failure.message}`,
        ]
          .filter(Boolean)
          .join('\n'),
      )
      .join('\n'),
  failedHint: 'Fix the cause and run the same command again: finished steps are skipped, the failed one is retried.',
  interrupted: (signal: string, hosts: HostReport[], failures: StepFailure[]) =>
    [
      `Interrupted by ${signal}. What finished is recorded in each host's journal:`,
      ...hosts.map((host) => {
        const failure = failures.find((failed) => failed.host === host.name);
        const done = host.steps.filter((step) => step.outcome === 'changed' || step.outcome === 'unchanged');
        const doneList = done.length > 0 ? ` (done: ${done.map((step) => step.name).join(', ')})` : '';
        if (host.interruptedAt) return `  ${host.name}: stopped at step ${host.interruptedAt}${doneList}`;
        if (failure) return `  ${host.name}: step ${failure.step} failed: ${failure.message}`;
        return `  ${host.name}: every step done`;
      }),
    ].join('\n'),
  stopping: (signal: string) =>
    `${signal}: stopping; no step starts now, and the hosts' connections close. Press Ctrl-C again to quit at once.`,
  interruptedHint: 'Run the same command again: it skips what is done and finishes the rest.',
  zonesMissing: (zones: string[]) => `The clc does not list the zones ${zones.join(', ')} as available.`,
  zonesMissingHint: "Check the cc's log on its host, then run faststart install again.",
  smokeFailed: (reason: string) => `The smoke test failed: ${reason}`,
  smokeFailedHint:
    'The cloud is installed; its logs are under /var/log/mallee/CLOUD on each host. Re-run with --no-smoke-test to skip it.',
  nothingInstalled: (name: string, path: string) => `No cloud named "${name}" is installed here (no ${path}).`,
  nothingInstalledHint: 'Name the cloud with --name, as given to faststart install.',
  uninstallHostFailed: (host: string, message: string) => `${host}: ${message}`,
};
