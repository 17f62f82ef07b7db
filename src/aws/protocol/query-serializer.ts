import type { ServiceModel, ShapeRef, StructureShape, TimestampFormat } from '../model/service-model.js';
import { listItemName, responseElementName } from './wire-names.js';
import { XmlWriter } from './xml-writer.js';

/**
 * The response serialiser for the `ec2` and `query` protocols: a handler's plain output object in, the XML document
 * the SDKs parse out, walking the operation's output shape (members in model order, names from the model, lists
 * wrapped in `item`/`member` elements, timestamps in ISO 8601 with milliseconds, blobs in base64).
 *
 * - ec2: `<XResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><requestId>…</requestId>…</XResponse>`
 * - query: `<XResponse xmlns="…"><XResult>…</XResult><ResponseMetadata><RequestId>…</RequestId></ResponseMetadata>
 *   </XResponse>`
 *
 * Output members the model does not know are left out. A value of the wrong kind (a string where the model has a
 * list) is a handler bug and throws a TypeError, which the dispatcher answers as `InternalError`.
 */
export function serializeQueryResponse(
  service: ServiceModel,
  operation: string,
  output: unknown,
  requestId: string,
): string {
  const model = service.operations.get(operation);
  if (!model) throw new Error(`${service.metadata.serviceId} has no operation ${operation}`);
  const protocol = service.metadata.protocol;
  const root = `${operation}Response`;
  const writer = new XmlWriter().declaration().open(root, { xmlns: service.metadata.xmlNamespace });
  if (protocol === 'ec2') {
    writer.element('requestId', requestId);
    if (model.output) writeMembers(writer, model.output, output, 'output', listItemName);
    // EC2 answers actions that return nothing with <return>true</return>; the SDKs ignore it.
    else writer.element('return', 'true');
  } else if (protocol === 'query') {
    if (model.output) {
      const wrapper = model.resultWrapper ?? `${operation}Result`;
      writer.open(wrapper);
      writeMembers(writer, model.output, output, 'output', listItemName);
      writer.close(wrapper);
    }
    writer.open('ResponseMetadata').element('RequestId', requestId).close('ResponseMetadata');
  } else {
    throw new Error(`${service.metadata.serviceId} uses the ${protocol} protocol, not a query protocol`);
  }
  return writer.close(root).toString();
}

/** The element wrapping each item of a list: the query protocols use the list member's `locationName`. */
export type ListItemNaming = (list: ShapeRef) => string;

/**
 * The shape walk alone, for documents other than the query responses (EC2 over SOAP): writes `value`'s members as
 * elements into `writer`, named and ordered as the query serialiser names them, and no root element.
 */
export function writeStructureMembers(
  writer: XmlWriter,
  structure: StructureShape,
  value: unknown,
  itemName: ListItemNaming = listItemName,
): void {
  writeMembers(writer, structure, value, 'output', itemName);
}

/** A structure's members with their element names, and whether any is an attribute: worked out once. */
interface StructurePlan {
  members: [member: string, ref: ShapeRef, element: string][];
  attributes: boolean;
}

const plans = new WeakMap<StructureShape, StructurePlan>();

function planOf(structure: StructureShape): StructurePlan {
  let plan = plans.get(structure);
  if (!plan) {
    const members: StructurePlan['members'] = [];
    let attributes = false;
    for (const [member, ref] of structure.members) {
      if (ref.xmlAttribute) attributes = true;
      else members.push([member, ref, responseElementName(member, ref)]);
    }
    plans.set(structure, (plan = { members, attributes }));
  }
  return plan;
}

function writeMembers(
  writer: XmlWriter,
  structure: StructureShape,
  value: unknown,
  path: string,
  itemName: ListItemNaming,
): void {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new TypeError(`${path} must be an object (${structure.name})`);
  }
  const record = value as Record<string, unknown>;
  for (const [member, ref, element] of planOf(structure).members) {
    const memberValue = record[member];
    if (memberValue === undefined || memberValue === null) continue;
    writeValue(writer, element, ref, memberValue, path, member, itemName);
  }
}

/** Attributes of a structure's element: its namespace and any members marked `xmlAttribute`; undefined if none. */
function attributesOf(ref: ShapeRef, value: Record<string, unknown>): Record<string, string> | undefined {
  const structure = ref.structure as StructureShape;
  const namespace = ref.xmlNamespace ?? structure.xmlNamespace;
  if (!namespace && !planOf(structure).attributes) return undefined;
  const attributes: Record<string, string> = {};
  if (namespace) attributes[namespace.prefix ? `xmlns:${namespace.prefix}` : 'xmlns'] = namespace.uri;
  for (const [member, memberRef] of structure.members) {
    const memberValue = value[member];
    if (!memberRef.xmlAttribute || memberValue === undefined || memberValue === null) continue;
    attributes[memberRef.locationName ?? member] = scalarText(memberRef, memberValue, member);
  }
  return attributes;
}

/** `parent` and `step` (a member name or a list index) name the value in error messages. */
function writeValue(
  writer: XmlWriter,
  name: string,
  ref: ShapeRef,
  value: unknown,
  parent: string,
  step: string | number,
  itemName: ListItemNaming,
): void {
  const path = (): string => (typeof step === 'number' ? `${parent}[${step}]` : `${parent}.${step}`);
  switch (ref.type) {
    case 'structure': {
      const structure = ref.structure as StructureShape;
      if (typeof value !== 'object' || value === null || Array.isArray(value)) {
        throw new TypeError(`${path()} must be an object (${structure.name})`);
      }
      writer.open(name, attributesOf(ref, value as Record<string, unknown>));
      writeMembers(writer, structure, value, path(), itemName);
      writer.close(name);
      return;
    }
    case 'list': {
      if (!Array.isArray(value)) throw new TypeError(`${path()} must be an array`);
      const member = ref.member as ShapeRef;
      const item = ref.flattened ? name : itemName(ref);
      const itemsPath = path();
      if (!ref.flattened) writer.open(name);
      for (let index = 0; index < value.length; index++) {
        writeValue(writer, item, member, value[index], itemsPath, index, itemName);
      }
      if (!ref.flattened) writer.close(name);
      return;
    }
    case 'map': {
      if (typeof value !== 'object' || value === null) throw new TypeError(`${path()} must be an object or a Map`);
      const entries: [unknown, unknown][] = value instanceof Map ? [...value] : Object.entries(value);
      const keyRef = ref.key as ShapeRef;
      const valueRef = ref.value as ShapeRef;
      const keyName = keyRef.locationName ?? 'key';
      const valueName = valueRef.locationName ?? 'value';
      if (!ref.flattened) writer.open(name);
      for (const [key, entryValue] of entries) {
        if (entryValue === undefined || entryValue === null) continue;
        writer.open(ref.flattened ? name : 'entry');
        writer.element(keyName, scalarText(keyRef, key, `${path()} key`));
        writeValue(writer, valueName, valueRef, entryValue, path(), String(key), itemName);
        writer.close(ref.flattened ? name : 'entry');
      }
      if (!ref.flattened) writer.close(name);
      return;
    }
    default:
      writer.element(name, scalarText(ref, value, path));
  }
}

function scalarText(ref: ShapeRef, value: unknown, path: string | (() => string)): string {
  const where = (): string => (typeof path === 'string' ? path : path());
  switch (ref.type) {
    case 'boolean':
      if (typeof value === 'boolean') return value ? 'true' : 'false';
      if (value === 'true' || value === 'false') return value;
      throw new TypeError(`${where()} must be a boolean`);
    case 'integer':
    case 'long':
    case 'float':
    case 'double':
      if (typeof value === 'number' || typeof value === 'bigint') return String(value);
      if (typeof value === 'string' && value.trim() !== '' && !Number.isNaN(Number(value))) return value;
      throw new TypeError(`${where()} must be a number`);
    case 'timestamp':
      return timestampText(value, ref.timestampFormat ?? 'iso8601', where);
    case 'blob':
      if (value instanceof Uint8Array)
        return Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64');
      if (typeof value === 'string') return Buffer.from(value, 'utf8').toString('base64');
      throw new TypeError(`${where()} must be a Uint8Array`);
    default:
      if (typeof value === 'string') return value;
      if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
      throw new TypeError(`${where()} must be a string`);
  }
}

/** A timestamp as the model's format writes it; ISO 8601 always has milliseconds (`2026-11-23T19:00:00.000Z`). */
function timestampText(value: unknown, format: TimestampFormat, path: () => string): string {
  let date: Date;
  if (value instanceof Date) date = value;
  else if (typeof value === 'number') date = new Date(value * 1000);
  else if (typeof value === 'string') date = new Date(value);
  else throw new TypeError(`${path()} must be a Date`);
  if (Number.isNaN(date.getTime())) throw new TypeError(`${path()} is not a valid date`);
  if (format === 'unixTimestamp') return String(date.getTime() / 1000);
  if (format === 'rfc822') return date.toUTCString();
  return date.toISOString();
}
