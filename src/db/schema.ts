/**
 * The cloud controller's tables as Kysely sees them. Column names are snake_case, as they are in SQL; every type is
 * one both SQLite and PostgreSQL store the same way: text for ids, names and enums, ISO 8601 text (UTC, milliseconds)
 * for times, so they sort as text and need no dialect-specific date handling. Each migration that adds a table adds
 * its interface here.
 */
export interface Database {
  accounts: AccountsTable;
  users: UsersTable;
  access_keys: AccessKeysTable;
  ec2_resources: Ec2ResourcesTable;
  ec2_tags: Ec2TagsTable;
  reservations: ReservationsTable;
  instances: InstancesTable;
  key_pairs: KeyPairsTable;
  security_groups: SecurityGroupsTable;
  security_group_rules: SecurityGroupRulesTable;
  security_group_members: SecurityGroupMembersTable;
  images: ImagesTable;
  image_launch_permissions: ImageLaunchPermissionsTable;
  addresses: AddressesTable;
  volumes: VolumesTable;
  snapshots: SnapshotsTable;
  cloud_properties: CloudPropertiesTable;
}

/** Account states, as AWS Organizations spells them. */
export type AccountStatus = 'ACTIVE' | 'SUSPENDED';

/** Access key states, as IAM spells them. */
export type AccessKeyStatus = 'Active' | 'Inactive';

export interface AccountsTable {
  /** 12 digits. */
  account_id: string;
  /** Unique across the cloud. */
  account_name: string;
  status: AccountStatus;
  created_at: string;
}

export interface UsersTable {
  /** `AIDA` and 17 characters; unique across the cloud, as IAM's are. */
  user_id: string;
  account_id: string;
  /** As the user was created. */
  user_name: string;
  /** Lower-cased: IAM names are unique regardless of case. Unique per account; also the listing order. */
  user_name_key: string;
  path: string;
  created_at: string;
}

export interface AccessKeysTable {
  access_key_id: string;
  account_id: string;
  /** `null` for the account's root keys. */
  user_id: string | null;
  secret_access_key: string;
  status: AccessKeyStatus;
  created_at: string;
}

/** Every EC2 resource of every type: its id (`i-...`, `sg-...`), owner and type (`instance`, `security-group` ...). */
export interface Ec2ResourcesTable {
  resource_id: string;
  account_id: string;
  /** As EC2's `resource-type` filter of `DescribeTags` spells it. */
  resource_type: string;
  created_at: string;
}

export interface Ec2TagsTable {
  resource_id: string;
  /** The resource's owner, repeated so tag queries stay within one account without a join. */
  account_id: string;
  tag_key: string;
  tag_value: string;
}

export interface KeyPairsTable {
  /** `key-` and 17 hex digits. */
  key_pair_id: string;
  account_id: string;
  /** Unique per account. */
  key_name: string;
  key_type: 'rsa' | 'ed25519';
  /** As EC2 reports it, which depends on whether EC2 created the key or it was imported. */
  fingerprint: string;
  /** The `authorized_keys` line (`ssh-ed25519 AAAA... comment`). */
  public_key: string;
  created_at: string;
}

export interface SecurityGroupsTable {
  group_id: string;
  account_id: string;
  /** Unique per account; `default` is the group every account has. */
  group_name: string;
  description: string;
  created_at: string;
}

export interface SecurityGroupRulesTable {
  /** `sgr-` and 17 hex digits. */
  rule_id: string;
  group_id: string;
  account_id: string;
  /** 1 for an outbound rule, 0 for an inbound one. */
  is_egress: number;
  /** `tcp`, `udp`, `icmp`, `icmpv6`, `-1` (all) or another protocol number. */
  ip_protocol: string;
  /** -1 where the protocol has no ports (for ICMP: the type and code, -1 for all). */
  from_port: number;
  to_port: number;
  /** Exactly one of the three peers is set. */
  cidr_ipv4: string | null;
  cidr_ipv6: string | null;
  referenced_group_id: string | null;
  description: string | null;
  /** Direction, protocol, ports and peer in one string: unique per group, so a duplicate rule cannot be stored. */
  rule_key: string;
  /** The order rules were added in, within their group, which is the order EC2 lists them in. */
  position: number;
  created_at: string;
}

/** What is in a security group (an instance id): a group with members cannot be deleted. */
export interface SecurityGroupMembersTable {
  group_id: string;
  member_id: string;
  account_id: string;
}

/** Image types, as `DescribeImages` spells them in `ImageType`. */
export type ImageType = 'machine' | 'kernel' | 'ramdisk';

export interface ImagesTable {
  /** `ami-`, `aki-` or `ari-` by type. */
  image_id: string;
  /** The owner. */
  account_id: string;
  /** Unique per owner. */
  name: string;
  image_type: ImageType;
  /** `bucket/key` of the bundle manifest or image in the object store; null for EBS-backed images. */
  image_location: string | null;
  architecture: string;
  virtualization_type: string;
  /** `instance-store` or `ebs`. */
  root_device_type: string;
  root_device_name: string | null;
  kernel_id: string | null;
  ramdisk_id: string | null;
  description: string | null;
  /** JSON array of EC2 `BlockDeviceMapping`s. */
  block_device_mappings: string;
  state: string;
  created_at: string;
}

/** Who besides the owner may launch an image: an account id, or `all` (the image is public). */
export interface ImageLaunchPermissionsTable {
  image_id: string;
  grantee: string;
}

export interface ReservationsTable {
  reservation_id: string;
  account_id: string;
  client_token: string | null;
  request_hash: string;
  created_at: string;
}

export type InstanceStateName = 'pending' | 'running' | 'stopping' | 'stopped' | 'shutting-down' | 'terminated';

/** An operation accepted by the API and not yet carried out by the zone's cluster controller. */
export type InstanceAction = 'terminate' | 'stop' | 'start' | 'reboot';

export interface InstancesTable {
  instance_id: string;
  account_id: string;
  reservation_id: string;
  launch_index: number;
  zone: string;
  image_id: string;
  kernel_id: string | null;
  ramdisk_id: string | null;
  instance_type: string;
  architecture: string;
  virtualization_type: string;
  key_name: string | null;
  /** Base64, as the API took it. */
  user_data: string | null;
  client_token: string | null;
  mac_address: string;
  state: InstanceStateName;
  state_reason_code: string | null;
  state_reason_message: string | null;
  state_transition_reason: string | null;
  /** 1 once the zone's cluster controller has taken the instance. */
  dispatched: number;
  pending_action: InstanceAction | null;
  node_name: string | null;
  /** 0 while the node running it does not answer (its status is impaired). */
  node_reachable: number;
  private_ip_address: string | null;
  public_ip_address: string | null;
  launch_time: string;
  state_changed_at: string;
  /** 1: TerminateInstances refuses the instance (`DisableApiTermination`). */
  disable_api_termination: number;
  /** 1: StopInstances refuses the instance (`DisableApiStop`). */
  disable_api_stop: number;
}

/** An Elastic IP address an account holds, and the instance it is associated with. */
export interface AddressesTable {
  /** `eipalloc-` and 17 hex digits. */
  allocation_id: string;
  account_id: string;
  /** Unique across the cloud: from the clc's `publicAddresses` pool. */
  public_ip: string;
  /** `vpc` or `standard`, as the caller asked. */
  domain: string;
  /** `eipassoc-` and 17 hex digits while associated; the next three are set together with it. */
  association_id: string | null;
  instance_id: string | null;
  private_ip_address: string | null;
  allocated_at: string;
  associated_at: string | null;
}

export type VolumeState = 'creating' | 'available' | 'in-use' | 'deleting' | 'error';

export type VolumeAttachState = 'attaching' | 'attached' | 'detaching';

export interface VolumesTable {
  /** `vol-` and 17 hex digits. */
  volume_id: string;
  account_id: string;
  zone: string;
  size_gib: number;
  /** `standard`, `gp2` or `gp3`. */
  volume_type: string;
  iops: number | null;
  throughput: number | null;
  /** The snapshot it was created from. */
  snapshot_id: string | null;
  state: VolumeState;
  client_token: string | null;
  /** SHA-256 of the request's parameters, to tell a retry from a different request with the same token. */
  request_hash: string | null;
  /** The attachment, all four set or none. */
  instance_id: string | null;
  /** As the caller named it (`/dev/sdf`). */
  device: string | null;
  /** The device letter (`f`), unique per instance. */
  device_slot: string | null;
  attach_state: VolumeAttachState | null;
  attach_time: string | null;
  created_at: string;
}

export type SnapshotState = 'pending' | 'completed' | 'error';

export interface SnapshotsTable {
  /** `snap-` and 17 hex digits. */
  snapshot_id: string;
  account_id: string;
  /** The volume it was taken of, which may be gone since. */
  volume_id: string;
  volume_size_gib: number;
  zone: string;
  description: string;
  state: SnapshotState;
  /** `0%` to `100%`, as EC2 reports it. */
  progress: string;
  start_time: string;
}

/** A cloud property set away from its default (`cloudctl properties set`). */
export interface CloudPropertiesTable {
  name: string;
  /** As the registry normalises it: `3600`, `true`, `6h`. */
  value: string;
  updated_at: string;
  /** The operator who set it (the admin message's userId). */
  updated_by: string;
}
