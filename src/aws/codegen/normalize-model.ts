import type {
  OperationSource,
  Protocol,
  RefTraits,
  ScalarType,
  ServiceMetadata,
  ServiceModelSource,
  ShapeRefSource,
  StructureSource,
  TimestampFormat,
  XmlNamespace,
} from '../model/service-model.js';
import { nameStructures, type StructureUsage } from './name-structures.js';

/**
 * Turns an `aws-sdk` v2 `apis/*.min.json` model into the model source the generator writes. The minified models inline
 * most shapes and name the shared ones `S3`, `S1pm` ...; here every structure gets a readable name (the same one its
 * generated TypeScript interface carries), identical structures are merged, and only what the parser and serialisers
 * need is kept.
 */

/** A shape as `min.json` writes it: a reference (`shape`) or an inline definition, plus its traits. */
interface RawShape {
  shape?: string;
  type?: string;
  members?: Record<string, RawShape>;
  member?: RawShape;
  key?: RawShape;
  value?: RawShape;
  required?: string[];
  resultWrapper?: string;
  payload?: string;
  locationName?: string;
  queryName?: string;
  flattened?: boolean;
  xmlNamespace?: string | { uri: string; prefix?: string };
  xmlAttribute?: boolean;
  timestampFormat?: string;
  location?: string;
  streaming?: boolean;
  enum?: string[];
  min?: number;
  max?: number;
}

export interface RawModel {
  metadata: Record<string, unknown>;
  operations: Record<
    string,
    { input?: RawShape; output?: RawShape; http?: Record<string, unknown>; deprecated?: boolean }
  >;
  shapes: Record<string, RawShape>;
}

/** A structure while the model is being normalised; identity matters until identical ones are merged. */
export interface StructureNode {
  /** Order of discovery (operations by name, input before output, members depth first): ties resolve by it. */
  readonly seen: number;
  readonly members: [string, RefNode][];
  readonly required: readonly string[];
  readonly payload?: string;
  readonly locationName?: string;
  readonly xmlNamespace?: XmlNamespace;
  /** Fixed name of an operation's input or output (`RunInstancesInput`). */
  readonly operationName?: string;
  readonly usages: StructureUsage<StructureNode>[];
}

export type RefNode = RefTraits &
  (
    | { kind: 'structure'; node: StructureNode }
    | { kind: 'list'; member: RefNode }
    | { kind: 'map'; key: RefNode; value: RefNode }
    | { kind: 'scalar'; type: ScalarType }
  );

const scalarTypes = new Set<string>(['string', 'integer', 'long', 'float', 'double', 'boolean', 'timestamp', 'blob']);
const protocols = new Set<string>(['ec2', 'query', 'rest-xml']);
const locations = new Set<string>(['header', 'headers', 'uri', 'querystring', 'statusCode']);
const timestampFormats = new Set<string>(['iso8601', 'unixTimestamp', 'rfc822']);

/** @param reserved names the structures must not take (the generated operation map's, say) */
export function normalizeModel(raw: RawModel, reserved: Iterable<string> = []): ServiceModelSource {
  const metadata = readMetadata(raw.metadata);
  let seen = 0;
  const byShapeId = new Map<string, StructureNode>();

  /**
   * A fresh node; `register` runs before its members are read, so a parent is always discovered first. A named
   * (`shape`) structure keeps its own `locationName`/`xmlNamespace`; an inline one's belong to the reference.
   */
  const newStructure = (
    shape: RawShape,
    options: { operationName?: string; register?: (node: StructureNode) => void },
    named: boolean,
  ): StructureNode => {
    const node: StructureNode = {
      seen: seen++,
      members: [],
      required: shape.required ?? [],
      ...(shape.payload !== undefined && { payload: shape.payload }),
      ...(named && shape.locationName !== undefined && { locationName: shape.locationName }),
      ...(named && shape.xmlNamespace !== undefined && { xmlNamespace: toNamespace(shape.xmlNamespace) }),
      ...(options.operationName !== undefined && { operationName: options.operationName }),
      usages: [],
    };
    options.register?.(node);
    for (const [name, member] of Object.entries(shape.members ?? {})) {
      node.members.push([name, toRef(member, { parent: node, member: name, via: 'member' })]);
    }
    return node;
  };

  const toRef = (shape: RawShape, usage: StructureUsage<StructureNode>): RefNode => {
    if (shape.shape !== undefined) {
      const target = raw.shapes[shape.shape];
      if (!target) throw new Error(`${metadata.serviceId}: unknown shape ${shape.shape}`);
      if (isStructure(target)) {
        const id = shape.shape;
        const node =
          byShapeId.get(id) ?? newStructure(target, { register: (created) => byShapeId.set(id, created) }, true);
        node.usages.push(usage);
        return { ...refTraits(shape), kind: 'structure', node };
      }
      // Named lists, maps and scalars are written inline; the reference's own traits win over the target's.
      const { shape: _name, ...own } = shape;
      return toRef({ ...target, ...own }, usage);
    }
    const traits = refTraits(shape);
    if (isStructure(shape)) {
      const node = newStructure(shape, {}, false);
      node.usages.push(usage);
      return { ...traits, kind: 'structure', node };
    }
    if (shape.type === 'list') {
      if (!shape.member) throw new Error(`${metadata.serviceId}: list without member`);
      return { ...traits, kind: 'list', member: toRef(shape.member, { ...usage, via: 'list' }) };
    }
    if (shape.type === 'map') {
      if (!shape.key || !shape.value) throw new Error(`${metadata.serviceId}: map without key or value`);
      return {
        ...traits,
        kind: 'map',
        key: toRef(shape.key, { ...usage, via: 'map' }),
        value: toRef(shape.value, { ...usage, via: 'map' }),
      };
    }
    const type = shape.type ?? 'string';
    if (!scalarTypes.has(type)) throw new Error(`${metadata.serviceId}: unsupported shape type ${type}`);
    return { ...traits, kind: 'scalar', type: type as ScalarType };
  };

  const operationStructure = (shape: RawShape, name: string): StructureNode => {
    const target = shape.shape === undefined ? shape : raw.shapes[shape.shape];
    if (!target || !isStructure(target)) throw new Error(`${metadata.serviceId}: ${name} is not a structure`);
    return newStructure(target, { operationName: name }, true);
  };

  const operations: { name: string; input?: StructureNode; output?: StructureNode; source: OperationSource }[] = [];
  for (const name of Object.keys(raw.operations).sort()) {
    const operation = raw.operations[name] as RawModel['operations'][string];
    const input = operation.input && operationStructure(operation.input, `${name}Input`);
    const output = operation.output && operationStructure(operation.output, `${name}Output`);
    const resultWrapper = operation.output?.resultWrapper;
    operations.push({
      name,
      ...(input && { input }),
      ...(output && { output }),
      source: {
        ...(resultWrapper !== undefined && { resultWrapper }),
        ...(metadata.protocol === 'rest-xml' && operation.http && { http: readHttp(operation.http) }),
        ...(metadata.protocol === 'rest-xml' && operation.deprecated === true && { deprecated: true }),
      },
    });
  }

  const all = collectStructures(operations.flatMap((operation) => [operation.input, operation.output]));
  const canonical = mergeIdentical(all);
  const names = nameStructures(
    [...new Set(canonical.values())],
    (node) => node.operationName,
    (node) => canonical.get(node) as StructureNode,
    reserved,
  );

  const structures: Record<string, StructureSource> = {};
  for (const [node, name] of names) structures[name] = toStructureSource(node, canonical, names);
  const nameOf = (node: StructureNode | undefined): string | undefined =>
    node && names.get(canonical.get(node) as StructureNode);

  const operationSources: Record<string, OperationSource> = {};
  for (const operation of operations) {
    const input = nameOf(operation.input);
    const output = nameOf(operation.output);
    operationSources[operation.name] = {
      ...(input !== undefined && { input }),
      ...(output !== undefined && { output }),
      ...operation.source,
    };
  }
  return { metadata, operations: operationSources, structures: sortKeys(structures) };
}

function readMetadata(raw: Record<string, unknown>): ServiceMetadata {
  const text = (key: string): string | undefined => (typeof raw[key] === 'string' ? (raw[key] as string) : undefined);
  const protocol = text('protocol');
  if (!protocol || !protocols.has(protocol)) throw new Error(`unsupported protocol ${String(protocol)}`);
  const namespace = text('xmlNamespace');
  const signingName = text('signingName');
  return {
    apiVersion: text('apiVersion') ?? '',
    protocol: protocol as Protocol,
    endpointPrefix: text('endpointPrefix') ?? '',
    serviceId: text('serviceId') ?? '',
    ...(namespace !== undefined && { xmlNamespace: namespace.endsWith('/') ? namespace : `${namespace}/` }),
    ...(signingName !== undefined && { signingName }),
  };
}

function readHttp(raw: Record<string, unknown>): NonNullable<OperationSource['http']> {
  return {
    method: String(raw.method ?? 'POST'),
    requestUri: String(raw.requestUri ?? '/'),
    ...(typeof raw.responseCode === 'number' && { responseCode: raw.responseCode }),
  };
}

function isStructure(shape: RawShape): boolean {
  return shape.type === 'structure' || (shape.type === undefined && shape.members !== undefined);
}

function toNamespace(raw: NonNullable<RawShape['xmlNamespace']>): XmlNamespace {
  return typeof raw === 'string'
    ? { uri: raw }
    : { uri: raw.uri, ...(raw.prefix !== undefined && { prefix: raw.prefix }) };
}

/** The serialisation traits of a reference, in a fixed key order so the output is stable. */
function refTraits(shape: RawShape): RefTraits {
  const traits: RefTraits = {};
  if (shape.locationName !== undefined) traits.locationName = shape.locationName;
  if (shape.queryName !== undefined) traits.queryName = shape.queryName;
  if (shape.flattened) traits.flattened = true;
  if (shape.xmlNamespace !== undefined) traits.xmlNamespace = toNamespace(shape.xmlNamespace);
  if (shape.xmlAttribute) traits.xmlAttribute = true;
  if (shape.timestampFormat !== undefined && timestampFormats.has(shape.timestampFormat)) {
    traits.timestampFormat = shape.timestampFormat as TimestampFormat;
  }
  if (shape.location !== undefined && locations.has(shape.location)) {
    traits.location = shape.location as RefTraits['location'];
  }
  if (shape.streaming) traits.streaming = true;
  if (shape.enum !== undefined) traits.enum = [...shape.enum];
  if (shape.min !== undefined) traits.min = shape.min;
  if (shape.max !== undefined) traits.max = shape.max;
  return traits;
}

/** Every structure reachable from the operations, in discovery order. */
function collectStructures(roots: (StructureNode | undefined)[]): StructureNode[] {
  const found = new Set<StructureNode>();
  const visitRef = (ref: RefNode): void => {
    if (ref.kind === 'structure') visit(ref.node);
    else if (ref.kind === 'list') visitRef(ref.member);
    else if (ref.kind === 'map') {
      visitRef(ref.key);
      visitRef(ref.value);
    }
  };
  const visit = (node: StructureNode): void => {
    if (found.has(node)) return;
    found.add(node);
    for (const [, ref] of node.members) visitRef(ref);
  };
  for (const root of roots) if (root) visit(root);
  return [...found].sort((a, b) => a.seen - b.seen);
}

/**
 * Maps each structure to the one that stands for it: structures with the same members, traits and (recursively)
 * member structures become one. Operation inputs and outputs always stand for themselves, so each operation keeps
 * its own `XInput`/`XOutput` name. The representative is the first discovered; it inherits every usage.
 */
function mergeIdentical(nodes: StructureNode[]): Map<StructureNode, StructureNode> {
  const keys = new Map<StructureNode, string>();
  const representative = new Map<string, StructureNode>();
  const canonical = new Map<StructureNode, StructureNode>();
  const inProgress = new Set<StructureNode>();
  const refKey = (ref: RefNode): unknown => {
    const { kind, ...rest } = ref;
    if (ref.kind === 'structure') return { ...rest, node: `#${keyOf(ref.node)}` };
    if (ref.kind === 'list') return { ...rest, member: refKey(ref.member) };
    if (ref.kind === 'map') return { ...rest, key: refKey(ref.key), value: refKey(ref.value) };
    return { kind, ...rest };
  };
  /** The id of the representative, which is all a parent's key needs. */
  const keyOf = (node: StructureNode): number => {
    const known = canonical.get(node);
    if (known) return known.seen;
    if (inProgress.has(node)) throw new Error('recursive structures are not supported by the generator yet');
    inProgress.add(node);
    const key = JSON.stringify([
      node.members.map(([name, ref]) => [name, refKey(ref)]),
      node.required,
      node.payload ?? null,
      node.locationName ?? null,
      node.xmlNamespace ?? null,
    ]);
    inProgress.delete(node);
    keys.set(node, key);
    let chosen = node.operationName === undefined ? representative.get(key) : undefined;
    if (!chosen) {
      chosen = node;
      if (node.operationName === undefined) representative.set(key, node);
    } else {
      chosen.usages.push(...node.usages);
    }
    canonical.set(node, chosen);
    return chosen.seen;
  };
  for (const node of nodes) keyOf(node);
  return canonical;
}

function toStructureSource(
  node: StructureNode,
  canonical: Map<StructureNode, StructureNode>,
  names: Map<StructureNode, string>,
): StructureSource {
  const refSource = (ref: RefNode): ShapeRefSource => {
    const { kind: _kind, ...traits } = ref;
    if (ref.kind === 'structure') {
      const { node: child, ...own } = traits as RefTraits & { node: StructureNode };
      return { shape: names.get(canonical.get(child) as StructureNode) as string, ...own };
    }
    if (ref.kind === 'list') {
      const { member: _member, ...own } = traits as RefTraits & { member: RefNode };
      return { type: 'list', member: refSource(ref.member), ...own };
    }
    if (ref.kind === 'map') {
      const { key: _key, value: _value, ...own } = traits as RefTraits & { key: RefNode; value: RefNode };
      return { type: 'map', key: refSource(ref.key), value: refSource(ref.value), ...own };
    }
    const { type, ...own } = traits as RefTraits & { type: ScalarType };
    return type === 'string' ? own : { type, ...own };
  };
  const members: Record<string, ShapeRefSource> = {};
  for (const [name, ref] of node.members) members[name] = refSource(ref);
  return {
    members,
    ...(node.required.length > 0 && { required: node.required }),
    ...(node.payload !== undefined && { payload: node.payload }),
    ...(node.locationName !== undefined && { locationName: node.locationName }),
    ...(node.xmlNamespace !== undefined && { xmlNamespace: node.xmlNamespace }),
  };
}

function sortKeys<T>(record: Record<string, T>): Record<string, T> {
  return Object.fromEntries(Object.entries(record).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}
