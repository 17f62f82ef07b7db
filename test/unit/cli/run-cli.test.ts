import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import t from 'tap';
import { projectRoot } from '../../helpers/cli.js';

const runScript = async (body: string) => {
  const script = `import { failIfEndedUnfinished } from ${JSON.stringify(join(projectRoot, 'bin', 'run-cli.js'))};\n${body}`;
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script]);
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
};

t.test('a command still awaiting something that never answers does not end as a success', async (t) => {
  // The event loop empties while the command awaits a promise nothing will settle: Node would exit 0.
  const ended = await runScript(`failIfEndedUnfinished('faststart');\nawait new Promise(() => {});`);
  t.equal(ended.code, 1);
  t.match(ended.stderr, /faststart stopped before its command finished/);
});

t.test('a finished command keeps its own exit code', async (t) => {
  const ok = await runScript(`const finish = failIfEndedUnfinished('cloudctl');\nfinish();`);
  t.same(ok, { code: 0, stdout: '', stderr: '' });
  const failed = await runScript(`failIfEndedUnfinished('cloudctl');\nprocess.exitCode = 5;`);
  t.equal(failed.code, 5, 'a command that set its exit code and ended is not reported');
  t.equal(failed.stderr, '');
});
