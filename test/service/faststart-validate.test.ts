import t from 'tap';
import { projectRoot, runCli } from '../helpers/cli.js';

// Drives the built CLI (npm test builds dist/ first), from the project root so paths in messages are relative.
const faststart = (...args: string[]) => runCli('faststart', args, { cwd: projectRoot });

t.test('a valid file: exit 0 and a one-line summary', async (t) => {
  const { code, stdout, stderr } = await faststart('validate', 'templates/cloud.example.yaml');
  t.equal(code, 0, stderr);
  t.equal(stdout, 'templates/cloud.example.yaml is valid: 3 hosts, 2 zones, 8 components\n');
  t.equal(stderr, '');
});

t.test('a broken file: exit 3, every problem at its position with a hint, and a count', async (t) => {
  const file = 'test/fixtures/cloud-yaml/several-problems.yaml';
  const { code, stdout, stderr } = await faststart('validate', file);
  t.equal(code, 3);
  t.equal(stdout, '');
  const lines = stderr.trimEnd().split('\n');
  t.equal(lines[0], `${file}:2:7: error: cloud name "Demo" is not valid`);
  t.equal(lines[1], '  hint: use lowercase letters, digits and hyphens, starting and ending with a letter or digit');
  t.equal(lines[2], `${file}:3:1: error: unknown key "regoin" at the top level`);
  t.equal(lines[3], '  hint: did you mean "region"?');
  t.equal(lines.filter((line) => /^\S+:\d+:\d+: error: /.test(line)).length, 9);
  t.equal(lines.filter((line) => line.startsWith('  hint: ')).length, 9);
  t.equal(lines.at(-1), `${file}: 9 problems`);
});

t.test('--json: the report as one JSON document, with positions', async (t) => {
  const file = 'test/fixtures/cloud-yaml/broken/unknown-key.yaml';
  const { code, stdout, stderr } = await faststart('validate', file, '--json');
  t.equal(code, 3);
  t.equal(stderr, '');
  t.strictSame(JSON.parse(stdout), {
    file,
    valid: false,
    problems: [
      {
        file,
        line: 5,
        column: 5,
        code: 'unknown-key',
        message: 'unknown key "adress" in host "h1"',
        hint: 'did you mean "address"?',
      },
    ],
  });
});

t.test('--json on a valid file carries the summary', async (t) => {
  const { code, stdout } = await faststart('validate', 'test/fixtures/cloud-yaml/minimal.yaml', '--json');
  t.equal(code, 0);
  t.strictSame(JSON.parse(stdout), {
    file: 'test/fixtures/cloud-yaml/minimal.yaml',
    valid: true,
    problems: [],
    summary: { hosts: 1, zones: 1, components: 5 },
  });
});

t.test('a missing file: exit 4 with a hint', async (t) => {
  const { code, stdout, stderr } = await faststart('validate', 'no/such/cloud.yaml');
  t.equal(code, 4);
  t.equal(stdout, '');
  t.equal(
    stderr,
    'Error: No file at no/such/cloud.yaml.\nHint: Check the path, or copy templates/cloud.example.yaml and edit it.\n',
  );
});
