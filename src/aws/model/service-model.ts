/**
 * The AWS service model as the protocol layer uses it at run time: operations, their input and output structures, and
 * the wire traits (names, list and map layout, timestamp formats) the parser and serialisers need. The generator
 * (`src/aws/codegen/`) writes one `*-model.ts` per service from the official model in the pinned `aws-sdk` package; this
 * module turns that source into a linked graph once, at import, so the per-request code never looks names up by string.
 */

/** How a service's requests and responses travel: the model's `metadata.protocol`. */
export type Protocol = 'ec2' | 'query' | 'rest-xml';

export type ScalarType = 'string' | 'integer' | 'long' | 'float' | 'double' | 'boolean' | 'timestamp' | 'blob';
export type ShapeType = ScalarType | 'structure' | 'list' | 'map';
export type TimestampFormat = 'iso8601' | 'unixTimestamp' | 'rfc822';

export interface XmlNamespace {
  uri: string;
  prefix?: string;
}

/** Traits that travel with a reference to a shape (a structure member, a list member, a map key or value). */
export interface RefTraits {
  /** Name on the wire: XML element, or (capitalised, for the `ec2` protocol) the query parameter. */
  locationName?: string;
  /** `ec2` protocol only: the exact query parameter name, overriding `locationName`. */
  queryName?: string;
  /** Lists and maps written without a wrapper element (`query`, `rest-xml`). */
  flattened?: boolean;
  xmlNamespace?: XmlNamespace;
  xmlAttribute?: boolean;
  timestampFormat?: TimestampFormat;
  /** `rest-xml`: where the member travels when it is not in the body. */
  location?: 'header' | 'headers' | 'uri' | 'querystring' | 'statusCode';
  streaming?: boolean;
  /** Allowed values of a string. The `min.json` models drop these; the machinery honours them when present. */
  enum?: readonly string[];
  /** Length of a string, blob, list or map, or value of a number. */
  min?: number;
  max?: number;
}

/**
 * A reference as the generated model writes it: `shape` names a structure; otherwise `type` (default `string`) is a
 * scalar, or a list (`member`) or map (`key`, `value`) written inline.
 */
export interface ShapeRefSource extends RefTraits {
  shape?: string;
  type?: ScalarType | 'list' | 'map';
  member?: ShapeRefSource;
  key?: ShapeRefSource;
  value?: ShapeRefSource;
}

export interface StructureSource {
  members: Readonly<Record<string, ShapeRefSource>>;
  required?: readonly string[];
  /** `rest-xml`: the member that is the whole body. */
  payload?: string;
  locationName?: string;
  xmlNamespace?: XmlNamespace;
}

export interface OperationSource {
  /** Name of the input structure. */
  input?: string;
  /** Name of the output structure; absent when the operation answers nothing but its request id. */
  output?: string;
  /** `query` protocol: the element wrapping the output (`CreateUserResult`). */
  resultWrapper?: string;
  http?: { method: string; requestUri: string; responseCode?: number };
  /**
   * An older form of an operation that replaces it at the same address (S3's PutBucketLifecycle): requests that could
   * be either are the replacement's.
   */
  deprecated?: boolean;
}

export interface ServiceMetadata {
  apiVersion: string;
  protocol: Protocol;
  endpointPrefix: string;
  serviceId: string;
  /** Namespace of response documents; always ends with `/`. */
  xmlNamespace?: string;
  signingName?: string;
}

export interface ServiceModelSource {
  metadata: ServiceMetadata;
  operations: Readonly<Record<string, OperationSource>>;
  structures: Readonly<Record<string, StructureSource>>;
}

/** A resolved reference: its traits plus what it points at. */
export interface ShapeRef extends RefTraits {
  readonly type: ShapeType;
  /** Set when `type` is `structure`. */
  readonly structure?: StructureShape;
  /** Set when `type` is `list`. */
  readonly member?: ShapeRef;
  /** Set when `type` is `map`. */
  readonly key?: ShapeRef;
  readonly value?: ShapeRef;
}

export interface StructureShape {
  readonly name: string;
  /** Members in model order. */
  readonly members: ReadonlyMap<string, ShapeRef>;
  readonly required: ReadonlySet<string>;
  readonly payload?: string;
  readonly locationName?: string;
  readonly xmlNamespace?: XmlNamespace;
}

export interface OperationModel {
  readonly name: string;
  readonly input?: StructureShape;
  readonly output?: StructureShape;
  readonly resultWrapper?: string;
  readonly http?: { readonly method: string; readonly requestUri: string; readonly responseCode?: number };
  readonly deprecated?: boolean;
}

/**
 * One service's model. `Ops` is the generated operation map (`Ec2Operations` ...); it exists only for the type
 * checker, so dispatchers built from this model type their handlers.
 */
export interface ServiceModel<Ops = unknown> {
  readonly metadata: ServiceMetadata;
  readonly operations: ReadonlyMap<string, OperationModel>;
  readonly structures: ReadonlyMap<string, StructureShape>;
  /** Type-level only; always undefined. */
  readonly operationTypes?: Ops;
}

/** Links a generated model source into the graph the parser and serialisers walk. */
export function loadServiceModel<Ops>(source: ServiceModelSource): ServiceModel<Ops> {
  const structures = new Map<string, StructureShape>();
  const memberMaps = new Map<string, Map<string, ShapeRef>>();
  for (const [name, structure] of Object.entries(source.structures)) {
    const members = new Map<string, ShapeRef>();
    memberMaps.set(name, members);
    structures.set(name, {
      name,
      members,
      required: new Set(structure.required ?? []),
      ...pick(structure, ['payload', 'locationName', 'xmlNamespace']),
    });
  }
  const structureNamed = (name: string, where: string): StructureShape => {
    const structure = structures.get(name);
    if (!structure) throw new Error(`${source.metadata.serviceId} model: ${where} names unknown structure ${name}`);
    return structure;
  };
  const resolve = (ref: ShapeRefSource, where: string): ShapeRef => {
    const { shape, type, member, key, value, ...traits } = ref;
    if (shape !== undefined) return { ...traits, type: 'structure', structure: structureNamed(shape, where) };
    if (type === 'list') {
      if (!member) throw new Error(`${source.metadata.serviceId} model: list at ${where} has no member`);
      return { ...traits, type, member: resolve(member, `${where}[]`) };
    }
    if (type === 'map') {
      if (!key || !value) throw new Error(`${source.metadata.serviceId} model: map at ${where} lacks key or value`);
      return { ...traits, type, key: resolve(key, `${where}{key}`), value: resolve(value, `${where}{value}`) };
    }
    return { ...traits, type: type ?? 'string' };
  };
  for (const [name, structure] of Object.entries(source.structures)) {
    const members = memberMaps.get(name) as Map<string, ShapeRef>;
    for (const [memberName, ref] of Object.entries(structure.members)) {
      members.set(memberName, resolve(ref, `${name}.${memberName}`));
    }
  }
  const operations = new Map<string, OperationModel>();
  for (const [name, operation] of Object.entries(source.operations)) {
    operations.set(name, {
      name,
      ...(operation.input !== undefined && { input: structureNamed(operation.input, `${name} input`) }),
      ...(operation.output !== undefined && { output: structureNamed(operation.output, `${name} output`) }),
      ...pick(operation, ['resultWrapper', 'http', 'deprecated']),
    });
  }
  return { metadata: source.metadata, operations, structures };
}

function pick<T extends object, K extends keyof T>(from: T, keys: readonly K[]): Partial<Pick<T, K>> {
  const picked: Partial<Pick<T, K>> = {};
  for (const key of keys) if (from[key] !== undefined) picked[key] = from[key];
  return picked;
}
