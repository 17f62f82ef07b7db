import { XMLParser, XMLValidator } from 'fast-xml-parser';
import t from 'tap';
import { ec2Model } from '../../../../src/aws/generated/ec2-model.js';
import { iamModel } from '../../../../src/aws/generated/iam-model.js';
import type { ServiceModel } from '../../../../src/aws/model/service-model.js';
import { createQueryDispatcher, type QueryDispatcher } from '../../../../src/aws/protocol/query-dispatcher.js';
import type { QueryParams } from '../../../../src/aws/protocol/query-parser.js';
import { requestParameterName } from '../../../../src/aws/protocol/wire-names.js';

// 1,000 random and malformed requests through dispatchers without handlers: every one must come back as a
// well-formed error document with a code and a 4xx status, and none may throw.

/** A small deterministic generator (mulberry32), so a failure can be replayed from its seed. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let x = state;
    x = Math.imul(x ^ (x >>> 15), x | 1);
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

const seed = Number(process.env.FUZZ_SEED ?? 20261123);
const next = random(seed);
const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)] as T;

/** Wire names a real client might send for an operation, one level deep, with list indexes. */
function wireNames(service: ServiceModel, operation: string): string[] {
  const input = service.operations.get(operation)?.input;
  if (!input) return [];
  const protocol = service.metadata.protocol;
  const names: string[] = [];
  for (const [member, ref] of input.members) {
    const name = requestParameterName(protocol, member, ref);
    names.push(name);
    if (ref.type === 'list') names.push(`${name}.1`, `${name}.member.1`, `${name}.2.Name`, `${name}.0`);
    if (ref.type === 'structure') {
      for (const [inner, innerRef] of ref.structure?.members ?? []) {
        names.push(`${name}.${requestParameterName(protocol, inner, innerRef)}`);
      }
    }
  }
  return names;
}

const junkValues = [
  '',
  'true',
  'True',
  '-1',
  '0',
  '2147483648',
  '1e400',
  'NaN',
  '2026-02-30T00:00:00Z',
  'not base64!',
  '<xml>&amp;</xml>',
  ']]>',
  '\u0000\u0001\u0007',
  '\uD800',
  '😀'.repeat(50),
  'x'.repeat(5000),
  'i-0123456789abcdef0',
  '__proto__',
];
const junkKeys = [
  '',
  '.',
  '..',
  'Foo',
  'Foo.1',
  '__proto__',
  'constructor',
  'Filter..Name',
  'Filter.-1.Name',
  'a.b.c.d.e',
];

function randomText(): string {
  const length = Math.floor(next() * 12);
  let text = '';
  for (let i = 0; i < length; i++) text += String.fromCharCode(Math.floor(next() * 0x3000));
  return text;
}

function randomRequest(service: ServiceModel): Record<string, string> {
  const operations = [...service.operations.keys()];
  const params: Record<string, string> = {};
  const shape = next();
  if (shape < 0.9) params.Action = next() < 0.85 ? pick(operations) : pick(['', 'Bogus', 'toString', randomText()]);
  if (next() < 0.9)
    params.Version = next() < 0.9 ? service.metadata.apiVersion : pick(['', '2000-01-01', randomText()]);
  const names = params.Action ? wireNames(service, params.Action) : [];
  const count = Math.floor(next() * 8);
  for (let i = 0; i < count; i++) {
    const key = names.length > 0 && next() < 0.75 ? pick(names) : next() < 0.5 ? pick(junkKeys) : randomText();
    params[key] = next() < 0.7 ? pick(junkValues) : randomText();
  }
  // Make sure each request is wrong somehow, so every answer must be an error.
  if (next() < 0.5) params[`Bogus${Math.floor(next() * 100)}`] = 'x';
  return params;
}

const xml = new XMLParser({ ignoreAttributes: true, parseTagValue: false });

function errorCode(body: string): string | undefined {
  const doc = xml.parse(body) as {
    Response?: { Errors?: { Error?: { Code?: string } } };
    ErrorResponse?: { Error?: { Code?: string } };
  };
  return doc.Response?.Errors?.Error?.Code ?? doc.ErrorResponse?.Error?.Code;
}

t.test(`1,000 malformed requests (seed ${seed})`, async (t) => {
  const dispatchers: [ServiceModel, QueryDispatcher<{ requestId: string }>][] = [
    [ec2Model, createQueryDispatcher(ec2Model, {})],
    [iamModel, createQueryDispatcher(iamModel, {})],
  ];
  const codes = new Map<string, number>();
  let failures = 0;
  for (let i = 0; i < 1000; i++) {
    const [service, dispatch] = pick(dispatchers);
    const params = randomRequest(service);
    let problem: string | undefined;
    try {
      const result = await dispatch(params as QueryParams, { requestId: `fuzz-${i}` });
      const code = XMLValidator.validate(result.body) === true ? errorCode(result.body) : undefined;
      if (code === undefined) problem = `not an error document: ${result.body.slice(0, 200)}`;
      else if (result.status < 400 || result.status >= 500) problem = `status ${result.status} for ${code}`;
      else codes.set(code, (codes.get(code) ?? 0) + 1);
    } catch (error) {
      problem = `threw ${String(error)}`;
    }
    if (problem && failures++ < 5) t.fail(`request ${i}: ${problem}`, { params });
  }
  t.equal(failures, 0, 'every request got a well-formed 4xx error');
  t.ok(codes.size >= 6, `a variety of errors: ${[...codes].map(([code, n]) => `${code} ${n}`).join(', ')}`);
});
