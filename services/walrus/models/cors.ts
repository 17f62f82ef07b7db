import type { CORSRule as WireCorsRule } from '../../../src/aws/generated/s3-types.js';
import { s3Errors } from '../s3-errors.js';

/**
 * Cross-origin resource sharing as S3 keeps it per bucket: rules of origins, methods and request headers a browser
 * page from elsewhere may use, and what the answer lets it see. A preflight (`OPTIONS`, unsigned) is answered from
 * the first rule that allows the origin, the method and every requested header; an actual request from a page
 * (`Origin` set) gets the same rule's `Access-Control-*` headers. Rules only widen what browsers allow: every request
 * is still signed and checked against ACLs as any other.
 */
export interface CorsRule {
  id?: string;
  allowedMethods: string[];
  /** Origins, each with at most one `*` standing for any run of characters (`*` alone: every origin). */
  allowedOrigins: string[];
  /** Request headers a preflight may name, with the same wildcard; matched without regard to case. */
  allowedHeaders: string[];
  exposeHeaders: string[];
  maxAgeSeconds?: number;
}

const corsMethods = new Set(['GET', 'PUT', 'POST', 'DELETE', 'HEAD']);
const maxRules = 100;

function checkWildcards(kind: 'AllowedOrigin' | 'AllowedHeader', values: string[]): void {
  for (const value of values) {
    if (value.split('*').length > 2) {
      throw s3Errors.invalidRequest(`${kind} "${value}" can not have more than one wildcard.`);
    }
  }
}

/** A `PutBucketCors` document's rules, checked as S3 checks them. */
export function corsRulesFromWire(wire: WireCorsRule[] | undefined): CorsRule[] {
  if (!wire || wire.length === 0 || wire.length > maxRules) throw s3Errors.malformedXml();
  return wire.map((rule) => {
    if (rule.AllowedMethods.length === 0 || rule.AllowedOrigins.length === 0) throw s3Errors.malformedXml();
    for (const method of rule.AllowedMethods) {
      if (!corsMethods.has(method)) {
        throw s3Errors.invalidRequest(`Found unsupported HTTP method in CORS config. Unsupported method is ${method}`);
      }
    }
    checkWildcards('AllowedOrigin', rule.AllowedOrigins);
    checkWildcards('AllowedHeader', rule.AllowedHeaders ?? []);
    if (rule.MaxAgeSeconds !== undefined && rule.MaxAgeSeconds < 0) throw s3Errors.malformedXml();
    return {
      ...(rule.ID !== undefined && { id: rule.ID }),
      allowedMethods: rule.AllowedMethods,
      allowedOrigins: rule.AllowedOrigins,
      allowedHeaders: rule.AllowedHeaders ?? [],
      exposeHeaders: rule.ExposeHeaders ?? [],
      ...(rule.MaxAgeSeconds !== undefined && { maxAgeSeconds: rule.MaxAgeSeconds }),
    };
  });
}

export function corsRulesToWire(rules: readonly CorsRule[]): WireCorsRule[] {
  return rules.map((rule) => ({
    ...(rule.id !== undefined && { ID: rule.id }),
    ...(rule.allowedHeaders.length > 0 && { AllowedHeaders: rule.allowedHeaders }),
    AllowedMethods: rule.allowedMethods,
    AllowedOrigins: rule.allowedOrigins,
    ...(rule.exposeHeaders.length > 0 && { ExposeHeaders: rule.exposeHeaders }),
    ...(rule.maxAgeSeconds !== undefined && { MaxAgeSeconds: rule.maxAgeSeconds }),
  }));
}

/** Whether `value` matches `pattern`, whose one `*` (if any) stands for any run of characters. */
function wildcardMatch(pattern: string, value: string): boolean {
  const star = pattern.indexOf('*');
  if (star < 0) return pattern === value;
  const prefix = pattern.slice(0, star);
  const suffix = pattern.slice(star + 1);
  return value.length >= prefix.length + suffix.length && value.startsWith(prefix) && value.endsWith(suffix);
}

/** The first rule that allows a request from `origin` with `method` naming `requestHeaders` (lower-case). */
export function matchCorsRule(
  rules: readonly CorsRule[],
  origin: string,
  method: string,
  requestHeaders: readonly string[] = [],
): CorsRule | undefined {
  return rules.find(
    (rule) =>
      rule.allowedMethods.includes(method) &&
      rule.allowedOrigins.some((allowed) => wildcardMatch(allowed, origin)) &&
      requestHeaders.every((header) =>
        rule.allowedHeaders.some((allowed) => wildcardMatch(allowed.toLowerCase(), header)),
      ),
  );
}

/**
 * The `Access-Control-*` headers of an answer under `rule`: the origin (or `*` when the rule allows every origin,
 * and then without credentials), its methods, for a preflight the headers it asked for and how long to keep the
 * answer, and the headers a page may read.
 */
export function corsHeaders(
  rule: CorsRule,
  origin: string,
  preflight?: { requestHeaders: readonly string[] },
): Record<string, string> {
  const everyOrigin = rule.allowedOrigins.includes('*');
  return {
    'access-control-allow-origin': everyOrigin ? '*' : origin,
    ...(!everyOrigin && { 'access-control-allow-credentials': 'true' }),
    'access-control-allow-methods': rule.allowedMethods.join(', '),
    ...(preflight &&
      preflight.requestHeaders.length > 0 && { 'access-control-allow-headers': preflight.requestHeaders.join(', ') }),
    ...(rule.exposeHeaders.length > 0 && { 'access-control-expose-headers': rule.exposeHeaders.join(', ') }),
    ...(preflight && rule.maxAgeSeconds !== undefined && { 'access-control-max-age': String(rule.maxAgeSeconds) }),
    vary: 'Origin, Access-Control-Request-Headers, Access-Control-Request-Method',
  };
}

/** A preflight's `Access-Control-Request-Headers`, lower-cased, as a list. */
export function requestedHeaders(header: string | undefined): string[] {
  return (header ?? '')
    .split(',')
    .map((name) => name.trim().toLowerCase())
    .filter((name) => name !== '');
}
