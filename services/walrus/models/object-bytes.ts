import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import {
  checksumAlgorithms,
  checksumHeader,
  runningChecksum,
  type ChecksumAlgorithm,
  type RunningChecksum,
} from '../checksums.js';
import type { PayloadTrailer } from '../payload.js';
import { s3Errors } from '../s3-errors.js';
import type { ByteStore, StagedBlob, StageOptions, Unsealing } from '../storage/byte-store.js';
import type { Segment } from '../storage/metadata-store.js';
import { runningMd5, type RunningMd5 } from './running-md5.js';

/** What a client said the bytes must hash to: `Content-MD5` and any `x-amz-checksum-*` header. */
export interface ExpectedDigests {
  ContentMD5?: string;
  ChecksumCRC32?: string;
  ChecksumCRC32C?: string;
  ChecksumSHA1?: string;
  ChecksumSHA256?: string;
  /** `x-amz-sdk-checksum-algorithm`: the algorithm of a checksum that comes as a trailer. */
  ChecksumAlgorithm?: string;
  /** The size the client announced: a large body's MD5 is computed off the event loop. */
  ContentLength?: number;
}

export interface ReceivedBytes {
  blob: StagedBlob;
  /** Hex MD5 of the bytes: the ETag of a simple object, and of a part. */
  md5: string;
  /** The checksum the client sent and we verified, for storing and returning. */
  checksum?: { algorithm: ChecksumAlgorithm; value: string };
}

/** Largest single PUT, as on S3. */
export const maxPutSize = 5 * 1024 ** 3;

function expectedMd5(contentMd5: string | undefined): string | undefined {
  if (contentMd5 === undefined) return undefined;
  const bytes = Buffer.from(contentMd5.trim(), 'base64');
  if (bytes.length !== 16 || bytes.toString('base64') !== contentMd5.trim()) throw s3Errors.invalidDigest();
  return bytes.toString('hex');
}

function headerChecksums(expected: ExpectedDigests): [ChecksumAlgorithm, string][] {
  const sent: [ChecksumAlgorithm, string][] = [];
  for (const algorithm of checksumAlgorithms) {
    const value = expected[`Checksum${algorithm}` as `Checksum${ChecksumAlgorithm}`];
    if (value !== undefined) sent.push([algorithm, value.trim()]);
  }
  if (sent.length > 1) throw s3Errors.invalidRequest('Expecting a single x-amz-checksum- header');
  return sent;
}

/**
 * Streams an upload's decoded bytes into a staged blob, computing the MD5 and the checksum the client sent, and
 * checks them once the last byte is in: a mismatch discards the blob and throws (`BadDigest`), so nothing becomes
 * visible. `trailer` is filled by the payload decoder, which has already verified a trailing checksum.
 */
export async function receiveBytes(
  bytes: ByteStore,
  body: AsyncIterable<Buffer>,
  expected: ExpectedDigests,
  trailer: PayloadTrailer = {},
  options: StageOptions = {},
): Promise<ReceivedBytes> {
  const md5Wanted = expectedMd5(expected.ContentMD5);
  const checksums = headerChecksums(expected);
  const running: [ChecksumAlgorithm, string, RunningChecksum][] = checksums.map(([algorithm, value]) => [
    algorithm,
    value,
    runningChecksum(algorithm),
  ]);
  const { blob, md5: md5Hex } = await stageHashed(
    bytes,
    body,
    runningMd5(expected.ContentLength),
    running.map(([, , checksum]) => checksum),
    options,
  );
  try {
    if (md5Wanted !== undefined && md5Wanted !== md5Hex) throw s3Errors.badDigest();
    let checksum: ReceivedBytes['checksum'];
    for (const [algorithm, value, computed] of running) {
      if (computed.digest() !== value) {
        if (!/^[A-Za-z0-9+/]+=*$/.test(value)) throw s3Errors.invalidChecksum(checksumHeader(algorithm));
        throw s3Errors.badChecksum(algorithm.toLowerCase());
      }
      checksum = { algorithm, value };
    }
    if (!checksum && trailer.algorithm && trailer.value) {
      checksum = { algorithm: trailer.algorithm as ChecksumAlgorithm, value: trailer.value };
    }
    return { blob, md5: md5Hex, ...(checksum && { checksum }) };
  } catch (error) {
    await blob.discard();
    throw error;
  }
}

/** The segment that records a staged blob as (part of) an object: its id, size and seal. */
export function segmentOf(blob: Pick<StagedBlob, 'id' | 'size' | 'seal'>): Segment {
  return { blob: blob.id, size: blob.size, ...(blob.seal !== undefined && { seal: blob.seal }) };
}

/**
 * Copies stored segments (or a range of them) into a new staged blob (sealed as `options` say), hashing as it goes;
 * `sourceCustomerKey` opens segments sealed with their customer's key.
 */
export async function copyBytes(
  bytes: ByteStore,
  segments: readonly Segment[],
  options: StageOptions & { range?: { start: number; end: number }; sourceCustomerKey?: Buffer } = {},
): Promise<{ blob: StagedBlob; md5: string }> {
  const { range, sourceCustomerKey, ...staging } = options;
  const size = range ? range.end - range.start + 1 : segments.reduce((total, segment) => total + segment.size, 0);
  const source = readSegments(bytes, segments, range, sourceCustomerKey);
  return stageHashed(bytes, source, runningMd5(size), [], staging);
}

/**
 * Stages `chunks` as a blob while `md5` (and `checksums`) see every byte: the blob and the MD5's hex digest, and
 * nothing left behind when either fails (a failed stage abandons the MD5, a failed digest discards the blob). The
 * digests are of the bytes as given: a sealed blob is encrypted after them.
 */
async function stageHashed(
  bytes: ByteStore,
  chunks: AsyncIterable<Buffer>,
  md5: RunningMd5,
  checksums: readonly RunningChecksum[] = [],
  options: StageOptions = {},
): Promise<{ blob: StagedBlob; md5: string }> {
  const hashing = async function* () {
    for await (const chunk of chunks) {
      const behind = md5.update(chunk);
      for (const checksum of checksums) checksum.update(chunk);
      if (behind) await behind;
      yield chunk;
    }
  };
  let blob: StagedBlob;
  try {
    blob = await bytes.stage(hashing(), options);
  } catch (error) {
    md5.abandon();
    throw error;
  }
  try {
    return { blob, md5: await md5.digest() };
  } catch (error) {
    await blob.discard();
    throw error;
  }
}

/** What opens a segment: its seal, and the customer's key given for it (SSE-C). */
function unsealing(segment: Segment, customerKey: Buffer | undefined): Unsealing | undefined {
  return segment.seal === undefined ? undefined : { seal: segment.seal, ...(customerKey && { customerKey }) };
}

/**
 * The bytes of an object made of `segments`, `start` to `end` inclusive when a range is given; `customerKey` opens
 * segments sealed with their customer's key (SSE-C).
 */
export async function* readSegments(
  bytes: ByteStore,
  segments: readonly Segment[],
  range?: { start: number; end: number },
  customerKey?: Buffer,
): AsyncGenerator<Buffer, void, undefined> {
  let offset = 0;
  for (const segment of segments) {
    const segmentStart = offset;
    const segmentEnd = offset + segment.size - 1;
    offset += segment.size;
    if (segment.size === 0) continue;
    if (range && (segmentEnd < range.start || segmentStart > range.end)) continue;
    const from = range ? Math.max(range.start, segmentStart) - segmentStart : 0;
    const to = range ? Math.min(range.end, segmentEnd) - segmentStart : segment.size - 1;
    const chunks = bytes.read(segment.blob, { start: from, end: to }, unsealing(segment, customerKey));
    for await (const chunk of chunks) yield chunk as Buffer;
  }
}

/**
 * The body of a GET: a small object's bytes as they are (an inline blob, no stream), a single file's own read stream,
 * or the segments one after the other.
 */
export function objectBody(
  bytes: ByteStore,
  segments: readonly Segment[],
  range?: { start: number; end: number },
  customerKey?: Buffer,
): Readable | Buffer {
  const only = segments.length === 1 ? segments[0]! : undefined;
  if (only) {
    const inline = bytes.inlineBytes(only.blob, unsealing(only, customerKey));
    if (inline) return range ? inline.subarray(range.start, range.end + 1) : inline;
    return bytes.read(only.blob, range, unsealing(only, customerKey));
  }
  return segmentStream(bytes, segments, range, customerKey);
}

export function segmentStream(
  bytes: ByteStore,
  segments: readonly Segment[],
  range?: { start: number; end: number },
  customerKey?: Buffer,
): Readable {
  return Readable.from(readSegments(bytes, segments, range, customerKey), { objectMode: false });
}

/** The same checks as `receiveBytes`, for a small body already in memory (an XML document such as DeleteObjects). */
export function checkBodyDigests(body: Buffer, expected: ExpectedDigests): void {
  const md5Wanted = expectedMd5(expected.ContentMD5);
  if (md5Wanted !== undefined && createHash('md5').update(body).digest('hex') !== md5Wanted) throw s3Errors.badDigest();
  for (const [algorithm, value] of headerChecksums(expected)) {
    const checksum = runningChecksum(algorithm);
    checksum.update(body);
    if (checksum.digest() !== value) throw s3Errors.badChecksum(algorithm.toLowerCase());
  }
}
