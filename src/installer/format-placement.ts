import { renderTable } from '../cli/table.js';
import type { ComponentName } from '../config/types.js';
import type { Placement } from '../placement/index.js';
import { reviewPrompts } from './prompt-messages.js';

/** The plan as the review shows it: hosts with their facts and components, zones, reasons, problems with fixes. */
export function formatPlacement(placement: Placement): string {
  const { cloud, reasons, problems, basis } = placement;
  const byHost = new Map<string, string[]>();
  for (const entry of cloud.components) {
    const label = entry.zone && cloud.zones.length > 1 ? `${entry.component}(${entry.zone})` : entry.component;
    byHost.set(entry.host, [...(byHost.get(entry.host) ?? []), label]);
  }
  const none = reviewPrompts.noneLabel;
  const hostRows = basis.facts.map((host) => {
    const left = (label: string) => [host.name, host.address, none, none, none, none, label];
    if (basis.edits.excludedHosts.includes(host.name)) return left(reviewPrompts.excludedLabel);
    if (!host.reachable) return left(reviewPrompts.unreachableLabel);
    const memory = host.memoryMiB ? `${Math.round((host.memoryMiB.total / 1024) * 10) / 10} GiB` : none;
    const disk = host.dataDirFreeGiB === undefined ? none : `${host.dataDirFreeGiB} GiB`;
    const virtualization = reviewPrompts.virtualization[host.virtualization ?? 'none'];
    const components = (byHost.get(host.name) ?? []).join(', ') || none;
    return [host.name, host.address, String(host.cores ?? none), memory, disk, virtualization, components];
  });
  const zoneRows = cloud.zones.map((zone) => {
    const hostsOf = (component: ComponentName) =>
      cloud.components.filter((entry) => entry.component === component && entry.zone === zone.name).map((e) => e.host);
    return [
      zone.name,
      zone.subnet ?? none,
      hostsOf('cc').join(', ') || none,
      hostsOf('sc').join(', ') || none,
      hostsOf('nc').join(', ') || none,
    ];
  });
  const errors = problems.filter((problem) => problem.severity === 'error').length;
  const lines = [
    reviewPrompts.title(cloud.name, cloud.hosts.length, cloud.zones.length),
    '',
    indent(renderTable(reviewPrompts.hostHeaders, hostRows)),
    '',
    indent(renderTable(reviewPrompts.zoneHeaders, zoneRows)),
    '',
    reviewPrompts.whyTitle,
    ...reasons.map((reason) => `  ${reason.text}`),
    '',
    problems.length === 0 ? reviewPrompts.noProblems : reviewPrompts.problemsTitle(errors, problems.length - errors),
    ...problems.flatMap((problem) => [
      reviewPrompts.problem(problem.severity, problem.host, problem.message),
      reviewPrompts.fix(problem.fix),
    ]),
  ];
  return lines.join('\n');
}

function indent(text: string): string {
  return text
    .split('\n')
    .map((line) => `  ${line}`)
    .join('\n');
}
