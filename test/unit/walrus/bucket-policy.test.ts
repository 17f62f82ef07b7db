import t from 'tap';
import { isAccessAllowed, type AccessRequest } from '../../../services/walrus/models/access.js';
import { cannedAcl } from '../../../services/walrus/models/acl.js';
import {
  parseBucketPolicy,
  policyVerdict,
  s3Arn,
  type RequestFacts,
} from '../../../services/walrus/models/bucket-policy.js';
import { S3Error } from '../../../services/walrus/s3-errors.js';
import type { BucketRecord } from '../../../services/walrus/storage/metadata-store.js';

// Bucket policies as S3 checks and evaluates them: what PutBucketPolicy refuses (and says why), what a statement
// matches, and how the policy, the ACLs and ownership decide together.
const owner = { id: '111111111111', displayName: 'owner' };
const other = { id: '222222222222', displayName: 'other' };
const bucketName = 'photos';

function facts(overrides: Partial<RequestFacts> = {}, caller: { id: string } | undefined = other): RequestFacts {
  return {
    sourceIp: '10.1.2.3',
    time: new Date('2026-12-06T12:00:00Z'),
    secureTransport: true,
    ...(caller && { principal: { accountId: caller.id, arn: `arn:aws:iam::${caller.id}:root` } }),
    amzHeaders: {},
    query: {},
    ...overrides,
  };
}

function policy(...statements: Record<string, unknown>[]): string {
  return JSON.stringify({ Version: '2012-10-17', Statement: statements });
}

/** A private bucket of `owner`, with `extra` settings. */
function bucket(extra: Partial<BucketRecord> = {}): BucketRecord {
  return {
    name: bucketName,
    owner,
    createdAt: '2026-12-06T00:00:00Z',
    region: 'mallee-1',
    acl: cannedAcl('private', owner),
    versioning: '',
    tags: [],
    ...extra,
  };
}

/** A bucket of `owner` whose policy is these statements. */
function bucketWith(...statements: Record<string, unknown>[]): BucketRecord {
  return bucket({ policy: policy(...statements) });
}

const publicRead = {
  Sid: 'PublicRead',
  Effect: 'Allow',
  Principal: '*',
  Action: 's3:GetObject',
  Resource: `arn:aws:s3:::${bucketName}/*`,
};

function malformed(text: string): string {
  try {
    parseBucketPolicy(text, bucketName);
  } catch (error) {
    if (error instanceof S3Error && error.code === 'MalformedPolicy' && error.status === 400) return error.message;
    throw error;
  }
  throw new Error(`accepted: ${text}`);
}

t.test('PutBucketPolicy refuses what S3 refuses, saying why', async (t) => {
  t.match(malformed('{"Statement": ['), /invalid Json/);
  t.match(malformed('[]'), /invalid Json/);
  t.match(malformed(JSON.stringify({ Version: '2020-01-01', Statement: [publicRead] })), /valid version string/);
  t.match(malformed(JSON.stringify({ Version: '2012-10-17' })), /Missing required field Statement/);
  t.match(malformed(policy()), /Statement is empty/);
  t.match(malformed(JSON.stringify({ Statement: [publicRead], Extra: 1 })), /Unknown field Extra/);
  t.match(malformed(policy({ ...publicRead, Effect: 'Maybe' })), /Invalid effect: Maybe/);
  t.match(malformed(policy({ ...publicRead, Effect: undefined })), /Missing required field Effect/);
  t.match(malformed(policy({ ...publicRead, Principal: undefined })), /Missing required field Principal/);
  t.match(malformed(policy({ ...publicRead, Action: undefined })), /Missing required field Action/);
  t.match(malformed(policy({ ...publicRead, Resource: undefined })), /Missing required field Resource/);
  t.match(malformed(policy({ ...publicRead, Action: 's3:GetObjekt' })), /invalid action: s3:GetObjekt/);
  t.match(malformed(policy({ ...publicRead, Action: 'ec2:RunInstances' })), /invalid action/);
  t.match(malformed(policy({ ...publicRead, Resource: 'arn:aws:s3:::someone-else/*' })), /invalid resource/);
  t.match(
    malformed(policy({ ...publicRead, Resource: `arn:aws:s3:::${bucketName}` })),
    /Action does not apply to any resource\(s\) in statement: s3:GetObject/,
  );
  t.match(malformed(policy({ ...publicRead, Principal: { AWS: 'alice' } })), /Invalid principal in policy: "alice"/);
  t.match(malformed(policy({ ...publicRead, Principal: { Robot: '*' } })), /Invalid principal in policy: Robot/);
  t.match(malformed(policy({ ...publicRead, Condition: { StringSorta: { 'aws:UserAgent': 'x' } } })), /Condition type/);
  t.match(malformed(policy({ ...publicRead, Condition: { StringEquals: { 's3:colour': 'x' } } })), /condition key/);
  t.match(malformed(policy({ ...publicRead, Condition: { IpAddress: { 'aws:SourceIp': '10.0.0.0/40' } } })), /IP/);
  t.match(malformed(policy(publicRead, publicRead)), /SID\) in a single policy must be unique/);
  t.match(malformed(policy({ ...publicRead, Sid: 'x'.repeat(21 * 1024) })), /less than 20 KB/);
});

t.test('a well-formed policy is accepted, with wildcards, lists and every principal form', async (t) => {
  const parsed = parseBucketPolicy(
    JSON.stringify({
      Id: 'mixed',
      Statement: {
        Effect: 'Deny',
        Principal: {
          AWS: [other.id, `arn:aws:iam::${owner.id}:root`, `arn:aws:iam::${owner.id}:user/ci/deployer`],
          CanonicalUser: other.id,
          Service: 'cloudtrail.amazonaws.com',
        },
        Action: ['s3:Get*', 's3:ListBucket'],
        Resource: [`arn:aws:s3:::${bucketName}`, `arn:aws:s3:::${bucketName}/logs/*`],
        Condition: {
          'ForAnyValue:StringLike': { 's3:prefix': ['logs/*'] },
          BoolIfExists: { 'aws:SecureTransport': false },
        },
      },
    }),
    bucketName,
  );
  t.equal(parsed.statements.length, 1);
  t.equal(parsed.isPublic, false, 'a Deny is never public');
});

t.test('which statements apply: principal, action, resource, and the Deny that wins', async (t) => {
  const parsed = parseBucketPolicy(
    policy(publicRead, {
      Sid: 'NoSecrets',
      Effect: 'Deny',
      Principal: { AWS: other.id },
      Action: 's3:*',
      Resource: `arn:aws:s3:::${bucketName}/secret/*`,
    }),
    bucketName,
  );
  const ask = (action: string, key: string | undefined, caller: { id: string } | undefined = other) =>
    policyVerdict(parsed, { action, resource: s3Arn(bucketName, key), facts: facts({}, caller) });
  t.equal(ask('s3:GetObject', 'a.jpg'), 'Allow');
  t.equal(ask('s3:GetObject', 'a.jpg', undefined), 'Allow', 'anonymous callers are "*"');
  t.equal(ask('s3:getobject', 'a.jpg'), 'Allow', 'actions match without regard to case');
  t.equal(ask('s3:PutObject', 'a.jpg'), undefined, 'another action: no statement');
  t.equal(ask('s3:ListBucket', undefined), undefined, 'the bucket is not its objects');
  t.equal(ask('s3:GetObject', 'secret/plans.pdf'), 'Deny', 'the Deny wins over the Allow');
  t.equal(ask('s3:GetObject', 'secret/plans.pdf', owner), 'Allow', 'the Deny names another account');
  t.ok(parsed.isPublic, 'an Allow for "*" without conditions is public');
});

t.test('conditions: operators, missing keys, IfExists, negation, ranges and sets', async (t) => {
  const verdict = (condition: Record<string, unknown>, given: Partial<RequestFacts> = {}) =>
    policyVerdict(parseBucketPolicy(policy({ ...publicRead, Condition: condition }), bucketName), {
      action: 's3:GetObject',
      resource: s3Arn(bucketName, 'a'),
      facts: facts(given),
    });
  t.equal(verdict({ IpAddress: { 'aws:SourceIp': '10.1.0.0/16' } }), 'Allow');
  t.equal(verdict({ IpAddress: { 'aws:SourceIp': ['192.168.0.0/16', '10.1.2.3'] } }), 'Allow');
  t.equal(verdict({ IpAddress: { 'aws:SourceIp': '10.2.0.0/16' } }), undefined);
  t.equal(verdict({ NotIpAddress: { 'aws:SourceIp': '10.2.0.0/16' } }), 'Allow');
  t.equal(verdict({ IpAddress: { 'aws:SourceIp': 'fd00::/8' } }, { sourceIp: 'fd00::5' }), 'Allow');
  t.equal(verdict({ Bool: { 'aws:SecureTransport': 'true' } }), 'Allow');
  t.equal(verdict({ Bool: { 'aws:SecureTransport': false } }), undefined);
  t.equal(verdict({ StringEquals: { 'aws:PrincipalAccount': other.id } }), 'Allow');
  t.equal(verdict({ StringEquals: { 'aws:principalaccount': owner.id } }), undefined, 'keys ignore case');
  t.equal(verdict({ StringLike: { 'aws:UserAgent': 'aws-cli/*' } }, { userAgent: 'aws-cli/2.9.19 Python' }), 'Allow');
  t.equal(verdict({ StringLike: { 'aws:UserAgent': 'aws-cli/*' } }), undefined, 'a missing key matches nothing');
  t.equal(verdict({ StringNotLike: { 'aws:UserAgent': 'curl*' } }), 'Allow', '...but a negated test holds');
  t.equal(verdict({ StringLikeIfExists: { 'aws:Referer': 'https://example.test/*' } }), 'Allow');
  t.equal(
    verdict({ StringLikeIfExists: { 'aws:Referer': 'https://a.test/*' } }, { referer: 'https://b.test/' }),
    undefined,
  );
  t.equal(verdict({ Null: { 'aws:Referer': 'true' } }), 'Allow');
  t.equal(verdict({ Null: { 'aws:Referer': 'false' } }), undefined);
  t.equal(verdict({ NumericLessThanEquals: { 's3:max-keys': '100' } }, { query: { 'max-keys': '50' } }), 'Allow');
  t.equal(verdict({ NumericLessThanEquals: { 's3:max-keys': '100' } }, { query: { 'max-keys': '500' } }), undefined);
  t.equal(verdict({ DateLessThan: { 'aws:CurrentTime': '2027-01-01T00:00:00Z' } }), 'Allow');
  t.equal(verdict({ DateGreaterThan: { 'aws:CurrentTime': '2027-01-01T00:00:00Z' } }), undefined);
  t.equal(verdict({ StringEquals: { 's3:x-amz-acl': 'bucket-owner-full-control' } }), undefined);
  t.equal(
    verdict(
      { StringEquals: { 's3:x-amz-acl': 'bucket-owner-full-control' } },
      { amzHeaders: { 'x-amz-acl': 'bucket-owner-full-control' } },
    ),
    'Allow',
  );
  t.equal(
    verdict({ StringEquals: { 's3:authType': 'REST-QUERY-STRING' } }, { authType: 'REST-QUERY-STRING' }),
    'Allow',
  );
  t.equal(verdict({ 'ForAllValues:StringEquals': { 'aws:Referer': 'x' } }), 'Allow', 'ForAllValues of nothing holds');
  t.equal(verdict({ 'ForAnyValue:StringEquals': { 'aws:Referer': 'x' } }), undefined);
  t.equal(
    verdict(
      { StringEquals: { 'aws:UserAgent': 'a' }, IpAddress: { 'aws:SourceIp': '10.0.0.0/8' } },
      { userAgent: 'a' },
    ),
    'Allow',
    'every operator must hold',
  );
});

t.test('a public policy is one that allows "*" without pinning the caller down', async (t) => {
  const isPublic = (condition?: Record<string, unknown>) =>
    parseBucketPolicy(policy({ ...publicRead, ...(condition && { Condition: condition }) }), bucketName).isPublic;
  t.equal(isPublic(), true);
  t.equal(isPublic({ IpAddress: { 'aws:SourceIp': '10.0.0.0/8' } }), false);
  t.equal(isPublic({ IpAddress: { 'aws:SourceIp': '0.0.0.0/0' } }), true, 'a range that is the whole internet');
  t.equal(isPublic({ StringEquals: { 'aws:PrincipalAccount': other.id } }), false);
  t.equal(isPublic({ StringLike: { 'aws:PrincipalAccount': '*' } }), true, 'a wildcard pins nobody down');
  t.equal(isPublic({ StringEquals: { 'aws:UserAgent': 'x' } }), true, "the user agent is the caller's to say");
  t.equal(
    parseBucketPolicy(policy({ ...publicRead, Principal: { AWS: other.id } }), bucketName).isPublic,
    false,
    'a grant to one account',
  );
});

t.test('access: the policy first, then ACLs and ownership', async (t) => {
  const ownersObject = cannedAcl('private', owner);
  const ask = (request: Partial<AccessRequest> & { bucket: BucketRecord; action: string }, caller = other) =>
    isAccessAllowed({ caller, facts: () => facts({}, caller), ...request });
  const withPolicy = bucket({ policy: policy(publicRead) });

  t.notOk(ask({ bucket: bucket(), action: 's3:GetObject', key: 'a', acl: ownersObject }), 'private, no policy');
  t.ok(ask({ bucket: withPolicy, action: 's3:GetObject', key: 'a', acl: ownersObject }), 'the policy grants it');
  t.notOk(ask({ bucket: withPolicy, action: 's3:PutObject', key: 'a', acl: withPolicy.acl }), 'but nothing else');
  t.notOk(
    ask({ bucket: withPolicy, action: 's3:GetObject', key: 'a', acl: cannedAcl('private', other) }, owner),
    "an Allow does not reach an object another account owns: that object's ACL decides",
  );
  const restricted = bucket({
    policy: policy(publicRead),
    publicAccessBlock: {
      blockPublicAcls: false,
      ignorePublicAcls: false,
      blockPublicPolicy: false,
      restrictPublicBuckets: true,
    },
  });
  t.notOk(ask({ bucket: restricted, action: 's3:GetObject', key: 'a', acl: ownersObject }), 'RestrictPublicBuckets');

  const denyOwner = bucket({
    policy: policy({
      Effect: 'Deny',
      Principal: '*',
      Action: ['s3:DeleteBucket', 's3:PutBucketPolicy'],
      Resource: s3Arn(bucketName),
    }),
  });
  t.notOk(
    ask({ bucket: denyOwner, action: 's3:DeleteBucket', acl: denyOwner.acl }, owner),
    'a Deny binds the owner too',
  );
  t.ok(
    ask({ bucket: denyOwner, action: 's3:PutBucketPolicy' }, owner),
    '...but never locks the owner out of the policy',
  );
  t.notOk(
    ask({
      bucket: bucket({
        policy: policy({ ...publicRead, Action: 's3:*', Resource: [s3Arn(bucketName), s3Arn(bucketName, '*')] }),
      }),
      action: 's3:GetBucketPolicy',
    }),
    'nobody else reads or changes the policy, whatever it says',
  );
  t.ok(ask({ bucket: bucket(), action: 's3:GetBucketVersioning', acl: bucket().acl }, owner), 'settings: the owner');
  t.notOk(ask({ bucket: bucket(), action: 's3:GetBucketVersioning', acl: bucket().acl }), 'settings: not others');
  t.ok(
    ask({
      bucket: bucket({ acl: cannedAcl('public-read', owner) }),
      action: 's3:ListBucket',
      acl: cannedAcl('public-read', owner),
    }),
    'without a policy, the ACL decides as before',
  );
});

t.test('policy variables: filled from the request, literal where they must be, absent means no match', async (t) => {
  const home = {
    Effect: 'Allow',
    Principal: { AWS: other.id },
    Action: 's3:GetObject',
    Resource: `arn:aws:s3:::${bucketName}/home/\${aws:username}/*`,
  };
  const user = (name: string) => ({ accountId: other.id, arn: `arn:aws:iam::${other.id}:user/staff/${name}` });
  const ask = (text: string, key: string, principal: RequestFacts['principal'], extra: Partial<RequestFacts> = {}) =>
    policyVerdict(parseBucketPolicy(text, bucketName), {
      action: 's3:GetObject',
      resource: s3Arn(bucketName, key),
      facts: { ...facts({}, undefined), ...(principal && { principal }), ...extra },
    });
  const current = policy(home);
  t.equal(ask(current, 'home/alice/notes.txt', user('alice')), 'Allow');
  t.equal(ask(current, 'home/bob/notes.txt', user('alice')), undefined, "another user's home");
  t.equal(ask(current, 'home/a.b/x', user('a.b')), 'Allow');
  t.equal(ask(current, 'home/aXb/x', user('a.b')), undefined, 'a value is literal, not a pattern');
  t.equal(
    ask(current, 'home/alice/x', { accountId: other.id, arn: `arn:aws:iam::${other.id}:root` }),
    undefined,
    'the account itself has no user name: the resource matches nothing',
  );
  const withDefault = policy({
    ...home,
    Principal: '*',
    Resource: `arn:aws:s3:::${bucketName}/home/\${aws:username, 'guest'}/*`,
  });
  t.equal(ask(withDefault, 'home/guest/x', undefined), 'Allow', 'a default stands in for a missing value');
  const star = policy({ ...home, Resource: `arn:aws:s3:::${bucketName}/star\${*}` });
  t.equal(ask(star, 'star*', user('alice')), 'Allow');
  t.equal(ask(star, 'starX', user('alice')), undefined, '${*} is the character itself');
  const old = JSON.stringify({ Version: '2008-10-17', Statement: [home] });
  t.equal(ask(old, 'home/${aws:username}/x', user('alice')), 'Allow', 'the 2008 language has no variables');
  t.equal(ask(old, 'home/alice/x', user('alice')), undefined);
  const byPrefix = policy({
    ...home,
    Resource: `arn:aws:s3:::${bucketName}/*`,
    Condition: { StringLike: { 's3:prefix': 'home/${aws:username}/*' } },
  });
  t.equal(ask(byPrefix, 'x', user('alice'), { query: { prefix: 'home/alice/2026/' } }), 'Allow');
  t.equal(ask(byPrefix, 'x', user('alice'), { query: { prefix: 'home/bob/' } }), undefined);
  t.match(malformed(policy({ ...home, Resource: `arn:aws:s3:::${bucketName}/\${aws:user name}` })), /policy variable/);
});

t.test(
  'condition keys from the object and the request: tags, the bucket owner, TLS, Object Lock headers',
  async (t) => {
    const byTag = bucketWith({
      Effect: 'Allow',
      Principal: '*',
      Action: 's3:GetObject',
      Resource: `arn:aws:s3:::${bucketName}/*`,
      Condition: { StringEquals: { 's3:ExistingObjectTag/Classification': 'public' } },
    });
    const read = (tags: { Key: string; Value: string }[] | undefined) =>
      isAccessAllowed({
        caller: other,
        bucket: byTag,
        action: 's3:GetObject',
        key: 'a',
        acl: cannedAcl('private', owner),
        ...(tags && { tags }),
        facts: () => facts(),
      });
    t.ok(read([{ Key: 'Classification', Value: 'public' }]), "the object's tag");
    t.notOk(read([{ Key: 'Classification', Value: 'secret' }]));
    t.notOk(read([{ Key: 'classification', Value: 'public' }]), 'tag keys are exact');
    t.notOk(read(undefined), 'no tags');

    const verdict = (condition: Record<string, unknown>, given: Partial<RequestFacts>) =>
      policyVerdict(parseBucketPolicy(policy({ ...publicRead, Condition: condition }), bucketName), {
        action: 's3:GetObject',
        resource: s3Arn(bucketName, 'a'),
        facts: facts(given),
      });
    const tagged = { amzHeaders: { 'x-amz-tagging': 'Team=storage&Env=prod' } };
    t.equal(verdict({ StringEquals: { 's3:RequestObjectTag/Team': 'storage' } }, tagged), 'Allow');
    t.equal(verdict({ StringEquals: { 's3:RequestObjectTag/Team': 'compute' } }, tagged), undefined);
    t.equal(verdict({ 'ForAllValues:StringEquals': { 's3:RequestObjectTagKeys': ['Team', 'Env'] } }, tagged), 'Allow');
    t.equal(verdict({ 'ForAllValues:StringEquals': { 's3:RequestObjectTagKeys': ['Team'] } }, tagged), undefined);
    t.equal(verdict({ StringEquals: { 's3:ResourceAccount': owner.id } }, { resourceAccount: owner.id }), 'Allow');
    t.equal(verdict({ NumericGreaterThanEquals: { 's3:TlsVersion': '1.2' } }, { tlsVersion: '1.3' }), 'Allow');
    t.equal(verdict({ NumericGreaterThanEquals: { 's3:TlsVersion': '1.2' } }, { tlsVersion: '1.1' }), undefined);
    const locked = { amzHeaders: { 'x-amz-object-lock-retain-until-date': '2026-12-16T12:00:00Z' } };
    t.equal(verdict({ NumericLessThanEquals: { 's3:object-lock-remaining-retention-days': 10 } }, locked), 'Allow');
    t.equal(verdict({ NumericLessThanEquals: { 's3:object-lock-remaining-retention-days': 9 } }, locked), undefined);
  },
);
