import type { ComponentName } from './types.js';

/** Default port and a one-line description per component; the ports are the Eucalyptus numbers users recognise. */
export const componentDefaults: Record<ComponentName, { port: number; description: string }> = {
  clc: { port: 8773, description: 'Cloud Controller: EC2 and IAM/STS APIs, accounts, scheduling across zones' },
  cc: { port: 8774, description: 'Cluster Controller: one per zone, picks a node for each instance' },
  nc: { port: 8775, description: 'Node Controller: runs instances on its host through libvirt' },
  walrus: { port: 8776, description: 'Walrus: S3-compatible object storage for buckets and machine images' },
  sc: { port: 8777, description: 'Storage Controller: one per zone, EBS-style volumes and snapshots' },
};

/** Values cloud.yaml may leave out. */
export const cloudDefaults = {
  region: 'mallee-1',
  dataDir: '/var/lib/mallee',
  databaseEngine: 'sqlite',
  /** What an S3-compatible engine that ignores regions (Ceph RGW's default zonegroup) is signed for. */
  objectStoreRegion: 'us-east-1',
  privateSubnet: '172.31.0.0/16',
  sshUser: 'root',
  sshPort: 22,
  sshSudo: false,
  hypervisor: 'qemu:///system',
} as const;
