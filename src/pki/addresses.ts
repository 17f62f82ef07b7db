import { isIP } from 'node:net';
import { CliError } from '../cli/cli-error.js';

/** Addresses every host certificate carries, so components on the same host can reach each other over loopback. */
export const LOOPBACK_ADDRESSES = ['localhost', '127.0.0.1', '::1'] as const;

const DNS_NAME = /^(\*\.)?(?!-)[a-z0-9-]{1,63}(?<!-)(\.(?!-)[a-z0-9-]{1,63}(?<!-))*$/;
/** Host names become file names under hosts/, so they stay plain; `-key` is reserved for the key file. */
const HOST_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;

export function isIpAddress(address: string): boolean {
  return isIP(address) !== 0;
}

/**
 * One spelling per address so that SANs read back from a certificate compare equal to the addresses asked for:
 * DNS names lower-case without a trailing dot, IPv6 in its compressed form (`0:0::1` -> `::1`).
 */
export function canonicalAddress(address: string): string {
  const trimmed = address.trim();
  const unbracketed = trimmed.startsWith('[') && trimmed.endsWith(']') ? trimmed.slice(1, -1) : trimmed;
  if (isIP(unbracketed) === 4) return unbracketed;
  if (isIP(unbracketed) === 6) return new URL(`http://[${unbracketed}]`).hostname.slice(1, -1);
  const name = unbracketed.toLowerCase().replace(/\.$/, '');
  // An all-digit last label is a mistyped IPv4 address (999.1.1.1), never a host name.
  if (!DNS_NAME.test(name) || name.length > 253 || /(^|\.)\d+$/.test(name)) {
    throw new CliError(
      'usage',
      `"${address}" is neither an IP address nor a DNS name.`,
      'Give addresses like 10.0.0.5, fd00::5 or node1.example.org.',
    );
  }
  return name;
}

export function checkHostName(hostName: string): void {
  if (!HOST_NAME.test(hostName) || hostName.endsWith('-key')) {
    throw new CliError(
      'usage',
      `"${hostName}" cannot name a host certificate.`,
      'Use letters, digits, ".", "_" and "-" (at most 63, not ending in "-key"), e.g. node1 or clc.example.org.',
    );
  }
}

/** The canonical spelling, or undefined for something that is not an address (a name with `_`, say). */
export function tryCanonicalAddress(address: string): string | undefined {
  try {
    return canonicalAddress(address);
  } catch {
    return undefined;
  }
}

/** The SANs a host's certificate should carry: the given addresses, the host name when it is an address, and loopback. */
export function hostSubjectAltNames(hostName: string, addresses: readonly string[]): string[] {
  const names = addresses.map(canonicalAddress);
  const ownName = tryCanonicalAddress(hostName);
  if (ownName !== undefined) names.push(ownName);
  names.push(...LOOPBACK_ADDRESSES);
  return [...new Set(names)];
}

/** Parses `NAME=ADDR[,ADDR...]`, the form `faststart certs --host` takes. */
export function parseHostSpec(spec: string): { hostName: string; addresses: string[] } {
  const equals = spec.indexOf('=');
  const hostName = equals === -1 ? spec.trim() : spec.slice(0, equals).trim();
  const addresses =
    equals === -1
      ? []
      : spec
          .slice(equals + 1)
          .split(',')
          .map((address) => address.trim())
          .filter((address) => address !== '');
  if (hostName === '' || addresses.length === 0) {
    throw new CliError(
      'usage',
      `--host "${spec}" should be NAME=ADDRESS[,ADDRESS...].`,
      'For example --host node1=10.0.0.5,node1.example.org',
    );
  }
  checkHostName(hostName);
  return { hostName, addresses: addresses.map(canonicalAddress) };
}
