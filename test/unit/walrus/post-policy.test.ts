import t from 'tap';
import { checkPostPolicy, postObjectKey, type PostForm } from '../../../services/walrus/models/post-policy.js';
import { S3Error } from '../../../services/walrus/s3-errors.js';

// The policy of a browser upload, checked as S3 checks it: expiry, each condition, the fields it must name.
const now = new Date('2026-12-06T12:00:00Z');
const later = '2026-12-06T13:00:00Z';

function encode(policy: unknown): string {
  return Buffer.from(JSON.stringify(policy)).toString('base64');
}

function form(fields: Record<string, string>): PostForm {
  return { bucket: 'uploads', fields: new Map(Object.entries(fields)) };
}

function refusal(run: () => unknown): { code: string; status: number; message: string } {
  try {
    run();
  } catch (error) {
    if (error instanceof S3Error) return { code: error.code, status: error.status, message: error.message };
    throw error;
  }
  throw new Error('accepted');
}

t.test('a form that keeps to its policy passes, with its size range', async (t) => {
  const limits = checkPostPolicy(
    encode({
      expiration: later,
      conditions: [
        { bucket: 'uploads' },
        ['starts-with', '$key', 'photos/'],
        ['eq', '$Content-Type', 'image/jpeg'],
        ['starts-with', '$x-amz-meta-album', ''],
        ['content-length-range', 10, '2048'],
      ],
    }),
    form({ key: 'photos/${filename}', 'content-type': 'image/jpeg', 'x-amz-meta-album': 'summer', 'x-ignore-me': '1' }),
    now,
  );
  t.same(limits, { minBytes: 10, maxBytes: 2048 });
  t.same(
    checkPostPolicy(encode({ expiration: later, conditions: [] }), form({}), now),
    { minBytes: 0, maxBytes: Number.MAX_SAFE_INTEGER },
    'no range: unbounded',
  );
});

t.test('what S3 refuses, and with what', async (t) => {
  const check = (policy: unknown, fields: Record<string, string> = { key: 'photos/a' }) =>
    refusal(() => checkPostPolicy(typeof policy === 'string' ? policy : encode(policy), form(fields), now));
  t.match(check({ expiration: '2026-12-06T11:59:59Z', conditions: [] }), {
    code: 'AccessDenied',
    status: 403,
    message: 'Invalid according to Policy: Policy expired.',
  });
  t.match(check({ expiration: later, conditions: [['starts-with', '$key', 'docs/']] }), {
    code: 'AccessDenied',
    message: 'Invalid according to Policy: Policy Condition failed: ["starts-with","$key","docs/"]',
  });
  t.match(check({ expiration: later, conditions: [{ bucket: 'elsewhere' }, ['starts-with', '$key', '']] }), {
    code: 'AccessDenied',
    message: /Policy Condition failed: \{"bucket":"elsewhere"\}/,
  });
  t.match(check({ expiration: later, conditions: [] }), {
    code: 'AccessDenied',
    message: 'Invalid according to Policy: Extra input fields: key',
  });
  t.match(check('not base64 json'), { code: 'InvalidPolicyDocument', status: 400 });
  t.match(check({ conditions: [] }), { code: 'InvalidPolicyDocument', message: /missing expiration/ });
  t.match(check({ expiration: later }), { code: 'InvalidPolicyDocument', message: /missing conditions/ });
  t.match(check({ expiration: later, conditions: [['between', '$key', 'a']] }), { code: 'InvalidPolicyDocument' });
  t.match(check({ expiration: later, conditions: [['content-length-range', -1, 5]] }), {
    code: 'InvalidPolicyDocument',
  });
});

t.test('the key: ${filename} becomes the file name; a form without one is refused', async (t) => {
  t.equal(postObjectKey(form({ key: 'in/${filename}' }), 'cat.jpg'), 'in/cat.jpg');
  t.equal(postObjectKey(form({ key: 'fixed.txt' }), 'cat.jpg'), 'fixed.txt');
  t.match(
    refusal(() => postObjectKey(form({}), 'cat.jpg')),
    { code: 'InvalidArgument', message: /must contain a field named 'key'/ },
  );
});
