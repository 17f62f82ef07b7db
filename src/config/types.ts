import type { ProblemCode } from './validation-messages.js';

/** The five Mallee daemons, by the names Eucalyptus users know. */
export const componentNames = ['clc', 'walrus', 'cc', 'sc', 'nc'] as const;
export type ComponentName = (typeof componentNames)[number];

/** Components that serve one zone and so need `zone:`; clc and walrus serve the whole cloud. */
export const zonedComponents = ['cc', 'sc', 'nc'] as const satisfies readonly ComponentName[];
export type ZonedComponentName = (typeof zonedComponents)[number];
export type CloudWideComponentName = Exclude<ComponentName, ZonedComponentName>;

export const databaseEngines = ['sqlite', 'postgresql'] as const;
export type DatabaseEngine = (typeof databaseEngines)[number];

export const objectStoreEngines = ['local', 's3'] as const;
export type ObjectStoreEngine = (typeof objectStoreEngines)[number];

/** cloud.yaml as an operator writes it: only `name`, `hosts`, `zones` and `components` are required. */
export interface CloudYaml {
  name: string;
  region?: string;
  dataDir?: string;
  database?: DatabaseYaml;
  objectStore?: ObjectStoreYaml;
  network?: NetworkYaml;
  hosts: HostYaml[];
  zones: ZoneYaml[];
  components: ComponentYaml[];
}

export interface DatabaseYaml {
  engine?: DatabaseEngine;
  url?: string;
}

/** Where Walrus keeps objects' bytes: its own disk (`local`), or a bucket of an S3-compatible engine (`s3`). */
export interface ObjectStoreYaml {
  engine?: string;
  /** The engine's S3 endpoint, `https://rgw.example.internal:7480` (s3 only). */
  endpoint?: string;
  bucket?: string;
  /** Keys are put under it (`walrus/`), so the bucket can hold other things too. */
  prefix?: string;
  region?: string;
  accessKeyId?: string;
  secretAccessKey?: string;
  /** A CA bundle on the walrus host for an endpoint whose certificate a public CA did not sign. */
  caFile?: string;
}

export interface NetworkYaml {
  privateSubnet?: string;
  /** Ranges `a.b.c.d-a.b.c.e` or CIDRs handed out as instances' public addresses. */
  publicIps?: string[];
  dnsServers?: string[];
  bridge?: string;
}

export interface HostYaml {
  name: string;
  /** IPv4, IPv6 or a hostname the installer can reach over SSH. */
  address: string;
  ssh?: SshYaml;
  dataDir?: string;
}

export interface SshYaml {
  user?: string;
  port?: number;
  key?: string;
  sudo?: boolean;
}

export interface ZoneYaml {
  name: string;
  subnet?: string;
}

export interface ComponentYaml {
  component: ComponentName;
  host: string;
  zone?: string;
  port?: number;
  dataDir?: string;
  hypervisor?: string;
}

/** A cloud after validation, with every default applied. */
export interface CloudConfig {
  name: string;
  region: string;
  dataDir: string;
  database: DatabaseConfig;
  objectStore: ObjectStoreConfig;
  network: NetworkConfig;
  hosts: HostConfig[];
  zones: ZoneConfig[];
  components: ComponentConfig[];
}

export type DatabaseConfig = { engine: 'sqlite' } | { engine: 'postgresql'; url: string };

export type ObjectStoreConfig = { engine: 'local' } | S3ObjectStoreConfig;

export interface S3ObjectStoreConfig {
  engine: 's3';
  endpoint: string;
  bucket: string;
  /** Empty, or ending with `/`. */
  prefix: string;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
  caFile?: string;
}

export interface NetworkConfig {
  privateSubnet: string;
  publicIps: string[];
  dnsServers: string[];
  /** Absent when cloud.yaml names none: the installer then picks the bridge per host. */
  bridge?: string;
}

export interface HostConfig {
  name: string;
  address: string;
  ssh: SshConfig;
  /** The host's own `dataDir`, or the cloud's. */
  dataDir: string;
}

export interface SshConfig {
  user: string;
  port: number;
  /** Absent: ssh-agent or the user's default keys. */
  key?: string;
  sudo: boolean;
}

export interface ZoneConfig {
  name: string;
  subnet?: string;
}

interface ComponentConfigBase {
  host: string;
  port: number;
  /** The component's own `dataDir`, or `HOST_DATA_DIR/COMPONENT`. */
  dataDir: string;
}

export interface CloudWideComponentConfig extends ComponentConfigBase {
  component: CloudWideComponentName;
}

export interface ZoneComponentConfig extends ComponentConfigBase {
  component: 'cc' | 'sc';
  zone: string;
}

export interface NodeComponentConfig extends ComponentConfigBase {
  component: 'nc';
  zone: string;
  /** libvirt URI: `qemu:///system` in production, `test:///default` for tests. */
  hypervisor: string;
}

export type ComponentConfig = CloudWideComponentConfig | ZoneComponentConfig | NodeComponentConfig;

/** One thing wrong with a cloud.yaml, at the 1-based line and column of the offending node. */
export interface Problem {
  file: string;
  line: number;
  column: number;
  /** Stable kebab-case id, e.g. `unknown-key`; `problemMessages` lists them all. */
  code: ProblemCode;
  message: string;
  hint: string;
}
