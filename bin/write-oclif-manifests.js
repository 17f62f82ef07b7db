// Part of `npm run build`: writes each CLI's oclif manifest (its commands, flags and help) from the compiled commands,
// so a CLI starts without importing every command module. Regenerated on every build; dist/ is not committed.
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Config } from '@oclif/core';
import { cliOptions } from './run-cli.js';

for (const bin of ['faststart', 'cloudctl']) {
  const options = cliOptions(bin);
  const manifestFile = join(options.root, 'oclif.manifest.json');
  mkdirSync(options.root, { recursive: true });
  rmSync(manifestFile, { force: true });
  const config = await Config.load(options);
  const manifest = config.plugins.get(options.pjson.name).manifest;
  writeFileSync(manifestFile, JSON.stringify(manifest));
  console.log(`${bin}: ${Object.keys(manifest.commands).length} commands in ${manifestFile}`);
}
