import { createHash, createHmac } from 'node:crypto';
import { appendFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';

/**
 * OpenSSH known_hosts, read and appended the way `ssh` does it, so a host the user already trusts with `ssh` is
 * trusted here too, and a key accepted here is trusted by `ssh` afterwards.
 */

/** One key line: `[marker] patterns keytype base64 [comment]`. */
export interface KnownHostEntry {
  /** 1-based, for messages that point the user at the line. */
  line: number;
  marker?: '@revoked' | '@cert-authority';
  /** The comma-separated host patterns, or one `|1|salt|hash` hashed name. */
  patterns: string;
  keyType: string;
  keyBase64: string;
}

export function parseKnownHosts(text: string): KnownHostEntry[] {
  const entries: KnownHostEntry[] = [];
  text.split('\n').forEach((raw, index) => {
    const fields = raw.trim().split(/\s+/);
    if (!fields[0] || fields[0].startsWith('#')) return;
    let marker: KnownHostEntry['marker'];
    if (fields[0] === '@revoked' || fields[0] === '@cert-authority')
      marker = fields.shift() as KnownHostEntry['marker'];
    const [patterns, keyType, keyBase64] = fields;
    if (!patterns || !keyType || !keyBase64) return;
    entries.push({ line: index + 1, marker, patterns, keyType, keyBase64 });
  });
  return entries;
}

/** The name known_hosts files a host under: `host`, or `[host]:port` when the port is not 22. */
export function knownHostsName(host: string, port: number): string {
  return port === 22 ? host : `[${host}]:${port}`;
}

function hashedNameMatches(hashed: string, name: string): boolean {
  const [, magic, salt, hash] = hashed.split('|');
  if (magic !== '1' || !salt || !hash) return false;
  const computed = createHmac('sha1', Buffer.from(salt, 'base64')).update(name).digest('base64');
  return computed === hash;
}

function wildcardToRegExp(pattern: string): RegExp {
  const body = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${body}$`, 'i');
}

/** Whether an entry's host field names `host:port`: plain patterns (with `*`, `?` and `!` negation) or a hashed name. */
export function entryMatchesHost(entry: KnownHostEntry, host: string, port: number): boolean {
  const name = knownHostsName(host, port);
  if (entry.patterns.startsWith('|')) return hashedNameMatches(entry.patterns, name);
  let matched = false;
  for (const pattern of entry.patterns.split(',')) {
    const negated = pattern.startsWith('!');
    if (wildcardToRegExp(negated ? pattern.slice(1) : pattern).test(name)) {
      if (negated) return false;
      matched = true;
    }
  }
  return matched;
}

/** OpenSSH's fingerprint of a public key blob: `SHA256:` and the unpadded base64 of its SHA-256. */
export function sha256Fingerprint(keyBlob: Buffer): string {
  return `SHA256:${createHash('sha256').update(keyBlob).digest('base64').replace(/=+$/, '')}`;
}

/** The key type a public key blob names in its first SSH string (`ssh-ed25519`, `ecdsa-sha2-nistp256`, ...). */
export function keyTypeOfBlob(keyBlob: Buffer): string {
  if (keyBlob.length < 4) return 'unknown';
  const length = keyBlob.readUInt32BE(0);
  return keyBlob.subarray(4, 4 + length).toString('latin1');
}

/** What the host presents, in the words `ssh` uses. */
export interface PresentedKey {
  host: string;
  port: number;
  keyType: string;
  fingerprint: string;
}

export type HostKeyVerdict =
  | { status: 'known'; line: number }
  | { status: 'unknown'; otherKeyTypes: string[] }
  | { status: 'changed'; line: number; knownKeyType: string; knownFingerprint: string }
  | { status: 'revoked'; line: number };

/**
 * Decides like `ssh`: a matching key of the same type is known; a different key of the same type means the key
 * CHANGED; keys of other types only (or none) leave it unknown; a `@revoked` key is never accepted.
 */
export function checkHostKey(entries: KnownHostEntry[], host: string, port: number, keyBlob: Buffer): HostKeyVerdict {
  const keyType = keyTypeOfBlob(keyBlob);
  const keyBase64 = keyBlob.toString('base64');
  const forHost = entries.filter((entry) => entry.marker !== '@cert-authority' && entryMatchesHost(entry, host, port));
  const revoked = forHost.find((entry) => entry.marker === '@revoked' && entry.keyBase64 === keyBase64);
  if (revoked) return { status: 'revoked', line: revoked.line };
  const plain = forHost.filter((entry) => entry.marker === undefined);
  const known = plain.find((entry) => entry.keyType === keyType && entry.keyBase64 === keyBase64);
  if (known) return { status: 'known', line: known.line };
  const changed = plain.find((entry) => entry.keyType === keyType);
  if (changed) {
    return {
      status: 'changed',
      line: changed.line,
      knownKeyType: changed.keyType,
      knownFingerprint: sha256Fingerprint(Buffer.from(changed.keyBase64, 'base64')),
    };
  }
  return { status: 'unknown', otherKeyTypes: [...new Set(plain.map((entry) => entry.keyType))] };
}

/** Key types known_hosts holds for a host, so the connection can ask for those first (as `ssh` does). */
export function knownKeyTypes(entries: KnownHostEntry[], host: string, port: number): string[] {
  const types = entries
    .filter((entry) => entry.marker === undefined && entryMatchesHost(entry, host, port))
    .map((entry) => entry.keyType);
  return [...new Set(types)];
}

export function readKnownHosts(file: string): KnownHostEntry[] {
  return existsSync(file) ? parseKnownHosts(readFileSync(file, 'utf8')) : [];
}

/** Adds `host keytype base64` (plain, like `ssh` with HashKnownHosts off), creating the file 0600 if needed. */
export function appendKnownHost(file: string, host: string, port: number, keyBlob: Buffer): void {
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  const existing = existsSync(file) ? readFileSync(file, 'utf8') : '';
  const separator = existing === '' || existing.endsWith('\n') ? '' : '\n';
  const line = `${knownHostsName(host, port)} ${keyTypeOfBlob(keyBlob)} ${keyBlob.toString('base64')}\n`;
  appendFileSync(file, separator + line, { mode: 0o600 });
}
