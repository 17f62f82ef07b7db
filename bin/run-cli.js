// Both CLIs live in one package: each launcher loads oclif with its own bin name and command folder.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Config, flush, handle, run } from '@oclif/core';

const packageRoot = join(dirname(fileURLToPath(import.meta.url)), '..');

const descriptions = {
  faststart: 'Turn servers into a Mallee cloud: check a cloud.yaml, make its certificates, install it.',
  cloudctl: 'Run a Mallee cloud: local all-in-one clouds, certificates, and day-2 operations.',
};

/**
 * What oclif loads for one CLI. Each CLI gets a root of its own, `dist/cli/BIN`, because oclif reads its command
 * manifest from the root: with `oclif.manifest.json` there (written by the build), starting a command loads only that
 * command's module instead of every command's.
 */
export function cliOptions(bin) {
  const pjson = JSON.parse(readFileSync(join(packageRoot, 'package.json'), 'utf8'));
  pjson.description = descriptions[bin];
  pjson.oclif = { ...pjson.oclif, bin, dirname: 'mallee', commands: `../../commands/${bin}` };
  return { root: join(packageRoot, 'dist', 'cli', bin), pjson };
}

/**
 * Node ends a process whose event loop is empty with code 0, even while a command still awaits something that will
 * never answer: that must never pass for success. Call the returned function when the command has finished.
 */
export function failIfEndedUnfinished(bin) {
  let finished = false;
  process.on('beforeExit', () => {
    if (finished || process.exitCode) return;
    process.stderr.write(
      `Error: ${bin} stopped before its command finished: it was waiting on something that can no longer answer.\n` +
        'Hint: Run it again; if this repeats, report it with the command line.\n',
    );
    process.exitCode = 1;
  });
  return () => (finished = true);
}

export async function runCli(bin) {
  const finish = failIfEndedUnfinished(bin);
  try {
    const config = await Config.load(cliOptions(bin));
    await run(process.argv.slice(2), config);
    await flush();
  } catch (error) {
    await handle(error);
  } finally {
    finish();
  }
}
