import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { malleePackage } from '../../runtime/package-root.js';
import { generatedDir, renderGeneratedFiles } from './generated-files.js';

/**
 * `npm run generate` writes the AWS service models and types into src/aws/generated/ (and removes files there it no
 * longer writes) and wsdl/ec2.wsdl; `npm run generate:check` (`--check`) writes nothing and fails when any differs.
 */
const check = process.argv.includes('--check');
const root = malleePackage().root;
const files = renderGeneratedFiles();
const wanted = new Set(files.map((file) => join(root, file.path)));
const dir = join(root, generatedDir);
const existing = existsSync(dir) ? readdirSync(dir).map((name) => join(dir, name)) : [];

const stale: string[] = [];
for (const file of files) {
  const path = join(root, file.path);
  const current = existsSync(path) ? readFileSync(path, 'utf8') : undefined;
  if (current === file.content) continue;
  stale.push(file.path);
  if (!check) {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, file.content);
  }
}
for (const path of existing) {
  if (wanted.has(path)) continue;
  stale.push(relative(root, path));
  if (!check) rmSync(path);
}

if (check && stale.length > 0) {
  console.error(`Generated files are stale: ${stale.join(', ')}\nRun \`npm run generate\` and commit the result.`);
  process.exitCode = 1;
} else if (!check) {
  console.log(stale.length > 0 ? `Wrote ${stale.join(', ')}` : 'Generated files are up to date.');
}
