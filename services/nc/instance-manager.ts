import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, open, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import type { Domain } from '@unraid/libvirt';
import type { Logger } from 'pino';
import type {
  NodeController,
  NodeInstance,
  NodeInstanceSpec,
  NodeInstanceState,
  NodeResource,
} from '../../src/clients/node-controller.js';
import type { PeerTls } from '../../src/runtime/peer-client.js';
import { writeConfigDrive } from './config-drive.js';
import { describeDomainXml, type DomainFacts } from './domain-description.js';
import { renderDomainXml, renderVolumeDiskXml, virtioTargetOf, volumeSerial } from './domain-template.js';
import type { HypervisorConnection } from './hypervisor-connection.js';
import { ImageCache, ImageCacheError } from './image-cache.js';
import { createOverlay } from './instance-disk.js';
import { ncErrors } from './nc-errors.js';
import { freeResources, readHostSize, type InstanceUsage } from './node-resources.js';

/** What the nc reads from its config's `settings`. */
export interface NcSettings {
  /** Size limit of the image cache under `dataDir/images` (default 20 GiB). */
  imageCacheBytes?: number;
  /** `user` (qemu's own NAT, no host setup; the default) or the name of a libvirt network such as `default`. */
  network?: string;
  /** How long a guest gets to shut down on stop or reboot before it is forced off (default 60 s). */
  stopTimeoutSeconds?: number;
  /** How long ncRunInstance waits for the launch before answering `pending` (default 30 s). */
  runWaitSeconds?: number;
  /**
   * The cores and memory the node offers instances, instead of the host's own (Eucalyptus's MAX_CORES and MAX_MEM):
   * more cores than the host has overcommits its CPUs, which small or idle guests bear well.
   */
  maxCores?: number;
  maxMemoryMiB?: number;
  /** The disk the node offers instances instead of its data disk's free space (Eucalyptus's NC_WORK_SIZE). */
  maxDiskGiB?: number;
}

export interface InstanceManagerOptions {
  connection: HypervisorConnection;
  dataDir: string;
  nodeName: string;
  settings: NcSettings;
  log: Logger;
  tls?: PeerTls;
}

/** Console output is EC2's: the most recent 64 KiB. */
const consoleTailBytes = 64 * 1024;
/** How long terminated (and failed) instances are still described, as EC2 shows them for about an hour. */
const goneRetentionMs = 60 * 60 * 1000;
const libvirtState: Record<number, NodeInstanceState> = {
  0: 'pending',
  1: 'running',
  2: 'running',
  3: 'running',
  4: 'stopping',
  5: 'stopped',
  6: 'stopped',
  7: 'stopped',
};
const crashed = 6;

interface Launch {
  spec: NodeInstanceSpec;
  launchTime: Date;
  done: Promise<void>;
}

interface Found {
  domain: Domain;
  facts: DomainFacts;
  state: NodeInstanceState;
  libvirtState: number;
}

/**
 * The instances of this node, with libvirt as the truth: every answer is read from libvirt's domains (named after
 * their instances, Mallee's facts in their `<metadata>`), so an nc that restarts finds what runs and leaves it
 * running. What lives only here is what libvirt cannot know: launches still fetching images, stops and reboots in
 * progress, and recently terminated instances.
 */
export class InstanceManager implements NodeController {
  readonly cache: ImageCache;
  private readonly launches = new Map<string, Launch>();
  private readonly powerOps = new Map<string, { kind: 'stop' | 'reboot'; done: Promise<void> }>();
  private readonly gone = new Map<string, { instance: NodeInstance; at: number }>();
  private enabled = true;

  constructor(private readonly options: InstanceManagerOptions) {
    this.cache = new ImageCache({
      dir: join(options.dataDir, 'images'),
      limitBytes: options.settings.imageCacheBytes ?? 20 * 2 ** 30,
      tls: options.tls,
      inUse: () => this.imagesInUse(),
    });
  }

  /** Reads the node's saved state and reports what libvirt runs; removes leftovers of launches a crash cut short. */
  async recover(): Promise<NodeInstance[]> {
    await mkdir(this.instancesDir, { recursive: true, mode: 0o755 });
    try {
      const saved = JSON.parse(await readFile(this.nodeStateFile, 'utf8')) as { enabled?: boolean };
      this.enabled = saved.enabled !== false;
    } catch {
      this.enabled = true;
    }
    const found = await this.listDomains();
    const known = new Set(found.map((item) => item.facts.name));
    for (const name of await readdir(this.instancesDir)) {
      if (!known.has(name)) await rm(join(this.instancesDir, name), { recursive: true, force: true });
    }
    return found.map((item) => this.toInstance(item));
  }

  async runInstance(spec: NodeInstanceSpec): Promise<NodeInstance> {
    validateSpec(spec);
    const existing = await this.find(spec.instanceId);
    if (existing) return existing;
    if (!this.enabled) throw ncErrors.nodeDisabled(this.options.nodeName);
    const resource = await this.describeResource();
    if (resource.memoryMiB.free < spec.memoryMiB) throw ncErrors.insufficientCapacity(this.options.nodeName, 'memory');
    if (resource.diskGiB.free < spec.diskGiB) throw ncErrors.insufficientCapacity(this.options.nodeName, 'disk');
    // A second call for the same id may have started while this one looked.
    let launch = this.launches.get(spec.instanceId);
    if (!launch) {
      const launchTime = new Date(Math.floor(Date.now() / 1000) * 1000);
      launch = { spec, launchTime, done: Promise.resolve() };
      launch.done = this.launch(spec, launchTime);
      this.launches.set(spec.instanceId, launch);
    }
    const waitMs = (this.options.settings.runWaitSeconds ?? 30) * 1000;
    await Promise.race([launch.done, delay(waitMs, undefined, { ref: false })]);
    return (await this.find(spec.instanceId)) ?? this.pendingView(launch);
  }

  async terminateInstance(instanceId: string): Promise<NodeInstance> {
    await this.launches.get(instanceId)?.done;
    const found = await this.findDomain(instanceId);
    if (!found) {
      const gone = this.goneRecord(instanceId);
      if (gone) return gone;
      throw ncErrors.instanceNotFound(instanceId);
    }
    const hypervisor = await this.options.connection.open();
    if (found.libvirtState !== 5) await hypervisor.domainDestroy(found.domain).catch(() => undefined);
    await hypervisor.domainUndefine(found.domain);
    await rm(this.instanceDir(instanceId), { recursive: true, force: true });
    const instance: NodeInstance = { ...this.toInstance(found), state: 'terminated', volumes: [] };
    this.gone.set(instanceId, { instance, at: Date.now() });
    this.options.log.info({ instanceId }, 'instance terminated');
    return instance;
  }

  async stopInstance(instanceId: string): Promise<NodeInstance> {
    const found = await this.requireDomain(instanceId, 'stopped');
    if (found.state === 'stopped') return this.toInstance(found);
    const operation = this.powerCycle(instanceId, found.domain, 'stop');
    // A guest that shuts down at once (or the simulated one) is answered as stopped.
    await Promise.race([operation, delay(1000, undefined, { ref: false })]);
    return this.toInstance(await this.requireDomain(instanceId, 'stopped'));
  }

  async startInstance(instanceId: string): Promise<NodeInstance> {
    const found = await this.requireDomain(instanceId, 'started');
    if (this.powerOps.has(instanceId)) throw ncErrors.incorrectState(instanceId, 'stopping', 'started');
    if (found.state === 'running') return this.toInstance(found);
    const hypervisor = await this.options.connection.open();
    await hypervisor.domainCreate(found.domain);
    this.options.log.info({ instanceId }, 'instance started');
    return this.toInstance(await this.requireDomain(instanceId, 'started'));
  }

  async rebootInstance(instanceId: string): Promise<void> {
    const found = await this.requireDomain(instanceId, 'rebooted');
    if (this.powerOps.get(instanceId)?.kind === 'reboot') return;
    if (found.state !== 'running' || this.powerOps.has(instanceId)) {
      throw ncErrors.incorrectState(instanceId, this.toInstance(found).state, 'rebooted');
    }
    // The binding has no virDomainReboot: an orderly shutdown (forced after the timeout), then a fresh start.
    void this.powerCycle(instanceId, found.domain, 'reboot');
  }

  async describeInstances(instanceIds: readonly string[] = []): Promise<NodeInstance[]> {
    const wanted = instanceIds.length > 0 ? new Set(instanceIds) : undefined;
    const byId = new Map<string, NodeInstance>();
    this.pruneGone();
    for (const [id, record] of this.gone) byId.set(id, record.instance);
    for (const item of await this.listDomains()) byId.set(item.facts.name, this.toInstance(item));
    for (const launch of this.launches.values()) {
      if (!byId.has(launch.spec.instanceId) || byId.get(launch.spec.instanceId)?.state === 'terminated') {
        byId.set(launch.spec.instanceId, this.pendingView(launch));
      }
    }
    return [...byId.values()]
      .filter((instance) => !wanted || wanted.has(instance.instanceId))
      .sort((a, b) => a.instanceId.localeCompare(b.instanceId));
  }

  async getConsoleOutput(instanceId: string): Promise<{ output: string; timestamp: Date }> {
    const found = await this.requireDomain(instanceId, 'read');
    const path = found.facts.consoleLog ?? this.consoleLog(instanceId);
    const timestamp = new Date();
    let output = Buffer.alloc(0);
    try {
      const file = await open(path, 'r');
      try {
        const { size } = await file.stat();
        const length = Math.min(size, consoleTailBytes);
        output = Buffer.alloc(length);
        await file.read(output, 0, length, size - length);
      } finally {
        await file.close();
      }
    } catch (error) {
      // No file yet: the guest has printed nothing (and the simulated hypervisor never does).
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
    return { output: output.toString('base64'), timestamp };
  }

  /** The data disk as instances may use it: the real one, or `maxDiskGiB` less what overlays already hold. */
  private diskOffered(disk: { totalBytes: number; availableBytes: number }, usage: readonly InstanceUsage[]) {
    const offered = this.options.settings.maxDiskGiB;
    if (offered === undefined) return disk;
    const totalBytes = offered * 2 ** 30;
    const held = usage.reduce((sum, instance) => sum + instance.diskAllocatedBytes, 0);
    return { totalBytes, availableBytes: Math.max(0, totalBytes - held) };
  }

  async describeResource(): Promise<NodeResource> {
    const [host, found, virtualization] = await Promise.all([
      readHostSize(this.options.dataDir),
      this.listDomains(),
      this.options.connection.virtualization(),
    ]);
    const usage: InstanceUsage[] = await Promise.all(
      found.map(async (item) => ({
        running: item.state !== 'stopped',
        cores: item.facts.cores,
        memoryMiB: item.facts.memoryMiB,
        diskGiB: item.facts.metadata?.diskGiB ?? 0,
        diskAllocatedBytes: await allocatedBytes(join(this.instanceDir(item.facts.name), 'disk.qcow2')),
      })),
    );
    const launching = [...this.launches.values()].filter(
      (launch) => !found.some((item) => item.facts.name === launch.spec.instanceId),
    );
    for (const launch of launching) {
      const { cores, memoryMiB, diskGiB } = launch.spec;
      usage.push({ running: true, cores, memoryMiB, diskGiB, diskAllocatedBytes: 0 });
    }
    return {
      nodeName: this.options.nodeName,
      virtualization,
      enabled: this.enabled,
      ...freeResources(
        {
          ...host,
          cores: this.options.settings.maxCores ?? host.cores,
          memoryMiB: this.options.settings.maxMemoryMiB ?? host.memoryMiB,
          disk: this.diskOffered(host.disk, usage),
        },
        usage,
      ),
      instances: usage.length,
    };
  }

  async modifyNode(change: { enabled: boolean }): Promise<NodeResource> {
    this.enabled = change.enabled;
    await mkdir(this.options.dataDir, { recursive: true });
    await writeFile(this.nodeStateFile, JSON.stringify({ enabled: this.enabled }));
    this.options.log.info({ enabled: this.enabled }, this.enabled ? 'node enabled' : 'node disabled: draining');
    return this.describeResource();
  }

  async attachVolume(input: { instanceId: string; volumeId: string; device: string; target: string }): Promise<void> {
    const found = await this.requireDomain(input.instanceId, 'given a volume');
    const targetDev = virtioTargetOf(input.device);
    if (!targetDev) {
      throw ncErrors.invalidParameter('device', input.device, 'Use a name such as /dev/sdf (sdb to sdz).');
    }
    const attached = found.facts.volumes.find((volume) => volume.volumeId === input.volumeId);
    if (attached?.target === targetDev) return;
    if (attached || found.facts.disks.some((disk) => disk.target === targetDev)) {
      throw ncErrors.deviceInUse(input.device, input.instanceId);
    }
    const target = await stat(input.target).catch(() => undefined);
    if (!target) throw ncErrors.invalidParameter('target', input.target, 'No such block device or file on this node.');
    const diskXml = renderVolumeDiskXml({
      volumeId: input.volumeId,
      target: input.target,
      targetDev,
      blockDevice: target.isBlockDevice(),
    });
    if (this.options.connection.simulated) {
      await this.redefine(found, (xml) => xml.replace(/<\/devices>/, `${diskXml}</devices>`));
    } else {
      const file = join(this.instanceDir(input.instanceId), `attach-${input.volumeId}.xml`);
      await writeFile(file, diskXml);
      try {
        await this.options.connection.virsh(['attach-device', input.instanceId, file, '--persistent']);
      } finally {
        await rm(file, { force: true });
      }
    }
    this.options.log.info({ instanceId: input.instanceId, volumeId: input.volumeId, targetDev }, 'volume attached');
  }

  async detachVolume(input: { instanceId: string; volumeId: string; device?: string; force?: boolean }): Promise<void> {
    const found = await this.requireDomain(input.instanceId, 'relieved of a volume');
    const attached = found.facts.volumes.find((volume) => volume.volumeId === input.volumeId);
    if (!attached) throw ncErrors.attachmentNotFound(input.volumeId, input.instanceId);
    if (this.options.connection.simulated) {
      const serial = `<serial>${volumeSerial(input.volumeId)}</serial>`;
      await this.redefine(found, (xml) =>
        xml.replace(/<disk\b[\s\S]*?<\/disk>\s*/g, (disk) => (disk.includes(serial) ? '' : disk)),
      );
    } else {
      await this.options.connection.virsh(['detach-disk', input.instanceId, attached.target, '--persistent']);
    }
    this.options.log.info({ instanceId: input.instanceId, volumeId: input.volumeId }, 'volume detached');
  }

  /** Waits for launches and power operations in progress (for a clean shutdown and for tests). */
  async settle(): Promise<void> {
    await Promise.all([...this.launches.values()].map((launch) => launch.done));
    await Promise.all([...this.powerOps.values()].map((operation) => operation.done));
  }

  private async launch(spec: NodeInstanceSpec, launchTime: Date): Promise<void> {
    const { instanceId } = spec;
    const log = this.options.log.child({ instanceId });
    const dir = this.instanceDir(instanceId);
    const images = [spec.machine, spec.kernel, spec.ramdisk].filter((image) => image !== undefined);
    const release = this.cache.pin(images.map((image) => image.imageId));
    try {
      await mkdir(dir, { recursive: true, mode: 0o755 });
      const [machine, kernel, ramdisk] = await Promise.all([
        this.cache.fetch(spec.machine),
        spec.kernel && this.cache.fetch(spec.kernel),
        spec.ramdisk && this.cache.fetch(spec.ramdisk),
      ]);
      const disk = join(dir, 'disk.qcow2');
      await createOverlay({ base: machine.path, baseFormat: machine.format, path: disk, sizeGiB: spec.diskGiB });
      const configDrive = join(dir, 'cidata.iso');
      await writeConfigDrive(configDrive, {
        instanceId,
        hostname: instanceId,
        publicKey: spec.publicKey,
        userData: spec.userData,
      });
      const virtualization = await this.options.connection.virtualization();
      const xml = renderDomainXml({
        name: instanceId,
        domainType: virtualization,
        cores: spec.cores,
        memoryMiB: spec.memoryMiB,
        disk,
        configDrive,
        kernel: kernel ? kernel.path : undefined,
        ramdisk: ramdisk ? ramdisk.path : undefined,
        consoleLog: this.consoleLog(instanceId),
        macAddress: spec.macAddress ?? macAddressOf(instanceId),
        network: this.options.settings.network ?? 'user',
        metadata: {
          reservationId: spec.reservationId,
          accountId: spec.accountId,
          instanceType: spec.instanceType,
          launchTime,
          diskGiB: spec.diskGiB,
          keyName: spec.keyName,
          images: { machine: spec.machine.imageId, kernel: spec.kernel?.imageId, ramdisk: spec.ramdisk?.imageId },
        },
      });
      // Kept beside the disk: what was asked of libvirt, for whoever debugs (or benchmarks) a boot.
      await writeFile(join(dir, 'domain.xml'), xml);
      const hypervisor = await this.options.connection.open();
      const domain = await hypervisor.domainDefineXML(xml);
      try {
        await hypervisor.domainCreate(domain);
      } catch (error) {
        await hypervisor.domainUndefine(domain).catch(() => undefined);
        throw error;
      }
      log.info({ virtualization, kernelBoot: kernel !== undefined }, 'instance started');
    } catch (error) {
      const stateReason =
        error instanceof ImageCacheError
          ? { code: error.code, message: error.message }
          : { code: 'Server.InternalError', message: `launch failed: ${(error as Error).message}` };
      log.warn({ err: error, stateReason }, 'instance launch failed');
      await rm(dir, { recursive: true, force: true });
      const instance: NodeInstance = { ...this.pendingView({ spec, launchTime }), state: 'terminated', stateReason };
      this.gone.set(instanceId, { instance, at: Date.now() });
    } finally {
      release();
      this.launches.delete(instanceId);
    }
  }

  /** Orderly shutdown, forced off after the timeout; then, for a reboot, a fresh start. */
  private powerCycle(instanceId: string, domain: Domain, kind: 'stop' | 'reboot'): Promise<void> {
    const running = this.powerOps.get(instanceId);
    if (running) return running.done;
    const log = this.options.log.child({ instanceId });
    const done = (async () => {
      const hypervisor = await this.options.connection.open();
      const isOff = async () => (await hypervisor.domainGetInfo(domain)).state === 5;
      await hypervisor.domainShutdown(domain).catch(() => undefined);
      const deadline = Date.now() + (this.options.settings.stopTimeoutSeconds ?? 60) * 1000;
      while (!(await isOff()) && Date.now() < deadline) await delay(250);
      if (!(await isOff())) {
        log.info('guest did not shut down in time: forcing it off');
        await hypervisor.domainDestroy(domain);
      }
      if (kind === 'reboot') await hypervisor.domainCreate(domain);
      log.info(kind === 'reboot' ? 'instance rebooted' : 'instance stopped');
    })()
      .catch((error: unknown) => log.warn({ err: error }, `${kind} failed`))
      .finally(() => this.powerOps.delete(instanceId));
    this.powerOps.set(instanceId, { kind, done });
    return done;
  }

  /**
   * Device changes on the simulated driver, which has no hot-plug (and, in this process, no virsh to reach it): a
   * new persistent definition, made live by restarting the domain (the simulated guest has nothing to lose).
   */
  private async redefine(found: Found, change: (xml: string) => string): Promise<void> {
    const hypervisor = await this.options.connection.open();
    const inactiveXml = 2;
    const xml = await hypervisor.domainGetXMLDesc(found.domain, inactiveXml);
    await hypervisor.domainDefineXML(change(xml));
    if (found.state !== 'stopped') {
      await hypervisor.domainDestroy(found.domain);
      await hypervisor.domainCreate(found.domain);
    }
  }

  private async find(instanceId: string): Promise<NodeInstance | undefined> {
    const found = await this.findDomain(instanceId);
    if (found) return this.toInstance(found);
    const launch = this.launches.get(instanceId);
    if (launch) return this.pendingView(launch);
    return this.goneRecord(instanceId);
  }

  private async requireDomain(instanceId: string, action: string): Promise<Found> {
    const found = await this.findDomain(instanceId);
    if (found) return found;
    if (this.launches.has(instanceId)) throw ncErrors.incorrectState(instanceId, 'pending', action);
    if (this.goneRecord(instanceId)) throw ncErrors.incorrectState(instanceId, 'terminated', action);
    throw ncErrors.instanceNotFound(instanceId);
  }

  private async findDomain(instanceId: string): Promise<Found | undefined> {
    const domain = await this.options.connection.lookup(instanceId);
    if (!domain) return undefined;
    const found = await this.inspect(domain);
    return found && this.isOurs(found) ? found : undefined;
  }

  /**
   * The domains this node made: Mallee's metadata, and the console log in this node's instances folder. Other domains
   * on the hypervisor are not the node's business, among them another cloud's on the same libvirtd.
   */
  private async listDomains(): Promise<Found[]> {
    const hypervisor = await this.options.connection.open();
    const domains = await hypervisor.connectListAllDomains();
    const found = await Promise.all(domains.map((domain) => this.inspect(domain)));
    return found.filter((item): item is Found => item !== undefined && this.isOurs(item));
  }

  private isOurs(found: Found): boolean {
    return found.facts.metadata !== undefined && (found.facts.consoleLog ?? '').startsWith(`${this.instancesDir}/`);
  }

  private async inspect(domain: Domain): Promise<Found | undefined> {
    const hypervisor = await this.options.connection.open();
    try {
      const [xml, info] = await Promise.all([hypervisor.domainGetXMLDesc(domain), hypervisor.domainGetInfo(domain)]);
      const state = Number(info.state);
      return { domain, facts: describeDomainXml(xml), state: libvirtState[state] ?? 'pending', libvirtState: state };
    } catch (error) {
      // Gone between listing and reading: a terminate raced this look.
      if (/not found|no domain/i.test((error as Error).message)) return undefined;
      throw error;
    }
  }

  private toInstance(found: Found): NodeInstance {
    const { facts } = found;
    const operation = this.powerOps.get(facts.name);
    let state = found.state;
    if (operation?.kind === 'reboot') state = 'running';
    else if (operation?.kind === 'stop' && state !== 'stopped') state = 'stopping';
    return {
      instanceId: facts.name,
      reservationId: facts.metadata?.reservationId,
      accountId: facts.metadata?.accountId,
      state,
      ...(found.libvirtState === crashed && {
        stateReason: { code: 'Server.InternalError', message: 'The guest crashed.' },
      }),
      launchTime: facts.metadata?.launchTime,
      macAddress: facts.macAddress,
      instanceType: facts.metadata?.instanceType,
      volumes: facts.volumes.map((volume) => ({ volumeId: volume.volumeId, device: `/dev/${volume.target}` })),
    };
  }

  private pendingView(launch: Pick<Launch, 'spec' | 'launchTime'>): NodeInstance {
    const { spec } = launch;
    return {
      instanceId: spec.instanceId,
      reservationId: spec.reservationId,
      accountId: spec.accountId,
      state: 'pending',
      launchTime: launch.launchTime,
      macAddress: spec.macAddress ?? macAddressOf(spec.instanceId),
      instanceType: spec.instanceType,
      volumes: [],
    };
  }

  private goneRecord(instanceId: string): NodeInstance | undefined {
    this.pruneGone();
    return this.gone.get(instanceId)?.instance;
  }

  private pruneGone(): void {
    const oldest = Date.now() - goneRetentionMs;
    for (const [id, record] of this.gone) if (record.at < oldest) this.gone.delete(id);
  }

  private async imagesInUse(): Promise<ReadonlySet<string>> {
    const ids = new Set<string>();
    for (const item of await this.listDomains()) {
      for (const id of Object.values(item.facts.metadata?.images ?? {})) if (id) ids.add(id);
    }
    for (const { spec } of this.launches.values()) {
      for (const image of [spec.machine, spec.kernel, spec.ramdisk]) if (image) ids.add(image.imageId);
    }
    return ids;
  }

  private get instancesDir(): string {
    return join(this.options.dataDir, 'instances');
  }

  private get nodeStateFile(): string {
    return join(this.options.dataDir, 'node.json');
  }

  private instanceDir(instanceId: string): string {
    return join(this.instancesDir, instanceId);
  }

  private consoleLog(instanceId: string): string {
    return join(this.instanceDir(instanceId), 'console.log');
  }
}

function validateSpec(spec: NodeInstanceSpec): void {
  if (!/^i-[0-9a-f]{8,17}$/.test(spec.instanceId ?? '')) {
    throw ncErrors.invalidParameter('instanceId', String(spec.instanceId), 'Expected i- and 8 to 17 hex digits.');
  }
  for (const [name, value, least] of [
    ['cores', spec.cores, 1],
    ['memoryMiB', spec.memoryMiB, 16],
    ['diskGiB', spec.diskGiB, 0],
  ] as const) {
    if (!Number.isInteger(value) || value < least) {
      throw ncErrors.invalidParameter(name, String(value), `Expected a whole number of at least ${least}.`);
    }
  }
  if (!spec.machine?.url) throw ncErrors.invalidParameter('machine', 'none', 'The instance needs a machine image.');
  if (spec.macAddress !== undefined && !/^([0-9a-f]{2}:){5}[0-9a-f]{2}$/i.test(spec.macAddress)) {
    throw ncErrors.invalidParameter('macAddress', spec.macAddress, 'Expected six colon-separated hex bytes.');
  }
}

/** A stable MAC for an instance that was given none: qemu's 52:54:00 prefix and three bytes of its id's hash. */
export function macAddressOf(instanceId: string): string {
  const hash = createHash('sha256').update(instanceId).digest();
  return ['52', '54', '00', ...[...hash.subarray(0, 3)].map((byte) => byte.toString(16).padStart(2, '0'))].join(':');
}

async function allocatedBytes(path: string): Promise<number> {
  if (!existsSync(path)) return 0;
  return (await stat(path)).blocks * 512;
}
