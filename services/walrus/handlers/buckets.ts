import type { S3Operations } from '../../../src/aws/generated/s3-types.js';
import type { QueryHandlers } from '../../../src/aws/protocol/query-dispatcher.js';
import {
  aclAsRead,
  aclFromHeaders,
  aclFromPolicy,
  aclToWire,
  admitAcl,
  cannedAcl,
  grantsOnlyFullControlTo,
} from '../models/acl.js';
import { compiledPolicy, parseBucketPolicy } from '../models/bucket-policy.js';
import { corsRulesFromWire, corsRulesToWire } from '../models/cors.js';
import { bucketEncryptionFromWire, bucketEncryptionToWire } from '../models/encryption-request.js';
import { bucketLockFromWire, bucketLockToWire } from '../models/object-lock.js';
import { lifecycleRulesFromWire, lifecycleRulesToWire } from '../models/lifecycle.js';
import { s3Errors } from '../s3-errors.js';
import { objectOwnerships, type ObjectOwnership } from '../storage/metadata-store.js';
import { checkTags } from './objects.js';
import { requireAccess, requireBucket, requireBucketAccess, requireCaller, type WalrusContext } from './context.js';

/** Names the runtime serves itself on the same port (health, version, component routes): no bucket may take them. */
const reservedNames = new Set(['healthz', 'version', 'internal']);

/** S3's rules for new bucket names (the strict ones, which every region but the oldest enforces). */
export function checkBucketName(name: string): void {
  const valid =
    name.length >= 3 &&
    name.length <= 63 &&
    /^[a-z0-9][a-z0-9.-]*[a-z0-9]$/.test(name) &&
    !name.includes('..') &&
    !/^\d+\.\d+\.\d+\.\d+$/.test(name) &&
    !name.startsWith('xn--') &&
    !name.endsWith('-s3alias') &&
    !reservedNames.has(name);
  if (!valid) throw s3Errors.invalidBucketName(name);
}

function checkObjectOwnership(value: string): ObjectOwnership {
  if (!(objectOwnerships as readonly string[]).includes(value)) {
    throw s3Errors.invalidArgument(`Invalid x-amz-object-ownership: ${value}`, 'ObjectOwnership', value);
  }
  return value as ObjectOwnership;
}

export const bucketHandlers: QueryHandlers<S3Operations, WalrusContext> = {
  async ListBuckets(_input, context) {
    const caller = requireCaller(context);
    return {
      Owner: { ID: caller.id, DisplayName: caller.displayName },
      Buckets: context.meta.listBuckets(caller.id).map((bucket) => ({
        Name: bucket.name,
        CreationDate: new Date(bucket.createdAt),
        BucketRegion: bucket.region,
      })),
    };
  },

  async CreateBucket(input, context) {
    const caller = requireCaller(context);
    checkBucketName(input.Bucket);
    const constraint = input.CreateBucketConfiguration?.LocationConstraint;
    if (constraint !== undefined && constraint !== '' && constraint !== context.region) {
      throw s3Errors.invalidArgument(
        `The specified location-constraint is not valid: this cloud's region is ${context.region}`,
        'LocationConstraint',
        constraint,
      );
    }
    const objectOwnership =
      input.ObjectOwnership === undefined ? undefined : checkObjectOwnership(input.ObjectOwnership);
    const acl = aclFromHeaders(input, caller) ?? cannedAcl('private', caller);
    if (objectOwnership === 'BucketOwnerEnforced' && !grantsOnlyFullControlTo(acl, caller))
      throw s3Errors.aclWithOwnerEnforced();
    const existing = context.meta.createBucket({
      name: input.Bucket,
      owner: caller,
      createdAt: new Date().toISOString(),
      region: context.region,
      acl,
      versioning: '',
      tags: [],
      ...(objectOwnership && { objectOwnership }),
      // Object Lock asked for at creation: enabled for good, and versioning with it.
      ...(input.ObjectLockEnabledForBucket && { versioning: 'Enabled' as const, objectLock: {} }),
    });
    if (existing) {
      throw existing.owner.id === caller.id
        ? s3Errors.bucketAlreadyOwnedByYou(input.Bucket)
        : s3Errors.bucketAlreadyExists(input.Bucket);
    }
    return { Location: `/${input.Bucket}` };
  },

  async HeadBucket(input, context) {
    const bucket = requireBucket(context, input.Bucket);
    requireAccess(context, bucket, 's3:ListBucket', { acl: bucket.acl });
    return { BucketRegion: bucket.region };
  },

  async DeleteBucket(input, context) {
    requireBucketAccess(context, input.Bucket, 's3:DeleteBucket');
    const result = context.meta.deleteBucket(input.Bucket);
    if (result === 'not-empty') throw s3Errors.bucketNotEmpty(input.Bucket);
    if (result === 'missing') throw s3Errors.noSuchBucket(input.Bucket);
  },

  async GetBucketLocation(input, context) {
    const bucket = requireBucketAccess(context, input.Bucket, 's3:GetBucketLocation');
    return { LocationConstraint: bucket.region };
  },

  async GetBucketAcl(input, context) {
    const bucket = requireBucketAccess(context, input.Bucket, 's3:GetBucketAcl');
    return aclToWire(aclAsRead(bucket.acl, bucket));
  },

  async PutBucketAcl(input, context) {
    const bucket = requireBucketAccess(context, input.Bucket, 's3:PutBucketAcl');
    const fromHeaders = aclFromHeaders(input, bucket.owner);
    if (fromHeaders && input.AccessControlPolicy) {
      throw s3Errors.invalidRequest('Specifying both an ACL in the body and in headers is not allowed');
    }
    const acl = fromHeaders ?? (input.AccessControlPolicy && aclFromPolicy(input.AccessControlPolicy, bucket.owner));
    if (!acl) throw s3Errors.malformedAclError();
    context.meta.updateBucket(bucket.name, { acl: admitAcl(acl, bucket) });
  },

  async GetBucketVersioning(input, context) {
    const bucket = requireBucketAccess(context, input.Bucket, 's3:GetBucketVersioning');
    return bucket.versioning === '' ? {} : { Status: bucket.versioning };
  },

  async PutBucketVersioning(input, context) {
    const bucket = requireBucketAccess(context, input.Bucket, 's3:PutBucketVersioning');
    const status = input.VersioningConfiguration?.Status;
    if (status !== 'Enabled' && status !== 'Suspended') throw s3Errors.malformedXml();
    if (input.VersioningConfiguration?.MFADelete === 'Enabled') {
      throw s3Errors.notImplemented();
    }
    if (bucket.objectLock && status !== 'Enabled') {
      throw s3Errors.invalidBucketState(
        'An Object Lock configuration is present on this bucket, so the versioning state cannot be changed.',
      );
    }
    context.meta.updateBucket(bucket.name, { versioning: status });
  },

  async GetBucketTagging(input, context) {
    const bucket = requireBucketAccess(context, input.Bucket, 's3:GetBucketTagging');
    if (bucket.tags.length === 0) throw s3Errors.noSuchTagSet();
    return { TagSet: bucket.tags };
  },

  async PutBucketTagging(input, context) {
    const bucket = requireBucketAccess(context, input.Bucket, 's3:PutBucketTagging');
    const tags = checkTags(input.Tagging?.TagSet ?? [], 'bucket');
    context.meta.updateBucket(bucket.name, { tags });
  },

  async DeleteBucketTagging(input, context) {
    const bucket = requireBucketAccess(context, input.Bucket, 's3:PutBucketTagging');
    context.meta.updateBucket(bucket.name, { tags: [] });
  },

  async GetBucketCors(input, context) {
    const rules = requireBucketAccess(context, input.Bucket, 's3:GetBucketCORS').cors;
    if (!rules) throw s3Errors.noSuchCorsConfiguration();
    return { CORSRules: corsRulesToWire(rules) };
  },

  // Enforced by the request pipeline: preflights are answered from these rules, and requests from pages get their
  // Access-Control-* headers (models/cors.ts).
  async PutBucketCors(input, context) {
    const bucket = requireBucketAccess(context, input.Bucket, 's3:PutBucketCORS');
    context.meta.updateBucket(bucket.name, { cors: corsRulesFromWire(input.CORSConfiguration.CORSRules) });
  },

  async DeleteBucketCors(input, context) {
    const bucket = requireBucketAccess(context, input.Bucket, 's3:PutBucketCORS');
    context.meta.updateBucket(bucket.name, { cors: null });
  },

  async GetObjectLockConfiguration(input, context) {
    const lock = requireBucketAccess(context, input.Bucket, 's3:GetBucketObjectLockConfiguration').objectLock;
    if (!lock) throw s3Errors.noObjectLockConfiguration();
    return { ObjectLockConfiguration: bucketLockToWire(lock) };
  },

  // Enables Object Lock on a versioned bucket (for good: there is no delete), or changes its default retention.
  async PutObjectLockConfiguration(input, context) {
    const bucket = requireBucketAccess(context, input.Bucket, 's3:PutBucketObjectLockConfiguration');
    if (bucket.versioning !== 'Enabled') {
      throw s3Errors.invalidBucketState(
        "Versioning must be 'Enabled' on the bucket to apply a Object Lock configuration",
      );
    }
    context.meta.updateBucket(bucket.name, { objectLock: bucketLockFromWire(input.ObjectLockConfiguration ?? {}) });
    return {};
  },

  async GetBucketLifecycleConfiguration(input, context) {
    const rules = requireBucketAccess(context, input.Bucket, 's3:GetLifecycleConfiguration').lifecycle;
    if (!rules) throw s3Errors.noSuchLifecycleConfiguration();
    return { Rules: lifecycleRulesToWire(rules) };
  },

  // Carried out by the lifecycle pass (lifecycle-pass.ts), at start and then every hour.
  async PutBucketLifecycleConfiguration(input, context) {
    const bucket = requireBucketAccess(context, input.Bucket, 's3:PutLifecycleConfiguration');
    context.meta.updateBucket(bucket.name, { lifecycle: lifecycleRulesFromWire(input.LifecycleConfiguration?.Rules) });
    return {};
  },

  async DeleteBucketLifecycle(input, context) {
    const bucket = requireBucketAccess(context, input.Bucket, 's3:PutLifecycleConfiguration');
    context.meta.updateBucket(bucket.name, { lifecycle: null });
  },

  async GetBucketOwnershipControls(input, context) {
    const ownership = requireBucketAccess(context, input.Bucket, 's3:GetBucketOwnershipControls').objectOwnership;
    if (!ownership) throw s3Errors.noOwnershipControls();
    return { OwnershipControls: { Rules: [{ ObjectOwnership: ownership }] } };
  },

  // Enforced in models/acl.ts: who owns new objects, and (BucketOwnerEnforced) that ACLs neither grant nor can be set.
  async PutBucketOwnershipControls(input, context) {
    const bucket = requireBucketAccess(context, input.Bucket, 's3:PutBucketOwnershipControls');
    const rules = input.OwnershipControls.Rules;
    if (rules.length !== 1) throw s3Errors.malformedXml();
    const objectOwnership = checkObjectOwnership(rules[0]!.ObjectOwnership);
    // As on S3: ACLs are disabled only once the bucket's own ACL gives nobody else anything.
    if (objectOwnership === 'BucketOwnerEnforced' && !grantsOnlyFullControlTo(bucket.acl, bucket.owner)) {
      throw s3Errors.aclWithOwnerEnforced();
    }
    context.meta.updateBucket(bucket.name, { objectOwnership });
  },

  // Default encryption: new objects (and uploads) that ask for none are sealed (SSE-S3), as if they asked for AES256.
  async GetBucketEncryption(input, context) {
    const encryption = requireBucketAccess(context, input.Bucket, 's3:GetEncryptionConfiguration').encryption;
    if (!encryption) throw s3Errors.noEncryptionConfiguration();
    return { ServerSideEncryptionConfiguration: bucketEncryptionToWire(encryption) };
  },

  async PutBucketEncryption(input, context) {
    const bucket = requireBucketAccess(context, input.Bucket, 's3:PutEncryptionConfiguration');
    const encryption = bucketEncryptionFromWire(input.ServerSideEncryptionConfiguration);
    context.meta.updateBucket(bucket.name, { encryption });
  },

  async DeleteBucketEncryption(input, context) {
    const bucket = requireBucketAccess(context, input.Bucket, 's3:PutEncryptionConfiguration');
    context.meta.updateBucket(bucket.name, { encryption: null });
  },

  async DeleteBucketOwnershipControls(input, context) {
    const bucket = requireBucketAccess(context, input.Bucket, 's3:PutBucketOwnershipControls');
    context.meta.updateBucket(bucket.name, { objectOwnership: null });
  },

  async GetPublicAccessBlock(input, context) {
    const block = requireBucketAccess(context, input.Bucket, 's3:GetBucketPublicAccessBlock').publicAccessBlock;
    if (!block) throw s3Errors.noPublicAccessBlock();
    return {
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: block.blockPublicAcls,
        IgnorePublicAcls: block.ignorePublicAcls,
        BlockPublicPolicy: block.blockPublicPolicy,
        RestrictPublicBuckets: block.restrictPublicBuckets,
      },
    };
  },

  // Enforced for ACLs (models/acl.ts): BlockPublicAcls refuses public ACLs on the bucket and its new or changed
  // objects, IgnorePublicAcls sets their public grants aside; and for policies: BlockPublicPolicy refuses a public one
  // (PutBucketPolicy), RestrictPublicBuckets keeps a public one from granting anyone outside the account
  // (models/access.ts).
  async PutPublicAccessBlock(input, context) {
    const bucket = requireBucketAccess(context, input.Bucket, 's3:PutBucketPublicAccessBlock');
    const given = input.PublicAccessBlockConfiguration;
    context.meta.updateBucket(bucket.name, {
      publicAccessBlock: {
        blockPublicAcls: given.BlockPublicAcls === true,
        ignorePublicAcls: given.IgnorePublicAcls === true,
        blockPublicPolicy: given.BlockPublicPolicy === true,
        restrictPublicBuckets: given.RestrictPublicBuckets === true,
      },
    });
  },

  // Enforced by every access check (models/access.ts); the owner alone reads or changes it, whatever it says.
  async PutBucketPolicy(input, context) {
    const bucket = requireBucketAccess(context, input.Bucket, 's3:PutBucketPolicy');
    const policy = parseBucketPolicy(input.Policy ?? '', bucket.name);
    if (policy.isPublic && bucket.publicAccessBlock?.blockPublicPolicy === true) throw s3Errors.accessDenied();
    context.meta.updateBucket(bucket.name, { policy: input.Policy });
  },

  async GetBucketPolicy(input, context) {
    const policy = requireBucketAccess(context, input.Bucket, 's3:GetBucketPolicy').policy;
    if (policy === undefined) throw s3Errors.noSuchBucketPolicy();
    return { Policy: policy };
  },

  async DeleteBucketPolicy(input, context) {
    const bucket = requireBucketAccess(context, input.Bucket, 's3:DeleteBucketPolicy');
    context.meta.updateBucket(bucket.name, { policy: null });
  },

  async GetBucketPolicyStatus(input, context) {
    const bucket = requireBucketAccess(context, input.Bucket, 's3:GetBucketPolicyStatus');
    const policy = compiledPolicy(bucket);
    if (!policy) throw s3Errors.noSuchBucketPolicy();
    return { PolicyStatus: { IsPublic: policy.isPublic } };
  },

  async DeletePublicAccessBlock(input, context) {
    const bucket = requireBucketAccess(context, input.Bucket, 's3:PutBucketPublicAccessBlock');
    context.meta.updateBucket(bucket.name, { publicAccessBlock: null });
  },
};
