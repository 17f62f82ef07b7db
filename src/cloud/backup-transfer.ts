import { createHash } from 'node:crypto';
import { createWriteStream, rmSync } from 'node:fs';
import type { OutgoingHttpHeaders } from 'node:http';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { openPeerStream, peerExplanation, type PeerTls } from '../runtime/peer-client.js';

/**
 * How a backup file travels between the cloud's parts (Walrus to the clc, the clc to cloudctl): streamed over mTLS as
 * plain bytes, its size and SHA-256 in the headers, written to disk as it comes and checked before it is used. A
 * backup holds Walrus's metadata, small objects included, which can be far larger than any process should hold.
 */

const sha256Header = 'x-mallee-sha256';

/** What a backup file's answer says about it before the first byte. */
export interface BackupFileFacts {
  sizeBytes: number;
  sha256: string;
}

export function backupHeaders(facts: BackupFileFacts): OutgoingHttpHeaders {
  return {
    'content-type': 'application/octet-stream',
    'content-length': String(facts.sizeBytes),
    [sha256Header]: facts.sha256,
  };
}

/**
 * Streams a backup file from a peer into `destination` (created 0600: backups hold secret keys), hashing as it
 * writes. Refused answers, short or damaged transfers throw, and leave no file behind.
 */
export async function downloadBackupFile(
  url: string,
  tls: PeerTls,
  destination: string,
  what: string,
  options: { idleMs?: number } = {},
): Promise<BackupFileFacts> {
  const response = await openPeerStream(url, tls, options);
  if (response.statusCode !== 200) {
    let body = '';
    for await (const chunk of response) if (body.length < 2000) body += String(chunk);
    throw new Error(`${what}: the peer answered HTTP ${response.statusCode}${peerExplanation(body)}`);
  }
  const expected = {
    sizeBytes: Number(response.headers['content-length']),
    sha256: String(response.headers[sha256Header] ?? ''),
  };
  const hash = createHash('sha256');
  let sizeBytes = 0;
  const hashing = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      hash.update(chunk);
      sizeBytes += chunk.length;
      callback(null, chunk);
    },
  });
  try {
    await pipeline(response, hashing, createWriteStream(destination, { mode: 0o600, flush: true }));
    const sha256 = hash.digest('hex');
    if (sizeBytes !== expected.sizeBytes) {
      throw new Error(`${what} arrived short: ${sizeBytes} of ${expected.sizeBytes} bytes`);
    }
    if (sha256 !== expected.sha256) throw new Error(`${what} arrived damaged (checksum differs)`);
    return { sizeBytes, sha256 };
  } catch (error) {
    rmSync(destination, { force: true });
    throw error;
  }
}
