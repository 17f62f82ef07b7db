import { existsSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { malleeHome } from '../cloud/cloud-file.js';
import { installRecordPath } from './uninstall.js';

/** How the installer's bundle cache is kept from growing by a tarball (tens of MB) with every build installed. */
export interface BundleCachePolicy {
  /** The newest bundles kept whatever their age (other checkouts and test runs may still be about to copy them). */
  keepNewest: number;
  /** Bundles younger than this are never removed, nor are unfinished packs (`*.tmp`) younger than it. */
  minAgeMs: number;
}

export const defaultBundleCachePolicy: BundleCachePolicy = { keepNewest: 4, minAgeMs: 24 * 60 * 60 * 1000 };

const bundleName = /^mallee-[0-9a-f]{16}\.tar\.(zst|gz)$/;

/**
 * The bundle tarballs clouds on this machine still need: the release `cloudctl upgrade` recorded in each cloud's
 * install.json (`cloudctl nodes add` deploys it from there).
 */
export function recordedReleaseTarballs(): string[] {
  const home = malleeHome();
  if (!existsSync(home)) return [];
  const tarballs: string[] = [];
  for (const cloud of readdirSync(home)) {
    try {
      const record = JSON.parse(readFileSync(installRecordPath(cloud), 'utf8')) as { release?: { tarball?: unknown } };
      if (typeof record.release?.tarball === 'string') tarballs.push(record.release.tarball);
    } catch {
      // No install.json (a cloud only used through cloud.json), or one this code cannot read: nothing to keep.
    }
  }
  return tarballs;
}

/**
 * Removes old bundles from the cache folder: every tarball (and its `.sha256`) but those in `keep`, the
 * `policy.keepNewest` newest, and any younger than `policy.minAgeMs`; and unfinished packs older than that. Returns
 * the tarballs removed. Files of other names are left alone.
 */
export function pruneBundleCache(
  dir: string,
  keep: readonly string[],
  policy: BundleCachePolicy = defaultBundleCachePolicy,
  now = Date.now(),
): string[] {
  if (!existsSync(dir)) return [];
  const kept = new Set(keep.map((path) => join(path)));
  const bundles: { path: string; modified: number }[] = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    const modified = statSync(path, { throwIfNoEntry: false })?.mtimeMs;
    if (modified === undefined) continue;
    if (bundleName.test(name)) bundles.push({ path, modified });
    else if (name.startsWith('mallee-') && name.endsWith('.tmp') && now - modified > policy.minAgeMs) {
      rmSync(path, { force: true });
    }
  }
  bundles.sort((a, b) => b.modified - a.modified);
  const removed: string[] = [];
  for (const { path, modified } of bundles.slice(policy.keepNewest)) {
    if (kept.has(path) || now - modified <= policy.minAgeMs) continue;
    rmSync(`${path}.sha256`, { force: true });
    rmSync(path, { force: true });
    removed.push(path);
  }
  return removed;
}
