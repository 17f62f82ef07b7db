import { stringify } from 'yaml';
import type { ServiceChange, ServiceDescription } from './services.js';

const past = { stop: 'stopped', start: 'started', restart: 'restarted' } as const;

export function formatServiceChanges(changes: readonly ServiceChange[]): string {
  return changes
    .map((change) => {
      const pids =
        change.action === 'stop'
          ? `was pid ${change.pidBefore ?? '-'}`
          : `pid ${change.pidBefore ?? '-'} -> ${change.pidAfter ?? '-'}`;
      return `${change.name} on ${change.host}: ${past[change.action]} (${pids}), now ${change.status.state}`;
    })
    .join('\n');
}

export function formatServiceDescription(service: ServiceDescription): string {
  const { config, ...rest } = service;
  return stringify({ ...rest, ...(config !== undefined && { config }) }).trimEnd();
}
