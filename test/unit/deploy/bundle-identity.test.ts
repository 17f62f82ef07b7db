import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { bundleHashOf } from '../../../src/deploy/bundle.js';

// The bundle's hash names the cached tarball and each host's release: a rebuild that writes the same bytes must keep
// it (or a no-op re-run repacks and redeploys everything), and any changed byte must change it.
const root = mkdtempSync(join(tmpdir(), 'mallee-bundle-identity-'));
t.teardown(() => rmSync(root, { recursive: true, force: true }));
mkdirSync(join(root, 'dist', 'host'), { recursive: true });
writeFileSync(join(root, 'package.json'), '{"name":"mallee"}\n');
writeFileSync(join(root, 'package-lock.json'), '{"packages":{}}\n');
writeFileSync(join(root, 'dist', 'host', 'main.js'), 'console.log("one");\n');

const original = bundleHashOf(root);

t.test('the same bytes written again at another time keep the hash', async (t) => {
  writeFileSync(join(root, 'dist', 'host', 'main.js'), 'console.log("one");\n');
  const later = new Date(Date.now() + 3_600_000);
  utimesSync(join(root, 'dist', 'host', 'main.js'), later, later);
  utimesSync(join(root, 'package.json'), later, later);
  t.equal(bundleHashOf(root), original);
});

t.test('a changed byte, a new file or a changed lock file changes it', async (t) => {
  writeFileSync(join(root, 'dist', 'host', 'main.js'), 'console.log("two");\n');
  const changedFile = bundleHashOf(root);
  t.not(changedFile, original, 'changed content');
  writeFileSync(join(root, 'dist', 'host', 'main.js'), 'console.log("one");\n');
  t.equal(bundleHashOf(root), original, 'back to the same bytes, back to the same hash');
  writeFileSync(join(root, 'dist', 'host', 'extra.js'), '');
  t.not(bundleHashOf(root), original, 'a new (even empty) file');
  rmSync(join(root, 'dist', 'host', 'extra.js'));
  writeFileSync(join(root, 'package-lock.json'), '{"packages":{"node_modules/x":{}}}\n');
  t.not(bundleHashOf(root), original, 'another lock file');
});
