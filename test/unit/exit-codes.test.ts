import t from 'tap';
import { ExitCode, exitCodeMeaning } from '../../src/cli/exit-codes.js';

t.test('exit codes are distinct and each has a meaning', async (t) => {
  const codes = Object.values(ExitCode);
  t.equal(new Set(codes).size, codes.length, 'no two names share a code');
  for (const name of Object.keys(ExitCode)) t.ok(exitCodeMeaning[name as keyof typeof ExitCode], name);
  t.equal(ExitCode.ok, 0);
  t.equal(ExitCode.usage, 2, 'oclif uses 2 for flag parse errors; keep it');
});
