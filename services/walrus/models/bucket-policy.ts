import { BlockList, isIP } from 'node:net';
import { s3Errors } from '../s3-errors.js';

/**
 * Bucket policies, the JSON documents `PutBucketPolicy` sets: statements that allow or deny actions on the bucket and
 * its objects to principals, under conditions. Checked as S3 checks them when set (`MalformedPolicy` with the reason:
 * invalid JSON, a missing or unknown field, an action that is not S3's, a resource outside the bucket, an action that
 * applies to none of its statement's resources, an unknown condition operator or key, duplicate Sids, over 20 KB), and
 * evaluated as IAM evaluates them: an explicit Deny wins, then an Allow; neither leaves the decision to the ACLs and
 * the owner (models/access.ts). Principals are this cloud's accounts: `*`, an account id, `arn:aws:iam::ID:root`, a
 * user's ARN, or the account id as `CanonicalUser`; `Service` and `Federated` principals are kept and match nobody.
 * Policy variables (`${aws:username}`, `${aws:PrincipalAccount}`, `${s3:prefix, 'default'}`, and `${*}` `${?}` `${$}`
 * for the characters themselves) are filled in from the request in resources and condition values, as IAM does for
 * policies of version 2012-10-17; one without a value (and no default) matches nothing.
 */

export type Effect = 'Allow' | 'Deny';

/** What a request brings to a policy's conditions: plain data, gathered by the request pipeline. */
export interface RequestFacts {
  /** The client's address (IPv4 as dotted quad, even when it arrived mapped into IPv6). */
  sourceIp: string;
  time: Date;
  secureTransport: boolean;
  userAgent?: string;
  referer?: string;
  /** How the request was signed: `REST-HEADER` (Authorization) or `REST-QUERY-STRING` (presigned). */
  authType?: string;
  /** `AWS4-HMAC-SHA256` or `AWS` (signature version 2). */
  signatureVersion?: string;
  /** The signer: its account and ARN (`arn:aws:iam::ID:root` or a user's); absent for an anonymous request. */
  principal?: { accountId: string; arn: string; userId?: string };
  /** The request's `x-amz-*` headers, by lower-case name. */
  amzHeaders: Readonly<Record<string, string>>;
  /** The query parameters conditions can name: `prefix`, `delimiter`, `max-keys`, `versionId`. */
  query: Readonly<Record<string, string>>;
  /** The TLS version of the connection (`1.3`), if it is one. */
  tlsVersion?: string;
  /** Filled in by the access check: the account that owns the bucket, and the tags of the object asked about. */
  resourceAccount?: string;
  objectTags?: readonly { Key: string; Value: string }[];
}

interface PrincipalSet {
  everyone: boolean;
  accounts: Set<string>;
  arns: Set<string>;
}

/** A pattern with IAM's wildcards, and maybe policy variables to fill in from the request first. */
type Matcher = { regex: RegExp } | { template: TemplatePart[]; flags: string };

/** A piece of a text with policy variables: as written (wildcards allowed), a variable, or a character as itself. */
type TemplatePart = { text: string } | { variable: string; fallback?: string } | { literal: string };

interface Condition {
  operator: string;
  negated: boolean;
  ifExists: boolean;
  quantifier?: 'ForAnyValue' | 'ForAllValues';
  key: string;
  values: string[];
  /** Values with policy variables, by index into `values`. */
  templates?: Map<number, TemplatePart[]>;
  /** IpAddress and NotIpAddress: the policy's ranges. */
  ranges?: BlockList;
}

interface Statement {
  sid?: string;
  effect: Effect;
  principal?: PrincipalSet;
  notPrincipal?: PrincipalSet;
  actions?: RegExp[];
  notActions?: RegExp[];
  resources?: Matcher[];
  notResources?: Matcher[];
  conditions: Condition[];
  /** Whether this statement, an Allow, grants to anyone at all (see `isPublic`). */
  public: boolean;
}

export interface BucketPolicy {
  statements: Statement[];
  /** S3's "public" policy: an Allow for everyone (`*`) not narrowed by a condition on who or where the caller is. */
  isPublic: boolean;
}

/** What a policy is asked about: who, which action, on which resource (an S3 ARN), with what facts. */
export interface PolicyQuestion {
  action: string;
  resource: string;
  facts: RequestFacts;
}

export const maxPolicyBytes = 20 * 1024;

const policyVersions = ['2012-10-17', '2008-10-17'];
const statementFields = new Set([
  'Sid',
  'Effect',
  'Principal',
  'NotPrincipal',
  'Action',
  'NotAction',
  'Resource',
  'NotResource',
  'Condition',
]);

/** S3's actions on a bucket, and on the objects in it (IAM's list, as far as S3 itself goes). */
const bucketActions = [
  'CreateBucket',
  'DeleteBucket',
  'ListBucket',
  'ListBucketVersions',
  'ListBucketMultipartUploads',
  'GetBucketLocation',
  'GetBucketAcl',
  'PutBucketAcl',
  'GetBucketVersioning',
  'PutBucketVersioning',
  'GetBucketTagging',
  'PutBucketTagging',
  'GetBucketCORS',
  'PutBucketCORS',
  'GetBucketPolicy',
  'PutBucketPolicy',
  'DeleteBucketPolicy',
  'GetBucketPolicyStatus',
  'GetBucketPublicAccessBlock',
  'PutBucketPublicAccessBlock',
  'GetBucketOwnershipControls',
  'PutBucketOwnershipControls',
  'GetBucketObjectLockConfiguration',
  'PutBucketObjectLockConfiguration',
  'GetLifecycleConfiguration',
  'PutLifecycleConfiguration',
  'GetBucketWebsite',
  'PutBucketWebsite',
  'DeleteBucketWebsite',
  'GetEncryptionConfiguration',
  'PutEncryptionConfiguration',
  'GetReplicationConfiguration',
  'PutReplicationConfiguration',
  'GetBucketLogging',
  'PutBucketLogging',
  'GetBucketNotification',
  'PutBucketNotification',
  'GetAccelerateConfiguration',
  'PutAccelerateConfiguration',
  'GetBucketRequestPayment',
  'PutBucketRequestPayment',
  'GetAnalyticsConfiguration',
  'PutAnalyticsConfiguration',
  'GetMetricsConfiguration',
  'PutMetricsConfiguration',
  'GetInventoryConfiguration',
  'PutInventoryConfiguration',
  'GetIntelligentTieringConfiguration',
  'PutIntelligentTieringConfiguration',
];
const objectActions = [
  'GetObject',
  'GetObjectVersion',
  'PutObject',
  'DeleteObject',
  'DeleteObjectVersion',
  'GetObjectAcl',
  'GetObjectVersionAcl',
  'PutObjectAcl',
  'PutObjectVersionAcl',
  'GetObjectTagging',
  'GetObjectVersionTagging',
  'PutObjectTagging',
  'PutObjectVersionTagging',
  'DeleteObjectTagging',
  'DeleteObjectVersionTagging',
  'GetObjectAttributes',
  'GetObjectVersionAttributes',
  'GetObjectRetention',
  'PutObjectRetention',
  'GetObjectLegalHold',
  'PutObjectLegalHold',
  'BypassGovernanceRetention',
  'AbortMultipartUpload',
  'ListMultipartUploadParts',
  'RestoreObject',
  'GetObjectTorrent',
  'GetObjectVersionTorrent',
  'ReplicateObject',
  'ReplicateDelete',
  'ReplicateTags',
  'ObjectOwnerOverrideToBucketOwner',
];
const knownActions = new Map(
  [
    ...bucketActions.map((name) => [name, 'bucket'] as const),
    ...objectActions.map((name) => [name, 'object'] as const),
  ].map(([name, kind]) => [`s3:${name}`.toLowerCase(), kind]),
);

/** The S3 condition keys (beyond the global `aws:` ones) a bucket policy may name; `/` ends a prefix of a family. */
const s3ConditionKeys = [
  'prefix',
  'delimiter',
  'max-keys',
  'versionid',
  'authtype',
  'signatureversion',
  'signatureage',
  'tlsversion',
  'locationconstraint',
  'resourceaccount',
  'object-lock-mode',
  'object-lock-retain-until-date',
  'object-lock-remaining-retention-days',
  'object-lock-legal-hold',
  'requestobjecttagkeys',
  'existingobjecttag/',
  'requestobjecttag/',
  'x-amz-',
  'dataaccesspointarn',
  'dataaccesspointaccount',
  'accesspointnetworkorigin',
];

type Comparator = (requestValue: string, policyValue: string) => boolean;

const stringEquals: Comparator = (a, b) => a === b;
const stringEqualsIgnoreCase: Comparator = (a, b) => a.toLowerCase() === b.toLowerCase();
const stringLike: Comparator = (a, b) => wildcard(b).test(a);
const numeric = (test: (a: number, b: number) => boolean): Comparator => {
  return (a, b) => {
    const left = Number(a);
    const right = Number(b);
    return a.trim() !== '' && Number.isFinite(left) && Number.isFinite(right) && test(left, right);
  };
};
const date = (test: (a: number, b: number) => boolean): Comparator => {
  return (a, b) => {
    const left = dateValue(a);
    const right = dateValue(b);
    return left !== undefined && right !== undefined && test(left, right);
  };
};
const boolEquals: Comparator = (a, b) => a.toLowerCase() === b.toLowerCase();

/** Condition operators, by name: the comparison, and whether it is the negation of it. */
const operators: Readonly<Record<string, { compare: Comparator; negated: boolean } | 'ip' | 'not-ip' | 'null'>> = {
  StringEquals: { compare: stringEquals, negated: false },
  StringNotEquals: { compare: stringEquals, negated: true },
  StringEqualsIgnoreCase: { compare: stringEqualsIgnoreCase, negated: false },
  StringNotEqualsIgnoreCase: { compare: stringEqualsIgnoreCase, negated: true },
  StringLike: { compare: stringLike, negated: false },
  StringNotLike: { compare: stringLike, negated: true },
  NumericEquals: { compare: numeric((a, b) => a === b), negated: false },
  NumericNotEquals: { compare: numeric((a, b) => a === b), negated: true },
  NumericLessThan: { compare: numeric((a, b) => a < b), negated: false },
  NumericLessThanEquals: { compare: numeric((a, b) => a <= b), negated: false },
  NumericGreaterThan: { compare: numeric((a, b) => a > b), negated: false },
  NumericGreaterThanEquals: { compare: numeric((a, b) => a >= b), negated: false },
  DateEquals: { compare: date((a, b) => a === b), negated: false },
  DateNotEquals: { compare: date((a, b) => a === b), negated: true },
  DateLessThan: { compare: date((a, b) => a < b), negated: false },
  DateLessThanEquals: { compare: date((a, b) => a <= b), negated: false },
  DateGreaterThan: { compare: date((a, b) => a > b), negated: false },
  DateGreaterThanEquals: { compare: date((a, b) => a >= b), negated: false },
  Bool: { compare: boolEquals, negated: false },
  BinaryEquals: { compare: stringEquals, negated: false },
  ArnEquals: { compare: stringEquals, negated: false },
  ArnNotEquals: { compare: stringEquals, negated: true },
  ArnLike: { compare: stringLike, negated: false },
  ArnNotLike: { compare: stringLike, negated: true },
  IpAddress: 'ip',
  NotIpAddress: 'not-ip',
  Null: 'null',
};

/**
 * Keys that, fixed to a value by a condition, make an Allow for everyone non-public: they say who the caller is or
 * where it calls from (S3's own list, less the VPC keys a cloud without VPCs never sees).
 */
const limitingKeys = new Set([
  'aws:sourceip',
  'aws:sourcearn',
  'aws:sourceaccount',
  'aws:sourceowner',
  'aws:principalaccount',
  'aws:principalarn',
  'aws:principalorgid',
  'aws:userid',
  'aws:sourcevpc',
  'aws:sourcevpce',
  's3:dataaccesspointarn',
  's3:dataaccesspointaccount',
]);

function malformed(message: string): Error {
  return s3Errors.malformedPolicy(message);
}

/** A list of strings (or one), as policies write them. */
function stringList(value: unknown, field: string): string[] {
  const list = Array.isArray(value) ? value : [value];
  if (list.length === 0) throw malformed(`${field} must not be empty`);
  return list.map((item) => {
    if (typeof item !== 'string') throw malformed(`${field} must be a string or a list of strings`);
    return item;
  });
}

/** IAM's wildcards: `*` any run of characters, `?` any one. */
function wildcardSource(pattern: string): string {
  return pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
}

function literalSource(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function wildcard(pattern: string, flags = 's'): RegExp {
  return new RegExp(`^${wildcardSource(pattern)}$`, flags);
}

/** A text's policy variables, or undefined when it has none (or the policy's version has none). */
function parseTemplate(text: string, variables: boolean): TemplatePart[] | undefined {
  if (!variables || !text.includes('${')) return undefined;
  const parts: TemplatePart[] = [];
  let at = 0;
  for (const match of text.matchAll(/\$\{([^}]*)\}/g)) {
    if (match.index > at) parts.push({ text: text.slice(at, match.index) });
    const inside = (match[1] as string).trim();
    if (inside === '*' || inside === '?' || inside === '$') parts.push({ literal: inside });
    else {
      const parsed = /^([A-Za-z0-9:_/.-]+)\s*(?:,\s*'([^']*)')?$/.exec(inside);
      if (!parsed) throw malformed(`Invalid policy variable: ${match[0]}`);
      parts.push({
        variable: normalizedKey(parsed[1] as string),
        ...(parsed[2] !== undefined && { fallback: parsed[2] }),
      });
    }
    at = match.index + match[0].length;
  }
  if (at < text.length) parts.push({ text: text.slice(at) });
  return parts;
}

/** A template filled in from the request: as a pattern's source (wildcards where written) and as plain text. */
function fillTemplate(parts: TemplatePart[], facts: RequestFacts): { source: string; text: string } | undefined {
  let source = '';
  let text = '';
  for (const part of parts) {
    let value: string;
    if ('text' in part) {
      source += wildcardSource(part.text);
      text += part.text;
      continue;
    }
    if ('literal' in part) value = part.literal;
    else {
      const found = factValues(facts, part.variable)?.[0] ?? part.fallback;
      if (found === undefined) return undefined;
      value = found;
    }
    source += literalSource(value);
    text += value;
  }
  return { source, text };
}

function matches(matcher: Matcher, value: string, facts: RequestFacts): boolean {
  if ('regex' in matcher) return matcher.regex.test(value);
  const filled = fillTemplate(matcher.template, facts);
  return filled !== undefined && new RegExp(`^${filled.source}$`, matcher.flags).test(value);
}

function dateValue(text: string): number | undefined {
  if (/^\d+$/.test(text.trim())) return Number(text) * 1000;
  const value = Date.parse(text);
  return Number.isNaN(value) ? undefined : value;
}

const accountIdPattern = /^\d{12}$/;
const iamArnPattern = /^arn:aws:iam::(\d{12}):(root|user\/.+|role\/.+|assumed-role\/.+)$/;

function principalSet(value: unknown, field: string): PrincipalSet {
  const set: PrincipalSet = { everyone: false, accounts: new Set(), arns: new Set() };
  if (value === '*') return { ...set, everyone: true };
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw malformed(`Invalid principal in policy: ${field} must be "*" or an object such as {"AWS": "ACCOUNT-ID"}`);
  }
  for (const [kind, given] of Object.entries(value)) {
    const names = stringList(given, `${field}.${kind}`);
    if (kind === 'Service' || kind === 'Federated') continue;
    if (kind !== 'AWS' && kind !== 'CanonicalUser') throw malformed(`Invalid principal in policy: ${kind}`);
    for (const name of names) {
      const arn = iamArnPattern.exec(name);
      if (name === '*' && kind === 'AWS') set.everyone = true;
      else if (accountIdPattern.test(name)) set.accounts.add(name);
      else if (kind === 'AWS' && arn?.[2] === 'root') set.accounts.add(arn[1] as string);
      else if (kind === 'AWS' && arn) set.arns.add(name);
      else throw malformed(`Invalid principal in policy: "${name}"`);
    }
  }
  return set;
}

function actionPatterns(value: unknown, field: string): { patterns: RegExp[]; literal: string[] } {
  const names = stringList(value, field);
  const patterns = names.map((name) => {
    if (name !== '*' && !/^s3:[A-Za-z*?]+$/.test(name)) throw malformed(`Policy has invalid action: ${name}`);
    const pattern = wildcard(name, 'i');
    if (![...knownActions.keys()].some((known) => pattern.test(known))) {
      throw malformed(`Policy has invalid action: ${name}`);
    }
    return pattern;
  });
  return { patterns, literal: names.filter((name) => !/[*?]/.test(name)) };
}

const s3ArnPrefix = 'arn:aws:s3:::';

function resourcePatterns(
  value: unknown,
  field: string,
  bucket: string,
  variables: boolean,
): { patterns: Matcher[]; given: string[] } {
  const given = stringList(value, field);
  const patterns = given.map((resource): Matcher => {
    if (resource === '*') return { regex: wildcard(resource) };
    const bucketPart = resource.startsWith(s3ArnPrefix) ? resource.slice(s3ArnPrefix.length).split('/')[0] : undefined;
    if (bucketPart === undefined || !wildcard(bucketPart).test(bucket)) {
      throw malformed(`Policy has invalid resource: ${resource} is not this bucket (${s3ArnPrefix}${bucket}) or in it`);
    }
    const template = parseTemplate(resource, variables);
    return template ? { template, flags: 's' } : { regex: wildcard(resource) };
  });
  return { patterns, given };
}

/** Whether a resource pattern can name the bucket itself, or objects in it. */
function resourceKinds(resource: string): { bucket: boolean; object: boolean } {
  const rest = resource.startsWith(s3ArnPrefix) ? resource.slice(s3ArnPrefix.length) : resource;
  return { bucket: !rest.includes('/'), object: rest.includes('/') || rest.includes('*') };
}

const tagKeyFamilies = ['s3:existingobjecttag/', 's3:requestobjecttag/'];

/** A condition key as facts are looked up by: lower case, but for the tag key of a tag condition (tags are exact). */
function normalizedKey(key: string): string {
  const lower = key.toLowerCase();
  const family = tagKeyFamilies.find((prefix) => lower.startsWith(prefix));
  return family ? family + key.slice(family.length) : lower;
}

function conditionKeyKnown(key: string): boolean {
  if (key.startsWith('aws:')) return key.length > 4;
  if (!key.startsWith('s3:')) return false;
  const name = key.slice(3);
  return s3ConditionKeys.some((known) =>
    known.endsWith('/') || known.endsWith('-') ? name.startsWith(known) && name.length > known.length : name === known,
  );
}

function conditions(value: unknown, variables: boolean): Condition[] {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw malformed('Condition must be an object of operators');
  }
  const list: Condition[] = [];
  for (const [given, keys] of Object.entries(value)) {
    const parts = /^(?:(ForAnyValue|ForAllValues):)?(.+?)(IfExists)?$/.exec(given);
    const name = parts?.[2] ?? '';
    const operator = operators[name];
    if (!operator || (name === 'Null' && parts?.[3])) throw malformed(`Invalid Condition type : ${given}`);
    if (typeof keys !== 'object' || keys === null || Array.isArray(keys)) {
      throw malformed(`Condition ${given} must be an object of keys and values`);
    }
    for (const [key, raw] of Object.entries(keys)) {
      const lower = normalizedKey(key);
      if (!conditionKeyKnown(lower.toLowerCase())) throw malformed(`Policy has an invalid condition key: ${key}`);
      const values = (Array.isArray(raw) ? raw : [raw]).map((item) => {
        if (typeof item !== 'string' && typeof item !== 'number' && typeof item !== 'boolean') {
          throw malformed(`Condition ${given} ${key}: values must be strings, numbers or booleans`);
        }
        return String(item);
      });
      if (values.length === 0) throw malformed(`Condition ${given} ${key} has no value`);
      const condition: Condition = {
        operator: name,
        negated: typeof operator === 'object' ? operator.negated : operator === 'not-ip',
        ifExists: parts?.[3] !== undefined,
        key: lower,
        values,
        ...(parts?.[1] !== undefined && { quantifier: parts[1] as 'ForAnyValue' | 'ForAllValues' }),
      };
      if (operator === 'ip' || operator === 'not-ip') condition.ranges = ipRanges(values);
      else {
        const templates = new Map<number, TemplatePart[]>();
        values.forEach((text, index) => {
          const template = parseTemplate(text, variables);
          if (template) templates.set(index, template);
        });
        if (templates.size > 0) condition.templates = templates;
      }
      list.push(condition);
    }
  }
  return list;
}

function ipRanges(values: string[]): BlockList {
  const ranges = new BlockList();
  for (const value of values) {
    const [address = '', prefixText] = value.split('/');
    const family = isIP(address);
    const prefix = prefixText === undefined ? (family === 6 ? 128 : 32) : Number(prefixText);
    if (family === 0 || !Number.isInteger(prefix) || prefix < 0 || prefix > (family === 6 ? 128 : 32)) {
      throw malformed(`Invalid IP address or range in condition: ${value}`);
    }
    ranges.addSubnet(address, prefix, family === 6 ? 'ipv6' : 'ipv4');
  }
  return ranges;
}

/** Whether a condition pins the caller down: a limiting key fixed (no wildcards, no wide ranges) by a positive test. */
function limitsCaller(condition: Condition): boolean {
  if (!limitingKeys.has(condition.key) || condition.negated || condition.ifExists || condition.operator === 'Null') {
    return false;
  }
  if (condition.key === 'aws:sourceip') {
    return condition.values.every((value) => {
      const [address = '', prefix] = value.split('/');
      return prefix === undefined || Number(prefix) >= (isIP(address) === 6 ? 32 : 8);
    });
  }
  return condition.values.every((value) => !/[*?]/.test(value));
}

function statementFrom(raw: unknown, bucket: string, variables: boolean): Statement {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw malformed('Statement must be an object');
  const given = raw as Record<string, unknown>;
  for (const field of Object.keys(given)) {
    if (!statementFields.has(field)) throw malformed(`Unknown field ${field}`);
  }
  const one = (a: string, b: string) => {
    if (given[a] !== undefined && given[b] !== undefined) throw malformed(`A statement cannot have both ${a} and ${b}`);
    if (given[a] === undefined && given[b] === undefined) throw malformed(`Missing required field ${a}`);
  };
  if (given.Effect === undefined) throw malformed('Missing required field Effect');
  if (given.Effect !== 'Allow' && given.Effect !== 'Deny') throw malformed(`Invalid effect: ${String(given.Effect)}`);
  if (given.Sid !== undefined && typeof given.Sid !== 'string') throw malformed('Sid must be a string');
  one('Principal', 'NotPrincipal');
  one('Action', 'NotAction');
  one('Resource', 'NotResource');
  const principal = given.Principal !== undefined ? principalSet(given.Principal, 'Principal') : undefined;
  const notPrincipal = given.NotPrincipal !== undefined ? principalSet(given.NotPrincipal, 'NotPrincipal') : undefined;
  const actions = given.Action !== undefined ? actionPatterns(given.Action, 'Action') : undefined;
  const notActions = given.NotAction !== undefined ? actionPatterns(given.NotAction, 'NotAction') : undefined;
  const resources =
    given.Resource !== undefined ? resourcePatterns(given.Resource, 'Resource', bucket, variables) : undefined;
  const notResources =
    given.NotResource !== undefined ? resourcePatterns(given.NotResource, 'NotResource', bucket, variables) : undefined;
  if (actions && resources) {
    const kinds = resources.given.map(resourceKinds);
    for (const action of actions.literal) {
      const kind = knownActions.get(action.toLowerCase());
      if (!kinds.some((can) => (kind === 'object' ? can.object : can.bucket))) {
        throw malformed(`Action does not apply to any resource(s) in statement: ${action}`);
      }
    }
  }
  const statementConditions = given.Condition === undefined ? [] : conditions(given.Condition, variables);
  const everyone = principal?.everyone === true || notPrincipal !== undefined;
  return {
    ...(typeof given.Sid === 'string' && { sid: given.Sid }),
    effect: given.Effect,
    ...(principal && { principal }),
    ...(notPrincipal && { notPrincipal }),
    ...(actions && { actions: actions.patterns }),
    ...(notActions && { notActions: notActions.patterns }),
    ...(resources && { resources: resources.patterns }),
    ...(notResources && { notResources: notResources.patterns }),
    conditions: statementConditions,
    public: given.Effect === 'Allow' && everyone && !statementConditions.some(limitsCaller),
  };
}

/** A policy document as `PutBucketPolicy` receives it, checked for `bucket`; `MalformedPolicy` says what is wrong. */
export function parseBucketPolicy(text: string, bucket: string): BucketPolicy {
  if (Buffer.byteLength(text) > maxPolicyBytes) throw malformed('Policies must be less than 20 KB');
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch {
    throw malformed('This policy contains invalid Json');
  }
  if (typeof document !== 'object' || document === null || Array.isArray(document)) {
    throw malformed('This policy contains invalid Json');
  }
  const { Version: version, Id: id, Statement: statement, ...rest } = document as Record<string, unknown>;
  const unknown = Object.keys(rest)[0];
  if (unknown !== undefined) throw malformed(`Unknown field ${unknown}`);
  if (version !== undefined && !policyVersions.includes(version as string)) {
    throw malformed(`The policy must contain a valid version string: ${policyVersions.join(' or ')}`);
  }
  if (id !== undefined && typeof id !== 'string') throw malformed('Id must be a string');
  if (statement === undefined) throw malformed('Missing required field Statement');
  const raws = Array.isArray(statement) ? statement : [statement];
  if (raws.length === 0) throw malformed('Could not parse the policy: Statement is empty!');
  // Policy variables came with the 2012-10-17 version of the language; older policies mean `${` as written.
  const statements = raws.map((raw) => statementFrom(raw, bucket, version === '2012-10-17'));
  const sids = statements.flatMap((each) => (each.sid === undefined || each.sid === '' ? [] : [each.sid]));
  if (new Set(sids).size !== sids.length) throw malformed('Statement IDs (SID) in a single policy must be unique');
  return { statements, isPublic: statements.some((each) => each.public) };
}

const compiled = new WeakMap<object, BucketPolicy>();

/**
 * A bucket's stored policy (if it has one), parsed once per bucket record (it was checked when set): the metadata
 * store hands out the same frozen record until the bucket changes.
 */
export function compiledPolicy(bucket: { readonly name: string; readonly policy?: string }): BucketPolicy | undefined {
  if (bucket.policy === undefined) return undefined;
  let policy = compiled.get(bucket);
  if (!policy) {
    policy = parseBucketPolicy(bucket.policy, bucket.name);
    compiled.set(bucket, policy);
  }
  return policy;
}

function inSet(set: PrincipalSet, principal: RequestFacts['principal']): boolean {
  if (set.everyone) return true;
  return principal !== undefined && (set.accounts.has(principal.accountId) || set.arns.has(principal.arn));
}

/** The values a request has for a condition key (lower case), or undefined when it has none. */
export function factValues(facts: RequestFacts, key: string): string[] | undefined {
  const one = (value: string | undefined) => (value === undefined ? undefined : [value]);
  const principal = facts.principal;
  switch (key) {
    case 'aws:sourceip':
      return [facts.sourceIp];
    case 'aws:securetransport':
      return [String(facts.secureTransport)];
    case 'aws:currenttime':
      return [facts.time.toISOString()];
    case 'aws:epochtime':
      return [String(Math.floor(facts.time.getTime() / 1000))];
    case 'aws:useragent':
      return one(facts.userAgent);
    case 'aws:referer':
      return one(facts.referer);
    case 'aws:principalaccount':
      return one(principal?.accountId);
    case 'aws:principalarn':
      return one(principal?.arn);
    case 'aws:principaltype':
      return [!principal ? 'Anonymous' : principal.arn.endsWith(':root') ? 'Account' : 'User'];
    case 'aws:username':
      return one(principal && /:user\/(?:.*\/)?([^/]+)$/.exec(principal.arn)?.[1]);
    case 'aws:userid':
      // As IAM fills it in: a user's unique id, the account's id for its root identity.
      return one(principal && (principal.userId ?? principal.accountId));
    case 's3:authtype':
      return one(facts.authType);
    case 's3:signatureversion':
      return one(facts.signatureVersion);
    case 's3:prefix':
    case 's3:delimiter':
    case 's3:max-keys':
      return one(facts.query[key.slice(3)]);
    case 's3:versionid':
      return one(facts.query.versionId);
    case 's3:tlsversion':
      return one(facts.tlsVersion);
    case 's3:resourceaccount':
      return one(facts.resourceAccount);
    case 's3:object-lock-mode':
    case 's3:object-lock-retain-until-date':
    case 's3:object-lock-legal-hold':
      return one(facts.amzHeaders[`x-amz-${key.slice(3)}`]);
    case 's3:object-lock-remaining-retention-days': {
      const until = Date.parse(facts.amzHeaders['x-amz-object-lock-retain-until-date'] ?? '');
      return Number.isNaN(until) ? undefined : [String(Math.ceil((until - facts.time.getTime()) / 86_400_000))];
    }
    case 's3:requestobjecttagkeys': {
      const keys = [...requestTags(facts).keys()];
      return keys.length === 0 ? undefined : keys;
    }
  }
  if (key.startsWith('s3:x-amz-')) return one(facts.amzHeaders[key.slice(3)]);
  if (key.startsWith('s3:existingobjecttag/')) {
    const tagKey = key.slice('s3:existingobjecttag/'.length);
    return one(facts.objectTags?.find((tag) => tag.Key === tagKey)?.Value);
  }
  if (key.startsWith('s3:requestobjecttag/'))
    return one(requestTags(facts).get(key.slice('s3:requestobjecttag/'.length)));
  return undefined;
}

/** The tags a request gives its new object (`x-amz-tagging`, URL-encoded). */
function requestTags(facts: RequestFacts): Map<string, string> {
  return new Map(new URLSearchParams(facts.amzHeaders['x-amz-tagging'] ?? ''));
}

/** One test per value of a condition, its policy variables filled in (a value whose variable has none drops out). */
function policyValueTesters(condition: Condition, facts: RequestFacts): ((value: string) => boolean)[] {
  const compare = (operators[condition.operator] as { compare: Comparator }).compare;
  return condition.values.flatMap((policyValue, index) => {
    const template = condition.templates?.get(index);
    if (!template) return [(value: string) => compare(value, policyValue)];
    const filled = fillTemplate(template, facts);
    if (!filled) return [];
    if (compare !== stringLike) return [(value: string) => compare(value, filled.text)];
    const pattern = new RegExp(`^${filled.source}$`, 's');
    return [(value: string) => pattern.test(value)];
  });
}

function conditionHolds(condition: Condition, facts: RequestFacts): boolean {
  const present = factValues(facts, condition.key);
  if (condition.operator === 'Null') {
    return condition.values.some((value) => (value.toLowerCase() === 'true') === (present === undefined));
  }
  if (present === undefined) {
    if (condition.quantifier === 'ForAllValues') return true;
    return condition.ifExists || (condition.negated && condition.quantifier === undefined);
  }
  const ranges = condition.ranges;
  const testers: ((value: string) => boolean)[] = ranges
    ? [
        (value) => {
          const family = isIP(value);
          return family !== 0 && ranges.check(value, family === 6 ? 'ipv6' : 'ipv4');
        },
      ]
    : policyValueTesters(condition, facts);
  const matched = (value: string) => testers.some((tester) => tester(value));
  const test = (value: string) => (condition.negated ? !matched(value) : matched(value));
  if (condition.quantifier === 'ForAllValues') return present.every(test);
  return present.some(test);
}

function statementApplies(statement: Statement, question: PolicyQuestion): boolean {
  const principal = question.facts.principal;
  if (statement.principal && !inSet(statement.principal, principal)) return false;
  if (statement.notPrincipal && inSet(statement.notPrincipal, principal)) return false;
  if (statement.actions && !statement.actions.some((pattern) => pattern.test(question.action))) return false;
  if (statement.notActions?.some((pattern) => pattern.test(question.action))) return false;
  const resource = (matcher: Matcher) => matches(matcher, question.resource, question.facts);
  if (statement.resources && !statement.resources.some(resource)) return false;
  if (statement.notResources?.some(resource)) return false;
  return statement.conditions.every((condition) => conditionHolds(condition, question.facts));
}

/** What a policy says to a request: `Deny` if a statement that applies denies it, else `Allow` if one allows it. */
export function policyVerdict(policy: BucketPolicy, question: PolicyQuestion): Effect | undefined {
  let verdict: Effect | undefined;
  for (const statement of policy.statements) {
    if (!statementApplies(statement, question)) continue;
    if (statement.effect === 'Deny') return 'Deny';
    verdict = 'Allow';
  }
  return verdict;
}

/** The ARN a policy's Resource matches for a bucket, or an object in it. */
export function s3Arn(bucket: string, key?: string): string {
  return key === undefined ? `${s3ArnPrefix}${bucket}` : `${s3ArnPrefix}${bucket}/${key}`;
}
