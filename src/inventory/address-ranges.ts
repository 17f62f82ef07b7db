import { CliError } from '../cli/cli-error.js';
import { formatIpv4, isHostAddress, parseIpv4 } from '../config/net-formats.js';

/** The most hosts one range may name: a typo like `10.0.0.1-10.0.9.1` should not start 2,300 SSH connections. */
export const maxRangeSize = 256;

export const addressRangeMessages = {
  bad: (item: string) => ({
    message: `"${item}" is not an address, a host name or a range.`,
    hint: 'Give addresses like 10.0.0.5, ranges like 10.0.0.5-8 or 10.0.0.5-10.0.0.8, or host names, comma-separated.',
  }),
  backwards: (item: string) => ({
    message: `The range "${item}" runs backwards.`,
    hint: 'Put the lower address first, e.g. 10.0.0.5-8.',
  }),
  tooLarge: (item: string, size: number) => ({
    message: `The range "${item}" names ${size} hosts; at most ${maxRangeSize} are allowed in one range.`,
    hint: 'Check the range for a typo, or list the hosts in several smaller ranges.',
  }),
  empty: {
    message: 'No hosts were given.',
    hint: 'Name them with --hosts, e.g. --hosts 10.0.0.5,10.0.0.6 or --hosts 10.0.0.5-7.',
  },
};

function fail(text: { message: string; hint: string }): never {
  throw new CliError('usage', text.message, text.hint);
}

function expandRange(item: string, from: string, to: string): string[] {
  const first = parseIpv4(from);
  // `10.0.0.11-13`: the end replaces the last octet(s) of the start.
  const last =
    /^\d{1,3}$/.test(to) && first !== undefined
      ? parseIpv4(`${from.split('.').slice(0, 3).join('.')}.${to}`)
      : parseIpv4(to);
  if (first === undefined || last === undefined) fail(addressRangeMessages.bad(item));
  if (last < first) fail(addressRangeMessages.backwards(item));
  const size = last - first + 1;
  if (size > maxRangeSize) fail(addressRangeMessages.tooLarge(item, size));
  return Array.from({ length: size }, (_, index) => formatIpv4(first + index));
}

/**
 * `10.250.0.11-13,10.250.0.20,node7.lab` -> each address once, in the order given. Ranges are IPv4:
 * `a.b.c.d-e` (last octet) or `a.b.c.d-a.b.c.e`; anything else must be a single address or host name.
 */
export function expandHostList(text: string): string[] {
  const addresses: string[] = [];
  for (const item of text
    .split(',')
    .map((part) => part.trim())
    .filter(Boolean)) {
    const range = /^([\d.]+)-([\d.]+)$/.exec(item);
    if (range) addresses.push(...expandRange(item, range[1]!, range[2]!));
    else if (isHostAddress(item)) addresses.push(item);
    else fail(addressRangeMessages.bad(item));
  }
  if (addresses.length === 0) fail(addressRangeMessages.empty);
  return [...new Set(addresses)];
}
