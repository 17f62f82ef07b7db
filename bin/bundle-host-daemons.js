// Part of `npm run build`: what hosts run, as one file per program. Each daemon's main module and the supervisor's are
// bundled with esbuild, from the compiled dist/, into dist/host/ at the same paths (the bundle puts dist/host/ where
// dist/ is, so a release keeps its layout), together with the modules they start as worker threads. Packages with
// native code stay outside, as they are; dist/host/packages.json lists them and every package they load, for the
// bundle to carry. A host then unpacks a few hundred files instead of thousands, and a daemon starts without
// resolving and reading hundreds of modules. Regenerated on every build from dist/; dist/ is not committed.
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';

const root = join(import.meta.dirname, '..');
const dist = join(root, 'dist');
const out = join(dist, 'host');

/** Packages with a native addon, which find it relative to their own files: loaded from node_modules as they are. */
const nativePackages = ['better-sqlite3', '@unraid/libvirt'];
/** Optional packages that pg loads only when asked to (a native client, Cloudflare sockets): never here. */
const absentOptional = ['pg-native', 'pg-cloudflare'];

/**
 * Programs hosts run, by their path under dist/, and the worker threads and modules they start or load (placed where
 * the bundled program finds them: `new URL('./checkpoint-worker.js', import.meta.url)`, './md5-worker.js' and
 * './s3-shelf.js' are next to walrus's main.js once bundled).
 */
const programs = {
  'services/clc/main': 'services/clc/main.js',
  'services/walrus/main': 'services/walrus/main.js',
  'services/walrus/checkpoint-worker': 'services/walrus/storage/checkpoint-worker.js',
  'services/walrus/md5-worker': 'services/walrus/models/md5-worker.js',
  'services/walrus/s3-shelf': 'services/walrus/storage/s3-shelf.js',
  'services/cc/main': 'services/cc/main.js',
  'services/sc/main': 'services/sc/main.js',
  'services/nc/main': 'services/nc/main.js',
  'src/supervisor/supervisor-main': 'src/supervisor/supervisor-main.js',
};

// CommonJS packages bundled into an ES module still call require() and read __dirname: give them this file's.
const banner = [
  `import { createRequire as __malleeCreateRequire } from 'node:module';`,
  `import { fileURLToPath as __malleeFileURLToPath } from 'node:url';`,
  `const require = __malleeCreateRequire(import.meta.url);`,
  `const __filename = __malleeFileURLToPath(import.meta.url);`,
  `const __dirname = __malleeFileURLToPath(new URL('.', import.meta.url));`,
].join('\n');

rmSync(out, { recursive: true, force: true });
await build({
  entryPoints: Object.entries(programs).map(([name, source]) => ({ in: join(dist, source), out: name })),
  outdir: out,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  external: [...nativePackages, ...absentOptional],
  banner: { js: banner },
  logLevel: 'warning',
});

// The packages the native ones load, as esbuild finds them (their build-time dependencies, which package-lock.json
// also lists, are left behind).
const natives = await build({
  stdin: { contents: nativePackages.map((name) => `import '${name}';`).join('\n'), resolveDir: root },
  bundle: true,
  platform: 'node',
  format: 'esm',
  write: false,
  metafile: true,
  outfile: join(out, 'natives.js'),
  external: ['*.node'],
  logLevel: 'error',
});
const packages = new Set();
for (const input of Object.keys(natives.metafile.inputs)) {
  const match = /(?:^|\/)node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(input);
  if (match) packages.add(match[1]);
}
mkdirSync(out, { recursive: true });
writeFileSync(join(out, 'packages.json'), `${JSON.stringify([...packages].sort(), null, 2)}\n`);
console.log(`host programs: ${Object.keys(programs).length} in ${out}, with ${packages.size} packages beside them`);
