import type { InstallResult } from './install.js';
import { installMessages } from './install-messages.js';
import type { PlannedAction } from './step.js';

const mode = (value: number) => `0${value.toString(8)}`;

function formatAction(action: PlannedAction): string {
  if (action.kind === 'run') return `    $ ${action.command.split('\n').join('\n      ')}`;
  if (action.kind === 'check') return `    check: ${action.what}`;
  const source = action.from ? ` <- ${action.from}` : '';
  const size = action.bytes !== undefined ? `, ${action.bytes} bytes` : '';
  return `    file ${action.path} (mode ${mode(action.mode)}${size})${source}`;
}

/** `--dry-run`: every command and file per host and step, and which steps have nothing to do. */
export function formatDryRun(result: InstallResult): string {
  const lines = [`Dry run of cloud "${result.cloud}" (bundle ${result.bundle}): nothing was changed.`];
  for (const host of result.hosts) {
    lines.push('', `${host.name} (${host.address}, daemons started by ${host.starter ?? 'unknown'}):`);
    for (const step of host.steps) {
      lines.push(`  ${step.name}: ${step.outcome === 'unchanged' ? 'nothing to do' : 'would run'}`);
      if (step.outcome !== 'unchanged') lines.push(...(step.actions ?? []).map(formatAction));
    }
  }
  return lines.join('\n');
}

/** The last screen: endpoints, credentials, time per phase, what to try next. */
export function formatInstall(result: InstallResult): string {
  const changed = result.hosts.flatMap((host) => host.steps).filter((step) => step.outcome === 'changed').length;
  const lines = [
    '',
    `Cloud "${result.cloud}" is up (${result.daemons.length} daemons on ${result.hosts.length} host${result.hosts.length === 1 ? '' : 's'}; ${changed === 0 ? 'nothing needed changing' : `${changed} steps changed something`}).`,
    '',
    'Endpoints:',
    ...Object.entries(result.endpoints ?? {}).map(([name, url]) => `  ${name.padEnd(6)} ${url}`),
    '',
    'Daemons:',
    ...result.daemons.map((daemon) => `  ${daemon.name.padEnd(16)} ${daemon.host.padEnd(12)} ${daemon.url}`),
    '',
    `Credentials (mode 0600): ${result.files?.cloudFile}`,
    `  aws CLI: export AWS_CONFIG_FILE=${result.files?.awsConfig}`,
    `  shell:   source ${result.files?.eucarc}`,
  ];
  if (result.smokeTest && result.smokeTest !== 'skipped') {
    lines.push(
      '',
      `Smoke test: ${result.smokeTest.instanceId} reached ${result.smokeTest.state}${result.smokeTest.consoleMarker ? ' and printed its ready marker' : ''} in ${result.smokeTest.seconds.toFixed(1)} s, then was terminated.`,
    );
  }
  // Hosts under systemd come back by themselves, as anyone expects; the others are named, by what starts them.
  const supervised = result.hosts.filter((host) => host.starter === 'supervisor');
  const atBoot = supervised.filter((host) => host.startsAtBoot).map((host) => host.name);
  const notAtBoot = supervised.filter((host) => !host.startsAtBoot).map((host) => host.name);
  if (supervised.length > 0) lines.push('');
  if (atBoot.length > 0) lines.push(installMessages.startedAtBoot(atBoot, result.cloud));
  if (notAtBoot.length > 0) lines.push(installMessages.notStartedAtBoot(notAtBoot, result.cloud));
  lines.push(
    '',
    'Time per phase:',
    ...result.phases.map((phase) => `  ${phase.name.padEnd(26)} ${phase.seconds.toFixed(1)} s`),
    `  ${'total'.padEnd(26)} ${result.seconds.toFixed(1)} s`,
    '',
    'Try next:',
    // eucarc also sets AWS_CA_BUNDLE, which a shell may already point at the system's CAs (it overrides ca_bundle).
    `  source ${result.files?.eucarc}`,
    '  aws sts get-caller-identity',
    '  aws ec2 describe-availability-zones --zone-names verbose',
    `  cloudctl --help                       (commands take --cloud ${result.cloud})`,
  );
  return lines.join('\n');
}
