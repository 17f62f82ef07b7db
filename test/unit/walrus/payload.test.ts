import { createHash, createHmac } from 'node:crypto';
import t from 'tap';
import { crc32cUpdate, runningChecksum } from '../../../services/walrus/checksums.js';
import { decodePayload, type PayloadForm, type PayloadTrailer } from '../../../services/walrus/payload.js';
import type { S3Error } from '../../../services/walrus/s3-errors.js';

const hmac = (key: Buffer | string, text: string) => createHmac('sha256', key).update(text).digest();

// The worked example of AWS's "Transferring Payload in Multiple Chunks" (SigV4 streaming): 65 KiB of 'a' in chunks of
// 64 KiB and 1 KiB, each chunk signature chained from the request's seed signature.
const secret = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
const signingKey = hmac(hmac(hmac(hmac(`AWS4${secret}`, '20130524'), 'us-east-1'), 's3'), 'aws4_request');
const signing = {
  signingKey,
  seedSignature: '4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9',
  requestTime: '20130524T000000Z',
  scope: '20130524/us-east-1/s3/aws4_request',
};
const chunkSignatures = [
  'ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648',
  '0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497',
  'b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9',
];

function chunkedBody(sizes: number[], signatures: (string | undefined)[], trailer = ''): Buffer {
  const parts: Buffer[] = [];
  sizes.forEach((size, index) => {
    const signature = signatures[index];
    parts.push(Buffer.from(`${size.toString(16)}${signature ? `;chunk-signature=${signature}` : ''}\r\n`));
    parts.push(Buffer.alloc(size, 'a'));
    if (size > 0) parts.push(Buffer.from('\r\n'));
  });
  parts.push(Buffer.from(`${trailer}\r\n`));
  return Buffer.concat(parts);
}

/** Feeds a body in small pieces, as a socket would, so chunk headers straddle reads. */
async function* pieces(body: Buffer, size = 777): AsyncGenerator<Buffer> {
  for (let offset = 0; offset < body.length; offset += size) yield body.subarray(offset, offset + size);
}

async function decode(body: Buffer, form: PayloadForm, trailer?: PayloadTrailer): Promise<Buffer> {
  const out: Buffer[] = [];
  for await (const chunk of decodePayload(pieces(body), form, trailer)) out.push(chunk);
  return Buffer.concat(out);
}

async function refusal(body: Buffer, form: PayloadForm): Promise<S3Error> {
  try {
    await decode(body, form);
  } catch (error) {
    return error as S3Error;
  }
  throw new Error('the body was accepted');
}

const signedForm: PayloadForm = {
  signedPayload: 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD',
  headers: { 'x-amz-decoded-content-length': '66560' },
  signing,
};

t.test('aws-chunked with chunk signatures: the AWS example verifies', async (t) => {
  const decoded = await decode(chunkedBody([65536, 1024, 0], chunkSignatures), signedForm);
  t.equal(decoded.length, 66560);
  t.ok(decoded.equals(Buffer.alloc(66560, 'a')));
});

t.test('a tampered chunk, a wrong signature or a broken chain is refused', async (t) => {
  const body = chunkedBody([65536, 1024, 0], chunkSignatures);
  const tampered = Buffer.from(body);
  tampered[200] = 'b'.charCodeAt(0);
  const changed = await refusal(tampered, signedForm);
  t.equal(changed.code, 'SignatureDoesNotMatch');
  t.equal(changed.status, 403);
  const swapped = await refusal(
    chunkedBody([65536, 1024, 0], [chunkSignatures[0], chunkSignatures[0], chunkSignatures[2]]),
    signedForm,
  );
  t.equal(swapped.code, 'SignatureDoesNotMatch');
  const unsigned = await refusal(chunkedBody([65536, 1024, 0], [undefined, undefined, undefined]), signedForm);
  t.equal(unsigned.code, 'SignatureDoesNotMatch');
  const otherSeed = await refusal(body, { ...signedForm, signing: { ...signing, seedSignature: '0'.repeat(64) } });
  t.equal(otherSeed.code, 'SignatureDoesNotMatch', 'the first chunk chains from the request signature');
  const short = await refusal(body.subarray(0, 40_000), signedForm);
  t.equal(short.code, 'IncompleteBody');
  const wrongLength = await refusal(body, { ...signedForm, headers: { 'x-amz-decoded-content-length': '66000' } });
  t.equal(wrongLength.code, 'IncompleteBody');
});

t.test('unsigned aws-chunked with a trailing checksum', async (t) => {
  const data = Buffer.alloc(70000, 'a');
  const crc = runningChecksum('CRC32');
  crc.update(data);
  const form: PayloadForm = {
    signedPayload: 'STREAMING-UNSIGNED-PAYLOAD-TRAILER',
    headers: { 'x-amz-decoded-content-length': '70000', 'x-amz-trailer': 'x-amz-checksum-crc32' },
  };
  const trailer: PayloadTrailer = {};
  const decoded = await decode(
    chunkedBody([65536, 4464, 0], [], `x-amz-checksum-crc32:${crc.digest()}\r\n`),
    form,
    trailer,
  );
  t.ok(decoded.equals(data));
  t.same(trailer, { algorithm: 'CRC32', value: crc.digest() });
  const bad = await refusal(chunkedBody([65536, 4464, 0], [], 'x-amz-checksum-crc32:AAAAAA==\r\n'), form);
  t.equal(bad.code, 'BadDigest');
  t.equal(bad.message, 'The crc32 you specified did not match the calculated checksum.');
  const missing = await refusal(chunkedBody([65536, 4464, 0], []), form);
  t.equal(missing.code, 'InvalidRequest');
});

t.test('a signed trailer is verified after the last chunk', async (t) => {
  const form: PayloadForm = {
    signedPayload: 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER',
    headers: { 'x-amz-decoded-content-length': '66560', 'x-amz-trailer': 'x-amz-checksum-crc32c' },
    signing,
  };
  const data = Buffer.alloc(66560, 'a');
  const checksum = runningChecksum('CRC32C');
  checksum.update(data);
  const line = `x-amz-checksum-crc32c:${checksum.digest()}`;
  const stringToSign = [
    'AWS4-HMAC-SHA256-TRAILER',
    signing.requestTime,
    signing.scope,
    chunkSignatures[2],
    createHash('sha256').update(`${line}\n`).digest('hex'),
  ].join('\n');
  const trailerSignature = hmac(signingKey, stringToSign).toString('hex');
  const good = chunkedBody(
    [65536, 1024, 0],
    chunkSignatures,
    `${line}\r\nx-amz-trailer-signature:${trailerSignature}\r\n`,
  );
  t.ok((await decode(good, form)).equals(data));
  const forged = chunkedBody(
    [65536, 1024, 0],
    chunkSignatures,
    `${line}\r\nx-amz-trailer-signature:${'0'.repeat(64)}\r\n`,
  );
  t.equal((await refusal(forged, form)).code, 'SignatureDoesNotMatch');
});

t.test('a signed hash is checked at the end, an unsigned payload passes through', async (t) => {
  const body = Buffer.from('payload bytes');
  const hash = createHash('sha256').update(body).digest('hex');
  t.ok((await decode(body, { signedPayload: hash, headers: { 'content-length': String(body.length) } })).equals(body));
  const mismatch = await refusal(Buffer.from('other bytes!!'), { signedPayload: hash, headers: {} });
  t.equal(mismatch.code, 'XAmzContentSHA256Mismatch');
  t.ok((await decode(body, { signedPayload: 'UNSIGNED-PAYLOAD', headers: {} })).equals(body));
});

t.test('checksums match the published check values', async (t) => {
  const check = Buffer.from('123456789');
  t.equal(crc32cUpdate(0, check), 0xe3069283, 'CRC-32C check value');
  const split = crc32cUpdate(crc32cUpdate(0, check.subarray(0, 4)), check.subarray(4));
  t.equal(split, 0xe3069283, 'incremental updates agree');
  const crc32 = runningChecksum('CRC32');
  crc32.update(check);
  t.equal(Buffer.from(crc32.digest(), 'base64').readUInt32BE(), 0xcbf43926, 'CRC-32 check value');
});
