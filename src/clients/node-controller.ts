/**
 * What a cluster controller asks of a node controller, in TypeScript terms. `wsdl/nc.wsdl` is the wire contract;
 * `NodeControllerClient` (nc-client.ts) speaks it over mutual TLS, and the nc's SOAP handlers serve it. Instance ids,
 * reservation ids and sizes are decided upstream (clc, cc): the node only runs what it is told, idempotently (a
 * second `runInstance` for an id it already has returns that instance, changing nothing).
 */

export type NodeInstanceState = 'pending' | 'running' | 'stopping' | 'stopped' | 'shutting-down' | 'terminated';

/** An image the node fetches into its cache: machine (disk), kernel or ramdisk. */
export interface NodeImage {
  /** `ami-...`, `aki-...`, `ari-...`: the cache key. */
  imageId: string;
  /** Where to fetch it: an https URL of the object store (fetched with the cloud CA and this host's certificate) or a `file://` URL on the node. */
  url: string;
  /** Hex SHA-256 of the bytes when known; the cache refuses a download that does not match. */
  sha256?: string;
  sizeBytes?: number;
}

export interface NodeInstanceSpec {
  instanceId: string;
  reservationId: string;
  /** Owner account, for the node's records and logs. */
  accountId: string;
  instanceType: string;
  cores: number;
  memoryMiB: number;
  /** Root disk size; the copy-on-write overlay is grown to this. */
  diskGiB: number;
  machine: NodeImage;
  kernel?: NodeImage;
  ramdisk?: NodeImage;
  /** OpenSSH public key line, put on the NoCloud config drive. */
  publicKey?: string;
  keyName?: string;
  /** Base64, as EC2 takes it; written to the config drive as user-data. */
  userData?: string;
  /** A locally administered MAC chosen upstream, so a restart keeps the instance's address. */
  macAddress?: string;
}

export interface NodeInstance {
  instanceId: string;
  reservationId?: string;
  accountId?: string;
  state: NodeInstanceState;
  /** Why the instance is in its state, when something went wrong: `Server.ImageFetchFailure`, `Server.InternalError` ... */
  stateReason?: { code: string; message: string };
  launchTime?: Date;
  privateIpAddress?: string;
  macAddress?: string;
  instanceType?: string;
  /** Volumes attached to the instance, by the device name they were attached as. */
  volumes?: { volumeId: string; device: string }[];
}

/** A node's size and what is left of it (after the instances it runs), and how it runs guests. */
export interface NodeResource {
  nodeName: string;
  /** `kvm` with /dev/kvm, `qemu` for software emulation, `test` for libvirt's simulated driver. */
  virtualization: 'kvm' | 'qemu' | 'test';
  enabled: boolean;
  cores: { total: number; free: number };
  memoryMiB: { total: number; free: number };
  diskGiB: { total: number; free: number };
  instances: number;
}

export interface NodeController {
  runInstance(spec: NodeInstanceSpec): Promise<NodeInstance>;
  terminateInstance(instanceId: string): Promise<NodeInstance>;
  rebootInstance(instanceId: string): Promise<void>;
  startInstance(instanceId: string): Promise<NodeInstance>;
  stopInstance(instanceId: string): Promise<NodeInstance>;
  /** Every instance the node has (libvirt is the truth), or those named. */
  describeInstances(instanceIds?: readonly string[]): Promise<NodeInstance[]>;
  /** The serial console so far, base64 (EC2's `GetConsoleOutput` form), and when it was read. */
  getConsoleOutput(instanceId: string): Promise<{ output: string; timestamp: Date }>;
  describeResource(): Promise<NodeResource>;
  /** Draining: a disabled node keeps its instances and gets no new ones. */
  modifyNode(change: { enabled: boolean }): Promise<NodeResource>;
  attachVolume(input: { instanceId: string; volumeId: string; device: string; target: string }): Promise<void>;
  detachVolume(input: { instanceId: string; volumeId: string; device?: string; force?: boolean }): Promise<void>;
}
