import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { bundleCompression, installerOnlyDependencies, packBundle, unpackCommand } from '../../../src/deploy/bundle.js';
import { projectRoot } from '../../helpers/cli.js';

// The bundle every host runs from, packed from this very build and unpacked the way a host unpacks it: every daemon's
// modules and the supervisor's must load from it with the Node it carries, though what only the installer uses, the
// ES-module copies of the AWS SDK and the native build leftovers stay out.
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

t.test('packed with zstd; unpacked, its packages load with its own Node', async (t) => {
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
    files.filter((file) => /\/dist-es\/|\.d\.ts$|\.map$|\/build\/Release\/(obj|.*\.a$|test_extension)/.test(file)),
    [],
    'no ES-module copies, declarations, source maps or build leftovers',
  );
  t.ok(existsSync(join(into, 'node', 'bin', 'node')), 'carries its Node');
  const packages = new Set(
    readdirSync(join(into, 'node_modules')).flatMap((name) =>
      name.startsWith('@') ? readdirSync(join(into, 'node_modules', name)).map((inner) => `${name}/${inner}`) : [name],
    ),
  );
  t.same(
    installerOnlyDependencies.filter((name) => packages.has(name)),
    [],
    'none of what only the installer and cloudctl use',
  );
  t.ok(packages.has('better-sqlite3') && packages.has('express'), 'what the daemons use');
  // Every daemon's modules and the supervisor's, imported (not run) with the bundle's own Node.
  const modules = [
    ...['clc', 'walrus', 'cc', 'sc', 'nc'].map((component) => `./dist/services/${component}/component.js`),
    './dist/src/runtime/daemon.js',
    './dist/src/supervisor/supervisor.js',
  ];
  const loaded = execFileSync(
    join(into, 'node', 'bin', 'node'),
    [
      '--input-type=module',
      '-e',
      [
        `for (const module of ${JSON.stringify(modules)}) await import(module);`,
        `const Database = (await import('better-sqlite3')).default;`,
        `console.log(${modules.length}, new Database(':memory:').prepare('select 41 + 1 as n').get().n);`,
      ].join('\n'),
    ],
    { cwd: into, encoding: 'utf8' },
  );
  t.equal(loaded.trim(), `${modules.length} 42`);
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
