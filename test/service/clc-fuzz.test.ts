import { randomInt } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Agent, request as httpsRequest } from 'node:https';
import { join } from 'node:path';
import { SignatureV4 } from '@smithy/signature-v4';
import type { HttpRequest } from '@smithy/types';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import t from 'tap';
import { ec2Model } from '../../src/aws/generated/ec2-model.js';
import { iamModel } from '../../src/aws/generated/iam-model.js';
import { stsModel } from '../../src/aws/generated/sts-model.js';
import type { ServiceModel, ShapeRef, StructureShape } from '../../src/aws/model/service-model.js';
import { ec2Handlers } from '../../services/clc/handlers/ec2/index.js';
import { iamHandlers } from '../../services/clc/handlers/iam.js';
import { stsHandlers } from '../../services/clc/handlers/sts.js';
import { startClc, type Credentials } from '../helpers/clc.js';
import { escapeUri, NodeSha256 } from '../unit/aws/auth/helpers.js';

// Malformed and random Query requests against a real clc, unsigned and properly SigV4-signed so they get past the
// signature check into the parser and handlers. Every answer must be an AWS error document of the right dialect (or,
// for a request that came out valid, a response document), never a 5xx but EC2's documented 500 for capacity; the
// daemon must stay up and log no unexpected handler error. Seeded: FUZZ_SEED=N repeats a run, FUZZ_COUNT=N sizes it.
const seed = Number(process.env.FUZZ_SEED ?? randomInt(2 ** 31));
const total = Number(process.env.FUZZ_COUNT ?? 1500);
/** FUZZ_ONLY=N sends request #N alone and prints it whole. */
const only = process.env.FUZZ_ONLY === undefined ? undefined : Number(process.env.FUZZ_ONLY);
t.comment(`fuzz seed ${seed} (repeat with FUZZ_SEED=${seed}), ${total} requests`);

const clc = await startClc(t);
const fuzzer = await clc.newAccount('fuzzer');
const maxSockets = 8;
const agent = new Agent({ ca: readFileSync(clc.caBundle), keepAlive: true, maxSockets });
t.teardown(() => agent.destroy());
const { hostname, port } = new URL(clc.url);

type ServiceName = 'ec2' | 'iam' | 'sts';
const models: Record<ServiceName, ServiceModel> = { ec2: ec2Model, iam: iamModel, sts: stsModel };
const serviceNames = Object.keys(models) as ServiceName[];
const operationNames = Object.fromEntries(
  serviceNames.map((name) => [name, [...models[name].operations.keys()]]),
) as Record<ServiceName, string[]>;
/** The actions the clc implements, picked more often so requests reach handlers and not only `UnsupportedOperation`. */
const implemented: Record<ServiceName, string[]> = {
  ec2: Object.keys(ec2Handlers),
  iam: Object.keys(iamHandlers),
  sts: Object.keys(stsHandlers),
};

/** The codes an answer may carry: authentication, the protocol layer's, and the handlers' (EC2 `X.NotFound` ...). */
const allowedCodes = new Set([
  'AuthFailure',
  'SignatureDoesNotMatch',
  'IncompleteSignature',
  'RequestExpired',
  'MissingAuthenticationToken',
  'InvalidClientTokenId',
  'MissingAction',
  'InvalidAction',
  'NoSuchVersion',
  'UnsupportedOperation',
  'MissingParameter',
  'InvalidParameterValue',
  'InvalidParameterCombination',
  'InvalidParameter',
  'UnknownParameter',
  'ValidationError',
  'DryRunOperation',
  'IdempotentParameterMismatch',
  'InvalidPaginationToken',
  'InvalidID',
  'InvalidInstanceType',
  'InvalidManifest',
  'InvalidAMIAttributeItemValue',
  'InvalidKey.Format',
  // EC2's own name for a placement group that is not there (not `.NotFound`).
  'InvalidPlacementGroup.Unknown',
  'IncorrectInstanceState',
  'IncorrectState',
  'DependencyViolation',
  'CannotDelete',
  'TagLimitExceeded',
  'AddressLimitExceeded',
  'InsufficientInstanceCapacity',
  'InvalidRequest',
  'NoSuchEntity',
  'EntityAlreadyExists',
  'LimitExceeded',
  'DeleteConflict',
]);
const resourceCode = /^Invalid[A-Za-z]+\.(NotFound|Malformed|Duplicate|InUse|ZoneMismatch)$/;
const authCodes = new Set([
  'AuthFailure',
  'SignatureDoesNotMatch',
  'IncompleteSignature',
  'RequestExpired',
  'MissingAuthenticationToken',
  'InvalidClientTokenId',
]);

/** mulberry32: small, fast, and the same sequence for the same seed everywhere. */
function generator(state: number) {
  let a = state >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let x = a;
    x = Math.imul(x ^ (x >>> 15), x | 1);
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number) => Math.floor(next() * n);
  const pick = <T>(items: readonly T[]): T => items[int(items.length)] as T;
  const chance = (p: number) => next() < p;
  return { next, int, pick, chance };
}
type Random = ReturnType<typeof generator>;

const hex = (random: Random, n: number) => Array.from({ length: n }, () => random.int(16).toString(16)).join('');

function randomText(random: Random, length: number): string {
  const alphabets = [
    'abcdefghijklmnopqrstuvwxyz0123456789',
    'ABCDEFGHIJKLMNOPQRSTUVWXYZ-_.~ ',
    '!@#$%^&*()[]{}<>"\'`\\/|;:,?=+&',
    'éü中文😀\u0000\u0001\u007f\u202e\ufeff',
  ];
  let text = '';
  for (let i = 0; i < length; i++) text += random.pick([...random.pick(alphabets)]);
  return text;
}

/** A value for a scalar: mostly the right type, often a near miss, sometimes something else entirely. */
function scalarValue(random: Random, ref: ShapeRef): string {
  const roll = random.next();
  if (roll < 0.04) return '';
  if (roll < 0.07) return 'x'.repeat(random.pick([256, 4096, 70_000]));
  if (roll < 0.12) return randomText(random, random.int(40));
  switch (ref.type) {
    case 'integer':
    case 'long':
      return random.pick([
        '0',
        '1',
        '5',
        '1000',
        '-1',
        '2147483648',
        '99999999999999999999',
        '1.5',
        '1e3',
        'ten',
        ' 7',
      ]);
    case 'float':
    case 'double':
      return random.pick(['0.5', '-0', 'NaN', 'Infinity', '1e309', 'abc']);
    case 'boolean':
      return random.pick(['true', 'false', 'TRUE', 'yes', '1', '']);
    case 'timestamp':
      return random.pick(['2026-01-01T00:00:00Z', '2026-13-45T99:99:99Z', '1700000000', 'yesterday', '0']);
    case 'blob':
      return random.pick(['aGVsbG8=', 'not base64!', '====', Buffer.from(randomText(random, 20)).toString('base64')]);
    default:
      return random.pick([
        `i-${hex(random, 17)}`,
        `i-${hex(random, 8)}`,
        `sg-${hex(random, 17)}`,
        `ami-${hex(random, 17)}`,
        `aki-${hex(random, 8)}`,
        `vol-${hex(random, 17)}`,
        `key-${hex(random, 17)}`,
        `eipalloc-${hex(random, 17)}`,
        'self',
        'all',
        'default',
        'true',
        'm1.small',
        't3.micro',
        'mallee-test-1a',
        'tcp',
        '-1',
        '0.0.0.0/0',
        '10.0.0.0/33',
        'arn:aws:iam::000000000000:user/x',
        'fuzz-' + hex(random, 6),
        randomText(random, 1 + random.int(12)),
      ]);
  }
}

/** The wire name of a member as the service's protocol spells it. */
function wireName(protocol: string, name: string, ref: ShapeRef): string {
  if (protocol === 'ec2') {
    if (ref.queryName) return ref.queryName;
    const located = ref.locationName ?? name;
    return located.charAt(0).toUpperCase() + located.slice(1);
  }
  return ref.locationName ?? name;
}

/** Parameters for a structure, following the model (lists as `X.N` or `X.member.N`, maps as `X.entry.N.key`). */
function structureParams(random: Random, protocol: string, shape: StructureShape, prefix: string, depth: number) {
  const pairs: [string, string][] = [];
  for (const [name, ref] of shape.members) {
    const required = shape.required.has(name);
    if (!(required ? random.chance(0.85) : random.chance(0.3))) continue;
    pairs.push(...refParams(random, protocol, ref, `${prefix}${wireName(protocol, name, ref)}`, depth));
  }
  return pairs;
}

function refParams(random: Random, protocol: string, ref: ShapeRef, name: string, depth: number): [string, string][] {
  if (depth > 3) return [[name, scalarValue(random, ref)]];
  if (ref.type === 'structure' && ref.structure) {
    return structureParams(random, protocol, ref.structure, `${name}.`, depth + 1);
  }
  if (ref.type === 'list' && ref.member) {
    const pairs: [string, string][] = [];
    const item = protocol === 'ec2' || ref.flattened ? name : `${name}.member`;
    for (let index = 1; index <= 1 + random.int(3); index++) {
      pairs.push(...refParams(random, protocol, ref.member, `${item}.${index}`, depth + 1));
    }
    return pairs;
  }
  if (ref.type === 'map' && ref.key && ref.value) {
    const entry = ref.flattened ? name : `${name}.entry`;
    return [
      [`${entry}.1.key`, scalarValue(random, ref.key)],
      ...refParams(random, protocol, ref.value, `${entry}.1.value`, depth + 1),
    ];
  }
  return [[name, scalarValue(random, ref)]];
}

/** Breaks one thing about otherwise model-shaped parameters. */
function mutate(random: Random, pairs: [string, string][]): [string, string][] {
  const out = [...pairs];
  const at = () => random.int(Math.max(1, out.length));
  switch (random.int(12)) {
    case 0: // unknown parameter
      out.push([random.pick(['Foo', 'instanceId', 'X-Unknown', 'Filter', 'Action.1', randomText(random, 8)]), 'bar']);
      break;
    case 1: {
      // misspelled name
      const [name, value] = out[at()] ?? ['InstanceId', 'i-1'];
      const chars = [...name];
      const i = random.int(chars.length);
      chars[i] = random.pick(['', chars[i]!.toLowerCase(), chars[i]!.toUpperCase(), 'x', '.']);
      out.push([chars.join(''), value]);
      break;
    }
    case 2: {
      // broken X.N index
      const [name, value] = out[at()] ?? ['Filter.1.Name', 'tag:x'];
      const index = random.pick(['0', '-1', 'a', '', '1.', '99999999999', '1e2', '01', ' 1', '2']);
      out.push([/\.\d+/.test(name) ? name.replace(/\.\d+/, `.${index}`) : `${name}.${index}`, value]);
      break;
    }
    case 3: // a parameter twice
      if (out.length > 0) out.push(out[at()]!);
      break;
    case 4: // a required one gone
      out.splice(at(), 1);
      break;
    case 5: // a huge value
      out.push([out[at()]?.[0] ?? 'UserData', 'A'.repeat(random.pick([20_000, 300_000, 1_500_000]))]);
      break;
    case 6: // many list items
      for (let i = 1; i <= random.pick([200, 1001, 5000]); i++) out.push([`InstanceId.${i}`, `i-${hex(random, 17)}`]);
      break;
    case 7: // deep nesting
      out.push([Array.from({ length: 60 }, (_, i) => `Member${i}.1`).join('.'), 'deep']);
      break;
    default:
      break;
  }
  return out;
}

const versions: Record<ServiceName, string> = { ec2: '2016-11-15', iam: '2010-05-08', sts: '2011-06-15' };

/** The action: usually one of the model's, else misspelled, unknown, another service's, or none. */
function pickAction(random: Random, service: ServiceName): string | undefined {
  const roll = random.next();
  const real = random.pick(random.chance(0.6) ? implemented[service] : operationNames[service]);
  if (roll < 0.7) return real;
  if (roll < 0.78) return real.toLowerCase();
  if (roll < 0.84) return real.slice(0, -1);
  if (roll < 0.9) return random.pick(operationNames[random.pick(serviceNames)]);
  if (roll < 0.95) return randomText(random, random.int(20));
  return undefined;
}

/** Node's client sends only printable ASCII in a request line or header: anything else percent-escaped. */
function printable(text: string): string {
  return text.replace(/[^\x21-\x7e]/g, (c) => `%${(c.charCodeAt(0) & 0xff).toString(16).padStart(2, '0')}`);
}

function formEncode(pairs: [string, string][]): string {
  return pairs.map(([key, value]) => `${escapeUri(key)}=${escapeUri(value)}`).join('&');
}

/** Bytes that are not a proper form: bad percent escapes, invalid UTF-8, NULs, or nothing like a form at all. */
function brokenBody(random: Random, form: string): Buffer {
  switch (random.int(7)) {
    case 0:
      return Buffer.from(`${form}&Bad=%zz%`);
    case 1:
      return Buffer.concat([Buffer.from(`${form}&Name=`), Buffer.from([0xc3, 0x28, 0xff, 0xfe, 0x00])]);
    case 2:
      return Buffer.from(`${form}&Key%E0%A4=%C0%AF&%=&==&&&`);
    case 3:
      return Buffer.from(Array.from({ length: random.int(4096) }, () => random.int(256)));
    case 4:
      return Buffer.from(JSON.stringify({ Action: 'DescribeInstances', Version: '2016-11-15' }));
    case 5:
      return Buffer.from('<?xml version="1.0"?><DescribeInstances><x>&bogus;</x></DescribeInstances>');
    default:
      return Buffer.from(form.replace(/=/g, random.pick(['==', '', '%3D', '&'])));
  }
}

type Signing = 'none' | 'sigv4' | 'sigv4-garbled' | 'sigv4-expired' | 'sigv4-unknown-key' | 'presigned' | 'sigv2';

interface FuzzRequest {
  index: number;
  method: 'GET' | 'POST';
  path: string;
  headers: Record<string, string>;
  body: Buffer;
  signing: Signing;
  service: ServiceName;
  action?: string;
  /** The dialect the answer must use, when the request says which service it is for. */
  dialect?: 'ec2' | 'query';
}

const contentTypes = [
  'application/x-www-form-urlencoded; charset=utf-8',
  'application/x-www-form-urlencoded',
  'APPLICATION/X-WWW-FORM-URLENCODED;charset=ISO-8859-1',
  'application/json',
  'text/xml',
  'multipart/form-data; boundary=xyz',
  'application/octet-stream',
  ';;;=',
];

function signer(service: ServiceName, credentials: Credentials) {
  return new SignatureV4({ service, region: clc.region, credentials, sha256: NodeSha256, uriEscapePath: true });
}

async function makeRequest(index: number): Promise<FuzzRequest> {
  const random = generator(seed ^ Math.imul(index + 1, 0x9e3779b1));
  const service = random.pick(serviceNames);
  const model = models[service];
  const action = pickAction(random, service);
  const operation = action === undefined ? undefined : model.operations.get(action);
  let pairs: [string, string][] = [];
  if (action !== undefined) pairs.push(['Action', action]);
  const versionRoll = random.next();
  if (versionRoll < 0.8) pairs.push(['Version', versions[service]]);
  else if (versionRoll < 0.9) pairs.push(['Version', random.pick(['2012-12-01', '2030-01-01', 'latest', ''])]);
  if (operation?.input) {
    pairs.push(...structureParams(random, model.metadata.protocol, operation.input, '', 0));
  }
  if (random.chance(0.45)) pairs = mutate(random, pairs);
  if (random.chance(0.1)) pairs = [[randomText(random, 6), randomText(random, 10)]];

  const signing = random.pick<Signing>([
    'none',
    'sigv4',
    'sigv4',
    'sigv4',
    'sigv4',
    'sigv4-garbled',
    'sigv4-expired',
    'sigv4-unknown-key',
    'presigned',
    'sigv2',
  ]);
  const form = formEncode(pairs);
  // Node's HTTP server takes 16 KiB of request line and headers: longer requests go as POST (see the test below).
  const fitsUrl = form.length < 12_000;
  const method = fitsUrl && (signing === 'presigned' || random.chance(0.25)) ? 'GET' : 'POST';
  const broken = random.chance(0.12);
  let body: Buffer = Buffer.alloc(0);
  let query = '';
  const headers: Record<string, string> = { host: `${hostname}:${port}` };
  if (method === 'POST') {
    body = broken ? brokenBody(random, form) : Buffer.from(form);
    const type = random.chance(0.85) ? contentTypes[random.int(2)]! : random.pick(contentTypes);
    if (!random.chance(0.03)) headers['content-type'] = type;
  } else {
    query = broken ? printable(brokenBody(random, form).toString('latin1')) : form;
  }
  if (signing === 'sigv2') {
    const sigv2 = formEncode([
      ['AWSAccessKeyId', random.pick([fuzzer.accessKeyId, 'AKIANOTAKEY000000000'])],
      ['SignatureVersion', random.pick(['2', '1', '0', 'x'])],
      ['SignatureMethod', random.pick(['HmacSHA256', 'HmacSHA1', 'MD5'])],
      ['Timestamp', random.pick([new Date().toISOString(), '2001-01-01T00:00:00Z', 'now'])],
      ['Signature', Buffer.from(hex(random, 64), 'hex').toString('base64')],
    ]);
    query = query ? `${query}&${sigv2}` : sigv2;
  }

  const credentials =
    signing === 'sigv4-unknown-key'
      ? { accessKeyId: 'AKIAFUZZFUZZFUZZFUZZ', secretAccessKey: 'x'.repeat(40) }
      : random.chance(0.15)
        ? clc.admin
        : fuzzer;
  const scopeService = random.chance(0.9) ? service : random.pick(['s3', 'ec2', 'iam', 'sts', 'monitoring']);
  let path = query ? `/?${query}` : '/';
  if (signing.startsWith('sigv4') || signing === 'presigned') {
    const queryBag: Record<string, string | string[]> = {};
    if (!broken) {
      for (const [key, value] of pairs) {
        const existing = queryBag[key];
        queryBag[key] = existing === undefined ? value : [existing, value].flat();
      }
    }
    const unsigned: HttpRequest = {
      method,
      protocol: 'https:',
      hostname,
      port: Number(port),
      path: '/',
      query: method === 'GET' && !broken ? queryBag : {},
      headers: { ...headers },
      body: method === 'POST' ? body : undefined,
    };
    const s = signer(scopeService as ServiceName, credentials);
    const signingDate =
      signing === 'sigv4-expired' ? new Date(Date.now() - random.pick([16, 60, 24 * 60]) * 60_000) : new Date();
    const signed =
      signing === 'presigned'
        ? await s.presign(unsigned, { signingDate, expiresIn: random.pick([60, 900, 604800]) })
        : await s.sign(unsigned, { signingDate });
    for (const [name, value] of Object.entries(signed.headers)) headers[name.toLowerCase()] = value;
    if (method === 'GET' || signing === 'presigned') {
      const signedQuery = Object.entries(signed.query ?? {})
        .flatMap(([key, value]) => [value ?? ''].flat().map((item) => `${escapeUri(key)}=${escapeUri(item)}`))
        .join('&');
      const wire = broken ? [query, signedQuery].filter(Boolean).join('&') : signedQuery;
      path = wire ? `/?${wire}` : '/';
    }
    if (signing === 'sigv4-garbled') {
      const authorization = headers.authorization ?? '';
      headers.authorization = random.pick([
        authorization.replace(/Signature=([0-9a-f])/, (_, c: string) => `Signature=${c === '0' ? '1' : '0'}`),
        authorization.slice(0, random.int(authorization.length)),
        authorization.replace('SignedHeaders=', 'SignedHeaders=x-nothing;'),
        authorization.replace(/Credential=[^,]+/, `Credential=${randomText(random, 30)}`),
        authorization.replace('AWS4-HMAC-SHA256', 'AWS4-HMAC-SHA512'),
        `${authorization}, Signature=deadbeef`,
        randomText(random, 50),
      ]);
      headers.authorization = printable(headers.authorization);
      if (random.chance(0.3)) headers['x-amz-date'] = random.pick(['20261301T000000Z', 'yesterday', '']);
    }
  }
  // The answer's dialect is known when the signature's scope or the Version names the service.
  const dialectOf = (name: string | undefined) =>
    name === 'ec2' ? 'ec2' : name === 'iam' || name === 'sts' ? 'query' : undefined;
  // The clc reads a body's parameters only from a form.
  const isForm = /^application\/x-www-form-urlencoded/i.test(headers['content-type'] ?? '');
  const given = method === 'GET' || isForm ? pairs.filter(([key]) => key === 'Version') : [];
  const version = given.length === 1 ? given[0]?.[1] : given.length === 0 ? undefined : 'several';
  const byVersion = version === 'several' ? 'unknown' : serviceNames.find((name) => versions[name] === version);
  const cleanScope = (signing === 'sigv4' || signing === 'sigv4-expired' || signing === 'presigned') && !broken;
  const dialect = cleanScope
    ? (dialectOf(scopeService) ?? dialectOf(byVersion ?? 'ec2'))
    : signing === 'none' && !broken
      ? dialectOf(byVersion ?? 'ec2')
      : undefined;
  return { index, method, path, headers, body, signing, service, action, dialect };
}

interface Answer {
  status: number;
  contentType: string;
  body: string;
}

/**
 * One request; sent again once when a kept-alive socket turned out closed. The server closes idle sockets after its
 * keep-alive timeout, and a client stalled that long (a loaded CI machine) writes into one it just closed: Node's
 * documented race (`request.reusedSocket`), which any HTTP client retries. A fresh socket's failure is never retried.
 */
async function send(request: FuzzRequest): Promise<Answer> {
  // Each stale socket fails once and is gone: at most every pooled one, then a fresh one.
  for (let attempt = 0; ; attempt++) {
    try {
      return await sendOnce(request);
    } catch (error) {
      if (!(error as { staleSocket?: boolean }).staleSocket || attempt >= maxSockets) throw error;
    }
  }
}

function sendOnce(request: FuzzRequest): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const outgoing = httpsRequest(
      { agent, hostname, port, method: request.method, path: request.path, headers: request.headers },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () =>
          resolve({
            status: response.statusCode ?? 0,
            contentType: String(response.headers['content-type'] ?? ''),
            body: Buffer.concat(chunks).toString('utf8'),
          }),
        );
        response.on('error', reject);
      },
    );
    outgoing.on('error', (error: NodeJS.ErrnoException) =>
      reject(Object.assign(error, { staleSocket: outgoing.reusedSocket && error.code === 'ECONNRESET' })),
    );
    outgoing.end(request.body);
  });
}

const parser = new XMLParser({ ignoreAttributes: false, parseTagValue: false });

/** What is wrong with an answer, or undefined; and its error code. */
function check(request: FuzzRequest, answer: Answer): { problem?: string; code?: string } {
  if (!/xml/i.test(answer.contentType)) return { problem: `content type ${answer.contentType}` };
  if (XMLValidator.validate(answer.body) !== true) return { problem: 'not well-formed XML' };
  const document = parser.parse(answer.body) as Record<string, unknown>;
  const roots = Object.keys(document).filter((key) => key !== '?xml');
  if (answer.status < 300) {
    const root = roots[0] ?? '';
    if (roots.length !== 1 || !root.endsWith('Response')) return { problem: `success without a response: ${root}` };
    return {};
  }
  let code: string | undefined;
  let dialect: 'ec2' | 'query';
  if (roots[0] === 'Response') {
    const response = document.Response as { Errors?: { Error?: { Code?: string } }; RequestID?: string };
    code = response.Errors?.Error?.Code;
    if (typeof response.RequestID !== 'string' || response.RequestID === '') return { problem: 'no RequestID', code };
    dialect = 'ec2';
  } else if (roots[0] === 'ErrorResponse') {
    const response = document.ErrorResponse as {
      Error?: { Code?: string; Type?: string };
      RequestId?: string;
    };
    code = response.Error?.Code;
    if (typeof response.RequestId !== 'string' || response.RequestId === '') return { problem: 'no RequestId', code };
    if (response.Error?.Type !== (answer.status >= 500 ? 'Receiver' : 'Sender')) {
      return { problem: `Type ${response.Error?.Type} for status ${answer.status}`, code };
    }
    dialect = 'query';
  } else {
    return { problem: `root element ${roots.join(',')}` };
  }
  if (typeof code !== 'string') return { problem: 'no error code' };
  if (!allowedCodes.has(code) && !resourceCode.test(code)) return { problem: `unexpected code ${code}`, code };
  if (answer.status >= 500 && code !== 'InsufficientInstanceCapacity')
    return { problem: `status ${answer.status}`, code };
  if (request.dialect && request.dialect !== dialect)
    return { problem: `${dialect} dialect, not ${request.dialect}`, code };
  return { code };
}

const failures: string[] = [];
const codes = new Map<string, number>();
let successes = 0;
let pastSignature = 0;
const describe = (request: FuzzRequest) =>
  `#${request.index} ${request.method} ${request.path.slice(0, 200)} [${request.signing}, ${request.service}` +
  `${request.action ? ` ${request.action}` : ''}] body ${JSON.stringify(request.body.toString('latin1').slice(0, 200))}`;

t.test(`${total} fuzzed requests: AWS errors, no 5xx`, async (t) => {
  const concurrency = 8;
  let next = 0;
  const worker = async () => {
    for (let index = next++; index < total; index = next++) {
      if (only !== undefined && index !== only) continue;
      const request = await makeRequest(index);
      if (only !== undefined) t.comment(JSON.stringify({ ...request, body: request.body.toString('latin1') }, null, 2));
      let answer: Answer;
      try {
        answer = await send(request);
      } catch (error) {
        failures.push(`${describe(request)}: no answer (${(error as Error).message})`);
        continue;
      }
      const { problem, code } = check(request, answer);
      if (problem) failures.push(`${describe(request)}: ${answer.status} ${problem}: ${answer.body.slice(0, 300)}`);
      if (answer.status < 300) successes++;
      if (code) codes.set(code, (codes.get(code) ?? 0) + 1);
      if (answer.status < 300 || (code && !authCodes.has(code))) pastSignature++;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  for (const failure of failures.slice(0, 25)) t.fail(failure);
  t.equal(failures.length, 0, `every answer well-formed (seed ${seed})`);
  t.comment(`${successes} requests came out valid; codes: ${JSON.stringify(Object.fromEntries([...codes].sort()))}`);
  t.ok(
    pastSignature > total / 4,
    `${pastSignature} of ${total} got past the signature check to the parser and handlers`,
  );
  t.ok(codes.size > 12, `${codes.size} different error codes`);
});

t.test('the daemon is still up and logged no unexpected handler error', async (t) => {
  const health = await new Promise<number>((resolve, reject) => {
    httpsRequest({ agent, hostname, port, path: '/healthz' }, (response) => {
      response.resume();
      resolve(response.statusCode ?? 0);
    })
      .on('error', reject)
      .end();
  });
  t.equal(health, 200, '/healthz answers 200');
  const log = readFileSync(join(clc.dir, 'clc.log'), 'utf8').split('\n');
  const errors = log.filter((line) => /"level":(50|60)/.test(line));
  t.same(errors.slice(0, 5), [], `no error lines in the clc log (${errors.length})`);
});

t.test(
  'over-long GET URLs are answered with AWS errors, long ones by the API, too long ones by the parser',
  async (t) => {
    const get = (length: number) =>
      send({
        index: -1,
        method: 'GET',
        path: `/?Action=DescribeRegions&Version=2016-11-15&RegionName.1=${'x'.repeat(length)}`,
        headers: { host: `${hostname}:${port}` },
        body: Buffer.alloc(0),
        signing: 'none',
        service: 'ec2',
      });
    // 20 KB fits the 64 KiB of headers the daemons read: the API itself refuses the unsigned request.
    const long = await get(20_000);
    t.equal(long.status, 401, long.body);
    t.match(long.body, /<Response><Errors><Error><Code>AuthFailure<\/Code>/);
    // 70 KB does not: Node's parser refuses it, and the answer is still EC2's error XML.
    const tooLong = await get(70_000);
    t.equal(tooLong.status, 400, tooLong.body);
    t.match(tooLong.body, /<Response><Errors><Error><Code>RequestHeaderSectionTooLarge<\/Code>/);
  },
);
