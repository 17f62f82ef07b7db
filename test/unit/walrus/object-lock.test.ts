import t from 'tap';
import {
  bucketLockFromWire,
  changedRetention,
  isLocked,
  lockForNewVersion,
  requireDeletable,
} from '../../../services/walrus/models/object-lock.js';
import type { BucketRecord, ObjectRecord } from '../../../services/walrus/storage/metadata-store.js';

const now = Date.parse('2026-06-01T00:00:00Z');
const at = (iso: string) => new Date(iso);
const version = (lock: ObjectRecord['lock']) => ({ lock }) as ObjectRecord;
const bucket = (objectLock: BucketRecord['objectLock']) => ({ objectLock }) as BucketRecord;

t.test('a new version: its own retention, else the bucket default (days or years), else none', async (t) => {
  const locked = bucket(
    bucketLockFromWire({ ObjectLockEnabled: 'Enabled', Rule: { DefaultRetention: { Mode: 'GOVERNANCE', Years: 1 } } }),
  );
  t.same(lockForNewVersion(locked, {}, now), { retention: { mode: 'GOVERNANCE', until: '2027-06-01T00:00:00.000Z' } });
  t.same(
    lockForNewVersion(
      locked,
      {
        ObjectLockMode: 'COMPLIANCE',
        ObjectLockRetainUntilDate: at('2026-06-02T00:00:00Z'),
        ObjectLockLegalHoldStatus: 'ON',
      },
      now,
    ),
    { retention: { mode: 'COMPLIANCE', until: '2026-06-02T00:00:00.000Z' }, legalHold: true },
  );
  t.equal(lockForNewVersion(bucket({}), {}, now), undefined, 'enabled without a default: nothing');
  t.throws(() => lockForNewVersion(bucket(undefined), { ObjectLockLegalHoldStatus: 'ON' }, now), {
    code: 'InvalidRequest',
  });
  t.throws(
    () => lockForNewVersion(locked, { ObjectLockMode: 'COMPLIANCE' }, now),
    { code: 'InvalidArgument' },
    'mode without date',
  );
  t.throws(
    () =>
      lockForNewVersion(
        locked,
        { ObjectLockMode: 'COMPLIANCE', ObjectLockRetainUntilDate: at('2026-05-01T00:00:00Z') },
        now,
      ),
    {
      code: 'InvalidArgument',
    },
    'a date in the past',
  );
  t.throws(
    () =>
      bucketLockFromWire({
        ObjectLockEnabled: 'Enabled',
        Rule: { DefaultRetention: { Mode: 'GOVERNANCE', Days: 1, Years: 1 } },
      }),
    {
      code: 'MalformedXML',
    },
  );
});

t.test(
  'retention changes: lengthen freely; shorten or remove GOVERNANCE only with the bypass; COMPLIANCE never',
  async (t) => {
    const compliance = { retention: { mode: 'COMPLIANCE' as const, until: '2026-07-01T00:00:00.000Z' } };
    const governance = { retention: { mode: 'GOVERNANCE' as const, until: '2026-07-01T00:00:00.000Z' } };
    const later = { Mode: 'COMPLIANCE', RetainUntilDate: at('2026-08-01T00:00:00Z') };
    t.same(changedRetention(compliance, later, false, now).retention?.until, '2026-08-01T00:00:00.000Z');
    t.throws(
      () =>
        changedRetention(compliance, { Mode: 'COMPLIANCE', RetainUntilDate: at('2026-06-15T00:00:00Z') }, true, now),
      { code: 'AccessDenied' },
    );
    t.throws(() => changedRetention(compliance, {}, true, now), { code: 'AccessDenied' });
    t.throws(() => changedRetention(governance, {}, false, now), { code: 'AccessDenied' });
    t.same(changedRetention(governance, {}, true, now), {}, 'removed with the bypass');
    t.same(
      changedRetention(compliance, {}, false, Date.parse('2026-07-02T00:00:00Z')),
      {},
      'an expired retention is no bar',
    );
  },
);

t.test('deleting a version: legal hold and active retention refuse; GOVERNANCE yields to the bypass', async (t) => {
  const until = '2026-07-01T00:00:00.000Z';
  t.throws(() => requireDeletable(version({ legalHold: true }), true, now), { code: 'AccessDenied' });
  t.throws(() => requireDeletable(version({ retention: { mode: 'COMPLIANCE', until } }), true, now), {
    code: 'AccessDenied',
  });
  t.throws(() => requireDeletable(version({ retention: { mode: 'GOVERNANCE', until } }), false, now), {
    code: 'AccessDenied',
  });
  t.doesNotThrow(() => requireDeletable(version({ retention: { mode: 'GOVERNANCE', until } }), true, now));
  t.doesNotThrow(() =>
    requireDeletable(version({ retention: { mode: 'COMPLIANCE', until } }), false, Date.parse(until)),
  );
  t.ok(isLocked(version({ retention: { mode: 'GOVERNANCE', until } }), now), 'the lifecycle pass leaves it');
  t.notOk(isLocked(version(undefined), now));
});
