import { createHmac } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Readable } from 'node:stream';
import busboy from 'busboy';
import { s3DialectErrors } from '../../src/aws/auth/auth-errors.js';
import { safeEqual } from '../../src/aws/auth/canonical.js';
import { deriveSigningKey, hmacSha256 } from '../../src/aws/auth/signing-key-cache.js';
import type { CredentialLookup } from '../../src/aws/auth/types.js';
import type { PutObjectInput } from '../../src/aws/generated/s3-types.js';
import type { WalrusPrincipal } from './credential-lookup.js';
import type { WalrusContext } from './handlers/context.js';
import { objectHandlers } from './handlers/objects.js';
import type { Caller } from './models/acl.js';
import type { RequestFacts } from './models/bucket-policy.js';
import { checkEncryptionRequest, type EncryptionHeaders } from './models/encryption-request.js';
import { checkPostPolicy, postObjectKey, type PostForm, type PostLimits } from './models/post-policy.js';
import { s3Errors } from './s3-errors.js';

/**
 * S3's POST Object: an upload from an HTML form in a browser (or `curl -F`, boto3's `generate_presigned_post`, the JS
 * SDK's `createPresignedPost`). The form carries the key, the object's headers and metadata, a policy its author
 * signed (SigV4 `x-amz-*` fields, or the legacy `AWSAccessKeyId`/`signature`), and last the file, streamed to the
 * byte store as it arrives (fields after it are ignored, as S3 ignores them). No signature is an anonymous upload,
 * which only a bucket that lets everyone write takes. The object is then written as PutObject writes it: the same
 * handler, access checks (ACLs, the bucket's policy) and durability. The answer is S3's: 204 by default, 200 or 201
 * (a `PostResponse` document) as `success_action_status` asks, or a 303 to `success_action_redirect`.
 */

/** Whether a request is a form upload: a POST with a multipart/form-data body to a bucket (not to a key in it). */
export function isPostObject(method: string, path: string, contentType: string | undefined): boolean {
  return (
    method === 'POST' &&
    /^\/[^/]+\/?$/.test(path) &&
    contentType !== undefined &&
    contentType.toLowerCase().startsWith('multipart/form-data')
  );
}

/** The form's fields (lower-case names, up to the file) and the file's bytes, still arriving. */
interface ReceivedForm {
  fields: Map<string, string>;
  filename?: string;
  file: Readable;
  /** Settles once the whole body has been read (the fields after the file included). */
  finished: Promise<void>;
}

const formLimits = { fields: 1000, fieldSize: 1024 * 1024, parts: 1100 };

function receiveForm(request: IncomingMessage): Promise<ReceivedForm> {
  return new Promise((resolve, reject) => {
    let parser: busboy.Busboy;
    try {
      parser = busboy({ headers: request.headers, limits: formLimits });
    } catch {
      reject(s3Errors.malformedPostRequest());
      return;
    }
    const fields = new Map<string, string>();
    let fileSeen = false;
    let finish: () => void = () => undefined;
    const finished = new Promise<void>((done) => (finish = done));
    parser.on('field', (name, value) => {
      if (fileSeen) return;
      const field = name.toLowerCase();
      if (field !== 'file') {
        fields.set(field, value);
        return;
      }
      // A file given as a plain field (`curl -F file=text`): its value is the content.
      fileSeen = true;
      resolve({ fields, file: Readable.from([Buffer.from(value)]), finished });
    });
    parser.on('file', (name, stream, info) => {
      if (fileSeen || name.toLowerCase() !== 'file') {
        stream.resume();
        return;
      }
      fileSeen = true;
      resolve({ fields, filename: info.filename, file: stream, finished });
    });
    parser.on('error', () => {
      if (!fileSeen) reject(s3Errors.malformedPostRequest());
      finish();
    });
    parser.on('close', () => {
      if (!fileSeen) reject(s3Errors.incorrectNumberOfFiles());
      finish();
    });
    request.pipe(parser);
  });
}

function requiredField(fields: ReadonlyMap<string, string>, name: string): string {
  const value = fields.get(name);
  if (value === undefined || value === '') {
    throw s3Errors.invalidArgument(`Bucket POST must contain a field named '${name}'.`, name, '');
  }
  return value;
}

/**
 * Who signed the form's policy: SigV4 (`x-amz-signature` over the policy with the day's signing key of the
 * credential's scope) or S3's v2 (`signature`, HMAC-SHA1 over the policy); undefined for a form with neither.
 */
async function formSigner(
  fields: ReadonlyMap<string, string>,
  credentials: CredentialLookup<WalrusPrincipal>,
  regions: readonly string[],
): Promise<WalrusPrincipal | undefined> {
  const v4Signature = fields.get('x-amz-signature');
  const v2Signature = fields.get('signature');
  if (v4Signature === undefined && v2Signature === undefined) return undefined;
  const policy = requiredField(fields, 'policy');
  if (v4Signature !== undefined) {
    const algorithm = requiredField(fields, 'x-amz-algorithm');
    if (algorithm !== 'AWS4-HMAC-SHA256') {
      throw s3Errors.invalidArgument('Only AWS4-HMAC-SHA256 is supported', 'x-amz-algorithm', algorithm);
    }
    requiredField(fields, 'x-amz-date');
    const credential = requiredField(fields, 'x-amz-credential');
    const [accessKeyId = '', date = '', region = '', service, terminator] = credential.split('/');
    if (!/^\d{8}$/.test(date) || service !== 's3' || terminator !== 'aws4_request') {
      throw s3Errors.invalidArgument(
        'Invalid credential: ACCESS-KEY/YYYYMMDD/REGION/s3/aws4_request',
        'x-amz-credential',
        credential,
      );
    }
    if (!regions.includes(region)) {
      throw s3Errors.invalidArgument(
        `The credential's region must be ${regions.join(' or ')}`,
        'x-amz-credential',
        credential,
      );
    }
    const known = await credentials.lookup(accessKeyId);
    if (!known) throw s3DialectErrors.unknownAccessKey(accessKeyId);
    const expected = hmacSha256(deriveSigningKey(known.secretAccessKey, date, region, 's3'), policy).toString('hex');
    if (!safeEqual(expected, v4Signature.toLowerCase())) {
      throw s3DialectErrors.signatureMismatch({ accessKeyId, signatureProvided: v4Signature, stringToSign: policy });
    }
    return known.principal;
  }
  const accessKeyId = requiredField(fields, 'awsaccesskeyid');
  const known = await credentials.lookup(accessKeyId);
  if (!known) throw s3DialectErrors.unknownAccessKey(accessKeyId);
  const expected = createHmac('sha1', known.secretAccessKey).update(policy, 'utf8').digest('base64');
  if (!safeEqual(expected, v2Signature ?? '')) {
    throw s3DialectErrors.signatureMismatch({
      accessKeyId,
      signatureProvided: v2Signature ?? '',
      stringToSign: policy,
    });
  }
  return known.principal;
}

/** The file's bytes, refused (mid-stream, before anything is stored) outside the policy's size range. */
async function* withinLimits(file: AsyncIterable<Buffer>, limits: PostLimits): AsyncIterable<Buffer> {
  let size = 0;
  for await (const chunk of file) {
    size += chunk.length;
    if (size > limits.maxBytes) throw s3Errors.entityTooLarge(limits.maxBytes);
    yield chunk;
  }
  if (size < limits.minBytes) throw s3Errors.entityTooSmall();
}

/** PutObject's input from the form's fields: the object's headers, metadata, ACL and encryption. */
function putInput(bucket: string, key: string, fields: ReadonlyMap<string, string>): PutObjectInput {
  const metadata: Record<string, string> = {};
  for (const [name, value] of fields) if (name.startsWith('x-amz-meta-')) metadata[name.slice(11)] = value;
  const field = (name: string) => fields.get(name);
  const expires = field('expires');
  if (field('tagging') !== undefined) throw s3Errors.notImplemented('Tags in a POST upload are not supported');
  const input: PutObjectInput = {
    Bucket: bucket,
    Key: key,
    ContentType: field('content-type') ?? 'binary/octet-stream',
    Metadata: metadata,
  };
  const optional: [keyof PutObjectInput, string][] = [
    ['ACL', 'acl'],
    ['CacheControl', 'cache-control'],
    ['ContentDisposition', 'content-disposition'],
    ['ContentEncoding', 'content-encoding'],
    ['StorageClass', 'x-amz-storage-class'],
    ['ServerSideEncryption', 'x-amz-server-side-encryption'],
    ['SSEKMSKeyId', 'x-amz-server-side-encryption-aws-kms-key-id'],
    ['SSECustomerAlgorithm', 'x-amz-server-side-encryption-customer-algorithm'],
    ['SSECustomerKey', 'x-amz-server-side-encryption-customer-key'],
    ['SSECustomerKeyMD5', 'x-amz-server-side-encryption-customer-key-MD5'],
  ];
  for (const [member, name] of optional) {
    const value = field(name);
    if (value !== undefined) (input as unknown as Record<string, string>)[member] = value;
  }
  if (expires !== undefined && !Number.isNaN(Date.parse(expires))) input.Expires = new Date(expires);
  return input;
}

export interface PostObjectServices {
  credentials: CredentialLookup<WalrusPrincipal>;
  regions: readonly string[];
  /** The handler context for the upload's signer, the facts of its request and the file's bytes. */
  context(caller: Caller, facts: () => RequestFacts, body: () => AsyncIterable<Buffer>): WalrusContext;
  /** Waits until what the upload committed is on disk (as every request does before its answer). */
  flush(): Promise<void>;
}

/** Receives a form upload into `bucket` and answers it. */
export async function answerPostObject(
  request: IncomingMessage,
  response: ServerResponse,
  bucket: string,
  baseFacts: () => RequestFacts,
  services: PostObjectServices,
): Promise<void> {
  const form = await receiveForm(request);
  const postForm: PostForm = { bucket, fields: form.fields };
  const key = postObjectKey(postForm, form.filename);
  const principal = await formSigner(form.fields, services.credentials, services.regions);
  const policy = form.fields.get('policy');
  const limits = policy === undefined ? undefined : checkPostPolicy(policy, postForm, new Date());
  const input = putInput(bucket, key, form.fields);
  checkEncryptionRequest(input as EncryptionHeaders);
  const caller: Caller = principal && { id: principal.accountId, displayName: principal.accountName };
  // The bucket policy's conditions see the form's fields as the headers they stand for (`s3:x-amz-acl` ...).
  const facts = (): RequestFacts => {
    const base = baseFacts();
    const amzHeaders: Record<string, string> = { ...base.amzHeaders };
    for (const [name, value] of form.fields) if (name.startsWith('x-amz-')) amzHeaders[name] = value;
    if (input.ACL !== undefined) amzHeaders['x-amz-acl'] = input.ACL;
    return {
      ...base,
      amzHeaders,
      ...(principal && { principal: { accountId: principal.accountId, arn: principal.arn } }),
      authType: 'POST',
      ...(principal && {
        signatureVersion: form.fields.has('x-amz-signature') ? 'AWS4-HMAC-SHA256' : 'AWS',
      }),
    };
  };
  const file = limits ? withinLimits(form.file, limits) : form.file;
  const context = services.context(caller, facts, () => file);
  const output = await objectHandlers.PutObject!(input, context);
  await services.flush();
  await form.finished;

  const etag = output.ETag ?? '';
  const host = request.headers.host ?? 'localhost';
  const location = `https://${host}/${bucket}/${encodeURIComponent(key).replace(/%2F/g, '/')}`;
  response.setHeader('etag', etag);
  response.setHeader('location', location);
  if (output.VersionId !== undefined) response.setHeader('x-amz-version-id', output.VersionId);
  const redirect = form.fields.get('success_action_redirect') ?? form.fields.get('redirect');
  if (redirect !== undefined && URL.canParse(redirect)) {
    const target = new URL(redirect);
    target.searchParams.set('bucket', bucket);
    target.searchParams.set('key', key);
    target.searchParams.set('etag', etag);
    response.statusCode = 303;
    response.setHeader('location', target.toString());
    response.setHeader('content-length', '0');
    response.end();
    return;
  }
  const status = form.fields.get('success_action_status');
  if (status === '201') {
    const escape = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
    const body =
      '<?xml version="1.0" encoding="UTF-8"?>\n<PostResponse>' +
      `<Location>${escape(location)}</Location><Bucket>${escape(bucket)}</Bucket>` +
      `<Key>${escape(key)}</Key><ETag>${escape(etag)}</ETag></PostResponse>`;
    response.statusCode = 201;
    response.setHeader('content-type', 'application/xml');
    response.setHeader('content-length', Buffer.byteLength(body));
    response.end(body);
    return;
  }
  response.statusCode = status === '200' ? 200 : 204;
  if (response.statusCode === 200) response.setHeader('content-length', '0');
  response.end();
}
