import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import t from 'tap';
import { ImageCache } from '../../../services/nc/image-cache.js';
import { temporaryDir } from '../../helpers/cli.js';

const source = temporaryDir('nc-images-src');
function image(imageId: string, bytes: Buffer) {
  const path = join(source, imageId);
  writeFileSync(path, bytes);
  return { imageId, url: pathToFileURL(path).toString(), sha256: createHash('sha256').update(bytes).digest('hex') };
}

t.test('fetches a file:// image once, checks its SHA-256 and tells raw from qcow2', async (t) => {
  const dir = temporaryDir('nc-cache');
  const cache = new ImageCache({ dir, limitBytes: 10_000, inUse: async () => new Set() });
  const raw = image('emi-0000000a', randomBytes(1000));
  const first = await cache.fetch(raw);
  t.match(first, { imageId: 'emi-0000000a', sha256: raw.sha256, sizeBytes: 1000, format: 'raw' });
  t.ok(existsSync(first.path));
  const qcow2 = image('emi-0000000b', Buffer.concat([Buffer.from([0x51, 0x46, 0x49, 0xfb]), randomBytes(100)]));
  t.equal((await cache.fetch(qcow2)).format, 'qcow2');
  // A second fetch is a cache hit: the source can be gone.
  writeFileSync(join(source, 'emi-0000000a'), 'changed');
  t.equal((await cache.fetch({ imageId: 'emi-0000000a', url: raw.url })).sha256, raw.sha256);
});

t.test('a download whose checksum does not match is refused and leaves nothing behind', async (t) => {
  const dir = temporaryDir('nc-cache');
  const cache = new ImageCache({ dir, limitBytes: 10_000, inUse: async () => new Set() });
  const good = image('emi-0000000c', randomBytes(100));
  await t.rejects(cache.fetch({ ...good, sha256: 'ab'.repeat(32) }), {
    name: 'ImageCacheError',
    code: 'Server.ImageFetchFailure',
    message: new RegExp(`has sha256 ${good.sha256}, not the registered ${'ab'.repeat(32)}`),
  });
  t.same(readdirSync(dir), [], 'no partial download, no record');
  await t.rejects(cache.fetch({ imageId: 'emi-0000000d', url: pathToFileURL(join(source, 'missing')).toString() }), {
    code: 'Server.ImageFetchFailure',
    message: /cannot fetch image emi-0000000d/,
  });
  await t.rejects(cache.fetch({ imageId: '../etc', url: good.url }), { code: 'InvalidParameterValue' });
});

t.test('over the limit, the least recently used image no instance uses goes first', async (t) => {
  const dir = temporaryDir('nc-cache');
  const inUse = new Set<string>();
  const cache = new ImageCache({ dir, limitBytes: 3000, inUse: async () => inUse });
  const a = image('emi-000000a1', randomBytes(1000));
  const b = image('emi-000000b1', randomBytes(1000));
  const c = image('emi-000000c1', randomBytes(1000));
  const d = image('emi-000000d1', randomBytes(1000));
  await cache.fetch(a);
  await cache.fetch(b);
  await cache.fetch(c);
  await cache.fetch(a); // a is now the most recently used; b the least
  await cache.fetch(d);
  t.same((await cache.list()).map((entry) => entry.imageId).sort(), ['emi-000000a1', 'emi-000000c1', 'emi-000000d1']);

  inUse.add('emi-000000c1');
  const release = cache.pin(['emi-000000d1']);
  await cache.fetch(b); // c is used by an instance, d by a launch: a goes
  t.same((await cache.list()).map((entry) => entry.imageId).sort(), ['emi-000000b1', 'emi-000000c1', 'emi-000000d1']);
  inUse.add('emi-000000b1');
  await t.rejects(cache.fetch(a), { code: 'Server.ImageFetchFailure', message: /does not fit in the image cache/ });
  release();
  await cache.fetch(a);
  t.same((await cache.list()).map((entry) => entry.imageId).sort(), ['emi-000000a1', 'emi-000000b1', 'emi-000000c1']);
});
