import type { Protocol, ServiceModel, ShapeRef, StructureShape } from '../model/service-model.js';
import { commonErrors, ServiceError } from '../service-error.js';
import { membersByParameterName, requestParameterName } from './wire-names.js';

/**
 * The request parser for the `ec2` and `query` protocols: form parameters (`Action=RunInstances&MinCount=1&
 * TagSpecification.1.Tag.1.Key=Name`) in, the operation and its typed input out, driven only by the service model.
 * Bad input is answered the way the service does: EC2 with `UnknownParameter`, `InvalidParameterValue` and
 * `MissingParameter` (the first problem found), the Query services (IAM, STS) with one `ValidationError` listing every
 * missing or out-of-range member, as their front end does.
 */

/** Form parameters after URL decoding, one value each. */
export type QueryParams = Readonly<Record<string, string>>;

export interface ParsedQueryRequest {
  operation: string;
  input: Record<string, unknown>;
}

/** Parameters any request may carry besides its input: the action and version, and those of SigV2 and presigned SigV4. */
const envelopeParameters = new Set([
  'Action',
  'Version',
  'AWSAccessKeyId',
  'Signature',
  'SignatureMethod',
  'SignatureVersion',
  'Timestamp',
  'Expires',
  'SecurityToken',
]);

export function isEnvelopeParameter(name: string): boolean {
  return envelopeParameters.has(name) || name.toLowerCase().startsWith('x-amz-');
}

export function parseQueryRequest(service: ServiceModel, params: QueryParams): ParsedQueryRequest {
  const protocol = queryProtocolOf(service);
  const tree = parameterTree(params);
  const action = params.Action;
  if (action === undefined || action === '') throw commonErrors.missingAction();
  const version = params.Version;
  if (version === undefined || version === '') throw commonErrors.missingParameter('Version');
  const operation = service.operations.get(action);
  if (protocol === 'query') {
    if (!operation || version !== service.metadata.apiVersion) throw commonErrors.operationNotFound(action, version);
  } else {
    if (version !== service.metadata.apiVersion) {
      throw commonErrors.noSuchVersion(version, `Amazon${service.metadata.serviceId}`);
    }
    if (!operation) throw commonErrors.invalidAction(action);
  }
  const reader = new InputReader(protocol);
  const input = operation.input ? reader.readStructure(operation.input, tree, '', true) : {};
  if (!operation.input) for (const child of tree.children?.values() ?? []) reader.unknownUnlessEnvelope(child);
  const error = reader.error();
  if (error) throw error;
  return { operation: action, input };
}

/**
 * Rejects two parameters given together, as EC2 does (`The parameter InstanceId cannot be used with the parameter
 * MaxResults`): the checks depend on the action, so handlers call this; the names are the request's wire names.
 */
export function assertNotTogether(
  service: ServiceModel,
  operation: string,
  input: Readonly<Record<string, unknown>>,
  first: string,
  second: string,
): void {
  if (input[first] === undefined || input[second] === undefined) return;
  const members = service.operations.get(operation)?.input?.members;
  const wireName = (member: string): string => {
    const ref = members?.get(member);
    return ref ? requestParameterName(queryProtocolOf(service), member, ref) : member;
  };
  throw commonErrors.invalidParameterCombination(
    `The parameter ${wireName(first)} cannot be used with the parameter ${wireName(second)}`,
  );
}

function queryProtocolOf(service: ServiceModel): 'ec2' | 'query' {
  const protocol: Protocol = service.metadata.protocol;
  if (protocol !== 'ec2' && protocol !== 'query') {
    throw new Error(`${service.metadata.serviceId} uses the ${protocol} protocol, not a query protocol`);
  }
  return protocol;
}

/** The parameters split on `.` into a tree: `Filter.1.Value.2` is root → Filter → 1 → Value → 2. */
interface ParameterNode {
  /** The full parameter name down to here, for messages. */
  key: string;
  value?: string;
  children?: Map<string, ParameterNode>;
}

function parameterTree(params: QueryParams): ParameterNode {
  const root: ParameterNode = { key: '' };
  for (const [key, value] of Object.entries(params)) {
    if (typeof value !== 'string') {
      // A framework hands over an array when a parameter is repeated; AWS never defines one twice.
      throw commonErrors.invalidParameterValue(key, shown(String(value)), 'The parameter may be given only once.');
    }
    let node = root;
    for (const segment of key.split('.')) {
      node.children ??= new Map();
      let child = node.children.get(segment);
      if (!child) node.children.set(segment, (child = { key: node === root ? segment : `${node.key}.${segment}` }));
      node = child;
    }
    node.value = value;
  }
  return root;
}

type Problem =
  | { kind: 'unknown'; parameter: string }
  | { kind: 'invalid'; parameter: string; value: string; reason: string }
  | { kind: 'missing'; parameter: string; path: string }
  | { kind: 'constraint'; parameter: string; path: string; value: string; reason: string; constraint: string };

const listIndex = /^[1-9]\d{0,8}$/;
const integerText = /^[-+]?\d+$/;
const decimalText = /^[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?$/;
const isoTimestamp =
  /^(\d{4})-(\d{2})-(\d{2})(?:[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?)?([Zz]|[-+]\d{2}(?::?\d{2})?)?$/;
const epochSeconds = /^\d+(?:\.\d+)?$/;
const base64Text = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** Walks the parameter tree along the input shape, collecting every problem rather than stopping at the first. */
class InputReader {
  private readonly problems: Problem[] = [];

  constructor(private readonly protocol: 'ec2' | 'query') {}

  /** `path` is the member path the Query services quote in validation messages: `tags.1.member.key`. */
  readStructure(structure: StructureShape, node: ParameterNode, path: string, top = false): Record<string, unknown> {
    const result: Record<string, unknown> = {};
    const table = membersByParameterName(this.protocol, structure);
    const children = node.children;
    for (const [name, [member, ref]] of table) {
      const child = children?.get(name);
      if (!child) continue;
      const value = this.read(ref, child, memberPath(path, member));
      if (value !== undefined) result[member] = value;
    }
    if (children) {
      for (const [segment, child] of children) {
        if (table.has(segment)) continue;
        if (top) this.unknownUnlessEnvelope(child);
        else this.unknown(child);
      }
    }
    for (const member of structure.required) {
      const ref = structure.members.get(member);
      if (result[member] !== undefined || !ref) continue;
      const name = requestParameterName(this.protocol, member, ref);
      this.problems.push({
        kind: 'missing',
        parameter: node.key === '' ? name : `${node.key}.${name}`,
        path: memberPath(path, member),
      });
    }
    return result;
  }

  unknownUnlessEnvelope(node: ParameterNode): void {
    if (!isEnvelopeParameter(node.key)) this.unknown(node);
  }

  /** The service's answer to everything found, or undefined when the input is good. */
  error(): ServiceError | undefined {
    const unknown = this.problems.find((problem) => problem.kind === 'unknown');
    if (unknown) return commonErrors.unknownParameter(unknown.parameter);
    const invalid = this.problems.find((problem) => problem.kind === 'invalid');
    if (invalid) return commonErrors.invalidParameterValue(invalid.parameter, shown(invalid.value), invalid.reason);
    if (this.protocol === 'ec2') {
      const problem = this.problems.find((problem) => problem.kind === 'constraint' || problem.kind === 'missing');
      if (problem?.kind === 'constraint') {
        return commonErrors.invalidParameterValue(problem.parameter, shown(problem.value), problem.reason);
      }
      if (problem?.kind === 'missing') return commonErrors.missingParameter(problem.parameter);
      return undefined;
    }
    const violations = this.problems.flatMap((problem) => {
      if (problem.kind === 'missing') {
        return [`Value null at '${problem.path}' failed to satisfy constraint: Member must not be null`];
      }
      if (problem.kind === 'constraint') {
        return [
          `Value '${shown(problem.value)}' at '${problem.path}' failed to satisfy constraint: ${problem.constraint}`,
        ];
      }
      return [];
    });
    return violations.length > 0 ? commonErrors.validationError(violations) : undefined;
  }

  private read(ref: ShapeRef, node: ParameterNode, path: string): unknown {
    switch (ref.type) {
      case 'structure':
        if (node.value !== undefined && node.value !== '') this.invalid(node, 'Expected a structure.');
        return this.readStructure(ref.structure as StructureShape, node, path);
      case 'list':
        return this.readList(ref, node, path);
      case 'map':
        return this.readMap(ref, node, path);
      default:
        for (const child of node.children?.values() ?? []) this.unknown(child);
        return node.value === undefined ? undefined : this.readScalar(ref, node, path);
    }
  }

  private readList(ref: ShapeRef, node: ParameterNode, path: string): unknown[] {
    const member = ref.member as ShapeRef;
    let container: ParameterNode | undefined = node;
    if (this.protocol === 'query' && !ref.flattened) {
      const itemName = member.locationName ?? 'member';
      container = node.children?.get(itemName);
      for (const [segment, child] of node.children ?? []) if (segment !== itemName) this.unknown(child);
    }
    // `Name=` with no items is how the query protocol sends an empty list.
    if (node.value !== undefined && node.value !== '') {
      this.invalid(node, `Expected a list: ${node.key}.1, ${node.key}.2 ...`);
    }
    const values: unknown[] = [];
    for (const [index, child] of this.indexed(container)) {
      const value = this.read(member, child, `${path}.${index}.member`);
      if (value !== undefined) values.push(value);
    }
    const shownList = values.map((value) => (typeof value === 'object' ? '{...}' : String(value)));
    this.checkSize(ref, node, path, values.length, `[${shownList.join(', ')}]`);
    return values;
  }

  private readMap(ref: ShapeRef, node: ParameterNode, path: string): Record<string, unknown> {
    const keyRef = ref.key as ShapeRef;
    const valueRef = ref.value as ShapeRef;
    let container: ParameterNode | undefined = node;
    if (!ref.flattened) {
      container = node.children?.get('entry');
      for (const [segment, child] of node.children ?? []) if (segment !== 'entry') this.unknown(child);
    }
    if (node.value !== undefined && node.value !== '')
      this.invalid(node, `Expected a map: ${node.key}.entry.1.key ...`);
    const keyName = keyRef.locationName ?? 'key';
    const valueName = valueRef.locationName ?? 'value';
    // No prototype, so a key such as `__proto__` is just a key.
    const result = Object.create(null) as Record<string, unknown>;
    let size = 0;
    for (const [index, entry] of this.indexed(container)) {
      for (const [segment, child] of entry.children ?? []) {
        if (segment !== keyName && segment !== valueName) this.unknown(child);
      }
      if (entry.value !== undefined && entry.value !== '') this.invalid(entry, 'Expected a map entry.');
      const keyNode = entry.children?.get(keyName);
      const valueNode = entry.children?.get(valueName);
      const entryPath = `${path}.${index}.member`;
      const key = keyNode && this.read(keyRef, keyNode, `${entryPath}.key`);
      if (key === undefined) {
        this.problems.push({ kind: 'missing', parameter: `${entry.key}.${keyName}`, path: `${entryPath}.key` });
        continue;
      }
      const value = valueNode && this.read(valueRef, valueNode, `${entryPath}.value`);
      if (value === undefined) {
        this.problems.push({ kind: 'missing', parameter: `${entry.key}.${valueName}`, path: `${entryPath}.value` });
        continue;
      }
      result[String(key)] = value;
      size++;
    }
    this.checkSize(ref, node, path, size, `{${Object.keys(result).join(', ')}}`);
    return result;
  }

  /** The numbered children (`.1`, `.2`, `.10`) in numeric order; gaps are fine, anything else is unknown. */
  private indexed(node: ParameterNode | undefined): [number, ParameterNode][] {
    const items: [number, ParameterNode][] = [];
    for (const [segment, child] of node?.children ?? []) {
      if (listIndex.test(segment)) items.push([Number(segment), child]);
      else this.unknown(child);
    }
    return items.sort((a, b) => a[0] - b[0]);
  }

  private readScalar(ref: ShapeRef, node: ParameterNode, path: string): unknown {
    const text = node.value as string;
    switch (ref.type) {
      case 'integer':
      case 'long': {
        const value = Number(text);
        const fits = ref.type === 'integer' ? value >= -2147483648 && value <= 2147483647 : Number.isSafeInteger(value);
        if (!integerText.test(text) || !fits) return this.invalid(node, 'Expected an integer.');
        this.checkRange(ref, node, path, value);
        return value;
      }
      case 'float':
      case 'double': {
        const value = Number(text);
        if (!decimalText.test(text) && text !== 'NaN' && text !== 'Infinity' && text !== '-Infinity') {
          return this.invalid(node, 'Expected a number.');
        }
        this.checkRange(ref, node, path, value);
        return value;
      }
      case 'boolean':
        if (text === 'true') return true;
        if (text === 'false') return false;
        return this.invalid(node, "Expected 'true' or 'false'.");
      case 'timestamp': {
        const value = parseTimestamp(text);
        if (!value) {
          return this.invalid(node, 'Expected a date and time in ISO 8601 (2026-11-23T19:00:00Z) or epoch seconds.');
        }
        return value;
      }
      case 'blob':
        if (!base64Text.test(text)) return this.invalid(node, 'Expected base64.');
        this.checkSize(ref, node, path, Buffer.byteLength(text, 'base64'), text);
        return Buffer.from(text, 'base64');
      default:
        if (ref.enum && !ref.enum.includes(text)) {
          this.problems.push({
            kind: 'constraint',
            parameter: node.key,
            path,
            value: text,
            reason: `Valid values: ${ref.enum.join(', ')}.`,
            constraint: `Member must satisfy enum value set: [${ref.enum.join(', ')}]`,
          });
          return text;
        }
        this.checkSize(ref, node, path, text.length, text);
        return text;
    }
  }

  /** `min`/`max` of a string, blob, list or map: its length. */
  private checkSize(ref: ShapeRef, node: ParameterNode, path: string, size: number, value: string): void {
    if (ref.min !== undefined && size < ref.min) {
      this.constraint(node, path, value, `Expecting a length of at least ${ref.min}.`, 'length greater', ref.min);
    } else if (ref.max !== undefined && size > ref.max) {
      this.constraint(node, path, value, `Expecting a length of at most ${ref.max}.`, 'length less', ref.max);
    }
  }

  private checkRange(ref: ShapeRef, node: ParameterNode, path: string, value: number): void {
    const text = node.value as string;
    if (ref.min !== undefined && value < ref.min) {
      this.constraint(
        node,
        path,
        text,
        `Expecting a value greater than or equal to ${ref.min}.`,
        'value greater',
        ref.min,
      );
    } else if (ref.max !== undefined && value > ref.max) {
      this.constraint(node, path, text, `Expecting a value less than or equal to ${ref.max}.`, 'value less', ref.max);
    }
  }

  private constraint(
    node: ParameterNode,
    path: string,
    value: string,
    reason: string,
    what: 'length greater' | 'length less' | 'value greater' | 'value less',
    limit: number,
  ): void {
    const constraint = `Member must have ${what} than or equal to ${limit}`;
    this.problems.push({ kind: 'constraint', parameter: node.key, path, value, reason, constraint });
  }

  private invalid(node: ParameterNode, reason: string): undefined {
    this.problems.push({ kind: 'invalid', parameter: node.key, value: node.value ?? '', reason });
    return undefined;
  }

  private unknown(node: ParameterNode): void {
    this.problems.push({ kind: 'unknown', parameter: node.key });
  }
}

/** The member path the Query services quote: member names with a lower-case first letter, joined by dots. */
function memberPath(path: string, member: string): string {
  const name = member.charAt(0).toLowerCase() + member.slice(1);
  return path === '' ? name : `${path}.${name}`;
}

/**
 * ISO 8601 (`2026-11-23T19:00:00Z`, fractions and offsets allowed; no zone means UTC, as AWS reads it) or seconds
 * since the epoch; undefined for anything else, including dates that do not exist (`2026-02-30`).
 */
export function parseTimestamp(text: string): Date | undefined {
  if (epochSeconds.test(text)) {
    const date = new Date(Number(text) * 1000);
    return Number.isNaN(date.getTime()) ? undefined : date;
  }
  const match = isoTimestamp.exec(text);
  if (!match) return undefined;
  const [, year, month, day, hour = '00', minute = '00', second = '00'] = match;
  if (Number(month) < 1 || Number(month) > 12 || Number(hour) > 23 || Number(minute) > 59 || Number(second) > 59) {
    return undefined;
  }
  const daysInMonth = new Date(Date.UTC(Number(year), Number(month), 0)).getUTCDate();
  if (Number(day) < 1 || Number(day) > daysInMonth) return undefined;
  const zone = match[7] ?? 'Z';
  const rest = text
    .slice(10)
    .replace(/^[Tt ]/, 'T')
    .replace(/[Zz]$|[-+]\d{2}(?::?\d{2})?$/, '');
  const offset = zone.toUpperCase() === 'Z' ? 'Z' : normaliseOffset(zone);
  const date = new Date(`${year}-${month}-${day}${rest === '' ? 'T00:00:00' : rest}${offset}`);
  return Number.isNaN(date.getTime()) ? undefined : date;
}

function normaliseOffset(offset: string): string {
  const digits = offset.slice(1).replace(':', '');
  return `${offset.charAt(0)}${digits.slice(0, 2)}:${digits.slice(2) || '00'}`;
}

/** A value as error messages quote it: long ones are cut, so a megabyte of junk does not come back in the error. */
function shown(value: string): string {
  return value.length > 256 ? `${value.slice(0, 256)}...` : value;
}
