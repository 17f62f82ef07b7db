import { createHash } from 'node:crypto';
import { existsSync, lstatSync, readdirSync, readFileSync, renameSync, rmSync, statSync, mkdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { execa } from 'execa';
import { malleePackage } from '../runtime/package-root.js';
import { sha256OfFile } from '../util/file-hash.js';
import { writeFileAtomically } from '../util/secret-file.js';
import { compareVersions } from '../util/versions.js';
import { pruneBundleCache, recordedReleaseTarballs } from './bundle-cache.js';

/**
 * What every host runs from: the programs hosts run (each daemon and the supervisor, one file each, as `npm run build`
 * bundles them into dist/host/), the packages with native code they load, the WSDL files and templates, and the
 * installer's own Node binary, so targets need no Node. Packed once per content and cached on the installer side.
 */
export interface Bundle {
  /** Hash of everything that goes in: names the release folder on hosts and the cached tarball. */
  hash: string;
  /** What a host needs to run it (absent for a tarball taken as it was given, whose insides are not read). */
  runtime?: RuntimePlatform;
  /** The tarball on the installer side (it may not exist yet in a dry run). */
  tarball: string;
  /** sha256 of the tarball's bytes, checked on each host after the copy; absent until packed. */
  sha256?: string;
}

/** Folders and files of the project a host needs at run time, besides its programs. */
const projectEntries = ['package.json', 'templates', 'wsdl'];

/** Where `npm run build` bundles the programs hosts run (laid out as dist/ is), and the packages they need beside. */
const hostProgramsDir = join('dist', 'host');
const hostPackagesFile = join(hostProgramsDir, 'packages.json');

/** Never needed at run time in the packages the bundle carries: docs, native build leftovers, the addons' sources. */
const bundleExcludes = [
  '*.map',
  '*.d.ts',
  '*.md',
  'node_modules/better-sqlite3/deps',
  'node_modules/better-sqlite3/src',
  '*/build/Release/obj.target',
  '*/build/Release/obj',
  '*/build/Release/.deps',
  '*/build/Release/*.a',
  '*/build/Release/test_extension.node',
];

/**
 * How a bundle tarball is compressed, by its name: zstd (what the installer packs: a host unpacks it in a fifth of
 * gzip's CPU) or gzip (bundles packed by earlier releases, which `cloudctl upgrade --bundle` still takes).
 */
export function bundleCompression(tarball: string): 'zstd' | 'gzip' {
  return tarball.endsWith('.zst') ? 'zstd' : 'gzip';
}

/** The shell command that unpacks `archive` (a bundle tarball, compressed as `tarball` is named) into `dir`. */
export function unpackCommand(tarball: string, archive: string, dir: string): string {
  return bundleCompression(tarball) === 'zstd'
    ? `{ command -v zstd >/dev/null || { echo 'missing zstd (the zstd package)' >&2; exit 1; }; } && zstd -dcq ${archive} | tar -xf - -C ${dir}`
    : `tar -xzf ${archive} -C ${dir}`;
}

/** Where packed bundles are kept: `MALLEE_CACHE`, else ~/.cache/mallee/bundles. */
export function bundleCacheDir(): string {
  return process.env.MALLEE_CACHE ?? join(homedir(), '.cache', 'mallee', 'bundles');
}

function hashTree(hash: ReturnType<typeof createHash>, root: string, relative: string): void {
  const path = join(root, relative);
  const stat = statSync(path);
  if (stat.isDirectory()) {
    for (const entry of readdirSync(path).sort()) hashTree(hash, root, join(relative, entry));
  } else {
    hash.update(`${relative}\0${stat.size}\0`);
    hash.update(readFileSync(path));
  }
}

/**
 * The packages (node_modules/NAME) the bundled programs load as they are, from dist/host/packages.json; a project built
 * by a release before the programs were bundled has none, and is refused with what to do.
 */
export function hostPackages(root: string): string[] {
  const listed = join(root, hostPackagesFile);
  if (!existsSync(listed)) {
    throw new Error(`${listed} is missing: build ${root} with \`npm run build\` (it bundles the programs hosts run)`);
  }
  return (JSON.parse(readFileSync(listed, 'utf8')) as string[]).map((name) => join('node_modules', name));
}

/**
 * Hash of what a bundle of the project at `root` holds: the names and bytes of its files (never their times, so a
 * rebuild that writes the same bytes keeps the bundle, its cached tarball and every host's release), the lock file
 * naming its packages, and the Node runtime it carries.
 */
export function bundleHashOf(root: string): string {
  const hash = createHash('sha256');
  for (const entry of projectEntries) if (existsSync(join(root, entry))) hashTree(hash, root, entry);
  if (existsSync(join(root, hostProgramsDir))) hashTree(hash, root, hostProgramsDir);
  hash.update(readFileSync(join(root, 'package-lock.json')));
  hash.update(bundleExcludes.join('\0'));
  // The runtime by version, architecture and size: reading its ~100 MB on every run would cost more than the rest.
  hash.update(`${process.version}\0${process.arch}\0${statSync(process.execPath).size}`);
  return hash.digest('hex').slice(0, 16);
}

/** The bundle's identity, computed without packing (so `--dry-run` can name it). */
export function bundleIdentity(root = malleePackage().root): Bundle {
  const id = bundleHashOf(root);
  const tarball = join(bundleCacheDir(), `mallee-${id}.tar.zst`);
  return {
    hash: id,
    tarball,
    sha256: existsSync(`${tarball}.sha256`) ? readFileSync(`${tarball}.sha256`, 'utf8').trim() : undefined,
    runtime: runtimePlatform(root),
  };
}

/**
 * Packs the bundle of the built project at `root` (this installation's own by default) unless the cache already has
 * it; the checksum file beside it is the commit point. Aborting `signal` stops the packing and removes its temp file.
 */
export async function packBundle(
  root = malleePackage().root,
  signal?: AbortSignal,
): Promise<Bundle & { sha256: string; packed: boolean }> {
  const bundle = bundleIdentity(root);
  if (bundle.sha256 && existsSync(bundle.tarball)) return { ...bundle, sha256: bundle.sha256, packed: false };
  mkdirSync(dirname(bundle.tarball), { recursive: true });
  const temporary = `${bundle.tarball}.${process.pid}.tmp`;
  const entries = [
    ...projectEntries.filter((entry) => existsSync(join(root, entry))),
    hostProgramsDir,
    ...hostPackages(root),
  ];
  const nodeDir = dirname(process.execPath);
  try {
    // One archive from two roots: the project (its bundled programs where dist/ was), then the node binary renamed to
    // node/bin/node.
    await execa(
      'tar',
      [
        // Level 9: an eighth smaller than the default level (less to copy and hash on every host) for under a second
        // once, and as quick to unpack.
        '--use-compress-program=zstd -T0 -9',
        '-cf',
        temporary,
        ...bundleExcludes.map((pattern) => `--exclude=${pattern}`),
        `--transform=s,^${hostProgramsDir},dist,`,
        `--transform=s,^${basename(process.execPath)}$,node/bin/node,`,
        '-C',
        root,
        ...entries,
        '-C',
        nodeDir,
        basename(process.execPath),
      ],
      { cancelSignal: signal },
    );
    const sha256 = await sha256OfFile(temporary);
    renameSync(temporary, bundle.tarball);
    writeFileAtomically(`${bundle.tarball}.sha256`, `${sha256}\n`);
    // A new bundle comes with every build installed: old ones go, but never one a cloud here still records.
    try {
      pruneBundleCache(dirname(bundle.tarball), [bundle.tarball, ...recordedReleaseTarballs()]);
    } catch {
      // A cache that cannot be tidied (permissions, a file removed meanwhile) does not stop an install.
    }
    return { ...bundle, sha256, packed: true };
  } catch (error) {
    rmSync(temporary, { force: true });
    throw error;
  }
}

/**
 * What a host must be to run the bundle: the bundle carries the installer's own Node runtime and the native addons
 * its packages were built with here (better-sqlite3, the libvirt binding), so a host needs this machine's CPU
 * architecture and a GNU C library at least as new as the newest any of those binaries asks for. A host that is not
 * is found before anything is deployed, not by a daemon that cannot start.
 */
export interface RuntimePlatform {
  /** As `uname -m` names it: x86_64, aarch64 ... */
  machine: string;
  /** The oldest glibc every shipped binary runs on, `2.34`. */
  glibc: string;
}

/** Node's names for architectures, as `uname -m` prints them. */
const unameMachines: Record<string, string> = { x64: 'x86_64', arm64: 'aarch64', ia32: 'i686', ppc64: 'ppc64le' };

const glibcVersionNeed = /GLIBC_(\d+\.\d+(?:\.\d+)?)/g;

let cached: { root: string; platform: RuntimePlatform } | undefined;

/** The platform the bundle of the project at `root` needs (found once per process: the addons are read for it). */
export function runtimePlatform(root = malleePackage().root): RuntimePlatform {
  if (cached?.root === root) return cached.platform;
  const versions = [nodeGlibc()];
  for (const addon of nativeAddons(root)) versions.push(...glibcNeedsOf(readFileSync(addon)));
  const platform = {
    machine: unameMachines[process.arch] ?? process.arch,
    glibc: versions.filter((version) => version !== undefined).reduce(newerVersion, '2.17'),
  };
  cached = { root, platform };
  return platform;
}

/** The glibc versions a binary's dynamic symbols are bound to (`GLIBC_2.34` in its version needs). */
export function glibcNeedsOf(binary: Buffer): string[] {
  return [...new Set([...binary.toString('latin1').matchAll(glibcVersionNeed)].map((match) => match[1]!))];
}

function newerVersion(a: string, b: string): string {
  return compareVersions(a, b) >= 0 ? a : b;
}

/** The glibc this Node was built against: the oldest it runs on (absent on a musl build). */
function nodeGlibc(): string | undefined {
  const header = (process.report.getReport() as { header?: { glibcVersionCompiler?: string } }).header;
  return header?.glibcVersionCompiler;
}

/** Every `.node` file in the packages the bundle carries. */
function nativeAddons(root: string): string[] {
  const found: string[] = [];
  const visit = (dir: string) => {
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch {
      return;
    }
    for (const name of names) {
      const path = join(dir, name);
      const stat = lstatSync(path);
      if (stat.isFile() && name.endsWith('.node')) found.push(path);
      else if (stat.isDirectory()) visit(path);
    }
  };
  for (const entry of hostPackages(root)) visit(join(root, entry));
  return found;
}
