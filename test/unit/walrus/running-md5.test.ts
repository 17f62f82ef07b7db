// The MD5 of an upload as it streams past: on the MD5 thread for a large body (dist/: the thread runs compiled
// JavaScript), in this thread for a small one; the same digest either way, and a sender that runs ahead of the thread
// is asked to wait.
import { createHash, randomBytes } from 'node:crypto';
import { join } from 'node:path';
import t from 'tap';
import type * as RunningMd5Module from '../../../services/walrus/models/running-md5.js';
import { projectRoot } from '../../helpers/cli.js';

const { runningMd5, offThreadMd5From } = (await import(
  join(projectRoot, 'dist/services/walrus/models/running-md5.js')
)) as typeof RunningMd5Module;

/** Chunks of uneven sizes, as a socket delivers them. */
function* chunksOf(data: Buffer): Generator<Buffer> {
  let at = 0;
  for (let size = 1; at < data.length; size = (size * 7 + 4093) % 70_001) {
    yield data.subarray(at, at + size);
    at += size;
  }
}

t.test('a large body: the MD5 thread gives the digest this thread would', async (t) => {
  const data = randomBytes(24 * 1024 * 1024 + 12_345);
  const md5 = runningMd5(data.length);
  let waits = 0;
  for (const chunk of chunksOf(data)) {
    const behind = md5.update(chunk);
    if (behind) {
      waits++;
      await behind;
    }
  }
  t.equal(await md5.digest(), createHash('md5').update(data).digest('hex'));
  t.ok(waits > 0, `the sender waited for the thread (${waits} times) rather than queue 24 MiB`);
});

t.test('several large bodies at once, interleaved, each its own digest', async (t) => {
  const bodies = [randomBytes(3 * 1024 * 1024), randomBytes(5 * 1024 * 1024 + 1), randomBytes(offThreadMd5From)];
  const digests = await Promise.all(
    bodies.map(async (data) => {
      const md5 = runningMd5(data.length);
      for (const chunk of chunksOf(data)) {
        await md5.update(chunk);
        await new Promise((resolve) => setImmediate(resolve));
      }
      return md5.digest();
    }),
  );
  t.same(
    digests,
    bodies.map((data) => createHash('md5').update(data).digest('hex')),
  );
});

t.test('an abandoned body leaves the thread to the others; small and empty bodies hash here', async (t) => {
  const abandoned = runningMd5(4 * 1024 * 1024);
  abandoned.update(randomBytes(2 * 1024 * 1024));
  abandoned.abandon();
  const data = randomBytes(2 * 1024 * 1024);
  const md5 = runningMd5(data.length);
  md5.update(data);
  t.equal(await md5.digest(), createHash('md5').update(data).digest('hex'));

  const small = runningMd5(4096);
  t.equal(small.update(Buffer.from('hello')), undefined, 'never asks to wait');
  t.equal(await small.digest(), createHash('md5').update('hello').digest('hex'));
  t.equal(await runningMd5().digest(), createHash('md5').digest('hex'), 'no announced size, no bytes');
});
