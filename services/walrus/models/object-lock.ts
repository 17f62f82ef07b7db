import { s3Errors } from '../s3-errors.js';
import type {
  BucketObjectLock,
  BucketRecord,
  ObjectLock,
  ObjectRecord,
  RetentionMode,
} from '../storage/metadata-store.js';

/**
 * S3 Object Lock (write once, read many): in a bucket where it is enabled, a version under retention cannot be
 * deleted until its date, nor one under a legal hold until the hold is lifted. COMPLIANCE retention binds everyone,
 * for good: it can be lengthened, never shortened or removed. GOVERNANCE retention binds too, except for the bucket's
 * owner asking to bypass it (`x-amz-bypass-governance-retention`). A delete without a version id only puts a delete
 * marker on top, which retention does not prevent, as on S3.
 */
const modes: readonly RetentionMode[] = ['GOVERNANCE', 'COMPLIANCE'];
const dayMs = 24 * 60 * 60 * 1000;

function checkMode(mode: string): RetentionMode {
  if (!(modes as readonly string[]).includes(mode)) throw s3Errors.malformedXml();
  return mode as RetentionMode;
}

/** A bucket's Object Lock from `PutObjectLockConfiguration`'s document. */
export function bucketLockFromWire(wire: {
  ObjectLockEnabled?: string;
  Rule?: { DefaultRetention?: { Mode?: string; Days?: number; Years?: number } };
}): BucketObjectLock {
  if (wire.ObjectLockEnabled !== 'Enabled') throw s3Errors.malformedXml();
  const retention = wire.Rule?.DefaultRetention;
  if (!retention) return {};
  if (retention.Mode === undefined || (retention.Days === undefined) === (retention.Years === undefined)) {
    throw s3Errors.malformedXml();
  }
  const period = retention.Days ?? retention.Years!;
  if (!Number.isInteger(period) || period <= 0) {
    throw s3Errors.invalidArgument('Default retention period must be a positive integer value', 'Days', String(period));
  }
  return {
    defaultRetention: {
      mode: checkMode(retention.Mode),
      ...(retention.Days !== undefined ? { days: retention.Days } : { years: retention.Years }),
    },
  };
}

export function bucketLockToWire(lock: BucketObjectLock) {
  const retention = lock.defaultRetention;
  return {
    ObjectLockEnabled: 'Enabled',
    ...(retention && {
      Rule: {
        DefaultRetention: {
          Mode: retention.mode,
          ...(retention.days !== undefined && { Days: retention.days }),
          ...(retention.years !== undefined && { Years: retention.years }),
        },
      },
    }),
  };
}

/**
 * The lock a new version gets from a write's headers (mode with its date, a legal hold), or else the bucket's default
 * retention; none outside a bucket with Object Lock, where lock headers are S3's InvalidRequest.
 */
export function lockForNewVersion(
  bucket: BucketRecord,
  input: { ObjectLockMode?: string; ObjectLockRetainUntilDate?: Date; ObjectLockLegalHoldStatus?: string },
  now: number,
): ObjectLock | undefined {
  const asked =
    input.ObjectLockMode !== undefined ||
    input.ObjectLockRetainUntilDate !== undefined ||
    input.ObjectLockLegalHoldStatus !== undefined;
  if (!bucket.objectLock) {
    if (asked) throw s3Errors.objectLockNotEnabled();
    return undefined;
  }
  if ((input.ObjectLockMode === undefined) !== (input.ObjectLockRetainUntilDate === undefined)) {
    throw s3Errors.invalidArgument(
      'x-amz-object-lock-retain-until-date and x-amz-object-lock-mode must both be supplied',
      'x-amz-object-lock-mode',
      input.ObjectLockMode ?? '',
    );
  }
  let retention: ObjectLock['retention'];
  if (input.ObjectLockMode !== undefined && input.ObjectLockRetainUntilDate !== undefined) {
    retention = { mode: checkMode(input.ObjectLockMode), until: futureDate(input.ObjectLockRetainUntilDate, now) };
  } else if (bucket.objectLock.defaultRetention) {
    const { mode, days, years } = bucket.objectLock.defaultRetention;
    const until = new Date(now + (days ?? 0) * dayMs);
    if (years !== undefined) until.setUTCFullYear(until.getUTCFullYear() + years);
    retention = { mode, until: until.toISOString() };
  }
  const legalHold = legalHoldOf(input.ObjectLockLegalHoldStatus);
  if (!retention && !legalHold) return undefined;
  return { ...(retention && { retention }), ...(legalHold && { legalHold }) };
}

function futureDate(date: Date, now: number): string {
  if (Number.isNaN(date.getTime()) || date.getTime() <= now) {
    throw s3Errors.invalidArgument('The retain until date must be in the future!', 'RetainUntilDate');
  }
  return date.toISOString();
}

function legalHoldOf(status: string | undefined): boolean {
  if (status === undefined || status === 'OFF') return false;
  if (status === 'ON') return true;
  throw s3Errors.malformedXml();
}

/** A version's retention after `PutObjectRetention`, if the change is allowed. */
export function changedRetention(
  current: ObjectLock | undefined,
  wanted: { Mode?: string; RetainUntilDate?: Date } | undefined,
  bypassGovernance: boolean,
  now: number,
): ObjectLock {
  const held = current?.retention;
  const next =
    wanted?.Mode !== undefined && wanted.RetainUntilDate !== undefined
      ? { mode: checkMode(wanted.Mode), until: futureDate(wanted.RetainUntilDate, now) }
      : undefined;
  if (wanted && (wanted.Mode === undefined) !== (wanted.RetainUntilDate === undefined)) throw s3Errors.malformedXml();
  const active = held && Date.parse(held.until) > now;
  // Lengthening (same mode, later date) is always allowed; any other change to an active retention needs
  // GOVERNANCE mode and the owner's bypass, and COMPLIANCE allows none.
  const lengthens = next && held && next.mode === held.mode && next.until >= held.until;
  if (active && !lengthens) {
    if (held.mode === 'COMPLIANCE' || !bypassGovernance) throw s3Errors.accessDenied();
  }
  return { ...(next && { retention: next }), ...(current?.legalHold && { legalHold: true }) };
}

/** A version's lock after `PutObjectLegalHold`. */
export function changedLegalHold(current: ObjectLock | undefined, status: string | undefined): ObjectLock {
  const legalHold = legalHoldOf(status);
  return { ...(current?.retention && { retention: current.retention }), ...(legalHold && { legalHold }) };
}

/**
 * Refuses deleting a version that Object Lock keeps: a legal hold, or an active retention (GOVERNANCE only yields
 * to the owner's bypass).
 */
export function requireDeletable(version: ObjectRecord, bypassGovernance: boolean, now: number): void {
  const lock = version.lock;
  if (!lock) return;
  if (lock.legalHold) throw s3Errors.accessDenied();
  const retention = lock.retention;
  if (retention && Date.parse(retention.until) > now && (retention.mode === 'COMPLIANCE' || !bypassGovernance)) {
    throw s3Errors.accessDenied();
  }
}

/** Whether Object Lock keeps a version now (for the lifecycle pass, which never bypasses). */
export function isLocked(version: ObjectRecord, now: number): boolean {
  const lock = version.lock;
  return (
    lock !== undefined &&
    (lock.legalHold === true || (lock.retention !== undefined && Date.parse(lock.retention.until) > now))
  );
}

/** A version's Object Lock as GetObject and HeadObject answer it. */
export function lockHeaders(lock: ObjectLock | undefined) {
  return {
    ...(lock?.retention && {
      ObjectLockMode: lock.retention.mode,
      ObjectLockRetainUntilDate: new Date(lock.retention.until),
    }),
    ...(lock && { ObjectLockLegalHoldStatus: lock.legalHold ? 'ON' : 'OFF' }),
  };
}
