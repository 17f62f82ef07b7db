// Both CLIs live in one package: each launcher loads oclif with its own bin name and command folder.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Config, flush, handle, run } from '@oclif/core';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

const descriptions = {
  faststart: 'Turn servers into a Mallee cloud: check a cloud.yaml, make its certificates, install it.',
  cloudctl: 'Run a Mallee cloud: local all-in-one clouds, certificates, and day-2 operations.',
};

export async function runCli(bin) {
  const pjson = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  pjson.description = descriptions[bin];
  pjson.oclif = { ...pjson.oclif, bin, dirname: 'mallee', commands: `./dist/commands/${bin}` };
  try {
    const config = await Config.load({ root, pjson });
    await run(process.argv.slice(2), config);
    await flush();
  } catch (error) {
    await handle(error);
  }
}
