import { componentDefaults } from '../config/component-defaults.js';
import type { ComponentName, ComponentYaml, HostYaml, ZoneYaml } from '../config/types.js';
import type { HostFacts } from '../discovery/host-facts.js';
import { compareVersions } from '../util/versions.js';
import {
  blockStorageGiB,
  canReach,
  dataDirOn,
  profileHost,
  unknownSubnetKey,
  type HostProfile,
} from './host-profile.js';
import { problemCodeOf, problemTexts, reasonTexts, type ScStorage } from './placement-messages.js';
import {
  defaultLimits,
  type Placement,
  type PlacementEdits,
  type PlacementLimits,
  type PlacementOptions,
  type PlacementProblem,
  type PlacementReason,
  type ProblemSeverity,
} from './placement-types.js';

/**
 * Where each component goes, and why, from what discovery learnt about the hosts. Pure and deterministic: the same
 * facts in the same order give the same placement. Problems are collected for all hosts at once.
 */
export function placeComponents(facts: HostFacts[], options: PlacementOptions = {}): Placement {
  return computePlacement(facts, options, { excludedHosts: [], moves: {}, zoneNames: {} });
}

/** The key under which a move of this component is remembered: zoned components by their zone's subnet. */
export function slotKey(component: ComponentName, zoneKey?: string): string {
  return component === 'cc' || component === 'sc' ? `${component}@${zoneKey}` : component;
}

interface ZonePlan {
  key: string;
  name: string;
  subnet?: string;
  hosts: HostProfile[];
}

/** Placement from facts plus the user's edits so far; edit operations call this to recompute. */
export function computePlacement(facts: HostFacts[], options: PlacementOptions, edits: PlacementEdits): Placement {
  const basis = { facts, options, edits };
  const limits: PlacementLimits = { ...defaultLimits, ...options.limits };
  const inventory = new Map((options.inventory ?? []).map((host) => [host.name, host]));
  const excluded = new Set(edits.excludedHosts);
  const considered = facts.filter((host) => !excluded.has(host.name));

  const problems: PlacementProblem[] = [];
  const report: Report = (severity, kind, text, host) =>
    void problems.push({ ...(host !== undefined && { host }), severity, code: problemCodeOf[kind], ...text });

  for (const host of considered) {
    if (!host.reachable)
      report('error', 'unreachable', problemTexts.unreachable(host.name, host.address, host.error), host.name);
  }
  const profiles = considered
    .filter((host) => host.reachable)
    .map((host) => profileHost(host, facts.indexOf(host), inventory.get(host.name), options.dataDir));
  for (const profile of profiles) checkHost(profile, limits, report, options.runtime);

  const cloud: Placement['cloud'] = {
    name: options.cloudName ?? 'mallee',
    ...(options.region && { region: options.region }),
    ...(options.dataDir && { dataDir: options.dataDir }),
    hosts: [],
    zones: [],
    components: [],
  };
  const reasons: PlacementReason[] = [];
  if (profiles.length === 0) {
    report('error', 'noUsableHost', problemTexts.noUsableHost());
    return { cloud, reasons, problems: sortProblems(problems, facts), basis };
  }

  const load = new Map<string, number>(profiles.map((profile) => [profile.name, 0]));
  const placeOn = (profile: HostProfile, entry: Omit<ComponentYaml, 'host' | 'port'>, text: string) => {
    const component = entry.component;
    cloud.components.push({ ...entry, host: profile.name, port: componentDefaults[component].port });
    load.set(profile.name, (load.get(profile.name) ?? 0) + 1);
    reasons.push({ subject: { component, ...(entry.zone && { zone: entry.zone }), host: profile.name }, text });
  };
  const byName = new Map(profiles.map((profile) => [profile.name, profile]));
  const moved = (slot: string) => {
    const target = edits.moves[slot];
    return target === undefined ? undefined : byName.get(target);
  };

  const clc = moved('clc') ?? pickClcHost(profiles);
  placeOn(
    clc,
    { component: 'clc' },
    moved('clc') ? reasonTexts.moved('clc', undefined, clc.name) : clcReason(clc, profiles),
  );

  const walrus = moved('walrus') ?? pickByStorage(profiles, load);
  const walrusDataDir = walrus.storage && dataDirOn(walrus.storage, 'walrus');
  placeOn(
    walrus,
    { component: 'walrus', ...(walrusDataDir && { dataDir: walrusDataDir }) },
    moved('walrus') ? reasonTexts.moved('walrus', undefined, walrus.name) : walrusReason(walrus, profiles, load),
  );

  const zones = planZones(profiles, edits.zoneNames);
  if (zones.length === 0) report('error', 'noVmHost', problemTexts.noVmHost());
  const storageControllers = options.storageControllers ?? true;
  for (const zone of zones) {
    reasons.push({
      subject: { zone: zone.name },
      text: reasonTexts.zone(
        zone.name,
        zone.subnet,
        zone.hosts.map((host) => host.name),
      ),
    });
    cloud.zones.push({ name: zone.name, ...(zone.subnet && { subnet: zone.subnet }) } satisfies ZoneYaml);

    const ccMove = moved(slotKey('cc', zone.key));
    const cc = ccMove ?? pickCcHost(zone.hosts, clc, load);
    placeOn(
      cc,
      { component: 'cc', zone: zone.name },
      ccMove ? reasonTexts.moved('cc', zone.name, cc.name) : ccReason(cc, zone, clc),
    );

    if (storageControllers) {
      const scMove = moved(slotKey('sc', zone.key));
      const sc = scMove ?? pickScHost(zone.hosts, load);
      const scDataDir = sc.storage && dataDirOn(sc.storage, 'sc');
      const text = scMove
        ? reasonTexts.moved('sc', zone.name, sc.name)
        : reasonTexts.sc(sc.name, zone.name, scStorage(sc), zone.hosts.length === 1);
      placeOn(sc, { component: 'sc', zone: zone.name, ...(scDataDir && { dataDir: scDataDir }) }, text);
    }

    for (const node of zone.hosts.filter((host) => host.canRunVms)) {
      const text = (node.kvm ? reasonTexts.nc.kvm : reasonTexts.nc.emulation)(
        node.name,
        zone.name,
        node.cores,
        node.memoryMiB,
      );
      placeOn(
        node,
        { component: 'nc', zone: zone.name, ...(options.hypervisor && { hypervisor: options.hypervisor }) },
        text,
      );
      if (!node.kvm) report('warning', 'noKvm', problemTexts.noKvm(node.name), node.name);
    }
  }

  for (const profile of profiles) {
    if ((load.get(profile.name) ?? 0) === 0) {
      reasons.push({ subject: { unusedHost: profile.name }, text: reasonTexts.unusedHost(profile.name) });
      continue;
    }
    cloud.hosts.push(hostEntry(profile, inventory.get(profile.name)));
    // A host whose daemons nothing restarts at boot (a container's PID 1): the cloud works until that host reboots.
    if (profile.facts.bootStarter === 'none') {
      report(
        'warning',
        'noBootStart',
        problemTexts.noBootStart(profile.name, profile.facts.pid1 ?? '?', cloud.name),
        profile.name,
      );
    }
  }
  checkPorts(cloud.components, byName, report);
  checkRoutes(cloud.components, byName, report);
  return { cloud, reasons, problems: sortProblems(problems, facts), basis };
}

type Report = (
  severity: ProblemSeverity,
  kind: keyof typeof problemTexts,
  text: { message: string; fix: string },
  host?: string,
) => void;

function checkHost(
  profile: HostProfile,
  limits: PlacementLimits,
  report: Report,
  runtime: PlacementOptions['runtime'],
): void {
  const { facts, name } = profile;
  if (runtime && facts.platform) checkPlatform(name, facts.platform, runtime, report);
  if (facts.root && !facts.root.works)
    report('error', 'noSudo', problemTexts.noSudo(name, facts.root.user, facts.root.problem), name);
  if (facts.memoryMiB && facts.memoryMiB.total < limits.minMemoryMiB) {
    report('error', 'lowMemory', problemTexts.lowMemory(name, facts.memoryMiB.total, limits.minMemoryMiB), name);
  }
  if (profile.dataDirFreeGiB !== undefined && profile.dataDirFreeGiB < limits.minFreeDiskGiB) {
    report(
      'error',
      'lowDisk',
      problemTexts.lowDisk(name, profile.dataDirFreeGiB, profile.dataDir, limits.minFreeDiskGiB),
      name,
    );
  }
  const offset = facts.clockOffsetSeconds;
  if (offset !== undefined && Math.abs(offset) > limits.maxClockSkewSeconds) {
    report('error', 'clockSkew', problemTexts.clockSkew(name, offset, limits.maxClockSkewSeconds), name);
  }
}

/** The host can run the bundle: the same CPU architecture as the installer, glibc new enough for its binaries. */
function checkPlatform(
  name: string,
  platform: NonNullable<HostFacts['platform']>,
  runtime: NonNullable<PlacementOptions['runtime']>,
  report: Report,
): void {
  if (platform.machine !== runtime.machine) {
    report('error', 'wrongArchitecture', problemTexts.wrongArchitecture(name, platform.machine, runtime.machine), name);
  } else if (platform.libc.name !== 'glibc') {
    report('error', 'unknownLibc', problemTexts.unknownLibc(name, platform.libc.name, runtime.glibc), name);
  } else if (compareVersions(platform.libc.version, runtime.glibc) < 0) {
    report('error', 'oldGlibc', problemTexts.oldGlibc(name, platform.libc.version, runtime.glibc), name);
  }
}

/** Smallest first: hosts that run no instances, then emulation before KVM, then fewer cores and less memory. */
function byVmCapacity(a: HostProfile, b: HostProfile): number {
  return (
    Number(a.canRunVms) - Number(b.canRunVms) ||
    Number(a.kvm) - Number(b.kvm) ||
    a.cores - b.cores ||
    a.memoryMiB - b.memoryMiB
  );
}

function pickClcHost(profiles: HostProfile[]): HostProfile {
  return [...profiles].sort((a, b) => byVmCapacity(a, b) || a.order - b.order)[0]!;
}

function clcReason(clc: HostProfile, profiles: HostProfile[]): string {
  if (profiles.length === 1) return reasonTexts.clc.onlyHost(clc.name);
  if (!clc.canRunVms) return reasonTexts.clc.noInstances(clc.name);
  if (profiles.every((other) => byVmCapacity(other, clc) === 0)) return reasonTexts.clc.allEqual(clc.name);
  return reasonTexts.clc.smallest(clc.name, clc.cores, clc.memoryMiB);
}

/** Most free space first; among equals, the host running fewest components so far, then inventory order. */
function pickByStorage(hosts: HostProfile[], load: Map<string, number>): HostProfile {
  const free = (host: HostProfile) => host.storage?.freeGiB ?? -1;
  const loadOf = (host: HostProfile) => load.get(host.name) ?? 0;
  return [...hosts].sort((a, b) => free(b) - free(a) || loadOf(a) - loadOf(b) || a.order - b.order)[0]!;
}

/** Called before the walrus is counted in `load`. */
/** Most block storage first (unused disks count); among equals, the least loaded host, then inventory order. */
function pickScHost(hosts: HostProfile[], load: Map<string, number>): HostProfile {
  const room = (host: HostProfile) => blockStorageGiB(host) ?? -1;
  const loadOf = (host: HostProfile) => load.get(host.name) ?? 0;
  return [...hosts].sort((a, b) => room(b) - room(a) || loadOf(a) - loadOf(b) || a.order - b.order)[0]!;
}

function scStorage(sc: HostProfile): ScStorage | undefined {
  const totalGiB = blockStorageGiB(sc);
  if (totalGiB === undefined) return undefined;
  return {
    totalGiB,
    unusedDisks: sc.unusedDisks.map((disk) => `${disk.device} (${disk.sizeGiB} GiB)`),
    ...(sc.storage && { freeGiB: sc.storage.freeGiB, path: sc.storage.path }),
  };
}

function walrusReason(walrus: HostProfile, profiles: HostProfile[], load: Map<string, number>): string {
  if (!walrus.storage) return reasonTexts.walrusNoDiskFacts(walrus.name);
  if (profiles.length === 1)
    return reasonTexts.walrusOnlyHost(walrus.name, walrus.storage.freeGiB, walrus.storage.path);
  const own = load.get(walrus.name) ?? 0;
  const busierEquals = profiles
    .filter((other) => other.storage?.freeGiB === walrus.storage?.freeGiB && (load.get(other.name) ?? 0) > own)
    .map((other) => other.name);
  return reasonTexts.walrus(walrus.name, walrus.storage.freeGiB, walrus.storage.path, busierEquals);
}

function pickCcHost(hosts: HostProfile[], clc: HostProfile, load: Map<string, number>): HostProfile {
  if (hosts.includes(clc)) return clc;
  const loadOf = (host: HostProfile) => load.get(host.name) ?? 0;
  return [...hosts].sort((a, b) => byVmCapacity(a, b) || loadOf(a) - loadOf(b) || a.order - b.order)[0]!;
}

function ccReason(cc: HostProfile, zone: ZonePlan, clc: HostProfile): string {
  if (zone.hosts.length === 1) return reasonTexts.cc.onlyHost(cc.name, zone.name);
  if (cc === clc) return reasonTexts.cc.withClc(cc.name, zone.name);
  if (zone.hosts.every((other) => byVmCapacity(other, cc) === 0)) return reasonTexts.cc.allEqual(cc.name, zone.name);
  return reasonTexts.cc.smallest(cc.name, zone.name);
}

/** One zone per subnet that has a host able to run instances, in inventory order: zone-a, zone-b, ... */
function planZones(profiles: HostProfile[], names: Record<string, string>): ZonePlan[] {
  const keys = [...new Set(profiles.filter((host) => host.canRunVms).map((host) => host.zoneKey))];
  const taken = new Set(keys.flatMap((key) => (names[key] ? [names[key]] : [])));
  let next = 0;
  const defaultName = () => {
    for (;;) {
      const name = `zone-${letters(next++)}`;
      if (!taken.has(name)) return name;
    }
  };
  return keys.map((key) => ({
    key,
    name: names[key] ?? defaultName(),
    ...(key !== unknownSubnetKey && { subnet: key }),
    hosts: profiles.filter((host) => host.zoneKey === key),
  }));
}

/** a..z, then aa, ab, ... */
function letters(index: number): string {
  const letter = String.fromCharCode(97 + (index % 26));
  return index < 26 ? letter : letters(Math.floor(index / 26) - 1) + letter;
}

function hostEntry(profile: HostProfile, inventory: HostYaml | undefined): HostYaml {
  return {
    name: profile.name,
    address: profile.facts.address,
    ...(inventory?.ssh && { ssh: inventory.ssh }),
    ...(inventory?.dataDir && { dataDir: inventory.dataDir }),
  };
}

function checkPorts(components: ComponentYaml[], hosts: Map<string, HostProfile>, report: Report): void {
  for (const entry of components) {
    const port = entry.port ?? componentDefaults[entry.component].port;
    if (hosts.get(entry.host)?.facts.listeningPorts?.includes(port)) {
      report('error', 'portInUse', problemTexts.portInUse(entry.host, port, entry.component), entry.host);
    }
  }
}

/**
 * Every host talks to the clc and the walrus (registration, images), and the clc calls each zone's cc: each pair
 * must be able to reach each other. Judged from facts alone: a shared subnet or a default route.
 */
function checkRoutes(components: ComponentYaml[], hosts: Map<string, HostProfile>, report: Report): void {
  const roles = new Map<string, string[]>();
  for (const entry of components) roles.set(entry.host, [...(roles.get(entry.host) ?? []), entry.component]);
  const hubs = components
    .filter((entry) => entry.component === 'clc' || entry.component === 'walrus')
    .map((entry) => entry.host);
  const clcHost = components.find((entry) => entry.component === 'clc')?.host;
  const pairs = new Set<string>();
  for (const hub of hubs) for (const host of roles.keys()) pairs.add(`${host}>${hub}`);
  for (const entry of components) if (entry.component === 'cc' && clcHost) pairs.add(`${clcHost}>${entry.host}`);
  for (const pair of pairs) {
    const [from, to] = pair.split('>').map((name) => hosts.get(name));
    if (!from || !to || from === to || !to.subnet || canReach(from.facts, to.facts.address)) continue;
    const text = problemTexts.noRoute(from.name, to.subnet, to.name, to.facts.address, [
      ...new Set(roles.get(to.name)),
    ]);
    report('error', 'noRoute', text, from.name);
  }
}

/** Errors before warnings; within each, hosts in inventory order and cloud-wide problems last. */
function sortProblems(problems: PlacementProblem[], facts: HostFacts[]): PlacementProblem[] {
  const order = (problem: PlacementProblem) =>
    problem.host === undefined ? facts.length : facts.findIndex((host) => host.name === problem.host);
  const rank = (problem: PlacementProblem) => (problem.severity === 'error' ? 0 : 1);
  return [...problems].sort((a, b) => rank(a) - rank(b) || order(a) - order(b));
}
