import { createHash, timingSafeEqual } from 'node:crypto';
import type { SignedRequest } from './types.js';

/** SHA-256 of an empty body, the payload hash of every bodiless request. */
export const EMPTY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

export function sha256Hex(data: Buffer | string): string {
  return createHash('sha256').update(data).digest('hex');
}

/** Compares two signatures without leaking, through timing, how much of them matched. */
export function safeEqual(expected: Buffer | string, provided: Buffer | string): boolean {
  const a = typeof expected === 'string' ? Buffer.from(expected, 'utf8') : expected;
  const b = typeof provided === 'string' ? Buffer.from(provided, 'utf8') : provided;
  return a.length === b.length && timingSafeEqual(a, b);
}

function isUnreserved(byte: number): boolean {
  return (
    (byte >= 0x41 && byte <= 0x5a) || // A-Z
    (byte >= 0x61 && byte <= 0x7a) || // a-z
    (byte >= 0x30 && byte <= 0x39) || // 0-9
    byte === 0x2d || // -
    byte === 0x2e || // .
    byte === 0x5f || // _
    byte === 0x7e // ~
  );
}

/** RFC 3986 percent-encoding as SigV4 wants it: every byte but the unreserved ones, upper-case hex. */
export function uriEncodeBytes(bytes: Uint8Array, keepSlash = false): string {
  if (bytes.every((byte) => isUnreserved(byte) || (keepSlash && byte === 0x2f))) {
    return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('latin1');
  }
  let out = '';
  for (const byte of bytes) {
    if (isUnreserved(byte) || (keepSlash && byte === 0x2f)) out += String.fromCharCode(byte);
    else out += `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

export function uriEncode(text: string, keepSlash = false): string {
  return uriEncodeBytes(Buffer.from(text, 'utf8'), keepSlash);
}

/**
 * Percent-decodes to bytes, leniently: a `%` not followed by two hex digits stays a `%`, and characters sent
 * unencoded (raw UTF-8 in a path) become their UTF-8 bytes. `+` means a space only in form encoding.
 */
export function percentDecode(text: string, plusAsSpace: boolean): Buffer {
  // Most paths and parameters have nothing to decode: their UTF-8 bytes as they stand.
  if (!text.includes('%') && !(plusAsSpace && text.includes('+'))) return Buffer.from(text, 'utf8');
  const bytes: number[] = [];
  for (let i = 0; i < text.length; i++) {
    const char = text[i]!;
    if (char === '%' && /^[0-9a-fA-F]{2}$/.test(text.slice(i + 1, i + 3))) {
      bytes.push(parseInt(text.slice(i + 1, i + 3), 16));
      i += 2;
    } else if (char === '+' && plusAsSpace) {
      bytes.push(0x20);
    } else {
      const codePoint = text.codePointAt(i)!;
      const encoded = Buffer.from(String.fromCodePoint(codePoint), 'utf8');
      bytes.push(...encoded);
      if (codePoint > 0xffff) i++;
    }
  }
  return Buffer.from(bytes);
}

/** Decodes form or query text to a string (`+` as a space), as every SDK means its parameters. */
export function formDecode(text: string): string {
  return percentDecode(text, true).toString('utf8');
}

/** One `key=value` of a raw query string, still encoded. */
export interface RawPair {
  key: string;
  value: string;
  /** Whether the pair had an `=` (`?acl` against `?acl=`): S3's legacy resource string keeps the difference. */
  hasValue: boolean;
}

export function splitQuery(raw: string): RawPair[] {
  const pairs: RawPair[] = [];
  for (const part of raw.split('&')) {
    if (part === '') continue;
    const equals = part.indexOf('=');
    pairs.push(
      equals === -1
        ? { key: part, value: '', hasValue: false }
        : { key: part.slice(0, equals), value: part.slice(equals + 1), hasValue: true },
    );
  }
  return pairs;
}

/** The decoded parameters of a query string or form body, in order, repeats kept. */
export function decodeParams(raw: string): [string, string][] {
  return splitQuery(raw).map(({ key, value }) => [formDecode(key), formDecode(value)]);
}

function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function byKeyThenValue(a: [string, string], b: [string, string]): number {
  return compareStrings(a[0], b[0]) || compareStrings(a[1], b[1]);
}

/**
 * The canonical query strings a signer may have meant, most likely first, each once. The spec decodes each name and
 * value and re-encodes it strictly; botocore signs a URL's query as it stands; and a `+` was a space to a form encoder
 * but is a plus to RFC 3986. For a query an SDK built they are all the same string, so only the first is worked out
 * unless the caller asks for more.
 */
export function* canonicalQueries(raw: string, excludeKey?: string): Generator<string, void, undefined> {
  const pairs = splitQuery(raw).filter(
    (pair) => excludeKey === undefined || percentDecode(pair.key, false).toString('utf8') !== excludeKey,
  );
  const joined = (encoded: [string, string][]) =>
    encoded
      .sort(byKeyThenValue)
      .map(([key, value]) => `${key}=${value}`)
      .join('&');
  const strict = (plusAsSpace: boolean) =>
    joined(
      pairs.map(({ key, value }): [string, string] => [
        uriEncodeBytes(percentDecode(key, plusAsSpace)),
        uriEncodeBytes(percentDecode(value, plusAsSpace)),
      ]),
    );
  const guesses = [() => strict(false), () => joined(pairs.map(({ key, value }) => [key, value]))];
  if (raw.includes('+')) guesses.push(() => strict(true));
  yield* distinct(guesses);
}

/** The values of `guesses`, worked out one at a time as they are asked for, repeats left out. */
function* distinct(guesses: readonly (() => string)[]): Generator<string, void, undefined> {
  const seen = new Set<string>();
  for (const guess of guesses) {
    const value = guess();
    if (seen.has(value)) continue;
    seen.add(value);
    yield value;
  }
}

/** Removes `.` and `..` segments and empty segments (`//`), keeping a leading and a trailing slash, as SDKs do. */
export function normalizePath(path: string): string {
  const segments: string[] = [];
  for (const segment of path.split('/')) {
    if (segment === '' || segment === '.') continue;
    if (segment === '..') segments.pop();
    else segments.push(segment);
  }
  const leading = path.startsWith('/') ? '/' : '';
  const trailing = segments.length > 0 && path.endsWith('/') ? '/' : '';
  return `${leading}${segments.join('/')}${trailing}` || '/';
}

/**
 * The canonical URIs a signer may have meant, most likely first. Every service but S3 normalises the path and
 * encodes it once more on top of the wire encoding ("double encoding", what botocore and the JS SDK do); the 2011
 * test suite encoded it once, hence the second guess. S3 signs the path as sent, which a strict signer could only
 * differ from by how it encoded the key, so for S3 the strict re-encoding is the second guess.
 */
export function* canonicalUris(rawPath: string, s3: boolean): Generator<string, void, undefined> {
  const asSent = s3 ? rawPath || '/' : normalizePath(rawPath);
  const strict = () => uriEncodeBytes(percentDecode(asSent, false), true);
  yield* distinct([s3 ? () => asSent : () => uriEncode(asSent, true), strict]);
}

/** SigV4's Trimall: no leading or trailing space, runs of spaces collapsed to one. */
export function trimAll(value: string): string {
  return value.trim().replace(/\s+/g, ' ');
}

/** A header's value as one string, repeats joined with `,` (how SigV4 and S3 v2 both join them). */
export function headerValue(request: SignedRequest, name: string): string | undefined {
  const value = request.headers[name];
  if (value === undefined) return undefined;
  return typeof value === 'string' ? value : value.join(',');
}

/** `name:value\n` for every signed header, in the order the client listed them. */
export function canonicalHeaders(request: SignedRequest, signedHeaders: readonly string[]): string {
  return signedHeaders
    .map((name) => {
      const value = request.headers[name];
      const canonical =
        value === undefined ? '' : typeof value === 'string' ? trimAll(value) : value.map(trimAll).join(',');
      return `${name}:${canonical}\n`;
    })
    .join('');
}
