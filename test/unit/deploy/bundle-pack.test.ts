import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { bundleCompression, packBundle, unpackCommand } from '../../../src/deploy/bundle.js';
import { hostLayout } from '../../../src/deploy/host-layout.js';
import { releaseCommands } from '../../../src/deploy/steps/bundle.js';
import { projectRoot } from '../../helpers/cli.js';

// The bundle every host runs from, packed from this very build and unpacked the way a host unpacks it: every daemon
// and the supervisor must start from it with the Node it carries, though it holds a few hundred files, not thousands.
const work = mkdtempSync(join(tmpdir(), 'mallee-bundle-pack-'));
t.teardown(() => rmSync(work, { recursive: true, force: true }));
process.env.MALLEE_CACHE = join(work, 'cache');

function unpack(tarball: string, into: string): void {
  mkdirSync(into, { recursive: true });
  execFileSync('sh', ['-c', unpackCommand(tarball, JSON.stringify(tarball), JSON.stringify(into))], { stdio: 'pipe' });
}

function filesUnder(dir: string, found: string[] = []): string[] {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) filesUnder(path, found);
    else found.push(path);
  }
  return found;
}

t.test('packed with zstd; unpacked, every program starts with its own Node', async (t) => {
  const bundle = await packBundle(projectRoot);
  t.ok(bundle.packed, 'packed now, into the empty cache');
  t.equal(bundleCompression(bundle.tarball), 'zstd');
  t.equal(readFileSync(bundle.tarball).subarray(0, 4).toString('hex'), '28b52ffd', "zstd's magic number");
  const again = await packBundle(projectRoot);
  t.same([again.packed, again.sha256], [false, bundle.sha256], 'the second call takes it from the cache');

  const into = join(work, 'release');
  unpack(bundle.tarball, into);
  const files = filesUnder(into);
  t.same(
    files.filter((file) => /\.d\.ts$|\.map$|\/build\/Release\/(obj|.*\.a$|test_extension)/.test(file)),
    [],
    'no declarations, source maps or build leftovers',
  );
  t.ok(existsSync(join(into, 'node', 'bin', 'node')), 'carries its Node');
  const packages = new Set(
    readdirSync(join(into, 'node_modules')).flatMap((name) =>
      name.startsWith('@') ? readdirSync(join(into, 'node_modules', name)).map((inner) => `${name}/${inner}`) : [name],
    ),
  );
  t.same(
    [...packages].sort(),
    JSON.parse(readFileSync(join(projectRoot, 'dist', 'host', 'packages.json'), 'utf8')),
    'only the packages the bundled programs load as they are',
  );
  t.ok(packages.has('better-sqlite3') && packages.has('@unraid/libvirt'), 'the ones with native code');
  t.ok(files.length < 600, `a few hundred files (${files.length}), not thousands`);

  // Each program, run with the bundle's own Node, gets as far as reading its configuration: every module it imports
  // is in it. Every file a program opens next to itself (a worker thread's module) is there.
  const node = join(into, 'node', 'bin', 'node');
  const run = (script: string, ...args: string[]) =>
    spawnSync(node, [join(into, script), ...args], { cwd: work, encoding: 'utf8' });
  for (const component of ['clc', 'walrus', 'cc', 'sc', 'nc']) {
    const script = join('dist', 'services', component, 'main.js');
    const started = run(script, '--config', join(work, 'absent.json'));
    t.match(started.stderr, /cannot read service config .*absent\.json/, `${component} loads`);
    for (const [, relative] of readFileSync(join(into, script), 'utf8').matchAll(
      /new URL\("(\.[^"]+)", import\.meta\.url\)/g,
    )) {
      t.ok(existsSync(join(into, 'dist', 'services', component, relative!)), `${component}: ${relative} is beside it`);
    }
  }
  t.match(run(join('dist', 'src', 'supervisor', 'supervisor-main.js')).stderr, /usage: supervisor-main\.js/);
  const sqlite = spawnSync(
    node,
    ['-e', `console.log(new (require('better-sqlite3'))(':memory:').prepare('select 41 + 1 as n').get().n)`],
    { cwd: into, encoding: 'utf8' },
  );
  t.equal(sqlite.stdout.trim(), '42', "better-sqlite3's addon loads");
});

t.test('a gzip bundle from an earlier release still unpacks', async (t) => {
  const source = join(work, 'old');
  mkdirSync(source);
  writeFileSync(join(source, 'package.json'), '{"version":"0.0.9"}\n');
  const tarball = join(work, 'mallee-0123456789abcdef.tar.gz');
  execFileSync('tar', ['-czf', tarball, '-C', source, 'package.json']);
  t.equal(bundleCompression(tarball), 'gzip');
  unpack(tarball, join(work, 'old-release'));
  t.ok(existsSync(join(work, 'old-release', 'package.json')));
});

t.test('a truncated zstd bundle fails to unpack rather than leave half a release', async (t) => {
  const bundle = await packBundle(projectRoot);
  const truncated = join(work, 'truncated.tar.zst');
  execFileSync('sh', ['-c', `head -c 4000000 ${JSON.stringify(bundle.tarball)} > ${JSON.stringify(truncated)}`]);
  t.throws(() => unpack(truncated, join(work, 'truncated-release')));
});

t.test(
  "a host checks the copy's sha256 before it unpacks: a damaged copy is refused, the release untouched",
  async (t) => {
    const bundle = await packBundle(projectRoot);
    const layout = hostLayout('packtest', join(work, 'host'));
    const { upload, unpack, release } = releaseCommands(layout, bundle);
    mkdirSync(layout.releases, { recursive: true });
    const copy = join(layout.releases, upload);
    const bytes = readFileSync(bundle.tarball);
    bytes[bytes.length >> 1]! ^= 0xff;
    writeFileSync(copy, bytes);
    const damaged = spawnSync('sh', ['-c', unpack], { encoding: 'utf8' });
    t.not(damaged.status, 0);
    t.match(damaged.stderr, new RegExp(`${upload}: sha256 [0-9a-f]{64}, not the bundle's ${bundle.sha256}`));
    t.notOk(existsSync(release), 'nothing unpacked');

    writeFileSync(copy, readFileSync(bundle.tarball));
    const intact = spawnSync('sh', ['-c', unpack], { encoding: 'utf8' });
    t.equal(intact.status, 0, intact.stderr);
    t.ok(existsSync(join(release, '.mallee-release')) && existsSync(join(release, 'node', 'bin', 'node')));
    t.notOk(existsSync(copy), 'the copy is removed once unpacked');
  },
);

t.test('packing stopped by its signal (Ctrl-C) leaves neither a tarball nor a temp file', async (t) => {
  const cache = join(work, 'interrupted-cache');
  process.env.MALLEE_CACHE = cache;
  t.teardown(() => (process.env.MALLEE_CACHE = join(work, 'cache')));
  const interruption = new AbortController();
  const packing = packBundle(projectRoot, interruption.signal);
  interruption.abort('SIGINT');
  await t.rejects(packing, 'the packing fails');
  t.same(existsSync(cache) ? readdirSync(cache) : [], [], 'nothing is left in the bundle cache');
  const packed = await packBundle(projectRoot);
  t.ok(packed.packed, 'the next run packs it whole');
});
