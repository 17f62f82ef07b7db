import { createCipheriv, randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import {
  BlobSealer,
  counterAt,
  sealBuffer,
  sealChunks,
  type SealingKey,
} from '../../../services/walrus/storage/blob-sealing.js';
import { LocalDiskByteStore } from '../../../services/walrus/storage/byte-store.js';
import { MetadataStore } from '../../../services/walrus/storage/metadata-store.js';
import { temporaryDir } from '../../helpers/cli.js';

/** A key table in memory, as the metadata store keeps one in its database. */
function keyTable(keys: SealingKey[] = []) {
  return { sealingKeys: () => [...keys], addSealingKey: (key: SealingKey) => void keys.push(key), keys };
}

async function collect(chunks: AsyncIterable<Buffer>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const chunk of chunks) parts.push(chunk);
  return Buffer.concat(parts);
}

async function* pieces(data: Buffer, size: number): AsyncGenerator<Buffer> {
  for (let offset = 0; offset < data.length; offset += size) yield data.subarray(offset, offset + size);
}

t.test('the counter for an offset: the IV plus whole blocks, carried across bytes and wrapping at 2^128', async (t) => {
  const zero = Buffer.alloc(16);
  t.equal(counterAt(zero, 15).toString('hex'), '0'.repeat(32), 'within the first block');
  t.equal(counterAt(zero, 16).toString('hex'), '0'.repeat(31) + '1');
  t.equal(counterAt(Buffer.from('00'.repeat(15) + 'ff', 'hex'), 16).toString('hex'), '0'.repeat(28) + '0100');
  t.equal(counterAt(Buffer.from('ff'.repeat(16), 'hex'), 32).toString('hex'), '0'.repeat(31) + '1', 'wraps');
  const big = 5 * 1024 ** 3 + 17;
  t.equal(counterAt(zero, big).readBigUInt64BE(8), BigInt(Math.floor(big / 16)), 'offsets past 4 GiB');
});

t.test('counter mode from any offset decrypts what one pass from the start encrypted', async (t) => {
  const sealer = new BlobSealer(keyTable());
  const { key, iv, seal } = sealer.newSeal();
  t.match(seal, /^aes256ctr\.[0-9a-f]{12}\.[\w-]{22}\.[\w-]{80}$/);
  const plain = randomBytes(5000);
  const sealed = await collect(sealChunks(pieces(plain, 333), { key, iv }));
  // What OpenSSL's AES-256-CTR gives in one call: the stream is the standard one, not an invention.
  const reference = createCipheriv('aes-256-ctr', key, iv).update(plain);
  t.ok(sealed.equals(reference), 'chunked encryption equals one AES-256-CTR pass');
  t.notOk(sealed.subarray(0, 64).equals(plain.subarray(0, 64)));
  for (const offset of [0, 1, 15, 16, 17, 4095, 4999]) {
    t.ok(sealBuffer(sealed.subarray(offset), sealer.open(seal), offset).equals(plain.subarray(offset)), `at ${offset}`);
  }
  const streamed = await collect(sealChunks(pieces(sealed.subarray(100), 7), sealer.open(seal), 100));
  t.ok(streamed.equals(plain.subarray(100)), 'and streamed in odd pieces from an offset');
});

t.test('a seal opens only with the master key that made it, and unaltered', async (t) => {
  const table = keyTable();
  const sealer = new BlobSealer(table);
  t.equal(table.keys.length, 1, 'the first master key is made and kept');
  const { key, seal } = sealer.newSeal();
  t.ok(new BlobSealer(table).open(seal).key.equals(key), 'a sealer loading the same keys opens it');
  const [format, keyId, iv, wrapped] = seal.split('.') as [string, string, string, string];
  const flipped = Buffer.from(wrapped, 'base64url');
  flipped[20]! ^= 1;
  t.throws(
    () => sealer.open([format, keyId, iv, flipped.toString('base64url')].join('.')),
    { name: 'SealError' },
    'altered key',
  );
  const otherIv = randomBytes(16).toString('base64url');
  t.throws(
    () => sealer.open([format, keyId, otherIv, wrapped].join('.')),
    { name: 'SealError' },
    'another IV (bound by GCM)',
  );
  t.throws(() => new BlobSealer(keyTable()).open(seal), /which this metadata does not hold/, 'another cloud');
  t.throws(() => sealer.open('plain'), /not a blob seal/);

  // Key rotation: a newer key seals, the older still opens what it sealed.
  const rotated = keyTable([...table.keys, { id: 'b'.repeat(12), key: randomBytes(32) }]);
  const newer = new BlobSealer(rotated);
  t.match(newer.newSeal().seal, /^aes256ctr\.bbbbbbbbbbbb\./, 'the newest key seals');
  t.ok(newer.open(seal).key.equals(key), 'older seals still open');
});

t.test('the byte store seals files and inline rows, and reads ranges of both', async (t) => {
  const dir = temporaryDir('sse');
  const meta = new MetadataStore(join(dir, 'walrus.sqlite'));
  t.teardown(() => meta.close());
  const store = new LocalDiskByteStore(join(dir, 'objects'), { inline: meta, sealer: new BlobSealer(meta) });
  t.equal(meta.sealingKeys().length, 1, 'the metadata database keeps the master key');
  for (const size of [1000, 200 * 1024]) {
    const plain = Buffer.alloc(size, 'secret-text ');
    const blob = await store.stage(pieces(plain, 4096), { sealed: true });
    t.ok(blob.seal, `${size}: a sealed blob has a seal`);
    await blob.publish();
    const raw = await collect(store.read(blob.id));
    t.equal(raw.length, size, 'sealing keeps the size');
    t.notOk(raw.includes('secret-text'), `${size}: without the seal, only ciphertext`);
    t.ok(
      (await collect(store.read(blob.id, undefined, { seal: blob.seal! }))).equals(plain),
      `${size}: with it, the bytes`,
    );
    const range = { start: 33, end: size - 100 };
    const ranged = await collect(store.read(blob.id, range, { seal: blob.seal! }));
    t.ok(ranged.equals(plain.subarray(range.start, range.end + 1)), `${size}: a range`);
    const inline = store.inlineBytes(blob.id, { seal: blob.seal! });
    if (size <= 64 * 1024) t.ok(inline?.equals(plain), 'a small blob is an inline row, sealed');
    else t.equal(inline, undefined, 'a large one is a file');
  }
  const files = readdirSync(join(dir, 'objects', 'blobs'), { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => readFileSync(join(entry.parentPath, entry.name)));
  t.equal(files.length, 1, 'one blob file so far');
  t.notOk(files[0]!.includes('secret-text'), 'the file on disk is ciphertext');
  // A customer's key (SSE-C): the seal keeps a check of the key, never the key; only that key opens the blob.
  const customerKey = randomBytes(32);
  const plain = Buffer.alloc(100 * 1024, 'customer-text ');
  const blob = await store.stage(pieces(plain, 4096), { customerKey });
  await blob.publish();
  t.match(blob.seal, /^customer\.[\w-]{22}\.[\w-]{64}$/);
  t.notOk(blob.seal!.includes(customerKey.toString('base64url')), 'the seal does not hold the key');
  const opened = await collect(store.read(blob.id, { start: 5, end: 99 }, { seal: blob.seal!, customerKey }));
  t.ok(opened.equals(plain.subarray(5, 100)), 'the key opens it');
  t.throws(() => store.read(blob.id, undefined, { seal: blob.seal! }), /was not given/, 'nothing else does');
  t.throws(
    () => store.read(blob.id, undefined, { seal: blob.seal!, customerKey: randomBytes(32) }),
    /not the blob's customer key/,
  );
  const unsealed = new LocalDiskByteStore(join(dir, 'other'));
  await t.rejects(unsealed.stage(pieces(Buffer.from('x'), 1), { sealed: true }), /no master key/);
});
