import { posix } from 'node:path';
import { LineCounter, parseDocument, isMap, isScalar, isSeq, type Node, type YAMLMap, type YAMLSeq } from 'yaml';
import { cloudDefaults, componentDefaults } from './component-defaults.js';
import { didYouMean } from './did-you-mean.js';
import { checkCidr, checkIpRange, isHostAddress, isLibvirtUri, isPostgresUrl, parseIpv4 } from './net-formats.js';
import {
  cloudShape,
  componentShape,
  databaseShape,
  dnsLabelName,
  hostName,
  hostShape,
  interfaceName,
  networkShape,
  objectStoreShape,
  s3BucketName,
  sshShape,
  zoneShape,
} from './schema.js';
import {
  componentNames,
  databaseEngines,
  objectStoreEngines,
  zonedComponents,
  type CloudConfig,
  type ComponentConfig,
  type ComponentName,
  type DatabaseConfig,
  type HostConfig,
  type NetworkConfig,
  type ObjectStoreConfig,
  type Problem,
  type ZoneConfig,
} from './types.js';
import { describeActual, owners, subjects, type Owner } from './validation-messages.js';
import { YamlReader, type Field, type Fields } from './yaml-reader.js';

export interface ValidationResult {
  /** Present only when there are no problems. */
  config?: CloudConfig;
  /** Every problem found, in file order. */
  problems: Problem[];
}

/**
 * Checks the text of a cloud.yaml and, when it has no problems, returns it with every default applied.
 * Pure: `file` is only used to label problems.
 */
export function validateCloudYaml(text: string, file: string): ValidationResult {
  const lineCounter = new LineCounter();
  // Duplicate keys are checked by YamlReader, which can say where the first one is.
  const doc = parseDocument(text, { lineCounter, uniqueKeys: false, prettyErrors: false });
  const reader = new YamlReader(file, doc, lineCounter);
  if (doc.errors.length > 0) {
    // After a syntax error the parser's recovery guesses at the structure; checking that guess would only mislead.
    const offsets = new Set<number>();
    for (const error of doc.errors) {
      if (offsets.has(error.pos[0])) continue;
      offsets.add(error.pos[0]);
      reader.report('yaml-syntax', error.pos[0], { detail: error.message, yamlCode: error.code });
    }
    return { problems: reader.problems };
  }
  const root = reader.resolve(doc.contents);
  if (!root || (isScalar(root) && root.value === null)) {
    reader.report('empty-file', 0);
    return { problems: reader.problems };
  }
  if (!isMap(root)) {
    const actual = describeActual(isScalar(root) ? root.value : null, isSeq(root) ? 'list' : 'scalar');
    reader.report('wrong-type', root, { field: subjects.wholeFile, expected: 'mapping', actual });
    return { problems: reader.problems };
  }
  const config = readCloud(reader, root);
  const problems = [...reader.problems].sort((a, b) => a.line - b.line || a.column - b.column);
  return problems.length > 0 ? { problems } : { config, problems };
}

/** Reads the whole file; the config it returns is only meaningful when no problem was reported. */
function readCloud(reader: YamlReader, root: YAMLMap): CloudConfig {
  const top = reader.readMapping(root, cloudShape, undefined, 'top');
  checkName(reader, subjects.cloudName, top.name, undefined, dnsLabelName);
  checkName(reader, 'region', top.region, undefined, dnsLabelName);
  checkAbsolutePath(reader, top.dataDir, undefined);
  const dataDir = top.dataDir?.value ?? cloudDefaults.dataDir;

  const hosts = readHosts(reader, top.hosts, dataDir);
  const zones = readZones(reader, top.zones);
  const components = readComponents(reader, top.components, hosts, zones);
  checkZonesAreServed(reader, top.components, zones, components);

  return {
    name: top.name?.value ?? '',
    region: top.region?.value ?? cloudDefaults.region,
    dataDir,
    database: readDatabase(reader, top.database),
    objectStore: readObjectStore(reader, top.objectStore),
    network: readNetwork(reader, top.network),
    hosts: hosts.map((host) => host.config),
    zones: zones.map((zone) => zone.config),
    components: components.map((component) => component.config),
  };
}

function readDatabase(reader: YamlReader, field: Field<YAMLMap> | undefined): DatabaseConfig {
  const database = field ? reader.readMapping(field.value, databaseShape, owners.database, 'database') : {};
  const { engine, url } = database;
  if (engine && !isOneOf(engine.value, databaseEngines)) {
    reader.report('invalid-enum', engine.node, {
      key: 'engine',
      value: engine.value,
      owner: owners.database,
      allowed: databaseEngines,
      suggestion: didYouMean(engine.value, databaseEngines),
    });
    return { engine: 'sqlite' };
  }
  if (engine?.value === 'postgresql') {
    if (!url) {
      reader.report('postgresql-without-url', engine.node);
      return { engine: 'sqlite' };
    }
    if (!isPostgresUrl(url.value)) {
      reader.report('invalid-uri', url.node, {
        key: 'url',
        value: url.value,
        owner: owners.database,
        scheme: 'postgresql',
      });
    }
    return { engine: 'postgresql', url: url.value };
  }
  if (url) reader.report('url-with-sqlite', url.keyNode);
  return { engine: cloudDefaults.databaseEngine };
}

/** The S3 engine's settings that must be there, in the order a problem names the first one missing. */
const s3StoreRequired = ['endpoint', 'bucket', 'accessKeyId', 'secretAccessKey'] as const;

function readObjectStore(reader: YamlReader, field: Field<YAMLMap> | undefined): ObjectStoreConfig {
  const owner = owners.objectStore;
  const store = field ? reader.readMapping(field.value, objectStoreShape, owner, 'objectStore') : {};
  const { engine, endpoint, bucket, prefix, region, accessKeyId, secretAccessKey, caFile } = store;
  if (engine && !isOneOf(engine.value, objectStoreEngines)) {
    reader.report('invalid-enum', engine.node, {
      key: 'engine',
      value: engine.value,
      owner,
      allowed: objectStoreEngines,
      suggestion: didYouMean(engine.value, objectStoreEngines),
    });
    return { engine: 'local' };
  }
  if (engine?.value !== 's3') {
    const s3Only = Object.entries(store).find(([key]) => key !== 'engine');
    if (s3Only) reader.report('setting-without-s3', s3Only[1]!.keyNode, { key: s3Only[0] });
    return { engine: 'local' };
  }
  const missing = s3StoreRequired.find((key) => !store[key]);
  if (missing) {
    reader.report('s3-store-without', engine.node, { key: missing });
    return { engine: 'local' };
  }
  if (!/^https?:\/\/[^/\s]+\/?$/.test(endpoint!.value)) {
    reader.report('invalid-uri', endpoint!.node, { key: 'endpoint', value: endpoint!.value, owner, scheme: 's3' });
  }
  if (!s3BucketName.test(bucket!.value)) {
    reader.report('invalid-value', bucket!.node, { key: 'bucket', value: bucket!.value, owner, rule: 's3-bucket' });
  }
  if (caFile && !posix.isAbsolute(caFile.value)) {
    reader.report('invalid-path', caFile.node, { key: 'caFile', value: caFile.value, owner });
  }
  const keyPrefix = (prefix?.value ?? '').replace(/^\/+/, '');
  return {
    engine: 's3',
    endpoint: endpoint!.value.replace(/\/$/, ''),
    bucket: bucket!.value,
    prefix: keyPrefix === '' || keyPrefix.endsWith('/') ? keyPrefix : `${keyPrefix}/`,
    region: region?.value ?? cloudDefaults.objectStoreRegion,
    accessKeyId: accessKeyId!.value,
    secretAccessKey: secretAccessKey!.value,
    ...(caFile && { caFile: caFile.value }),
  };
}

function readNetwork(reader: YamlReader, field: Field<YAMLMap> | undefined): NetworkConfig {
  const owner = owners.network;
  const network = field ? reader.readMapping(field.value, networkShape, owner, 'network') : {};
  checkCidrField(reader, 'privateSubnet', network.privateSubnet, owner);
  const publicIps = reader.stringEntries(network.publicIps, 'publicIps', owner);
  for (const entry of publicIps) {
    if (entry.value.includes('/')) {
      checkCidrField(reader, subjects.entryOf('publicIps'), { ...entry, keyNode: entry.node }, owner);
      continue;
    }
    const range = checkIpRange(entry.value);
    if (!range.ok) {
      const backwards = range.reason === 'backwards';
      reader.report('invalid-ip-range', entry.node, {
        key: subjects.entryOf('publicIps'),
        value: entry.value,
        owner,
        backwards,
      });
    }
  }
  const dnsServers = reader.stringEntries(network.dnsServers, 'dnsServers', owner);
  for (const entry of dnsServers) {
    if (parseIpv4(entry.value) === undefined) {
      reader.report('invalid-ip', entry.node, { key: subjects.entryOf('dnsServers'), value: entry.value, owner });
    }
  }
  const bridge = network.bridge;
  if (bridge && !interfaceName.test(bridge.value)) {
    reader.report('invalid-value', bridge.node, { key: 'bridge', value: bridge.value, owner, rule: 'interface-name' });
  }
  return {
    privateSubnet: network.privateSubnet?.value ?? cloudDefaults.privateSubnet,
    publicIps: publicIps.map((entry) => entry.value),
    dnsServers: dnsServers.map((entry) => entry.value),
    ...(bridge && { bridge: bridge.value }),
  };
}

interface HostEntry {
  config: HostConfig;
  name?: Field<string>;
}

/** Reports a name already seen, with the line of its first use; otherwise remembers it. */
function checkUnique(
  reader: YamlReader,
  code: 'duplicate-host' | 'duplicate-zone',
  name: Field<string>,
  seen: Map<string, Node>,
): void {
  const first = seen.get(name.value);
  if (first) reader.report(code, name.node, { name: name.value, firstLine: reader.line(first) });
  else seen.set(name.value, name.node);
}

function readHosts(reader: YamlReader, list: Field<YAMLSeq> | undefined, cloudDataDir: string): HostEntry[] {
  if (list?.value.items.length === 0) reader.report('empty-list', list.node, { key: 'hosts' });
  const byName = new Map<string, Node>();
  const byAddress = new Map<string, { owner: string; node: Node }>();
  return reader.mappingEntries(list, 'hosts').map(({ map, index }) => {
    const owner = owners.host(index, reader.peekString(map, 'name'));
    const host = reader.readMapping(map, hostShape, owner, 'host');
    const { name, address } = host;
    if (name && checkName(reader, 'name', name, owner, hostName)) checkUnique(reader, 'duplicate-host', name, byName);
    if (address) {
      const first = byAddress.get(address.value);
      if (!isHostAddress(address.value)) {
        reader.report('invalid-address', address.node, { key: 'address', value: address.value, owner });
      } else if (first) {
        reader.report('duplicate-address', address.node, {
          address: address.value,
          host: owner,
          firstHost: first.owner,
          firstLine: reader.line(first.node),
        });
      } else byAddress.set(address.value, { owner, node: address.node });
    }
    checkAbsolutePath(reader, host.dataDir, owner);
    const sshOwner = owners.ssh(owner);
    const ssh = host.ssh ? reader.readMapping(host.ssh.value, sshShape, sshOwner, 'ssh') : {};
    checkNotEmpty(reader, 'user', ssh.user, sshOwner);
    checkNotEmpty(reader, 'key', ssh.key, sshOwner);
    checkPort(reader, ssh.port, sshOwner);
    return {
      name,
      config: {
        name: name?.value ?? '',
        address: address?.value ?? '',
        ssh: {
          user: ssh.user?.value ?? cloudDefaults.sshUser,
          port: ssh.port?.value ?? cloudDefaults.sshPort,
          ...(ssh.key && { key: ssh.key.value }),
          sudo: ssh.sudo?.value ?? cloudDefaults.sshSudo,
        },
        dataDir: host.dataDir?.value ?? cloudDataDir,
      },
    };
  });
}

interface ZoneEntry {
  config: ZoneConfig;
  name?: Field<string>;
  map: YAMLMap;
}

function readZones(reader: YamlReader, list: Field<YAMLSeq> | undefined): ZoneEntry[] {
  if (list?.value.items.length === 0) reader.report('empty-list', list.node, { key: 'zones' });
  const byName = new Map<string, Node>();
  return reader.mappingEntries(list, 'zones').map(({ map, index }) => {
    const owner = owners.zone(index, reader.peekString(map, 'name'));
    const zone = reader.readMapping(map, zoneShape, owner, 'zone');
    const { name, subnet } = zone;
    if (name && checkName(reader, 'name', name, owner, dnsLabelName))
      checkUnique(reader, 'duplicate-zone', name, byName);
    checkCidrField(reader, 'subnet', subnet, owner);
    return { name, map, config: { name: name?.value ?? '', ...(subnet && { subnet: subnet.value }) } };
  });
}

interface ComponentEntry {
  config: ComponentConfig;
  fields: Fields<typeof componentShape>;
  component?: ComponentName;
  map: YAMLMap;
}

function readComponents(
  reader: YamlReader,
  list: Field<YAMLSeq> | undefined,
  hosts: HostEntry[],
  zones: ZoneEntry[],
): ComponentEntry[] {
  if (list?.value.items.length === 0) reader.report('empty-list', list.node, { key: 'components' });
  // A host or zone without a usable name might be the one a component means: only check references when all have one.
  const hostNames = names(hosts);
  const zoneNames = names(zones);
  const checkHosts = hostNames.length > 0 && hostNames.length === hosts.length;
  const checkZones = zoneNames.length > 0 && zoneNames.length === zones.length;
  const entries = reader.mappingEntries(list, 'components').map(({ map, index }): ComponentEntry => {
    const peeked = reader.peekString(map, 'component');
    const kind = isOneOf(peeked, componentNames) ? peeked : undefined;
    const owner = owners.component(index, kind, reader.peekString(map, 'host'));
    const fields = reader.readMapping(map, componentShape, owner, 'component');
    const { component, host, zone, port, hypervisor } = fields;
    if (component && !kind) {
      reader.report('invalid-enum', component.node, {
        key: 'component',
        value: component.value,
        owner,
        allowed: componentNames,
        suggestion: didYouMean(component.value, componentNames),
      });
    }
    if (host && checkHosts && !hostNames.includes(host.value)) {
      const suggestion = didYouMean(host.value, hostNames);
      const label = owners.component(index, kind);
      reader.report('unknown-host', host.node, { host: host.value, owner: label, known: hostNames, suggestion });
    }
    const zoned = kind !== undefined && isOneOf(kind, zonedComponents);
    if (kind && !zoned && zone) reader.report('zone-not-allowed', zone.keyNode, { component: kind, owner });
    if (zoned && !zone) reader.report('missing-zone', map, { component: kind, owner });
    if (zoned && zone && checkZones && !zoneNames.includes(zone.value)) {
      const suggestion = didYouMean(zone.value, zoneNames);
      reader.report('unknown-zone', zone.node, { zone: zone.value, owner, known: zoneNames, suggestion });
    }
    checkPort(reader, port, owner);
    checkAbsolutePath(reader, fields.dataDir, owner);
    if (kind && kind !== 'nc' && hypervisor) reader.report('hypervisor-not-allowed', hypervisor.keyNode, { owner });
    if (kind === 'nc' && hypervisor && !isLibvirtUri(hypervisor.value)) {
      const details = { key: 'hypervisor', value: hypervisor.value, owner, scheme: 'libvirt' } as const;
      reader.report('invalid-uri', hypervisor.node, details);
    }
    const hostDataDir = hosts.find((entry) => entry.config.name === host?.value)?.config.dataDir;
    return { config: componentConfig(fields, kind, hostDataDir), fields, component: kind, map };
  });
  checkSingletons(reader, entries);
  checkPortConflicts(reader, entries);
  return entries;
}

function componentConfig(
  fields: Fields<typeof componentShape>,
  component: ComponentName = 'clc',
  hostDataDir: string = cloudDefaults.dataDir,
): ComponentConfig {
  const base = {
    host: fields.host?.value ?? '',
    port: fields.port?.value ?? componentDefaults[component].port,
    dataDir: fields.dataDir?.value ?? posix.join(hostDataDir, component),
  };
  const zone = fields.zone?.value ?? '';
  if (component === 'nc') {
    return { component, ...base, zone, hypervisor: fields.hypervisor?.value ?? cloudDefaults.hypervisor };
  }
  if (component === 'cc' || component === 'sc') return { component, ...base, zone };
  return { component, ...base };
}

/** One clc and one walrus per cloud; one cc and at most one sc per zone. The second one is the one reported. */
function checkSingletons(reader: YamlReader, entries: ComponentEntry[]): void {
  const firsts = new Map<string, ComponentEntry>();
  for (const entry of entries) {
    const { component, fields } = entry;
    if (!component || component === 'nc' || !fields.component) continue;
    const zoned = component === 'cc' || component === 'sc';
    if (zoned && !fields.zone) continue;
    const slot = zoned ? `${component} ${fields.zone?.value}` : component;
    const first = firsts.get(slot);
    if (!first) {
      firsts.set(slot, entry);
      continue;
    }
    const where = {
      host: fields.host?.value ?? '',
      firstHost: first.fields.host?.value ?? '',
      firstLine: reader.line(first.map),
    };
    const at = fields.component.node;
    if (component === 'clc') reader.report('second-clc', at, where);
    else if (component === 'walrus') reader.report('second-walrus', at, where);
    else {
      const zone = fields.zone?.value ?? '';
      reader.report(component === 'cc' ? 'second-cc' : 'second-sc', at, { ...where, zone });
    }
  }
}

/** Two components on one host cannot listen on the same port, whether the port is written or the default. */
function checkPortConflicts(reader: YamlReader, entries: ComponentEntry[]): void {
  const taken = new Map<string, ComponentEntry>();
  for (const entry of entries) {
    const { component, fields, config } = entry;
    if (!component || !fields.host || !fields.component || !isPort(config.port)) continue;
    const slot = `${config.host}:${config.port}`;
    const first = taken.get(slot);
    if (!first) {
      taken.set(slot, entry);
      continue;
    }
    reader.report('port-conflict', fields.port?.node ?? fields.component.node, {
      port: config.port,
      host: config.host,
      first: first.component ?? component,
      firstLine: reader.line(first.map),
    });
  }
}

/** Every zone needs its cc and at least one nc; clc and walrus are needed once per cloud. */
function checkZonesAreServed(
  reader: YamlReader,
  list: Field<YAMLSeq> | undefined,
  zones: ZoneEntry[],
  components: ComponentEntry[],
): void {
  // With no components at all, "missing-field" or "empty-list" already says everything; and a component whose kind
  // or zone is wrong may be the one that seems to be missing.
  if (!list || list.value.items.length === 0 || list.value.items.length !== components.length) return;
  if (components.some((entry) => !entry.component)) return;
  const zoneNames = new Set(zones.flatMap((zone) => (zone.name ? [zone.name.value] : [])));
  const zoned = components.filter(
    (entry) => entry.component === 'cc' || entry.component === 'sc' || entry.component === 'nc',
  );
  const zonesKnown = zoned.every((entry) => entry.fields.zone && zoneNames.has(entry.fields.zone.value));
  const present = (component: ComponentName, zone?: string) =>
    components.some(
      (entry) => entry.component === component && (zone === undefined || entry.fields.zone?.value === zone),
    );
  if (!present('clc')) reader.report('no-clc', list.keyNode);
  if (!present('walrus')) reader.report('no-walrus', list.keyNode);
  const checked = new Set<string>();
  for (const zone of zonesKnown ? zones : []) {
    if (!zone.name || checked.has(zone.name.value)) continue;
    checked.add(zone.name.value);
    if (!present('cc', zone.name.value)) reader.report('zone-without-cc', zone.name.node, { zone: zone.name.value });
    if (!present('nc', zone.name.value)) reader.report('zone-without-nodes', zone.name.node, { zone: zone.name.value });
  }
}

function checkName(
  reader: YamlReader,
  key: string,
  field: Field<string> | undefined,
  owner: Owner,
  pattern: RegExp,
): boolean {
  if (!field || pattern.test(field.value)) return true;
  reader.report('invalid-name', field.node, { key, value: field.value, owner, loose: pattern === hostName });
  return false;
}

function checkAbsolutePath(reader: YamlReader, field: Field<string> | undefined, owner: Owner): void {
  if (field && !posix.isAbsolute(field.value)) {
    reader.report('invalid-path', field.node, { key: 'dataDir', value: field.value, owner });
  }
}

function checkNotEmpty(reader: YamlReader, key: string, field: Field<string> | undefined, owner: Owner): void {
  if (field && field.value.trim() === '') {
    reader.report('invalid-value', field.node, { key, value: '', owner, rule: 'not-empty' });
  }
}

function checkPort(reader: YamlReader, field: Field<number> | undefined, owner: Owner): void {
  if (field && !isPort(field.value)) {
    reader.report('invalid-port', field.node, { key: 'port', value: field.value, owner });
  }
}

function checkCidrField(reader: YamlReader, key: string, field: Field<string> | undefined, owner: Owner): void {
  if (!field) return;
  const cidr = checkCidr(field.value);
  if (cidr.ok) return;
  const network = cidr.reason === 'hostBits' ? cidr.network : undefined;
  reader.report('invalid-cidr', field.node, { key, value: field.value, owner, ...(network && { network }) });
}

function isPort(port: number): boolean {
  return Number.isInteger(port) && port >= 1 && port <= 65535;
}

function isOneOf<T extends string>(value: string | undefined, allowed: readonly T[]): value is T {
  return (allowed as readonly string[]).includes(value ?? '');
}

function names(entries: { name?: Field<string> }[]): string[] {
  return entries.flatMap((entry) => (entry.name ? [entry.name.value] : []));
}
