import t from 'tap';
import {
  currentExpired,
  dueAfterDays,
  lifecycleRulesFromWire,
  noncurrentExpired,
  ruleMatches,
} from '../../../services/walrus/models/lifecycle.js';
import type { ObjectRecord } from '../../../services/walrus/storage/metadata-store.js';

const object = (key: string, lastModified: string, extra: Partial<ObjectRecord> = {}): ObjectRecord => ({
  bucket: 'b',
  key,
  versionId: 'null',
  isLatest: true,
  isDeleteMarker: false,
  size: 100,
  etag: '"e"',
  lastModified,
  owner: { id: 'a', displayName: 'a' },
  headers: {},
  metadata: {},
  acl: { owner: { id: 'a', displayName: 'a' }, grants: [] },
  tags: [],
  segments: [],
  ...extra,
});

t.test('days count from creation and round up to the next midnight UTC, as on S3', async (t) => {
  t.equal(new Date(dueAfterDays('2026-03-01T10:30:00.000Z', 1)).toISOString(), '2026-03-03T00:00:00.000Z');
  t.equal(new Date(dueAfterDays('2026-03-01T00:00:00.000Z', 1)).toISOString(), '2026-03-02T00:00:00.000Z');
  const [rule] = lifecycleRulesFromWire([
    { ID: 'r', Filter: { Prefix: '' }, Status: 'Enabled', Expiration: { Days: 1 } },
  ]);
  const made = object('k', '2026-03-01T10:30:00.000Z');
  t.notOk(currentExpired(rule!, made, Date.parse('2026-03-02T23:59:59Z')), 'not a moment before');
  t.ok(currentExpired(rule!, made, Date.parse('2026-03-03T00:00:00Z')));
  t.notOk(currentExpired(rule!, { ...made, isDeleteMarker: true }, Date.parse('2027-01-01T00:00:00Z')));
  const [dated] = lifecycleRulesFromWire([
    { ID: 'd', Filter: { Prefix: '' }, Status: 'Enabled', Expiration: { Date: new Date('2026-06-01T00:00:00Z') } },
  ]);
  t.notOk(currentExpired(dated!, made, Date.parse('2026-05-31T23:00:00Z')));
  t.ok(currentExpired(dated!, made, Date.parse('2026-06-01T00:00:00Z')), 'a date expires every matching object');
  const [noncurrent] = lifecycleRulesFromWire([
    { ID: 'n', Filter: { Prefix: '' }, Status: 'Enabled', NoncurrentVersionExpiration: { NoncurrentDays: 7 } },
  ]);
  const old = object('k', '2020-01-01T00:00:00.000Z', { isLatest: false });
  t.notOk(noncurrentExpired(noncurrent!, old, '2026-03-01T00:00:00.000Z', Date.parse('2026-03-07T23:59:59Z')));
  t.ok(
    noncurrentExpired(noncurrent!, old, '2026-03-01T00:00:00.000Z', Date.parse('2026-03-08T00:00:00Z')),
    'noncurrent days count from the replacement, not the creation',
  );
});

t.test('filters: prefix, every tag, sizes strictly between', async (t) => {
  const [rule] = lifecycleRulesFromWire([
    {
      ID: 'r',
      Filter: {
        And: {
          Prefix: 'logs/',
          Tags: [
            { Key: 'a', Value: '1' },
            { Key: 'b', Value: '2' },
          ],
          ObjectSizeGreaterThan: 10,
          ObjectSizeLessThan: 1000,
        },
      },
      Status: 'Enabled',
      Expiration: { Days: 1 },
    },
  ]);
  const tags = [
    { Key: 'a', Value: '1' },
    { Key: 'b', Value: '2' },
  ];
  const match = (key: string, size: number, own = tags) => ruleMatches(rule!, { key, size, tags: own });
  t.ok(match('logs/x', 100));
  t.notOk(match('other/x', 100), 'prefix');
  t.notOk(match('logs/x', 100, [tags[0]!]), 'every tag');
  t.notOk(match('logs/x', 10), 'greater than, not equal');
  t.notOk(match('logs/x', 1000), 'less than, not equal');
});

t.test('configurations S3 refuses are refused', async (t) => {
  const base = { ID: 'r', Filter: { Prefix: '' }, Status: 'Enabled' };
  t.throws(() => lifecycleRulesFromWire([]), { code: 'MalformedXML' });
  t.throws(() => lifecycleRulesFromWire([{ ...base, Status: 'On', Expiration: { Days: 1 } }]), {
    code: 'MalformedXML',
  });
  t.throws(() => lifecycleRulesFromWire([{ ...base, Expiration: { Days: 1, ExpiredObjectDeleteMarker: true } }]), {
    code: 'MalformedXML',
  });
  t.throws(() => lifecycleRulesFromWire([{ ...base, Transitions: [{ Days: 1, StorageClass: 'GLACIER' }] }]), {
    code: 'NotImplemented',
  });
  t.throws(
    () =>
      lifecycleRulesFromWire([
        {
          ...base,
          Filter: { Tag: { Key: 'a', Value: '1' } },
          AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 },
        },
      ]),
    { code: 'InvalidRequest' },
  );
  const [unnamed] = lifecycleRulesFromWire([{ Filter: { Prefix: 'x' }, Status: 'Enabled', Expiration: { Days: 3 } }]);
  t.match(unnamed!.id, /^[A-Za-z0-9_-]{32}$/, 'a rule without an ID gets one, as on S3');
});
