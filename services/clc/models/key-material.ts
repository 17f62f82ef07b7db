import {
  createHash,
  createPublicKey,
  generateKeyPairSync,
  randomBytes,
  type JsonWebKey,
  type KeyObject,
} from 'node:crypto';

/**
 * The cryptography of EC2 key pairs, with no state: generating a key pair, reading a public key a user imports, and
 * the fingerprints AWS prints for each. AWS fingerprints differ by how the key arrived, and scripts compare them
 * with what `openssl` prints, so each is computed exactly as AWS does:
 * - RSA created by EC2: SHA-1 of the PKCS#8 DER private key, colon-separated hex;
 * - RSA imported: MD5 of the DER SubjectPublicKeyInfo, colon-separated hex (not the RFC 4716 MD5 of the SSH blob
 *   the API reference names: AWS itself hashes the DER form);
 * - ed25519 either way: base64 of SHA-256 of the OpenSSH public key blob, padded (`ssh-keygen -l` prints the same
 *   digest after `SHA256:`, without the `=`).
 */

export type KeyType = 'rsa' | 'ed25519';

export const keyTypes: readonly KeyType[] = ['rsa', 'ed25519'];

export interface GeneratedKeyPair {
  keyType: KeyType;
  /** What `CreateKeyPair` returns once: PKCS#1 PEM for RSA (as AWS), an OpenSSH private key for ed25519. */
  privateKey: string;
  /** `ssh-rsa AAAA... comment`, as an `authorized_keys` line. */
  publicKey: string;
  fingerprint: string;
}

export interface ImportedPublicKey {
  keyType: KeyType;
  publicKey: string;
  fingerprint: string;
}

/** Raised for public key material that is not an RSA or ed25519 key in a format EC2 reads. */
export class KeyFormatError extends Error {
  override name = 'KeyFormatError';
}

/** RSA modulus sizes `ImportKeyPair` accepts, as AWS documents them (1024 to 4096 bits). */
export const importedRsaBits = { min: 1024, max: 4096 } as const;

const createdRsaBits = 2048;

/** A new key pair; `comment` ends the public key line (EC2 puts the key name there). */
export function generateKeyPair(keyType: KeyType, comment: string): GeneratedKeyPair {
  if (keyType === 'rsa') {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: createdRsaBits });
    const pkcs8 = privateKey.export({ type: 'pkcs8', format: 'der' });
    return {
      keyType,
      privateKey: privateKey.export({ type: 'pkcs1', format: 'pem' }).toString(),
      publicKey: authorizedKeyLine(sshPublicBlob(publicKey), comment),
      fingerprint: colonHex(createHash('sha1').update(pkcs8).digest()),
    };
  }
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const blob = sshPublicBlob(publicKey);
  const seed = base64url(privateKey.export({ format: 'jwk' }).d);
  return {
    keyType,
    privateKey: openSshPrivateKey(blob, ed25519PublicBytes(publicKey), seed, comment),
    publicKey: authorizedKeyLine(blob, comment),
    fingerprint: ed25519Fingerprint(blob),
  };
}

/**
 * Reads the public key `ImportKeyPair` is given, as AWS takes it: an OpenSSH line (`ssh-rsa AAAA... comment`), an
 * RFC 4716 `---- BEGIN SSH2 PUBLIC KEY ----` block, a PEM `PUBLIC KEY` (or PKCS#1 `RSA PUBLIC KEY`), or DER
 * SubjectPublicKeyInfo; each of those also when it arrives base64-encoded once more (a DER file passed as text).
 */
export function readPublicKey(material: Uint8Array): ImportedPublicKey {
  const bytes = Buffer.from(material);
  const parsed = parsePublicKey(bytes) ?? parseBase64Wrapped(bytes);
  if (!parsed) throw new KeyFormatError('Key is not in valid OpenSSH public key format');
  const { key, comment } = parsed;
  const keyType = key.asymmetricKeyType;
  if (keyType === 'rsa') {
    const bits = key.asymmetricKeyDetails?.modulusLength ?? 0;
    if (bits < importedRsaBits.min || bits > importedRsaBits.max) {
      throw new KeyFormatError(
        `Invalid RSA key length ${bits}: EC2 imports RSA keys of ${importedRsaBits.min} to ${importedRsaBits.max} bits`,
      );
    }
    const spki = key.export({ type: 'spki', format: 'der' });
    return {
      keyType,
      publicKey: authorizedKeyLine(sshPublicBlob(key), comment),
      fingerprint: colonHex(createHash('md5').update(spki).digest()),
    };
  }
  if (keyType === 'ed25519') {
    const blob = sshPublicBlob(key);
    return { keyType, publicKey: authorizedKeyLine(blob, comment), fingerprint: ed25519Fingerprint(blob) };
  }
  throw new KeyFormatError('Key is not in valid OpenSSH public key format');
}

interface ParsedKey {
  key: KeyObject;
  comment: string;
}

function parsePublicKey(bytes: Buffer): ParsedKey | undefined {
  const text = bytes.toString('latin1').trim();
  try {
    const line = /^(ssh-rsa|ssh-ed25519)\s+([A-Za-z0-9+/=]+)(?:\s+(.*))?$/s.exec(text);
    if (line) {
      return { key: keyOfSshBlob(Buffer.from(line[2] ?? '', 'base64'), line[1]), comment: (line[3] ?? '').trim() };
    }
    if (text.startsWith('---- BEGIN SSH2 PUBLIC KEY ----')) return rfc4716Key(text);
    if (text.startsWith('-----BEGIN PUBLIC KEY-----')) return { key: createPublicKey(text), comment: '' };
    if (text.startsWith('-----BEGIN RSA PUBLIC KEY-----')) {
      return { key: createPublicKey({ key: text, format: 'pem', type: 'pkcs1' }), comment: '' };
    }
    // DER starts with a SEQUENCE tag.
    if (bytes[0] === 0x30) return { key: createPublicKey({ key: bytes, format: 'der', type: 'spki' }), comment: '' };
  } catch (error) {
    if (error instanceof KeyFormatError) throw error;
    return undefined;
  }
  return undefined;
}

function parseBase64Wrapped(bytes: Buffer): ParsedKey | undefined {
  const text = bytes.toString('latin1').replace(/\s+/g, '');
  if (text.length === 0 || !/^[A-Za-z0-9+/]+={0,2}$/.test(text)) return undefined;
  return parsePublicKey(Buffer.from(text, 'base64'));
}

/** RFC 4716: header lines (`Comment: "..."`, continued with a trailing backslash), then the base64 blob. */
function rfc4716Key(text: string): ParsedKey | undefined {
  const lines = text.split(/\r?\n/).map((line) => line.trim());
  const end = lines.indexOf('---- END SSH2 PUBLIC KEY ----');
  if (end < 0) return undefined;
  let comment = '';
  let body = '';
  for (let i = 1; i < end; i++) {
    let line = lines[i] ?? '';
    if (line.includes(':')) {
      while (line.endsWith('\\') && i + 1 < end) line = line.slice(0, -1) + (lines[++i] ?? '');
      const [name, ...rest] = line.split(':');
      if (name?.trim().toLowerCase() === 'comment')
        comment = rest
          .join(':')
          .trim()
          .replace(/^"(.*)"$/, '$1');
    } else {
      body += line;
    }
  }
  return { key: keyOfSshBlob(Buffer.from(body, 'base64')), comment };
}

/** A public key from its OpenSSH wire blob; the blob must hold exactly one RSA or ed25519 key. */
function keyOfSshBlob(blob: Buffer, expectedType?: string): KeyObject {
  const reader = new SshReader(blob);
  const type = reader.string().toString('latin1');
  if (expectedType !== undefined && type !== expectedType) {
    throw new KeyFormatError('Key is not in valid OpenSSH public key format');
  }
  let jwk: JsonWebKey;
  if (type === 'ssh-rsa') {
    const e = unsigned(reader.string());
    const n = unsigned(reader.string());
    jwk = { kty: 'RSA', n: n.toString('base64url'), e: e.toString('base64url') };
  } else if (type === 'ssh-ed25519') {
    const x = reader.string();
    if (x.length !== 32) throw new KeyFormatError('Key is not in valid OpenSSH public key format');
    jwk = { kty: 'OKP', crv: 'Ed25519', x: x.toString('base64url') };
  } else {
    throw new KeyFormatError('Key is not in valid OpenSSH public key format');
  }
  if (!reader.done()) throw new KeyFormatError('Key is not in valid OpenSSH public key format');
  return createPublicKey({ key: jwk, format: 'jwk' });
}

/** Reads the `string` fields (uint32 length, bytes) of the SSH wire format (RFC 4251). */
class SshReader {
  private offset = 0;
  constructor(private readonly bytes: Buffer) {}

  string(): Buffer {
    if (this.offset + 4 > this.bytes.length) throw new KeyFormatError('Key is not in valid OpenSSH public key format');
    const length = this.bytes.readUInt32BE(this.offset);
    const start = this.offset + 4;
    if (start + length > this.bytes.length) {
      throw new KeyFormatError('Key is not in valid OpenSSH public key format');
    }
    this.offset = start + length;
    return this.bytes.subarray(start, start + length);
  }

  done(): boolean {
    return this.offset === this.bytes.length;
  }
}

function sshString(value: Buffer | string): Buffer {
  const bytes = typeof value === 'string' ? Buffer.from(value, 'latin1') : value;
  const length = Buffer.alloc(4);
  length.writeUInt32BE(bytes.length);
  return Buffer.concat([length, bytes]);
}

/** An SSH `mpint`: big-endian two's complement, so a positive number with its top bit set gains a zero byte. */
function sshMpint(magnitude: Buffer): Buffer {
  const trimmed = unsigned(magnitude);
  return sshString((trimmed[0] ?? 0) & 0x80 ? Buffer.concat([Buffer.of(0), trimmed]) : trimmed);
}

function unsigned(bytes: Buffer): Buffer {
  let start = 0;
  while (start < bytes.length - 1 && bytes[start] === 0) start++;
  return bytes.subarray(start);
}

function sshPublicBlob(key: KeyObject): Buffer {
  if (key.asymmetricKeyType === 'ed25519') {
    return Buffer.concat([sshString('ssh-ed25519'), sshString(ed25519PublicBytes(key))]);
  }
  const jwk = key.export({ format: 'jwk' });
  return Buffer.concat([sshString('ssh-rsa'), sshMpint(base64url(jwk.e)), sshMpint(base64url(jwk.n))]);
}

function ed25519PublicBytes(key: KeyObject): Buffer {
  return base64url(key.export({ format: 'jwk' }).x);
}

function base64url(value: string | undefined): Buffer {
  if (value === undefined) throw new Error('key export lacks a component');
  return Buffer.from(value, 'base64url');
}

function authorizedKeyLine(blob: Buffer, comment: string): string {
  const type = new SshReader(blob).string().toString('latin1');
  const base = `${type} ${blob.toString('base64')}`;
  // A line break in a comment would start another authorized_keys entry on the instance.
  const safe = comment.replace(/[\r\n]+/g, ' ').trim();
  return safe.length > 0 ? `${base} ${safe}` : base;
}

/**
 * The `openssh-key-v1` format `ssh-keygen` writes for an unencrypted key (OpenSSH's PROTOCOL.key): Node exports
 * ed25519 private keys only as PKCS#8, which older OpenSSH clients do not read.
 */
function openSshPrivateKey(publicBlob: Buffer, publicBytes: Buffer, seed: Buffer, comment: string): string {
  const check = randomBytes(4);
  let secret = Buffer.concat([
    check,
    check,
    sshString('ssh-ed25519'),
    sshString(publicBytes),
    sshString(Buffer.concat([seed, publicBytes])),
    sshString(comment),
  ]);
  const padding: number[] = [];
  for (let i = 1; (secret.length + padding.length) % 8 !== 0; i++) padding.push(i);
  secret = Buffer.concat([secret, Buffer.from(padding)]);
  const body = Buffer.concat([
    Buffer.from('openssh-key-v1\0', 'latin1'),
    sshString('none'),
    sshString('none'),
    sshString(''),
    Buffer.from([0, 0, 0, 1]),
    sshString(publicBlob),
    sshString(secret),
  ]);
  const lines = body.toString('base64').match(/.{1,70}/g) ?? [];
  return `-----BEGIN OPENSSH PRIVATE KEY-----\n${lines.join('\n')}\n-----END OPENSSH PRIVATE KEY-----\n`;
}

function colonHex(digest: Buffer): string {
  return (digest.toString('hex').match(/../g) ?? []).join(':');
}

function ed25519Fingerprint(blob: Buffer): string {
  return createHash('sha256').update(blob).digest('base64');
}
