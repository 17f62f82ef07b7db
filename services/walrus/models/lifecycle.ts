import { randomBytes } from 'node:crypto';
import type { Rule as WireRule, Tag } from '../../../src/aws/generated/s3-types.js';
import { s3Errors } from '../s3-errors.js';
import type { ObjectRecord, UploadRecord } from '../storage/metadata-store.js';

/**
 * Lifecycle rules as S3 keeps them per bucket (PutBucketLifecycleConfiguration), and when each is due. Walrus acts on
 * expirations (of current versions after some days or on a date, of noncurrent versions some days after they were
 * replaced, of delete markers left alone) and on abandoned multipart uploads; it has one storage class, so a rule
 * that moves objects to another (a transition) is refused. Times follow S3: a number of days is counted from the
 * object's creation (or from when a version stopped being current) and rounded up to the next midnight UTC.
 */
export interface LifecycleRule {
  id: string;
  enabled: boolean;
  /** Which objects: key prefix, tags all present, size bounds (exclusive). */
  filter: { prefix: string; tags: Tag[]; sizeGreaterThan?: number; sizeLessThan?: number };
  /** How the rule named its objects, for reading it back as it was written: a `Filter`, or the old top-level `Prefix`. */
  form: 'filter' | 'prefix';
  /** `Filter` was written with `And` (several conditions). */
  and: boolean;
  expiration?: { days?: number; date?: string; expiredObjectDeleteMarker?: boolean };
  noncurrentExpiration?: { days: number; newerNoncurrentVersions?: number };
  abortIncompleteUploadDays?: number;
}

const maxRules = 1000;
const dayMs = 24 * 60 * 60 * 1000;

function positiveDays(value: number | undefined, what: string): number | undefined {
  if (value === undefined) return undefined;
  if (!Number.isInteger(value) || value <= 0) {
    throw s3Errors.invalidArgument(`'${what}' for ${what.split('.')[0]} action must be a positive integer`);
  }
  return value;
}

function ruleFromWire(wire: WireRule): LifecycleRule {
  if (wire.Status !== 'Enabled' && wire.Status !== 'Disabled') throw s3Errors.malformedXml();
  if (wire.Transitions?.length || wire.NoncurrentVersionTransitions?.length) {
    throw s3Errors.notImplemented('Walrus has one storage class: lifecycle transitions are not offered');
  }
  if (wire.Prefix !== undefined && wire.Filter !== undefined) throw s3Errors.malformedXml();
  const and = wire.Filter?.And;
  const given = [wire.Filter?.Prefix, wire.Filter?.Tag, wire.Filter?.And].filter((part) => part !== undefined);
  if (given.length > 1) throw s3Errors.malformedXml();
  const filter = {
    prefix: wire.Prefix ?? wire.Filter?.Prefix ?? and?.Prefix ?? '',
    tags: wire.Filter?.Tag ? [wire.Filter.Tag] : (and?.Tags ?? []),
    ...((wire.Filter?.ObjectSizeGreaterThan ?? and?.ObjectSizeGreaterThan) !== undefined && {
      sizeGreaterThan: wire.Filter?.ObjectSizeGreaterThan ?? and?.ObjectSizeGreaterThan,
    }),
    ...((wire.Filter?.ObjectSizeLessThan ?? and?.ObjectSizeLessThan) !== undefined && {
      sizeLessThan: wire.Filter?.ObjectSizeLessThan ?? and?.ObjectSizeLessThan,
    }),
  };
  const expiration = wire.Expiration;
  if (expiration) {
    const kinds = [expiration.Days, expiration.Date, expiration.ExpiredObjectDeleteMarker].filter(
      (v) => v !== undefined,
    );
    if (kinds.length !== 1) throw s3Errors.malformedXml();
    if (expiration.Date !== undefined && expiration.Date.getTime() % dayMs !== 0) {
      throw s3Errors.invalidArgument("'Date' must be at midnight GMT", 'Date', expiration.Date.toISOString());
    }
    if (expiration.ExpiredObjectDeleteMarker && filter.tags.length > 0) {
      throw s3Errors.invalidRequest('ExpiredObjectDeleteMarker cannot be specified with object tag filters');
    }
  }
  const abortDays = positiveDays(
    wire.AbortIncompleteMultipartUpload?.DaysAfterInitiation,
    'AbortIncompleteMultipartUpload.DaysAfterInitiation',
  );
  if (abortDays !== undefined && filter.tags.length > 0) {
    throw s3Errors.invalidRequest('AbortIncompleteMultipartUpload cannot be specified with object tag filters');
  }
  const noncurrent = wire.NoncurrentVersionExpiration;
  const noncurrentDays = positiveDays(noncurrent?.NoncurrentDays, 'NoncurrentVersionExpiration.NoncurrentDays');
  if (noncurrent && noncurrentDays === undefined) throw s3Errors.malformedXml();
  const rule: LifecycleRule = {
    id: wire.ID ?? randomBytes(24).toString('base64url'),
    enabled: wire.Status === 'Enabled',
    filter,
    form: wire.Prefix !== undefined ? 'prefix' : 'filter',
    and: and !== undefined,
    ...(expiration && {
      expiration: {
        ...(expiration.Days !== undefined && { days: positiveDays(expiration.Days, 'Expiration.Days') }),
        ...(expiration.Date !== undefined && { date: expiration.Date.toISOString() }),
        ...(expiration.ExpiredObjectDeleteMarker !== undefined && {
          expiredObjectDeleteMarker: expiration.ExpiredObjectDeleteMarker,
        }),
      },
    }),
    ...(noncurrentDays !== undefined && {
      noncurrentExpiration: {
        days: noncurrentDays,
        ...(noncurrent?.NewerNoncurrentVersions !== undefined && {
          newerNoncurrentVersions: noncurrent.NewerNoncurrentVersions,
        }),
      },
    }),
    ...(abortDays !== undefined && { abortIncompleteUploadDays: abortDays }),
  };
  if (!rule.expiration && !rule.noncurrentExpiration && rule.abortIncompleteUploadDays === undefined) {
    throw s3Errors.invalidRequest('At least one action needs to be specified in a rule');
  }
  if (rule.id.length > 255) throw s3Errors.invalidArgument('ID length should not exceed allowed limit of 255');
  return rule;
}

/** A `PutBucketLifecycleConfiguration` document's rules, checked as S3 checks them. */
export function lifecycleRulesFromWire(wire: WireRule[] | undefined): LifecycleRule[] {
  if (!wire || wire.length === 0 || wire.length > maxRules) throw s3Errors.malformedXml();
  const rules = wire.map(ruleFromWire);
  if (new Set(rules.map((rule) => rule.id)).size !== rules.length) {
    throw s3Errors.invalidArgument('Rule ID must be unique. Found same ID for more than one rule');
  }
  return rules;
}

export function lifecycleRulesToWire(rules: readonly LifecycleRule[]): WireRule[] {
  return rules.map((rule) => {
    const { prefix, tags, sizeGreaterThan, sizeLessThan } = rule.filter;
    const sizes = {
      ...(sizeGreaterThan !== undefined && { ObjectSizeGreaterThan: sizeGreaterThan }),
      ...(sizeLessThan !== undefined && { ObjectSizeLessThan: sizeLessThan }),
    };
    const filter = rule.and
      ? { And: { Prefix: prefix, ...(tags.length > 0 && { Tags: tags }), ...sizes } }
      : tags.length === 1
        ? { Tag: tags[0], ...sizes }
        : { Prefix: prefix, ...sizes };
    return {
      ID: rule.id,
      ...(rule.form === 'prefix' ? { Prefix: prefix } : { Filter: filter }),
      Status: rule.enabled ? 'Enabled' : 'Disabled',
      ...(rule.expiration && {
        Expiration: {
          ...(rule.expiration.days !== undefined && { Days: rule.expiration.days }),
          ...(rule.expiration.date !== undefined && { Date: new Date(rule.expiration.date) }),
          ...(rule.expiration.expiredObjectDeleteMarker !== undefined && {
            ExpiredObjectDeleteMarker: rule.expiration.expiredObjectDeleteMarker,
          }),
        },
      }),
      ...(rule.noncurrentExpiration && {
        NoncurrentVersionExpiration: {
          NoncurrentDays: rule.noncurrentExpiration.days,
          ...(rule.noncurrentExpiration.newerNoncurrentVersions !== undefined && {
            NewerNoncurrentVersions: rule.noncurrentExpiration.newerNoncurrentVersions,
          }),
        },
      }),
      ...(rule.abortIncompleteUploadDays !== undefined && {
        AbortIncompleteMultipartUpload: { DaysAfterInitiation: rule.abortIncompleteUploadDays },
      }),
    };
  });
}

/** `from` plus `days`, rounded up to the next midnight UTC: when S3 counts a number of days as passed. */
export function dueAfterDays(from: string, days: number): number {
  return Math.ceil((Date.parse(from) + days * dayMs) / dayMs) * dayMs;
}

/** Whether an object (its current version, or a noncurrent one) is one the rule's filter names. */
export function ruleMatches(rule: LifecycleRule, object: Pick<ObjectRecord, 'key' | 'size' | 'tags'>): boolean {
  const { prefix, tags, sizeGreaterThan, sizeLessThan } = rule.filter;
  if (!object.key.startsWith(prefix)) return false;
  if (sizeGreaterThan !== undefined && !(object.size > sizeGreaterThan)) return false;
  if (sizeLessThan !== undefined && !(object.size < sizeLessThan)) return false;
  return tags.every((tag) => object.tags.some((own) => own.Key === tag.Key && own.Value === tag.Value));
}

/** Whether a current version (not a delete marker) has expired under the rule by `now`. */
export function currentExpired(rule: LifecycleRule, object: ObjectRecord, now: number): boolean {
  const expiration = rule.expiration;
  if (!rule.enabled || !expiration || object.isDeleteMarker || !ruleMatches(rule, object)) return false;
  if (expiration.date !== undefined) return Date.parse(expiration.date) <= now;
  return expiration.days !== undefined && dueAfterDays(object.lastModified, expiration.days) <= now;
}

/** Whether a version replaced at `replacedAt` has been noncurrent long enough under the rule by `now`. */
export function noncurrentExpired(
  rule: LifecycleRule,
  version: ObjectRecord,
  replacedAt: string,
  now: number,
): boolean {
  const noncurrent = rule.noncurrentExpiration;
  if (!rule.enabled || !noncurrent || !ruleMatches(rule, version)) return false;
  return dueAfterDays(replacedAt, noncurrent.days) <= now;
}

/** Whether an upload begun under the rule's prefix has been left incomplete long enough by `now`. */
export function uploadAbandoned(rule: LifecycleRule, upload: UploadRecord, now: number): boolean {
  const days = rule.abortIncompleteUploadDays;
  if (!rule.enabled || days === undefined || !upload.key.startsWith(rule.filter.prefix)) return false;
  return dueAfterDays(upload.initiated, days) <= now;
}
