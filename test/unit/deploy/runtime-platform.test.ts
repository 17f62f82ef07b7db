import { execFileSync, spawnSync } from 'node:child_process';
import t from 'tap';
import { glibcNeedsOf, runtimePlatform } from '../../../src/deploy/bundle.js';
import { platformChecks } from '../../../src/deploy/steps/precheck.js';
import { compareVersions } from '../../../src/util/versions.js';
import { projectRoot } from '../../helpers/cli.js';

// What a host must be to run the bundle, found from the binaries it carries, and the precheck's shell test of it,
// run here against this machine (x86_64, glibc).

t.test("the bundle needs this machine's architecture and the newest glibc any of its binaries asks for", async (t) => {
  const runtime = runtimePlatform(projectRoot);
  t.equal(runtime.machine, execFileSync('uname', ['-m'], { encoding: 'utf8' }).trim());
  const nodeGlibc = (process.report.getReport() as { header: { glibcVersionCompiler: string } }).header
    .glibcVersionCompiler;
  t.ok(compareVersions(runtime.glibc, nodeGlibc) >= 0, `glibc ${runtime.glibc}: at least what Node was built for`);
  const here = execFileSync('getconf', ['GNU_LIBC_VERSION'], { encoding: 'utf8' }).trim().split(' ')[1]!;
  t.ok(compareVersions(here, runtime.glibc) >= 0, `and no newer than this machine's ${here}, where they were built`);
});

t.test("a binary's glibc needs are read from its symbol versions", async (t) => {
  const binary = Buffer.concat([
    Buffer.from('\x7fELF...'),
    Buffer.from('memcpy\0GLIBC_2.14\0fcntl64\0GLIBC_2.28\0GLIBC_2.2.5\0GLIBC_2.14\0'),
  ]);
  t.same(glibcNeedsOf(binary).sort(compareVersions), ['2.2.5', '2.14', '2.28']);
  t.same(glibcNeedsOf(Buffer.from('no versions at all')), []);
});

t.test('versions compare part by part, as numbers', async (t) => {
  t.equal(compareVersions('2.9', '2.28'), -1);
  t.equal(compareVersions('2.34', '2.34'), 0);
  t.equal(compareVersions('2.34.1', '2.34'), 1);
});

t.test("the precheck's platform test passes here, and fails with the reason on a mismatch", async (t) => {
  const run = (machine: string, glibc: string) =>
    spawnSync('sh', ['-c', platformChecks({ machine, glibc }).join('\n')], { encoding: 'utf8' });
  const machine = execFileSync('uname', ['-m'], { encoding: 'utf8' }).trim();
  t.equal(run(machine, '2.17').status, 0, 'an older glibc requirement than this machine has');
  const newer = run(machine, '9.99');
  t.equal(newer.status, 1);
  t.match(
    newer.stderr,
    /^glibc 2\.\d+ here; the bundle's Node runtime and native modules need .* glibc 9\.99 or newer/,
  );
  const other = run('aarch64', '2.17');
  t.equal(other.status, 1);
  t.match(other.stderr, `this host is ${machine}; the bundle's Node runtime and native modules need aarch64`);
});
