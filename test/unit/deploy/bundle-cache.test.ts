import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { pruneBundleCache, recordedReleaseTarballs } from '../../../src/deploy/bundle-cache.js';

// Every build installed packs a new bundle of tens of MB into the installer's cache: old ones must go, but never one
// a cloud still needs (the release `cloudctl upgrade` recorded), one another run may be about to copy (the newest, the
// young), or a file that is not a bundle.
const day = 24 * 60 * 60 * 1000;
const now = Date.parse('2026-12-05T12:00:00Z');

function cacheWith(ages: Record<string, number>): string {
  const dir = mkdtempSync(join(tmpdir(), 'mallee-bundle-cache-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  for (const [name, ageDays] of Object.entries(ages)) {
    const path = join(dir, name);
    writeFileSync(path, name);
    const time = new Date(now - ageDays * day);
    utimesSync(path, time, time);
  }
  return dir;
}

const bundle = (digit: string, extension = 'tar.zst') => `mallee-${digit.repeat(16)}.${extension}`;

t.test('old bundles beyond the newest few go with their checksums; kept, young and foreign files stay', async (t) => {
  const ages: Record<string, number> = {};
  // Ten bundles, a day older each: 1 (newest) to 10 (oldest), each with its .sha256.
  for (const [index, digit] of ['1', '2', '3', '4', '5', '6', '7', '8', '9', 'a'].entries()) {
    ages[bundle(digit)] = index + 1;
    ages[`${bundle(digit)}.sha256`] = index + 1;
  }
  ages[bundle('b', 'tar.gz')] = 30; // a gzip bundle from an earlier release
  ages['mallee-cccccccccccccccc.tar.zst.123.tmp'] = 3; // a pack that was killed
  ages['mallee-dddddddddddddddd.tar.zst.456.tmp'] = 0.1; // a pack running now
  ages['notes.txt'] = 90;
  const dir = cacheWith(ages);
  const recorded = join(dir, bundle('9'));

  const removed = pruneBundleCache(dir, [recorded], { keepNewest: 4, minAgeMs: day }, now);

  t.same(
    removed.sort(),
    [bundle('5'), bundle('6'), bundle('7'), bundle('8'), bundle('a'), bundle('b', 'tar.gz')].map((name) =>
      join(dir, name),
    ),
  );
  const left = readdirSync(dir).sort();
  for (const digit of ['1', '2', '3', '4', '9']) {
    t.ok(left.includes(bundle(digit)), `${bundle(digit)} stays`);
    t.ok(left.includes(`${bundle(digit)}.sha256`), `its checksum stays`);
  }
  t.notOk(left.includes(`${bundle('5')}.sha256`), 'a removed bundle takes its checksum along');
  t.notOk(left.includes('mallee-cccccccccccccccc.tar.zst.123.tmp'), 'an old unfinished pack goes');
  t.ok(left.includes('mallee-dddddddddddddddd.tar.zst.456.tmp'), 'a pack still running stays');
  t.ok(left.includes('notes.txt'), 'files that are no bundle are not touched');
});

t.test('bundles younger than the minimum age stay however many there are', async (t) => {
  const ages: Record<string, number> = {};
  for (const [index, digit] of ['1', '2', '3', '4', '5', '6'].entries()) ages[bundle(digit)] = index * 0.1;
  const dir = cacheWith(ages);
  t.same(pruneBundleCache(dir, [], { keepNewest: 2, minAgeMs: day }, now), []);
  t.equal(readdirSync(dir).length, 6);
});

t.test('a missing cache folder is nothing to do', async (t) => {
  t.same(pruneBundleCache(join(tmpdir(), 'mallee-no-such-cache-folder'), []), []);
});

t.test("the releases clouds recorded are read from each cloud's install.json", async (t) => {
  const home = mkdtempSync(join(tmpdir(), 'mallee-home-'));
  t.teardown(() => rmSync(home, { recursive: true, force: true }));
  const cloud = (name: string, record?: unknown) => {
    mkdirSync(join(home, name), { recursive: true });
    if (record !== undefined) writeFileSync(join(home, name, 'install.json'), JSON.stringify(record));
  };
  cloud('upgraded', { release: { hash: '9999999999999999', tarball: '/cache/mallee-9999999999999999.tar.zst' } });
  cloud('own-build', { cloud: { name: 'own-build' } });
  cloud('client-only');
  cloud('damaged');
  writeFileSync(join(home, 'damaged', 'install.json'), '{ not json');
  const withHome = (dir: string) => {
    const before = process.env.MALLEE_HOME;
    process.env.MALLEE_HOME = dir;
    try {
      return recordedReleaseTarballs();
    } finally {
      if (before === undefined) delete process.env.MALLEE_HOME;
      else process.env.MALLEE_HOME = before;
    }
  };
  t.same(withHome(home), ['/cache/mallee-9999999999999999.tar.zst']);
  t.same(withHome(join(home, 'absent')), []);
  t.ok(existsSync(join(home, 'damaged', 'install.json')), 'reading changes nothing');
});
