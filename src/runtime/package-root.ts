import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

let cached: { root: string; version: string } | undefined;

/** The folder of Mallee's package.json and its version, found from this file whether it runs from src/ or dist/. */
export function malleePackage(): { root: string; version: string } {
  if (cached) return cached;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    try {
      const pjson = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string; version?: string };
      if (pjson.name === 'mallee') return (cached = { root: dir, version: pjson.version ?? '0.0.0' });
    } catch {
      // no package.json here: look further up
    }
    const parent = dirname(dir);
    if (parent === dir) throw new Error('cannot find the mallee package.json above ' + fileURLToPath(import.meta.url));
    dir = parent;
  }
}

export function malleeVersion(): string {
  return malleePackage().version;
}
