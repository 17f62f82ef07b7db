import type { Kysely } from 'kysely';
import type { DispatchContext } from '../../../src/aws/protocol/query-dispatcher.js';
import type { Database } from '../../../src/db/schema.js';
import type { Principal } from '../models/accounts.js';
import type { AddressPool } from '../models/addresses.js';
import type { ImageStore } from '../models/images.js';
import type { ZoneCapacity } from '../models/instance-types.js';
import type { VolumeBackend } from '../models/volumes.js';
import type { InstanceScheduler } from '../scheduler.js';

/** The cloud as the clc's handlers see it: its region, its zones and its public endpoints. */
export interface CloudTopology {
  region: string;
  /** Availability zones in name order; each is served by one cluster controller. */
  zones: readonly ZoneTopology[];
  /** The URL the EC2 API answers on (what `DescribeRegions` reports). */
  ec2Endpoint: string;
  /** Free and total resources per zone, from its cluster controller; absent until one is registered. */
  capacity?: ZoneCapacity;
  /** Checks that a registered image's bundle is in the object store; absent until Walrus is registered. */
  imageStore?: ImageStore;
  /** Runs instances at the zones' cluster controllers; absent when no zone has one. */
  instances?: InstanceScheduler;
  /** The public addresses Elastic IPs are allocated from; none can be allocated without it. */
  addressPool?: AddressPool;
  /** Fulfils volumes and snapshots at the zones' storage controllers; without it they are records only. */
  volumes?: VolumeBackend;
}

export interface ZoneTopology {
  name: string;
  /** The zone's cluster controller (cc.wsdl), when one is registered. */
  clusterUrl?: string;
}

/**
 * What every EC2, IAM and STS handler gets besides its input: who signed the request (every model call is scoped to
 * `caller.accountId`), the database, and the cloud's shape. Handlers never see HTTP.
 */
export interface ClcContext extends DispatchContext {
  caller: Principal;
  db: Kysely<Database>;
  cloud: CloudTopology;
}
