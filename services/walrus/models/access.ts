import type { Acl, Permission, Tag } from '../storage/metadata-store.js';
import { aclGrants, aclsDisabled, type BucketAccess, type Caller } from './acl.js';
import { compiledPolicy, policyVerdict, s3Arn, type RequestFacts } from './bucket-policy.js';

/**
 * Who may do what in a bucket, as S3 decides it: the bucket's policy first (an explicit Deny refuses, even the
 * owner; an Allow grants), then the resource's ACL for the actions ACLs can grant, and the bucket's owner for the
 * rest. As on S3:
 * - a policy's Allow does not reach objects another account owns (their owner's ACL decides), unless ACLs are
 *   disabled and the bucket's owner owns everything;
 * - with RestrictPublicBuckets, a public policy grants nothing to other accounts or anonymous callers;
 * - the policy calls themselves are the bucket owner's alone, whatever the policy says, so no policy locks its owner
 *   out of changing it.
 */

/** The ACL permission that grants each action; 'owners' for the object's owner or the bucket's. Others: the bucket's. */
const aclPermissions: Readonly<Record<string, Permission | 'owners'>> = {
  's3:ListBucket': 'READ',
  's3:ListBucketVersions': 'READ',
  's3:ListBucketMultipartUploads': 'READ',
  's3:GetObject': 'READ',
  's3:GetObjectVersion': 'READ',
  's3:GetObjectAttributes': 'READ',
  's3:GetObjectVersionAttributes': 'READ',
  's3:GetObjectTagging': 'READ',
  's3:GetObjectVersionTagging': 'READ',
  's3:GetObjectRetention': 'READ',
  's3:GetObjectLegalHold': 'READ',
  's3:PutObject': 'WRITE',
  's3:DeleteObject': 'WRITE',
  's3:DeleteObjectVersion': 'WRITE',
  's3:AbortMultipartUpload': 'WRITE',
  's3:ListMultipartUploadParts': 'WRITE',
  's3:GetBucketAcl': 'READ_ACP',
  's3:GetObjectAcl': 'READ_ACP',
  's3:GetObjectVersionAcl': 'READ_ACP',
  's3:PutBucketAcl': 'WRITE_ACP',
  's3:PutObjectAcl': 'WRITE_ACP',
  's3:PutObjectVersionAcl': 'WRITE_ACP',
  's3:PutObjectTagging': 'owners',
  's3:PutObjectVersionTagging': 'owners',
  's3:DeleteObjectTagging': 'owners',
  's3:DeleteObjectVersionTagging': 'owners',
};

const ownerOnlyActions = new Set([
  's3:GetBucketPolicy',
  's3:PutBucketPolicy',
  's3:DeleteBucketPolicy',
  's3:GetBucketPolicyStatus',
]);

export interface AccessRequest {
  caller: Caller;
  bucket: BucketAccess;
  /** IAM's name of what is asked: `s3:GetObject`. */
  action: string;
  /** The object's key, for an action on an object. */
  key?: string;
  /** The ACL of the resource: the object's for an action on an object, else the bucket's. */
  acl?: Acl;
  /** The object's tags, for an action on an object that exists (`s3:ExistingObjectTag/...`). */
  tags?: readonly Tag[];
  /** What the request brings to the policy's conditions (asked for only when the bucket has a policy). */
  facts: () => RequestFacts;
}

export function isAccessAllowed(request: AccessRequest): boolean {
  const { caller, bucket, action } = request;
  const isBucketOwner = caller !== undefined && caller.id === bucket.owner.id;
  if (ownerOnlyActions.has(action)) return isBucketOwner;
  const policy = compiledPolicy(bucket);
  if (policy) {
    const facts = {
      ...request.facts(),
      resourceAccount: bucket.owner.id,
      ...(request.tags && { objectTags: request.tags }),
    };
    const verdict = policyVerdict(policy, { action, resource: s3Arn(bucket.name, request.key), facts });
    if (verdict === 'Deny') return false;
    const restricted = policy.isPublic && bucket.publicAccessBlock?.restrictPublicBuckets === true && !isBucketOwner;
    const othersObject = request.acl !== undefined && request.acl.owner.id !== bucket.owner.id && !aclsDisabled(bucket);
    if (verdict === 'Allow' && !restricted && !othersObject) return true;
  }
  const permission = aclPermissions[action];
  if (permission === undefined) return isBucketOwner;
  if (permission === 'owners') return isBucketOwner || (caller !== undefined && request.acl?.owner.id === caller.id);
  return request.acl !== undefined && aclGrants(request.acl, caller, permission, bucket);
}

/** The action on a version (`s3:GetObjectVersion`) when a request names one, else the action itself. */
export function objectAction(action: string, versionId: string | undefined): string {
  return versionId === undefined ? action : action.replace('Object', 'ObjectVersion');
}
