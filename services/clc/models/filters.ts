import type { Filter, Tag } from '../../../src/aws/generated/ec2-types.js';
import { ec2Errors } from './ec2-errors.js';

/**
 * EC2's `Filter.N.Name` / `Filter.N.Value.M`, for every Describe action: filters combine with AND, the values of one
 * filter with OR; values match exactly, with `*` (any run) and `?` (one character) as wildcards and `\` escaping them.
 * `tag:KEY`, `tag-key` and `tag-value` work wherever the resource has tags. An unknown filter name is refused as EC2
 * refuses it.
 */

export type FilterValue = string | number | boolean | null | undefined;

/** What an item has under one filter name: one value, or several (a filter matches when any of them does). */
export type FilterField<T> = (item: T) => FilterValue | readonly FilterValue[];

/** The filters an action supports, by the names EC2 documents for it (`instance-state-name`, `group-id` ...). */
export type FilterFields<T> = Readonly<Record<string, FilterField<T>>>;

export interface FilterOptions<T> {
  /** The item's tags, for `tag:KEY`, `tag-key` and `tag-value`; leave out for types without tags. */
  tagsOf?: (item: T) => readonly Tag[] | undefined;
}

export function filterItems<T>(
  items: readonly T[],
  filters: readonly Filter[] | undefined,
  fields: FilterFields<T>,
  options: FilterOptions<T> = {},
): T[] {
  if (!filters || filters.length === 0) return [...items];
  const predicates = filters.map((filter) => predicateOf(filter, fields, options));
  return items.filter((item) => predicates.every((matches) => matches(item)));
}

function predicateOf<T>(filter: Filter, fields: FilterFields<T>, options: FilterOptions<T>): (item: T) => boolean {
  const name = filter.Name ?? '';
  const patterns = (filter.Values ?? []).map(valuePattern);
  const anyMatches = (values: readonly FilterValue[]): boolean =>
    values.some((value) => value !== undefined && value !== null && patterns.some((p) => p.test(String(value))));
  const { tagsOf } = options;
  if (tagsOf && name.startsWith('tag:')) {
    const key = name.slice('tag:'.length);
    return (item) => anyMatches((tagsOf(item) ?? []).filter((tag) => tag.Key === key).map((tag) => tag.Value));
  }
  if (tagsOf && name === 'tag-key') return (item) => anyMatches((tagsOf(item) ?? []).map((tag) => tag.Key));
  if (tagsOf && name === 'tag-value') return (item) => anyMatches((tagsOf(item) ?? []).map((tag) => tag.Value));
  const field = Object.hasOwn(fields, name) ? fields[name] : undefined;
  if (!field) throw ec2Errors.invalidFilter(name);
  return (item) => {
    const value = field(item);
    return anyMatches(Array.isArray(value) ? (value as readonly FilterValue[]) : [value as FilterValue]);
  };
}

const patternCache = new Map<string, RegExp>();

/** A filter value as a whole-string pattern: `web-*` matches `web-1`; `\*` matches a star. */
export function valuePattern(value: string): RegExp {
  let pattern = patternCache.get(value);
  if (pattern) return pattern;
  let source = '';
  for (let i = 0; i < value.length; i++) {
    const c = value.charAt(i);
    if (c === '\\' && i + 1 < value.length) source += escapeRegExp(value.charAt(++i));
    else if (c === '*') source += '[\\s\\S]*';
    else if (c === '?') source += '[\\s\\S]';
    else source += escapeRegExp(c);
  }
  pattern = new RegExp(`^${source}$`, 'u');
  if (patternCache.size > 10_000) patternCache.clear();
  patternCache.set(value, pattern);
  return pattern;
}

function escapeRegExp(text: string): string {
  // Only what is special outside a class: with the `u` flag, needless escapes such as `\-` are syntax errors.
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** `MaxResults` bounds, which differ a little between actions (`DescribeInstances`: 5 to 1000). */
export interface PageLimits {
  min: number;
  max: number;
}

export interface PageInput {
  MaxResults?: number;
  NextToken?: string;
}

/**
 * One page of `items`, which must be sorted by `keyOf` (ascending, unique). The token names the last key given, so
 * a resource created or deleted between pages neither repeats nor shifts the rest. Without `MaxResults` everything
 * comes back, as EC2 does.
 */
export function paginate<T>(
  items: readonly T[],
  keyOf: (item: T) => string,
  input: PageInput,
  limits: PageLimits = { min: 5, max: 1000 },
): { items: T[]; NextToken?: string } {
  const after = input.NextToken === undefined ? undefined : decodePageToken(input.NextToken);
  let start = 0;
  if (after !== undefined) {
    // Binary search for the first key past the token's.
    let low = 0;
    let high = items.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (keyOf(items[middle] as T) <= after) low = middle + 1;
      else high = middle;
    }
    start = low;
  }
  if (input.MaxResults === undefined) return { items: items.slice(start) };
  const size = checkMaxResults(input.MaxResults, limits);
  const page = items.slice(start, start + size);
  const last = page.at(-1);
  const more = start + size < items.length && last !== undefined;
  return more ? { items: page, NextToken: encodePageToken(keyOf(last)) } : { items: page };
}

export function checkMaxResults(value: number, limits: PageLimits): number {
  if (!Number.isInteger(value) || value < limits.min || value > limits.max) {
    throw ec2Errors.maxResultsRange(value, limits.min, limits.max);
  }
  return value;
}

const tokenPrefix = 'mallee:1:';

export function encodePageToken(afterKey: string): string {
  return Buffer.from(`${tokenPrefix}${afterKey}`, 'utf8').toString('base64url');
}

/** The key a token continues after; a token this cloud did not hand out is refused. */
export function decodePageToken(token: string): string {
  const text = Buffer.from(token, 'base64url').toString('utf8');
  if (!text.startsWith(tokenPrefix) || encodePageToken(text.slice(tokenPrefix.length)) !== token) {
    throw ec2Errors.invalidPaginationToken(token);
  }
  return text.slice(tokenPrefix.length);
}
