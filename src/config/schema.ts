import type { ValueKind } from './validation-messages.js';
import type {
  CloudYaml,
  ComponentYaml,
  DatabaseYaml,
  HostYaml,
  NetworkYaml,
  ObjectStoreYaml,
  SshYaml,
  ZoneYaml,
} from './types.js';

/** The keys one mapping of cloud.yaml allows, with the YAML type of each value. */
export interface FieldSpec {
  kind: ValueKind;
  required?: boolean;
}
export type Shape = Record<string, FieldSpec>;

type KindOf<V> = V extends string
  ? 'string'
  : V extends number
    ? 'integer'
    : V extends boolean
      ? 'boolean'
      : V extends readonly unknown[]
        ? 'list'
        : 'mapping';

/** Ties each shape to its interface in types.ts: same keys, matching kinds, required exactly where the type is. */
type ShapeOf<T> = {
  [K in keyof Required<T>]: undefined extends T[K]
    ? { kind: KindOf<NonNullable<T[K]>>; required?: false }
    : { kind: KindOf<T[K]>; required: true };
};

export const cloudShape = {
  name: { kind: 'string', required: true },
  region: { kind: 'string' },
  dataDir: { kind: 'string' },
  database: { kind: 'mapping' },
  objectStore: { kind: 'mapping' },
  network: { kind: 'mapping' },
  hosts: { kind: 'list', required: true },
  zones: { kind: 'list', required: true },
  components: { kind: 'list', required: true },
} as const satisfies ShapeOf<CloudYaml>;

export const databaseShape = {
  engine: { kind: 'string' },
  url: { kind: 'string' },
} as const satisfies ShapeOf<DatabaseYaml>;

export const objectStoreShape = {
  engine: { kind: 'string' },
  endpoint: { kind: 'string' },
  bucket: { kind: 'string' },
  prefix: { kind: 'string' },
  region: { kind: 'string' },
  accessKeyId: { kind: 'string' },
  secretAccessKey: { kind: 'string' },
  caFile: { kind: 'string' },
} as const satisfies ShapeOf<ObjectStoreYaml>;

/** S3 bucket names: 3-63 lower-case letters, digits, dots and hyphens, starting and ending with a letter or digit. */
export const s3BucketName = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

export const networkShape = {
  privateSubnet: { kind: 'string' },
  publicIps: { kind: 'list' },
  dnsServers: { kind: 'list' },
  bridge: { kind: 'string' },
} as const satisfies ShapeOf<NetworkYaml>;

export const hostShape = {
  name: { kind: 'string', required: true },
  address: { kind: 'string', required: true },
  ssh: { kind: 'mapping' },
  dataDir: { kind: 'string' },
} as const satisfies ShapeOf<HostYaml>;

export const sshShape = {
  user: { kind: 'string' },
  port: { kind: 'integer' },
  key: { kind: 'string' },
  sudo: { kind: 'boolean' },
} as const satisfies ShapeOf<SshYaml>;

export const zoneShape = {
  name: { kind: 'string', required: true },
  subnet: { kind: 'string' },
} as const satisfies ShapeOf<ZoneYaml>;

export const componentShape = {
  component: { kind: 'string', required: true },
  host: { kind: 'string', required: true },
  zone: { kind: 'string' },
  port: { kind: 'integer' },
  dataDir: { kind: 'string' },
  hypervisor: { kind: 'string' },
} as const satisfies ShapeOf<ComponentYaml>;

/** Names: the cloud, its region and zones appear in EC2 API answers, so they keep to DNS-label characters. */
export const dnsLabelName = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;
/** Host names are only used inside cloud.yaml and the installer's output. */
export const hostName = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
export const interfaceName = /^[A-Za-z0-9._-]{1,15}$/;
