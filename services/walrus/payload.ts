import { createHash, createHmac } from 'node:crypto';
import { EMPTY_SHA256 } from '../../src/aws/auth/canonical.js';
import { checksumAlgorithmOfHeader, runningChecksum, type RunningChecksum } from './checksums.js';
import { s3Errors } from './s3-errors.js';

/**
 * The bytes of an upload as the client meant them, whatever form the signature announced in `x-amz-content-sha256`:
 * - a hex SHA-256: the body as is, hashed on the way; a mismatch throws at the end (`XAmzContentSHA256Mismatch`);
 * - `UNSIGNED-PAYLOAD`: the body as is;
 * - `STREAMING-AWS4-HMAC-SHA256-PAYLOAD[-TRAILER]`: aws-chunked, every chunk's signature chained from the request's
 *   (seed) signature, and the trailer's signature after the last chunk;
 * - `STREAMING-UNSIGNED-PAYLOAD-TRAILER`: aws-chunked without signatures, a trailing checksum (`x-amz-trailer`) after.
 * Data is yielded before its chunk's signature is checked (a chunk may be megabytes), so a consumer must not make it
 * visible until the iteration has ended without throwing: every check happens before the last `next()` returns.
 * Memory stays bounded by the size of what the socket hands over, never the chunk or the object.
 */

export interface ChunkSigning {
  signingKey: Buffer;
  seedSignature: string;
  requestTime: string;
  scope: string;
}

export interface PayloadForm {
  /** `x-amz-content-sha256` as verified (or `UNSIGNED-PAYLOAD` for anonymous and legacy-signed requests). */
  signedPayload: string;
  /** Request headers, names lower-cased. */
  headers: Readonly<Record<string, string | readonly string[] | undefined>>;
  /** SigV4 only: what the chunk signatures chain from. */
  signing?: ChunkSigning;
}

/** What the decoder learnt at the end: the trailing checksum, when there was one (already verified). */
export interface PayloadTrailer {
  algorithm?: string;
  value?: string;
}

const MAX_CHUNK_HEADER = 4096;
const MAX_TRAILER = 16 * 1024;

function header(form: PayloadForm, name: string): string | undefined {
  const value = form.headers[name];
  return value === undefined ? undefined : typeof value === 'string' ? value : value.join(',');
}

function hmacHex(key: Buffer, text: string): string {
  return createHmac('sha256', key).update(text).digest('hex');
}

/** Whether the body is aws-chunked, so that `Content-Length` counts the framing and not the object. */
export function isChunkedPayload(signedPayload: string): boolean {
  return signedPayload.startsWith('STREAMING-');
}

/**
 * The decoded size a client announced: `x-amz-decoded-content-length` for aws-chunked bodies, else
 * `Content-Length`. Undefined when neither is there.
 */
export function declaredLength(form: PayloadForm): number | undefined {
  const text = isChunkedPayload(form.signedPayload)
    ? header(form, 'x-amz-decoded-content-length')
    : header(form, 'content-length');
  if (text === undefined) return undefined;
  if (!/^\d+$/.test(text.trim())) throw s3Errors.invalidArgument('Invalid Content-Length', 'Content-Length', text);
  return Number(text);
}

export async function* decodePayload(
  source: AsyncIterable<Buffer>,
  form: PayloadForm,
  trailer: PayloadTrailer = {},
): AsyncGenerator<Buffer, void, undefined> {
  const expected = declaredLength(form);
  let count = 0;
  const counted = async function* (chunks: AsyncIterable<Buffer>) {
    for await (const chunk of chunks) {
      count += chunk.length;
      if (expected !== undefined && count > expected) throw s3Errors.incompleteBody();
      yield chunk;
    }
  };
  const payload = form.signedPayload;
  if (isChunkedPayload(payload)) {
    const signed = payload.startsWith('STREAMING-AWS4-HMAC-SHA256-PAYLOAD');
    if (signed && !form.signing) throw s3Errors.invalidRequest('Chunk signatures need a SigV4 signed request.');
    const withTrailer = payload.endsWith('-TRAILER');
    yield* counted(decodeChunks(source, { signing: signed ? form.signing : undefined, withTrailer, form, trailer }));
  } else {
    const hash = /^[0-9a-fA-F]{64}$/.test(payload) ? createHash('sha256') : undefined;
    for await (const chunk of counted(source)) {
      hash?.update(chunk);
      yield chunk;
    }
    if (hash) {
      const computed = hash.digest('hex');
      if (computed !== payload.toLowerCase()) throw s3Errors.contentSha256Mismatch(payload, computed);
    }
  }
  if (expected !== undefined && count !== expected) throw s3Errors.incompleteBody();
}

/** Reads buffers on demand from an async source: lines up to CRLF, and runs of bytes. */
class ByteReader {
  private buffered: Buffer = Buffer.alloc(0);
  private readonly iterator: AsyncIterator<Buffer>;
  private done = false;

  constructor(source: AsyncIterable<Buffer>) {
    this.iterator = source[Symbol.asyncIterator]();
  }

  private async fill(): Promise<boolean> {
    if (this.done) return false;
    const next = await this.iterator.next();
    if (next.done) {
      this.done = true;
      return false;
    }
    this.buffered = this.buffered.length === 0 ? next.value : Buffer.concat([this.buffered, next.value]);
    return true;
  }

  /** A line without its CRLF; throws when none comes within `max` bytes or the body ends first. */
  async line(max: number): Promise<string> {
    for (;;) {
      const end = this.buffered.indexOf('\r\n');
      if (end !== -1) {
        const text = this.buffered.subarray(0, end).toString('latin1');
        this.buffered = this.buffered.subarray(end + 2);
        return text;
      }
      if (this.buffered.length > max || !(await this.fill())) throw s3Errors.invalidChunk();
    }
  }

  /** Up to `remaining` bytes, as soon as some are there. */
  async some(remaining: number): Promise<Buffer> {
    if (this.buffered.length === 0 && !(await this.fill())) throw s3Errors.incompleteBody();
    const taken = this.buffered.subarray(0, Math.min(remaining, this.buffered.length));
    this.buffered = this.buffered.subarray(taken.length);
    return taken;
  }

  async atEnd(): Promise<boolean> {
    return this.buffered.length === 0 && !(await this.fill());
  }
}

async function* decodeChunks(
  source: AsyncIterable<Buffer>,
  options: { signing?: ChunkSigning; withTrailer: boolean; form: PayloadForm; trailer: PayloadTrailer },
): AsyncGenerator<Buffer, void, undefined> {
  const { signing, withTrailer, form } = options;
  const reader = new ByteReader(source);
  let previous = signing?.seedSignature ?? '';
  const trailerName = header(form, 'x-amz-trailer')?.trim().toLowerCase();
  const algorithm = trailerName === undefined ? undefined : checksumAlgorithmOfHeader(trailerName);
  if (withTrailer && trailerName !== undefined && algorithm === undefined) {
    throw s3Errors.invalidRequest(`The value specified in the x-amz-trailer header is not supported`);
  }
  const checksum: RunningChecksum | undefined = algorithm && runningChecksum(algorithm);
  for (;;) {
    const line = await reader.line(MAX_CHUNK_HEADER);
    const [sizeText, ...extensions] = line.split(';');
    if (!sizeText || !/^[0-9a-fA-F]+$/.test(sizeText.trim())) throw s3Errors.invalidChunk();
    const size = parseInt(sizeText.trim(), 16);
    const signature = extensions
      .map((extension) => /^\s*chunk-signature=([0-9a-f]{64})\s*$/.exec(extension)?.[1])
      .find((value) => value !== undefined);
    if (signing && signature === undefined) throw s3Errors.chunkSignatureMismatch();
    const hash = signing ? createHash('sha256') : undefined;
    let remaining = size;
    while (remaining > 0) {
      const data = await reader.some(remaining);
      remaining -= data.length;
      hash?.update(data);
      checksum?.update(data);
      yield data;
    }
    if (signing && hash) {
      const stringToSign = [
        'AWS4-HMAC-SHA256-PAYLOAD',
        signing.requestTime,
        signing.scope,
        previous,
        EMPTY_SHA256,
        hash.digest('hex'),
      ].join('\n');
      const computed = hmacHex(signing.signingKey, stringToSign);
      if (computed !== signature) throw s3Errors.chunkSignatureMismatch();
      previous = computed;
    }
    if (size === 0) break;
    if ((await reader.line(0)) !== '') throw s3Errors.invalidChunk();
  }
  // After the last chunk: trailing headers (when announced), then an empty line.
  const trailers: [string, string][] = [];
  let trailerBytes = 0;
  for (;;) {
    if (!withTrailer && (await reader.atEnd())) break;
    const line = await reader.line(MAX_TRAILER);
    trailerBytes += line.length;
    if (trailerBytes > MAX_TRAILER) throw s3Errors.invalidChunk();
    if (line === '') break;
    const colon = line.indexOf(':');
    if (colon <= 0) throw s3Errors.invalidChunk();
    trailers.push([line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim()]);
  }
  if (!(await reader.atEnd())) throw s3Errors.invalidChunk();
  const signatureTrailer = trailers.find(([name]) => name === 'x-amz-trailer-signature')?.[1];
  const checksumTrailers = trailers.filter(([name]) => name !== 'x-amz-trailer-signature');
  if (signing && withTrailer) {
    const canonical = checksumTrailers.map(([name, value]) => `${name}:${value}\n`).join('');
    const stringToSign = [
      'AWS4-HMAC-SHA256-TRAILER',
      signing.requestTime,
      signing.scope,
      previous,
      createHash('sha256').update(canonical).digest('hex'),
    ].join('\n');
    if (signatureTrailer !== hmacHex(signing.signingKey, stringToSign)) throw s3Errors.chunkSignatureMismatch();
  }
  if (trailerName !== undefined && algorithm !== undefined && checksum) {
    const sent = checksumTrailers.find(([name]) => name === trailerName)?.[1];
    if (sent === undefined) throw s3Errors.invalidRequest(`The ${trailerName} trailing header was not sent.`);
    if (sent !== checksum.digest()) throw s3Errors.badChecksum(algorithm.toLowerCase());
    options.trailer.algorithm = algorithm;
    options.trailer.value = sent;
  }
}
