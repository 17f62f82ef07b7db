import type { Grant as WireGrant, Owner as WireOwner } from '../../../src/aws/generated/s3-types.js';
import { s3Errors } from '../s3-errors.js';
import type { Acl, BucketRecord, Grant, Grantee, Owner, Permission } from '../storage/metadata-store.js';

/**
 * Access control lists as S3 keeps them: an owner and grants to accounts (canonical ids: here the account id) and to
 * the two groups, everyone and every authenticated account. Owner-only by default; canned ACLs and `x-amz-grant-*`
 * headers set them on create, `Put*Acl` replaces them.
 */

/** Who is asking: an account, or nobody (an unsigned request). */
export type Caller = Owner | undefined;

export const allUsers = 'http://acs.amazonaws.com/groups/global/AllUsers';
export const authenticatedUsers = 'http://acs.amazonaws.com/groups/global/AuthenticatedUsers';

const permissions: readonly Permission[] = ['FULL_CONTROL', 'READ', 'WRITE', 'READ_ACP', 'WRITE_ACP'];

export const cannedAcls = [
  'private',
  'public-read',
  'public-read-write',
  'authenticated-read',
  'bucket-owner-read',
  'bucket-owner-full-control',
] as const;

function accountGrant(owner: Owner, permission: Permission): Grant {
  return { grantee: { type: 'CanonicalUser', id: owner.id, displayName: owner.displayName }, permission };
}

function groupGrant(uri: string, permission: Permission): Grant {
  return { grantee: { type: 'Group', uri }, permission };
}

/** A canned ACL's grants; `bucketOwner` for the two that name the bucket's owner (objects only). */
export function cannedAcl(name: string, owner: Owner, bucketOwner?: Owner): Acl {
  const grants: Grant[] = [accountGrant(owner, 'FULL_CONTROL')];
  switch (name) {
    case 'private':
      break;
    case 'public-read':
      grants.push(groupGrant(allUsers, 'READ'));
      break;
    case 'public-read-write':
      grants.push(groupGrant(allUsers, 'READ'), groupGrant(allUsers, 'WRITE'));
      break;
    case 'authenticated-read':
      grants.push(groupGrant(authenticatedUsers, 'READ'));
      break;
    case 'bucket-owner-read':
      if (bucketOwner && bucketOwner.id !== owner.id) grants.push(accountGrant(bucketOwner, 'READ'));
      break;
    case 'bucket-owner-full-control':
      if (bucketOwner && bucketOwner.id !== owner.id) grants.push(accountGrant(bucketOwner, 'FULL_CONTROL'));
      break;
    default:
      throw s3Errors.invalidArgument('', 'x-amz-acl', name);
  }
  return { owner, grants };
}

/** The grant headers of a request, by the permission each gives. */
export interface GrantHeaders {
  GrantFullControl?: string;
  GrantRead?: string;
  GrantReadACP?: string;
  GrantWrite?: string;
  GrantWriteACP?: string;
}

const grantHeaderPermissions: [keyof GrantHeaders, Permission][] = [
  ['GrantFullControl', 'FULL_CONTROL'],
  ['GrantRead', 'READ'],
  ['GrantReadACP', 'READ_ACP'],
  ['GrantWrite', 'WRITE'],
  ['GrantWriteACP', 'WRITE_ACP'],
];

/** `x-amz-grant-read: id="123456789012", uri="http://acs.amazonaws.com/groups/global/AllUsers"`. */
function parseGrantees(header: string): Grantee[] {
  const grantees: Grantee[] = [];
  for (const part of header.split(',')) {
    const match = /^\s*(id|uri|emailAddress)\s*=\s*"?([^"]*)"?\s*$/i.exec(part);
    if (!match) throw s3Errors.invalidArgument('Invalid grant header', 'x-amz-grant', header);
    const kind = (match[1] as string).toLowerCase();
    const value = match[2] as string;
    if (kind === 'id') grantees.push({ type: 'CanonicalUser', id: value });
    else if (kind === 'uri') grantees.push({ type: 'Group', uri: checkGroup(value) });
    else throw s3Errors.invalidArgument('Grants by email address are not supported', 'x-amz-grant', value);
  }
  return grantees;
}

function checkGroup(uri: string): string {
  if (uri !== allUsers && uri !== authenticatedUsers) throw s3Errors.invalidArgument('Invalid group uri', 'uri', uri);
  return uri;
}

/**
 * The ACL a create or `Put*Acl` request asks for: the canned one (`x-amz-acl`), or the explicit grant headers, or
 * `undefined` when it says nothing. Both at once is refused, as S3 refuses it.
 */
export function aclFromHeaders(
  input: GrantHeaders & { ACL?: string },
  owner: Owner,
  bucketOwner?: Owner,
): Acl | undefined {
  const explicit = grantHeaderPermissions.filter(([name]) => input[name] !== undefined);
  if (input.ACL !== undefined && explicit.length > 0) {
    throw s3Errors.invalidRequest('Specifying both Canned ACLs and Header Grants is not allowed');
  }
  if (input.ACL !== undefined) return cannedAcl(input.ACL, owner, bucketOwner);
  if (explicit.length === 0) return undefined;
  const grants: Grant[] = [];
  for (const [name, permission] of explicit) {
    for (const grantee of parseGrantees(input[name] as string)) grants.push({ grantee, permission });
  }
  return { owner, grants };
}

/** An `AccessControlPolicy` body, checked: the owner must stay the owner, grantees must be ones we know. */
export function aclFromPolicy(
  policy: { Owner?: WireOwner; Grants?: WireGrant[] },
  owner: Owner,
  displayNames: (id: string) => string | undefined = () => undefined,
): Acl {
  if (policy.Owner?.ID !== undefined && policy.Owner.ID !== owner.id) throw s3Errors.accessDenied();
  const grants: Grant[] = [];
  for (const grant of policy.Grants ?? []) {
    const permission = grant.Permission as Permission;
    if (!permissions.includes(permission)) throw s3Errors.malformedAclError();
    const grantee = grant.Grantee;
    if (!grantee) throw s3Errors.malformedAclError();
    if (grantee.Type === 'CanonicalUser' && grantee.ID) {
      grants.push({
        grantee: {
          type: 'CanonicalUser',
          id: grantee.ID,
          ...(displayNames(grantee.ID) !== undefined && { displayName: displayNames(grantee.ID) }),
        },
        permission,
      });
    } else if (grantee.Type === 'Group' && grantee.URI) {
      grants.push({ grantee: { type: 'Group', uri: checkGroup(grantee.URI) }, permission });
    } else {
      throw s3Errors.malformedAclError();
    }
  }
  return { owner, grants };
}

/** An ACL as `Get*Acl` answers it. */
export function aclToWire(acl: Acl): { Owner: WireOwner; Grants: WireGrant[] } {
  return {
    Owner: { ID: acl.owner.id, DisplayName: acl.owner.displayName },
    Grants: acl.grants.map((grant) => ({
      Grantee:
        grant.grantee.type === 'CanonicalUser'
          ? {
              Type: 'CanonicalUser',
              ID: grant.grantee.id,
              ...(grant.grantee.displayName !== undefined && { DisplayName: grant.grantee.displayName }),
            }
          : { Type: 'Group', URI: grant.grantee.uri },
      Permission: grant.permission,
    })),
  };
}

/** What an access check needs of the bucket a resource is in: its name, owner, settings and policy. */
export type BucketAccess = Pick<BucketRecord, 'name' | 'owner' | 'objectOwnership' | 'publicAccessBlock' | 'policy'>;

function isPublicGrantee(grantee: Grantee): boolean {
  return grantee.type === 'Group' && (grantee.uri === allUsers || grantee.uri === authenticatedUsers);
}

/** Whether an ACL grants anything to everyone or to every authenticated account: what S3 calls a public ACL. */
export function isPublicAcl(acl: Acl): boolean {
  return acl.grants.some((grant) => isPublicGrantee(grant.grantee));
}

/** Whether an ACL grants nothing but full control to `owner`: `bucket-owner-full-control`, or the same in XML. */
export function grantsOnlyFullControlTo(acl: Acl, owner: Owner): boolean {
  return acl.grants.every(
    (grant) =>
      grant.permission === 'FULL_CONTROL' && grant.grantee.type === 'CanonicalUser' && grant.grantee.id === owner.id,
  );
}

/** ACLs are disabled in a bucket whose Object Ownership is `BucketOwnerEnforced`. */
export function aclsDisabled(bucket: BucketAccess): boolean {
  return bucket.objectOwnership === 'BucketOwnerEnforced';
}

/**
 * Whether an ACL gives `caller` `permission` on a resource in `bucket` (models/access.ts asks, after the bucket's
 * policy): a grant to the caller's account, to everyone, or (when signed) to every authenticated account;
 * FULL_CONTROL holds them all. The owner may always read and change the ACL itself, so an owner never locks
 * themselves out. As on S3, the bucket's settings come first: where
 * ACLs are disabled (`BucketOwnerEnforced`) the bucket's owner alone has access, to the bucket and to every object in
 * it; a public access block that ignores public ACLs sets the grants to the two groups aside.
 */
export function aclGrants(acl: Acl, caller: Caller, permission: Permission, bucket: BucketAccess): boolean {
  if (aclsDisabled(bucket)) return caller !== undefined && caller.id === bucket.owner.id;
  if (caller && caller.id === acl.owner.id && (permission === 'READ_ACP' || permission === 'WRITE_ACP')) return true;
  const ignorePublic = bucket.publicAccessBlock?.ignorePublicAcls === true;
  return acl.grants.some((grant) => {
    if (grant.permission !== permission && grant.permission !== 'FULL_CONTROL') return false;
    const grantee = grant.grantee;
    if (grantee.type === 'CanonicalUser') return caller !== undefined && grantee.id === caller.id;
    if (ignorePublic) return false;
    return grantee.uri === allUsers || (grantee.uri === authenticatedUsers && caller !== undefined);
  });
}

/**
 * The ACL a request asks to give the bucket or an object, if the bucket's settings admit it. Where ACLs are disabled
 * only full control for the bucket's owner is (`AccessControlListNotSupported` otherwise); a public access block that
 * blocks public ACLs refuses a public one (`AccessDenied`). A refused request changes nothing.
 */
export function admitAcl<T extends Acl | undefined>(acl: T, bucket: BucketAccess): T {
  if (!acl) return acl;
  if (aclsDisabled(bucket) && !grantsOnlyFullControlTo(acl, bucket.owner)) throw s3Errors.aclNotSupported();
  if (bucket.publicAccessBlock?.blockPublicAcls === true && isPublicAcl(acl)) throw s3Errors.accessDenied();
  return acl;
}

/**
 * Who owns an object a request writes into `bucket`: the account that writes it, or the bucket's owner for an
 * unsigned write, where ACLs are disabled, and where the bucket prefers it and the writer hands the object over
 * (`bucket-owner-full-control`).
 */
export function newObjectOwner(caller: Caller, bucket: BucketAccess, cannedAclName: string | undefined): Owner {
  if (!caller || aclsDisabled(bucket)) return bucket.owner;
  if (bucket.objectOwnership === 'BucketOwnerPreferred' && cannedAclName === 'bucket-owner-full-control') {
    return bucket.owner;
  }
  return caller;
}

/** Who owns an object (or upload) as listings show it: where ACLs are disabled, the bucket's owner owns them all. */
export function ownerAsShown(owner: Owner, bucket: BucketAccess): Owner {
  return aclsDisabled(bucket) ? bucket.owner : owner;
}

/** An ACL as `Get*Acl` reads it: where ACLs are disabled, full control for the bucket's owner, who owns everything. */
export function aclAsRead(acl: Acl, bucket: BucketAccess): Acl {
  return aclsDisabled(bucket) ? cannedAcl('private', bucket.owner) : acl;
}
