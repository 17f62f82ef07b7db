import { s3Errors } from '../s3-errors.js';

/**
 * The policy of a browser upload (S3's POST Object): a base64 JSON document, signed by the form's author, that says
 * until when the form may be used and what its fields may hold. Checked as S3 checks it, before a byte is stored:
 * the expiration; every condition (`{"field": "value"}` and `["eq", "$field", "value"]` exact,
 * `["starts-with", "$field", "prefix"]`, `["content-length-range", min, max]`); and that the form has no field the
 * policy does not name (but the signature, the policy itself, the file and `x-ignore-*`). A failure is S3's
 * `AccessDenied` "Invalid according to Policy: ..." and a document that is not one is `InvalidPolicyDocument`.
 */

/** The form's fields, by lower-case name (the file excluded), and the bucket the form posts to. */
export interface PostForm {
  bucket: string;
  fields: ReadonlyMap<string, string>;
}

/** What the policy allows of the file: its size range, in bytes. */
export interface PostLimits {
  minBytes: number;
  maxBytes: number;
}

/** Fields a policy need not name. */
const unnamedFields = new Set(['policy', 'x-amz-signature', 'signature', 'awsaccesskeyid', 'file']);

function denied(reason: string): Error {
  return s3Errors.accessDenied(`Invalid according to Policy: ${reason}`);
}

function invalid(reason: string): Error {
  return s3Errors.invalidPolicyDocument(`Invalid Policy: ${reason}`);
}

/** The value of `$name` in the form (`bucket` is the bucket posted to); an absent field reads as empty. */
function formValue(form: PostForm, reference: unknown): { name: string; value: string } {
  if (typeof reference !== 'string' || !reference.startsWith('$')) throw invalid('Invalid Condition: expected $field');
  const name = reference.slice(1).toLowerCase();
  return { name, value: name === 'bucket' ? form.bucket : (form.fields.get(name) ?? '') };
}

function sizeBound(value: unknown): number {
  const size = typeof value === 'string' ? Number(value) : value;
  if (typeof size !== 'number' || !Number.isInteger(size) || size < 0) {
    throw invalid('Invalid content-length-range: bounds must be whole numbers');
  }
  return size;
}

/**
 * Checks a form against its policy (`policyBase64`, as sent in the `policy` field) at `now`, and returns the size
 * range the file must fall in (unbounded when the policy sets none).
 */
export function checkPostPolicy(policyBase64: string, form: PostForm, now: Date): PostLimits {
  let document: unknown;
  try {
    document = JSON.parse(Buffer.from(policyBase64, 'base64').toString('utf8'));
  } catch {
    throw invalid('Invalid JSON.');
  }
  if (typeof document !== 'object' || document === null || Array.isArray(document)) throw invalid('Invalid JSON.');
  const { expiration, conditions } = document as { expiration?: unknown; conditions?: unknown };
  if (typeof expiration !== 'string') throw invalid('Policy missing expiration.');
  const expires = Date.parse(expiration);
  if (Number.isNaN(expires)) throw invalid(`Invalid expiration: ${expiration}`);
  if (!Array.isArray(conditions)) throw invalid('Policy missing conditions.');
  if (expires <= now.getTime()) throw denied('Policy expired.');

  const named = new Set<string>();
  const limits: PostLimits = { minBytes: 0, maxBytes: Number.MAX_SAFE_INTEGER };
  for (const condition of conditions as unknown[]) {
    const failed = () => denied(`Policy Condition failed: ${JSON.stringify(condition)}`);
    if (Array.isArray(condition)) {
      const [operator, ...args] = condition as unknown[];
      const kind = typeof operator === 'string' ? operator.toLowerCase() : '';
      if (kind === 'content-length-range' && args.length === 2) {
        limits.minBytes = sizeBound(args[0]);
        limits.maxBytes = sizeBound(args[1]);
        continue;
      }
      if ((kind !== 'eq' && kind !== 'starts-with') || args.length !== 2 || typeof args[1] !== 'string') {
        throw invalid(`Invalid Condition: ${JSON.stringify(condition)}`);
      }
      const { name, value } = formValue(form, args[0]);
      named.add(name);
      if (kind === 'eq' ? value !== args[1] : !value.startsWith(args[1])) throw failed();
    } else if (typeof condition === 'object' && condition !== null) {
      for (const [field, expected] of Object.entries(condition)) {
        if (typeof expected !== 'string') throw invalid(`Invalid Condition: ${JSON.stringify(condition)}`);
        const { name, value } = formValue(form, `$${field}`);
        named.add(name);
        if (value !== expected) throw failed();
      }
    } else {
      throw invalid(`Invalid Condition: ${JSON.stringify(condition)}`);
    }
  }
  const extra = [...form.fields.keys()].filter(
    (name) => !named.has(name) && !unnamedFields.has(name) && !name.startsWith('x-ignore-'),
  );
  if (extra.length > 0) throw denied(`Extra input fields: ${extra.join(', ')}`);
  return limits;
}

/** The object key a form names: its `key` field, with `${filename}` replaced by the uploaded file's name. */
export function postObjectKey(form: PostForm, filename: string | undefined): string {
  const key = form.fields.get('key');
  if (key === undefined || key === '') {
    throw s3Errors.invalidArgument(
      "Bucket POST must contain a field named 'key'.  If it is specified, please check the order of the fields.",
      'key',
      '',
    );
  }
  return key.replaceAll('${filename}', filename ?? '');
}
