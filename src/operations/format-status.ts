import { renderTable } from '../cli/table.js';
import { renderList, type Column, type ListFormat } from '../cli/list-output.js';
import type { CloudStatus, ComponentStatus } from './cloud-status.js';

function duration(seconds: number | undefined): string {
  if (seconds === undefined) return '';
  if (seconds < 120) return `${seconds}s`;
  if (seconds < 7200) return `${Math.round(seconds / 60)}m`;
  if (seconds < 172_800) return `${Math.round(seconds / 3600)}h`;
  return `${Math.round(seconds / 86_400)}d`;
}

export const componentColumns: Column<ComponentStatus>[] = [
  { header: 'SERVICE', cell: (c) => c.name },
  { header: 'HOST', cell: (c) => c.host },
  { header: 'STATE', cell: (c) => c.state },
  { header: 'PID', cell: (c) => c.process?.pid },
  { header: 'VERSION', cell: (c) => c.version },
  { header: 'UPTIME', cell: (c) => duration(c.uptimeSeconds) },
  { header: 'RESTARTS', cell: (c) => c.process?.restarts },
  { header: 'LAST ERROR', cell: (c) => (c.lastError ?? c.process?.lastExit ?? '').slice(0, 60) },
];

export function formatComponents(components: readonly ComponentStatus[], format: ListFormat = 'table'): string {
  return renderList(components, componentColumns, format, 'No services.');
}

/** `cloudctl status` on one screen: verdict, components, zones, hosts, endpoints, certificates, then the problems. */
export function formatCloudStatus(status: CloudStatus): string {
  const sections = [
    `Cloud ${status.cloud}: ${status.healthy ? 'healthy' : `UNHEALTHY (${status.problems.length} problem${status.problems.length === 1 ? '' : 's'})`}`,
    formatComponents(status.components),
    renderTable(
      ['ZONE', 'NODES', 'CORES FREE/TOTAL', 'MEMORY MiB FREE/TOTAL', 'INSTANCES'],
      status.zones.map((zone) => [
        zone.name,
        zone.reachable ? `${zone.nodes.filter((n) => n.reachable).length}/${zone.nodes.length} up` : 'cc unreachable',
        zone.cores ? `${zone.cores.free}/${zone.cores.total}` : '',
        zone.memoryMiB ? `${zone.memoryMiB.free}/${zone.memoryMiB.total}` : '',
        zone.instances
          ? [String(zone.instances.total), ...Object.entries(zone.instances.byState).map(([s, n]) => `${n} ${s}`)].join(
              ' ',
            )
          : '',
      ]),
    ),
    renderTable(
      ['HOST', 'ADDRESS', 'REACHABLE', 'STARTER', 'AT BOOT', 'CLOCK OFFSET'],
      status.hosts.map((host) => [
        host.name,
        host.address,
        host.reachable ? 'yes' : 'no',
        host.starter ?? '',
        host.startsAtBoot === undefined ? '' : host.startsAtBoot ? 'starts' : 'nothing starts it',
        host.clockOffsetSeconds === undefined ? '' : `${host.clockOffsetSeconds.toFixed(2)} s`,
      ]),
    ),
    renderTable(
      ['ENDPOINT', 'URL', 'REACHABLE'],
      status.endpoints.map((e) => [e.name, e.url, e.reachable ? 'yes' : `no: ${e.detail}`]),
    ),
    renderTable(
      ['CERTIFICATE', 'EXPIRES', 'DAYS LEFT', 'STATE'],
      status.certificates.map((c) => [c.name, c.notAfter.slice(0, 10), String(c.daysLeft), c.state]),
    ),
  ];
  const notes = [
    ...status.problems.map((problem) => `problem: ${problem}`),
    ...status.warnings.map((warning) => `warning: ${warning}`),
  ];
  return [...sections, ...(notes.length > 0 ? [notes.join('\n')] : [])].join('\n\n');
}
