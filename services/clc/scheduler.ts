import type { Kysely, Selectable } from 'kysely';
import type { Logger } from 'pino';
import type { ClusterController, ClusterResources } from '../../src/clients/cluster-controller.js';
import type { NodeImage, NodeInstanceSpec } from '../../src/clients/node-controller.js';
import type { Database, InstancesTable } from '../../src/db/schema.js';
import type { ZoneTopology } from './handlers/context.js';
import { requireLaunchableImage } from './models/images.js';
import { availabilityOf, instanceTypeSpec, type ZoneCapacity, type ZoneResources } from './models/instance-types.js';
import {
  applyReport,
  clearAction,
  failLaunch,
  forgetTerminated,
  instancesToDispatch,
  instancesWithActions,
  liveInstancesOfZone,
  markDispatched,
  undispatchedTypes,
} from './models/instances.js';
import { publicKeyOf } from './models/key-pairs.js';

type InstanceRow = Selectable<InstancesTable>;

/** What the EC2 handlers need of the scheduler: room per zone, a nudge after writing work, console output. */
export interface InstanceScheduler extends ZoneCapacity {
  /** How many more instances of the type fit in the zone now. */
  fits(zone: string, instanceType: string): Promise<number>;
  /** Work was written (a launch, an action): carry it out soon. */
  kick(): void;
  consoleOutput(zone: string, instanceId: string): Promise<{ output: string; timestamp: Date }>;
}

export interface SchedulerOptions {
  db: Kysely<Database>;
  zones: readonly ZoneTopology[];
  connect: (url: string) => Promise<ClusterController>;
  log: Logger;
  /** `bucket/key` of an image to the URL its node fetches it from. */
  imageUrl: (location: string) => string;
  /** How often the zones are asked what their instances do (default 2 s). */
  syncIntervalMs?: number;
}

/**
 * The clc's side of running instances. The API writes launches and actions into the database and returns; this
 * carries them out at each zone's cluster controller (cc.wsdl) and brings back what the zones report, in rounds:
 *   1. dispatch: pending instances not yet taken go to their zone, a reservation at a time (the cc places all of a
 *      batch or none, and takes a batch it already has as a retry, so a clc killed mid-dispatch repeats it safely);
 *   2. actions: stops, starts, reboots and terminates accepted by the API;
 *   3. reconcile: each zone's report of its instances updates their state;
 *   4. forget terminated instances older than an hour.
 * A zone that does not answer keeps its work for the next round: nothing accepted is dropped.
 */
export class Scheduler implements InstanceScheduler {
  private readonly clients = new Map<string, Promise<ClusterController>>();
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  private stopped = false;

  constructor(private readonly options: SchedulerOptions) {}

  start(): void {
    this.stopped = false;
    this.schedule(0);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
  }

  kick(): void {
    if (this.stopped) return;
    if (this.running) this.again = true;
    else this.schedule(0);
  }

  private schedule(delayMs: number): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.round(), delayMs);
  }

  private async round(): Promise<void> {
    if (this.running || this.stopped) return;
    this.running = this.syncOnce().catch((error: unknown) =>
      this.options.log.error({ err: error }, 'scheduler round failed'),
    );
    await this.running;
    this.running = undefined;
    if (this.stopped) return;
    const again = this.again;
    this.again = false;
    this.schedule(again ? 0 : (this.options.syncIntervalMs ?? 2000));
  }

  /** One round, for tests and benchmarks that want the zones' state now. */
  async syncOnce(): Promise<void> {
    await this.dispatch();
    await this.carryOutActions();
    await this.reconcile();
    await forgetTerminated(this.options.db);
  }

  private zone(name: string): ZoneTopology | undefined {
    return this.options.zones.find((zone) => zone.name === name);
  }

  private cluster(zoneName: string): Promise<ClusterController> | undefined {
    const url = this.zone(zoneName)?.clusterUrl;
    if (!url) return undefined;
    let client = this.clients.get(url);
    if (!client) {
      client = this.options.connect(url);
      // A failed connection is retried next time.
      client.catch(() => this.clients.delete(url));
      this.clients.set(url, client);
    }
    return client;
  }

  async capacityOf(zone: string): Promise<ZoneResources | undefined> {
    const cluster = this.cluster(zone);
    if (!cluster) return undefined;
    let resources: ClusterResources;
    try {
      resources = await (await cluster).describeResources();
    } catch (error) {
      this.options.log.warn({ zone, err: error }, 'cluster controller did not report resources');
      return undefined;
    }
    const nodes = resources.nodes
      .filter((node) => node.reachable && node.resource?.enabled)
      .map((node) => {
        const resource = node.resource!;
        return {
          free: { cores: resource.cores.free, memoryMiB: resource.memoryMiB.free, diskGiB: resource.diskGiB.free },
          total: { cores: resource.cores.total, memoryMiB: resource.memoryMiB.total, diskGiB: resource.diskGiB.total },
        };
      });
    return {
      free: { cores: resources.cores.free, memoryMiB: resources.memoryMiB.free, diskGiB: resources.diskGiB.free },
      total: { cores: resources.cores.total, memoryMiB: resources.memoryMiB.total, diskGiB: resources.diskGiB.total },
      nodes,
    };
  }

  /**
   * Instances of the type the zone can still take: what its cc reports free, less what this clc has accepted for the
   * zone and not yet handed over (placed on the nodes as the cc would place them, most free memory first).
   */
  async fits(zone: string, instanceType: string): Promise<number> {
    const capacity = await this.capacityOf(zone);
    if (!capacity) return 0;
    const nodes = (capacity.nodes ?? [{ free: capacity.free, total: capacity.total }]).map((node) => ({
      free: { ...node.free },
      total: node.total,
    }));
    for (const type of await undispatchedTypes(this.options.db, zone)) {
      const spec = instanceTypeSpec(type);
      const node = nodes
        .filter(
          (n) => n.free.cores >= spec.vcpus && n.free.memoryMiB >= spec.memoryMiB && n.free.diskGiB >= spec.diskGiB,
        )
        .sort((a, b) => b.free.memoryMiB - a.free.memoryMiB)[0];
      if (!node) continue;
      node.free.cores -= spec.vcpus;
      node.free.memoryMiB -= spec.memoryMiB;
      node.free.diskGiB -= spec.diskGiB;
    }
    return availabilityOf(instanceTypeSpec(instanceType), { ...capacity, nodes }).available;
  }

  async consoleOutput(zone: string, instanceId: string): Promise<{ output: string; timestamp: Date }> {
    const cluster = this.cluster(zone);
    if (!cluster) return { output: '', timestamp: new Date() };
    return (await cluster).getConsoleOutput(instanceId);
  }

  private async dispatch(): Promise<void> {
    const { db, log } = this.options;
    const byReservation = new Map<string, InstanceRow[]>();
    for (const row of await instancesToDispatch(db)) {
      const batch = byReservation.get(row.reservation_id) ?? [];
      batch.push(row);
      byReservation.set(row.reservation_id, batch);
    }
    for (const rows of byReservation.values()) {
      const zone = (rows[0] as InstanceRow).zone;
      const cluster = this.cluster(zone);
      if (!cluster) {
        for (const row of rows) {
          await failLaunch(db, row.instance_id, {
            code: 'Server.InsufficientInstanceCapacity',
            message: `no cluster controller serves ${zone}`,
          });
        }
        continue;
      }
      let specs: NodeInstanceSpec[];
      try {
        specs = await Promise.all(rows.map((row) => this.specOf(row)));
      } catch (error) {
        for (const row of rows) {
          await failLaunch(db, row.instance_id, { code: 'Server.InternalError', message: (error as Error).message });
        }
        continue;
      }
      try {
        const reports = await (await cluster).runInstances(specs);
        for (const row of rows) {
          await markDispatched(db, row.instance_id);
          await applyReport(
            db,
            { ...row, dispatched: 1 },
            reports.find((r) => r.instanceId === row.instance_id),
          );
        }
      } catch (error) {
        const code = (error as { code?: string }).code;
        if (code === 'InsufficientInstanceCapacity') {
          for (const row of rows) {
            await failLaunch(db, row.instance_id, {
              code: 'Server.InsufficientInstanceCapacity',
              message: (error as Error).message,
            });
          }
        } else {
          // Not answering: the batch stays undispatched and goes again next round.
          log.warn({ zone, err: error }, 'cluster controller did not take a launch; retrying next round');
        }
      }
    }
  }

  private async specOf(row: InstanceRow): Promise<NodeInstanceSpec> {
    const { db, imageUrl } = this.options;
    const type = instanceTypeSpec(row.instance_type);
    const image = async (id: string): Promise<NodeImage> => {
      const found = await requireLaunchableImage(db, row.account_id, id);
      if (!found.imageLocation) throw new Error(`image ${id} has no location in the object store`);
      return { imageId: id, url: imageUrl(found.imageLocation) };
    };
    return {
      instanceId: row.instance_id,
      reservationId: row.reservation_id,
      accountId: row.account_id,
      instanceType: row.instance_type,
      cores: type.vcpus,
      memoryMiB: type.memoryMiB,
      diskGiB: type.diskGiB,
      machine: await image(row.image_id),
      ...(row.kernel_id !== null && { kernel: await image(row.kernel_id) }),
      ...(row.ramdisk_id !== null && { ramdisk: await image(row.ramdisk_id) }),
      ...(row.key_name !== null && {
        keyName: row.key_name,
        publicKey: await publicKeyOf(db, row.account_id, row.key_name),
      }),
      ...(row.user_data !== null && { userData: row.user_data }),
      macAddress: row.mac_address,
    };
  }

  private async carryOutActions(): Promise<void> {
    const { db, log } = this.options;
    for (const row of await instancesWithActions(db)) {
      const cluster = this.cluster(row.zone);
      const action = row.pending_action;
      if (!cluster || !action) continue;
      try {
        const client = await cluster;
        if (action === 'terminate') await client.terminateInstances([row.instance_id]);
        else if (action === 'stop') await client.stopInstance(row.instance_id);
        else if (action === 'start') await client.startInstance(row.instance_id);
        else await client.rebootInstances([row.instance_id]);
        await clearAction(db, row.instance_id, action);
      } catch (error) {
        log.warn({ instanceId: row.instance_id, action, err: error }, 'instance action not carried out yet');
      }
    }
  }

  private async reconcile(): Promise<void> {
    const { db, log } = this.options;
    for (const zone of this.options.zones) {
      const cluster = this.cluster(zone.name);
      if (!cluster) continue;
      const rows = await liveInstancesOfZone(db, zone.name);
      if (rows.length === 0) continue;
      let reports;
      try {
        reports = await (await cluster).describeInstances();
      } catch (error) {
        log.warn({ zone: zone.name, err: error }, 'cluster controller did not report instances');
        continue;
      }
      const byId = new Map(reports.map((report) => [report.instanceId, report]));
      for (const row of rows) await applyReport(db, row, byId.get(row.instance_id));
    }
  }
}
