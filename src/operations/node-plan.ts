import { Document, isMap, isSeq, parseDocument, stringify } from 'yaml';
import { CliError } from '../cli/cli-error.js';
import { cloudDefaults, componentDefaults } from '../config/component-defaults.js';
import { hostName as hostNamePattern } from '../config/schema.js';
import type { CloudConfig, CloudYaml, HostConfig, NodeComponentConfig, Problem } from '../config/types.js';
import { validateCloudYaml } from '../config/validate-cloud-yaml.js';
import { parseIpv4 } from '../config/net-formats.js';
import { subnetContains } from '../placement/host-profile.js';
import { nodeMessages } from './node-messages.js';

/**
 * The pure half of `cloudctl nodes add` and `nodes remove`: a node going into or out of a cloud's plan (the
 * CloudConfig install.json records, and the text of a cloud.yaml), checked by the same validation as cloud.yaml.
 */

/** What `nodes add` puts into the plan: the host (new, or one the cloud already has) and its nc. */
export interface NodeEntry {
  host: HostConfig;
  zone: string;
  port: number;
  hypervisor: string;
}

/**
 * The zone a new node joins: the one asked for; else, as placement groups hosts, the zone whose subnet holds the
 * host's address (or is the subnet discovery found it on); else the only zone.
 */
export function chooseZone(cloud: CloudConfig, wanted: { zone?: string; address: string; subnet?: string }): string {
  const names = cloud.zones.map((zone) => zone.name);
  if (wanted.zone !== undefined) {
    if (names.includes(wanted.zone)) return wanted.zone;
    throw new CliError('notFound', nodeMessages.unknownZone(wanted.zone), nodeMessages.zonesHint(names));
  }
  const bySubnet = cloud.zones.filter(
    (zone) =>
      zone.subnet !== undefined && (zone.subnet === wanted.subnet || subnetContains(zone.subnet, wanted.address)),
  );
  if (bySubnet.length === 1) return bySubnet[0]!.name;
  if (cloud.zones.length === 1) return cloud.zones[0]!.name;
  throw new CliError('usage', nodeMessages.whichZone(wanted.address), nodeMessages.zonesHint(names));
}

/** As the installer names hosts from `--hosts`: the first label of a host name, else h1, h2, ... by position. */
export function defaultHostName(cloud: CloudConfig, address: string): string {
  const taken = new Set(cloud.hosts.map((host) => host.name));
  const label = address.split('.')[0]?.toLowerCase() ?? '';
  const isName = parseIpv4(address) === undefined && !address.includes(':') && hostNamePattern.test(label);
  if (isName && !taken.has(label)) return label;
  for (let index = cloud.hosts.length + 1; ; index++) if (!taken.has(`h${index}`)) return `h${index}`;
}

/** The nc a plan runs on `host`, if any. */
export function ncOn(cloud: CloudConfig, host: string): NodeComponentConfig | undefined {
  return cloud.components.find(
    (component): component is NodeComponentConfig => component.component === 'nc' && component.host === host,
  );
}

/**
 * The plan with the node in it: the host appended when new, its nc appended (or, when the host has one already,
 * replaced in place, so a re-run with other flags repairs rather than duplicates). A host of the same name at another
 * address is a conflict.
 */
export function withNode(cloud: CloudConfig, entry: NodeEntry): CloudConfig {
  const existing = cloud.hosts.find((host) => host.name === entry.host.name);
  if (existing && existing.address !== entry.host.address) {
    throw new CliError(
      'conflict',
      nodeMessages.nameTaken(entry.host.name, existing.address),
      nodeMessages.nameTakenHint(entry.host.address),
    );
  }
  const host = existing ?? entry.host;
  const nc: NodeComponentConfig = {
    component: 'nc',
    host: host.name,
    zone: entry.zone,
    port: entry.port,
    dataDir: `${host.dataDir}/nc`,
    hypervisor: entry.hypervisor,
  };
  const index = cloud.components.findIndex((c) => c.component === 'nc' && c.host === host.name);
  const components = [...cloud.components];
  if (index >= 0) components[index] = { ...nc, dataDir: components[index]!.dataDir };
  else components.push(nc);
  return { ...cloud, hosts: existing ? cloud.hosts : [...cloud.hosts, host], components };
}

export interface NodeRemoval {
  cloud: CloudConfig;
  /** Nothing else of the cloud runs on the host: it left the plan too. */
  hostRemoved: boolean;
  /** The zone this node was the last of: it stays, with its cc (and sc), and has no capacity until a node joins. */
  emptiedZone?: string;
}

/** The plan without the nc on `host`, and without the host when nothing else of the cloud runs there. */
export function withoutNode(cloud: CloudConfig, host: string): NodeRemoval {
  const nc = ncOn(cloud, host);
  if (!nc) return { cloud, hostRemoved: false };
  const components = cloud.components.filter((component) => component !== nc);
  const hostRemoved = !components.some((component) => component.host === host);
  const hosts = hostRemoved ? cloud.hosts.filter((entry) => entry.name !== host) : cloud.hosts;
  const zoneEmpty = !components.some((component) => component.component === 'nc' && component.zone === nc.zone);
  return { cloud: { ...cloud, hosts, components }, hostRemoved, ...(zoneEmpty && { emptiedZone: nc.zone }) };
}

/** The plan as cloud.yaml text, every value explicit, so validating it checks exactly this plan. */
export function cloudConfigYaml(cloud: CloudConfig): string {
  const { network, database } = cloud;
  const yaml: CloudYaml = {
    name: cloud.name,
    region: cloud.region,
    dataDir: cloud.dataDir,
    database: database.engine === 'postgresql' ? { engine: database.engine, url: database.url } : { engine: 'sqlite' },
    network: {
      privateSubnet: network.privateSubnet,
      ...(network.publicIps.length > 0 && { publicIps: network.publicIps }),
      ...(network.dnsServers.length > 0 && { dnsServers: network.dnsServers }),
      ...(network.bridge !== undefined && { bridge: network.bridge }),
    },
    hosts: cloud.hosts.map((host) => ({
      name: host.name,
      address: host.address,
      ssh: {
        user: host.ssh.user,
        port: host.ssh.port,
        ...(host.ssh.key !== undefined && { key: host.ssh.key }),
        sudo: host.ssh.sudo,
      },
      dataDir: host.dataDir,
    })),
    zones: cloud.zones.map((zone) => ({ name: zone.name, ...(zone.subnet !== undefined && { subnet: zone.subnet }) })),
    components: cloud.components.map((component) => ({ ...component })),
  };
  return stringify(yaml, { lineWidth: 0 });
}

/**
 * Checks a plan by cloud.yaml's own validation. `emptiedZone` is the one exception `nodes remove` makes: a zone
 * whose last node it removed stays in the plan without one (validation wants a node per zone for an install).
 */
export function checkPlan(text: string, file: string, emptiedZone?: string): Problem[] {
  const { problems } = validateCloudYaml(text, file);
  return problems.filter(
    (problem) =>
      !(problem.code === 'zone-without-nodes' && emptiedZone && problem.message.includes(`"${emptiedZone}"`)),
  );
}

/** The plan checked; a problem is a CliError listing all of them. */
export function validatedPlan(cloud: CloudConfig, file: string, emptiedZone?: string): CloudConfig {
  const problems = checkPlan(cloudConfigYaml(cloud), file, emptiedZone);
  if (problems.length > 0) {
    throw new CliError(
      'invalidConfig',
      nodeMessages.planInvalid(problems.map((problem) => problem.message)),
      nodeMessages.planInvalidHint,
      problems,
    );
  }
  return cloud;
}

/** A cloud.yaml's text with the node added: its comments and the rest of its wording kept. */
export function addNodeToYaml(text: string, cloud: CloudConfig, entry: NodeEntry): string {
  const doc = parseDocument(text);
  const hosts = doc.get('hosts');
  const components = doc.get('components');
  if (!isSeq(hosts) || !isSeq(components)) return text;
  const named = (node: unknown, key: string, value: string) => isMap(node) && node.get(key) === value;
  if (!hosts.items.some((node) => named(node, 'name', entry.host.name))) {
    const { host } = entry;
    const ssh = {
      ...(host.ssh.user !== cloudDefaults.sshUser && { user: host.ssh.user }),
      ...(host.ssh.port !== cloudDefaults.sshPort && { port: host.ssh.port }),
      ...(host.ssh.key !== undefined && { key: host.ssh.key }),
      ...(host.ssh.sudo && { sudo: true }),
    };
    hosts.add(
      doc.createNode({
        name: host.name,
        address: host.address,
        ...(Object.keys(ssh).length > 0 && { ssh }),
        ...(host.dataDir !== cloud.dataDir && { dataDir: host.dataDir }),
      }),
    );
  }
  const nc = {
    component: 'nc',
    host: entry.host.name,
    zone: entry.zone,
    ...(entry.port !== componentDefaults.nc.port && { port: entry.port }),
    ...(entry.hypervisor !== cloudDefaults.hypervisor && { hypervisor: entry.hypervisor }),
  };
  const index = components.items.findIndex(
    (node) => named(node, 'component', 'nc') && named(node, 'host', entry.host.name),
  );
  const node = doc.createNode(nc);
  if (index >= 0) components.items[index] = node;
  else components.add(node);
  return doc.toString({ lineWidth: 0 });
}

/** A cloud.yaml's text without the nc on `host` (and without the host when `removeHost`). */
export function removeNodeFromYaml(text: string, host: string, removeHost: boolean): string {
  const doc: Document = parseDocument(text);
  const hosts = doc.get('hosts');
  const components = doc.get('components');
  if (!isSeq(hosts) || !isSeq(components)) return text;
  components.items = components.items.filter(
    (node) => !(isMap(node) && node.get('component') === 'nc' && node.get('host') === host),
  );
  if (removeHost) hosts.items = hosts.items.filter((node) => !(isMap(node) && node.get('name') === host));
  return doc.toString({ lineWidth: 0 });
}
