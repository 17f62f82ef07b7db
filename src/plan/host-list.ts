import { CliError } from '../cli/cli-error.js';
import { formatIpv4, isHostAddress, parseIpv4 } from '../config/net-formats.js';
import { hostName } from '../config/schema.js';
import type { HostYaml, SshYaml } from '../config/types.js';
import { hostListErrors } from './plan-messages.js';

/** More addresses than this in one range is almost certainly a typo (a /16 instead of a /24). */
export const maxRangeSize = 1024;

/**
 * The inventory from a `--hosts` value or a prompt answer: addresses, host names and IPv4 ranges (`10.0.0.5-7`,
 * `10.0.0.5-10.0.0.20`), separated by commas or spaces. Hosts are named after the first label of a host name, or
 * h1, h2, ... by position. Bad input is a usage CliError saying which entry and why.
 */
export function parseHostList(text: string, ssh?: SshYaml): HostYaml[] {
  const entries = text.split(/[\s,]+/).filter((entry) => entry !== '');
  if (entries.length === 0) throw new CliError('usage', hostListErrors.empty.message, hostListErrors.empty.hint);
  const addresses = entries.flatMap(expandEntry);
  const seen = new Set<string>();
  for (const address of addresses) {
    if (seen.has(address)) fail(hostListErrors.duplicate(address));
    seen.add(address);
  }
  const used = new Set<string>();
  return addresses.map((address, index) => {
    const name = uniqueName(nameFor(address, index), used);
    used.add(name);
    return { name, address, ...(ssh && Object.keys(ssh).length > 0 && { ssh: { ...ssh } }) };
  });
}

function expandEntry(entry: string): string[] {
  const dash = entry.indexOf('-');
  const first = dash > 0 ? parseIpv4(entry.slice(0, dash)) : undefined;
  if (first === undefined) {
    if (!isHostAddress(entry)) fail(hostListErrors.invalidEntry(entry));
    return [entry];
  }
  const end = entry.slice(dash + 1);
  // `10.0.0.5-7` ends at 10.0.0.7: the end replaces the last octet.
  const last = /^\d{1,3}$/.test(end) && Number(end) <= 255 ? first - (first % 256) + Number(end) : parseIpv4(end);
  if (last === undefined) fail(hostListErrors.invalidEntry(entry));
  if (last < first) fail(hostListErrors.backwards(entry));
  const count = last - first + 1;
  if (count > maxRangeSize) fail(hostListErrors.tooMany(entry, count, maxRangeSize));
  return Array.from({ length: count }, (_, offset) => formatIpv4(first + offset));
}

function nameFor(address: string, index: number): string {
  const label = address.split('.')[0]?.toLowerCase() ?? '';
  const isName = parseIpv4(address) === undefined && !address.includes(':') && hostName.test(label);
  return isName ? label : `h${index + 1}`;
}

function uniqueName(name: string, used: Set<string>): string {
  if (!used.has(name)) return name;
  for (let suffix = 2; ; suffix++) if (!used.has(`${name}-${suffix}`)) return `${name}-${suffix}`;
}

function fail(text: { message: string; hint: string }): never {
  throw new CliError('usage', text.message, text.hint);
}
