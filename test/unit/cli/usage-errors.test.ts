import t from 'tap';
import { runCli } from '../../helpers/cli.js';

// A command line that cannot be parsed exits 2 (usage). With --json the answer is the same {"error": ...} document
// as every other error: code, message and hint, not oclif's serialisation of its whole parse context.

const cases: { bin: 'faststart' | 'cloudctl'; args: string[]; message: string }[] = [
  { bin: 'cloudctl', args: ['services', 'start', '--bogus'], message: 'Nonexistent flag: --bogus' },
  { bin: 'cloudctl', args: ['services', 'start'], message: 'Missing 1 required arg: name a daemon' },
  { bin: 'faststart', args: ['install', '--concurrency', 'many'], message: 'Parsing --concurrency' },
];

for (const { bin, args, message } of cases) {
  t.test(`${bin} ${args.join(' ')} --json`, async (t) => {
    const result = await runCli(bin, [...args, '--json']);
    t.equal(result.code, 2, result.stderr);
    t.ok(result.stdout.length < 1000, `a short answer (${result.stdout.length} bytes)`);
    const answer = JSON.parse(result.stdout) as { error: { code: string; message: string; hint?: string } };
    t.same(Object.keys(answer), ['error']);
    t.equal(answer.error.code, 'usage');
    t.match(answer.error.message, message);
    t.notMatch(answer.error.message, /\n/, 'one line');
    t.equal(answer.error.hint, 'See more help with --help');
  });

  t.test(`${bin} ${args.join(' ')}: oclif's own message and usage on stderr`, async (t) => {
    const result = await runCli(bin, args);
    t.equal(result.code, 2);
    t.equal(result.stdout, '');
    t.match(result.stderr, message.split(' ')[0]!);
  });
}
