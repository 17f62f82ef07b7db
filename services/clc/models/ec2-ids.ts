import { randomBytes } from 'node:crypto';
import { ec2Errors } from './ec2-errors.js';

/**
 * EC2 resource ids: a prefix and 17 lower-case hex digits (`i-0123456789abcdef0`), as AWS has issued them since
 * 2016. The prefix names the type; the type names its error codes.
 */
export const resourceTypes = {
  instance: { prefix: 'i', notFound: 'InvalidInstanceID.NotFound', malformed: 'InvalidInstanceID.Malformed' },
  reservation: { prefix: 'r', notFound: 'InvalidReservationID.NotFound', malformed: 'InvalidReservationID.Malformed' },
  image: { prefix: 'ami', notFound: 'InvalidAMIID.NotFound', malformed: 'InvalidAMIID.Malformed' },
  kernel: { prefix: 'aki', notFound: 'InvalidAMIID.NotFound', malformed: 'InvalidAMIID.Malformed' },
  ramdisk: { prefix: 'ari', notFound: 'InvalidAMIID.NotFound', malformed: 'InvalidAMIID.Malformed' },
  'security-group': { prefix: 'sg', notFound: 'InvalidGroup.NotFound', malformed: 'InvalidGroupId.Malformed' },
  'security-group-rule': {
    prefix: 'sgr',
    notFound: 'InvalidSecurityGroupRuleId.NotFound',
    malformed: 'InvalidSecurityGroupRuleId.Malformed',
  },
  'key-pair': { prefix: 'key', notFound: 'InvalidKeyPair.NotFound', malformed: 'InvalidKeyPair.Malformed' },
  volume: { prefix: 'vol', notFound: 'InvalidVolume.NotFound', malformed: 'InvalidVolumeID.Malformed' },
  snapshot: { prefix: 'snap', notFound: 'InvalidSnapshot.NotFound', malformed: 'InvalidSnapshotID.Malformed' },
  'elastic-ip': {
    prefix: 'eipalloc',
    notFound: 'InvalidAllocationID.NotFound',
    malformed: 'InvalidAllocationID.Malformed',
  },
  'elastic-ip-association': {
    prefix: 'eipassoc',
    notFound: 'InvalidAssociationID.NotFound',
    malformed: 'InvalidAssociationID.Malformed',
  },
} as const;

export type ResourceType = keyof typeof resourceTypes;

export function newResourceId(type: ResourceType): string {
  // 9 random bytes are 18 hex digits; AWS ids carry 17.
  return `${resourceTypes[type].prefix}-${randomBytes(9).toString('hex').slice(0, 17)}`;
}

/** Whether `id` has the form of an id of `type` (the old 8-digit form included, as AWS still accepts it). */
export function isResourceId(type: ResourceType, id: string): boolean {
  const { prefix } = resourceTypes[type];
  return id.startsWith(`${prefix}-`) && /^(?:[0-9a-f]{8}|[0-9a-f]{17})$/.test(id.slice(prefix.length + 1));
}

/** Throws the type's `.Malformed` error unless `id` has its form. */
export function assertResourceId(type: ResourceType, id: string): void {
  if (!isResourceId(type, id)) throw ec2Errors.malformed(resourceTypes[type].malformed, id);
}

/** The resource type an id's prefix names, if any. */
export function resourceTypeOfId(id: string): ResourceType | undefined {
  const prefix = id.slice(0, id.indexOf('-'));
  for (const [type, entry] of Object.entries(resourceTypes)) {
    if (entry.prefix === prefix && isResourceId(type as ResourceType, id)) return type as ResourceType;
  }
  return undefined;
}
