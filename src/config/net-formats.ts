import { isIPv6 } from 'node:net';

/** Checks for the address-like values in cloud.yaml. Each returns undefined when the value is fine, else why not. */

const ipv4Pattern = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

/** The address as a 32-bit number, or undefined if it is not dotted-quad IPv4 (leading zeros refused: some tools read them as octal). */
export function parseIpv4(text: string): number | undefined {
  const match = ipv4Pattern.exec(text);
  if (!match) return undefined;
  let value = 0;
  for (const octet of match.slice(1)) {
    if (octet.length > 1 && octet.startsWith('0')) return undefined;
    const n = Number(octet);
    if (n > 255) return undefined;
    value = value * 256 + n;
  }
  return value;
}

export function formatIpv4(value: number): string {
  return [24, 16, 8, 0].map((shift) => Math.floor(value / 2 ** shift) % 256).join('.');
}

export type CidrCheck =
  { ok: true } | { ok: false; reason: 'syntax' } | { ok: false; reason: 'hostBits'; network: string };

/** An IPv4 CIDR such as 10.250.0.0/24; the address part must be the network itself. */
export function checkCidr(text: string): CidrCheck {
  const match = /^([^/]+)\/(\d{1,2})$/.exec(text);
  const address = match ? parseIpv4(match[1]!) : undefined;
  const prefix = match ? Number(match[2]) : NaN;
  if (address === undefined || !(prefix >= 0 && prefix <= 32)) return { ok: false, reason: 'syntax' };
  const size = 2 ** (32 - prefix);
  const network = Math.floor(address / size) * size;
  if (network !== address) return { ok: false, reason: 'hostBits', network: `${formatIpv4(network)}/${prefix}` };
  return { ok: true };
}

export type RangeCheck = { ok: true } | { ok: false; reason: 'syntax' | 'backwards' };

/** An inclusive IPv4 range `a.b.c.d-a.b.c.e`. */
export function checkIpRange(text: string): RangeCheck {
  const parts = text.split('-');
  if (parts.length !== 2) return { ok: false, reason: 'syntax' };
  const first = parseIpv4(parts[0]!.trim());
  const last = parseIpv4(parts[1]!.trim());
  if (first === undefined || last === undefined) return { ok: false, reason: 'syntax' };
  return first <= last ? { ok: true } : { ok: false, reason: 'backwards' };
}

const hostnameLabel = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/i;

/** IPv4, IPv6 or an RFC 1123 hostname. Dotted numbers that are not a valid IPv4 address are refused, not taken as a name. */
export function isHostAddress(text: string): boolean {
  if (parseIpv4(text) !== undefined || isIPv6(text)) return true;
  if (/^[\d.]+$/.test(text) || text.length > 253) return false;
  return text
    .replace(/\.$/, '')
    .split('.')
    .every((label) => hostnameLabel.test(label));
}

/** A libvirt URI for a driver Mallee's nc supports: qemu (optionally over a transport) or libvirt's test driver. */
export function isLibvirtUri(text: string): boolean {
  return /^(qemu|test)(\+(ssh|libssh|libssh2|tcp|tls|unix|ext))?:\/\/[^\s/]*\/[^\s/][^\s]*$/.test(text);
}

export function isPostgresUrl(text: string): boolean {
  if (!/^postgres(ql)?:\/\//.test(text)) return false;
  try {
    return new URL(text).hostname !== '';
  } catch {
    return false;
  }
}
