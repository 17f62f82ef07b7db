import type { Readable } from 'node:stream';
import type { OperationModel, ShapeRef, StructureShape, TimestampFormat } from '../model/service-model.js';
import type { ServiceError } from '../service-error.js';
import { xmlContentType } from './error-serializer.js';
import { listItemName, responseElementName } from './wire-names.js';
import { XmlWriter } from './xml-writer.js';

/**
 * The response serialiser for the `rest-xml` protocol (S3): a handler's output object in, status, headers and body
 * out, by the model. Members with `location: 'header'` become headers (timestamps as HTTP dates), a `headers` map
 * becomes one header per key under its prefix (`x-amz-meta-`), `statusCode` sets the status; a blob payload (an
 * object's bytes, as a stream or buffer) is the body as is; a structure payload, or the members without a location,
 * are the XML document. The model does not name the document's root element (S3's `ListBucketResult` ...): the
 * caller says it, else it is the operation name plus `Result`.
 */

export interface RestXmlResponse {
  status: number;
  headers: Record<string, string>;
  /** Absent when the response has no body. */
  body?: string | Buffer | Uint8Array | Readable;
}

export interface RestXmlSerializeOptions {
  /** Root element of the XML document when the output has body members. */
  rootElement?: string;
  /** Namespace of the root element (S3's `http://s3.amazonaws.com/doc/2006-03-01/`). */
  xmlNamespace?: string;
}

/** What a response's members become, worked out once per output shape: located members by name, and the rest. */
interface ResponsePlan {
  /** Members with a location (`header`, `headers`, `statusCode`), with the header name (or prefix) lowercased. */
  readonly located: ReadonlyMap<string, { readonly ref: ShapeRef; readonly header: string }>;
  /** Members of the XML document: no location, and not the payload. */
  readonly documentMembers: ReadonlySet<string>;
}

const responsePlans = new WeakMap<StructureShape, ResponsePlan>();

function responsePlan(shape: StructureShape): ResponsePlan {
  let plan = responsePlans.get(shape);
  if (!plan) {
    const located = new Map<string, { ref: ShapeRef; header: string }>();
    const documentMembers = new Set<string>();
    for (const [member, ref] of shape.members) {
      if (ref.location !== undefined) located.set(member, { ref, header: (ref.locationName ?? member).toLowerCase() });
      else if (member !== shape.payload) documentMembers.add(member);
    }
    plan = { located, documentMembers };
    responsePlans.set(shape, plan);
  }
  return plan;
}

export function serializeRestXmlResponse(
  operation: OperationModel,
  output: unknown,
  options: RestXmlSerializeOptions = {},
): RestXmlResponse {
  const response: RestXmlResponse = { status: operation.http?.responseCode ?? 200, headers: {} };
  const shape = operation.output;
  if (!shape || output === undefined || output === null) return response;
  if (typeof output !== 'object' || Array.isArray(output)) throw new TypeError(`output must be an object`);
  const record = output as Record<string, unknown>;
  const plan = responsePlan(shape);
  let bodyMembers = false;
  // The output's own members, not every member of the model (S3's GetObject has some forty; an answer sets ten).
  for (const member of Object.keys(record)) {
    const value = record[member];
    if (value === undefined || value === null) continue;
    const located = plan.located.get(member);
    if (!located) {
      if (plan.documentMembers.has(member)) bodyMembers = true;
      continue;
    }
    const { ref, header } = located;
    if (ref.location === 'header') response.headers[header] = headerText(ref, value, member);
    else if (ref.location === 'headers') {
      for (const [key, entry] of Object.entries(value as Record<string, unknown>)) {
        if (entry !== undefined && entry !== null) response.headers[`${header}${key.toLowerCase()}`] = String(entry);
      }
    } else if (ref.location === 'statusCode') response.status = Number(value);
  }
  if (shape.payload !== undefined) {
    const ref = shape.members.get(shape.payload) as ShapeRef;
    const value = record[shape.payload];
    if (value === undefined || value === null) return response;
    if (ref.type === 'structure') {
      const writer = new XmlWriter().declaration();
      const root = options.rootElement ?? ref.locationName ?? shape.payload;
      writeElement(writer, root, ref, value, shape.payload, options.xmlNamespace);
      response.headers['content-type'] = xmlContentType;
      response.body = writer.toString();
    } else if (ref.type === 'blob') {
      response.body = value as RestXmlResponse['body'];
    } else {
      response.body = scalarText(ref, value, shape.payload);
    }
    return response;
  }
  if (bodyMembers) {
    const root = options.rootElement ?? `${operation.name}Result`;
    const writer = new XmlWriter().declaration();
    const bodyRefs = [...shape.members].filter(([, ref]) => ref.location === undefined);
    const only = bodyRefs.length === 1 ? bodyRefs[0] : undefined;
    if (only && only[1].type !== 'structure' && only[1].type !== 'list' && responseElementName(...only) === root) {
      // A document that is one value (GetBucketLocation's `<LocationConstraint>region</LocationConstraint>`).
      writer.element(root, scalarText(only[1], record[only[0]], only[0]), { xmlns: options.xmlNamespace });
    } else {
      writer.open(root, { xmlns: options.xmlNamespace });
      writeMembers(writer, shape, record, 'output');
      writer.close(root);
    }
    response.headers['content-type'] = xmlContentType;
    response.body = writer.toString();
  }
  return response;
}

function writeMembers(writer: XmlWriter, structure: StructureShape, value: unknown, path: string): void {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new TypeError(`${path} must be an object (${structure.name})`);
  }
  const record = value as Record<string, unknown>;
  for (const [member, ref] of structure.members) {
    if (ref.location !== undefined || ref.xmlAttribute) continue;
    const memberValue = record[member];
    if (memberValue === undefined || memberValue === null) continue;
    writeValue(writer, responseElementName(member, ref), ref, memberValue, `${path}.${member}`);
  }
}

function writeElement(
  writer: XmlWriter,
  name: string,
  ref: ShapeRef,
  value: unknown,
  path: string,
  rootNamespace?: string,
): void {
  const structure = ref.structure as StructureShape;
  const attributes = attributesOf(ref, value as Record<string, unknown>) ?? {};
  if (rootNamespace !== undefined && attributes.xmlns === undefined) attributes.xmlns = rootNamespace;
  writer.open(name, attributes);
  writeMembers(writer, structure, value, path);
  writer.close(name);
}

function attributesOf(ref: ShapeRef, value: Record<string, unknown>): Record<string, string> | undefined {
  const structure = ref.structure as StructureShape;
  const namespace = ref.xmlNamespace ?? structure.xmlNamespace;
  const attributes: Record<string, string> = {};
  if (namespace) attributes[namespace.prefix ? `xmlns:${namespace.prefix}` : 'xmlns'] = namespace.uri;
  for (const [member, memberRef] of structure.members) {
    const memberValue = value[member];
    if (!memberRef.xmlAttribute || memberValue === undefined || memberValue === null) continue;
    attributes[memberRef.locationName ?? member] = scalarText(memberRef, memberValue, member);
  }
  return Object.keys(attributes).length > 0 ? attributes : undefined;
}

function writeValue(writer: XmlWriter, name: string, ref: ShapeRef, value: unknown, path: string): void {
  switch (ref.type) {
    case 'structure':
      if (typeof value !== 'object' || value === null || Array.isArray(value)) {
        throw new TypeError(`${path} must be an object`);
      }
      writeElement(writer, name, ref, value, path);
      return;
    case 'list': {
      if (!Array.isArray(value)) throw new TypeError(`${path} must be an array`);
      const member = ref.member as ShapeRef;
      const item = ref.flattened ? name : listItemName(ref);
      if (!ref.flattened) writer.open(name);
      value.forEach((entry, index) => writeValue(writer, item, member, entry, `${path}[${index}]`));
      if (!ref.flattened) writer.close(name);
      return;
    }
    case 'map': {
      const keyRef = ref.key as ShapeRef;
      const valueRef = ref.value as ShapeRef;
      if (!ref.flattened) writer.open(name);
      for (const [key, entry] of Object.entries(value as Record<string, unknown>)) {
        if (entry === undefined || entry === null) continue;
        writer.open(ref.flattened ? name : 'entry');
        writer.element(keyRef.locationName ?? 'key', key);
        writeValue(writer, valueRef.locationName ?? 'value', valueRef, entry, `${path}.${key}`);
        writer.close(ref.flattened ? name : 'entry');
      }
      if (!ref.flattened) writer.close(name);
      return;
    }
    default:
      writer.element(name, scalarText(ref, value, path));
  }
}

function headerText(ref: ShapeRef, value: unknown, path: string): string {
  if (ref.type === 'timestamp') return timestampText(value, ref.timestampFormat ?? 'rfc822', path);
  if (ref.type === 'list' && Array.isArray(value)) return value.map(String).join(',');
  return scalarText(ref, value, path);
}

function scalarText(ref: ShapeRef, value: unknown, path: string): string {
  switch (ref.type) {
    case 'boolean':
      if (typeof value === 'boolean') return value ? 'true' : 'false';
      throw new TypeError(`${path} must be a boolean`);
    case 'integer':
    case 'long':
    case 'float':
    case 'double':
      if (typeof value === 'number' || typeof value === 'bigint') return String(value);
      throw new TypeError(`${path} must be a number`);
    case 'timestamp':
      return timestampText(value, ref.timestampFormat ?? 'iso8601', path);
    case 'blob':
      if (value instanceof Uint8Array) return Buffer.from(value).toString('base64');
      throw new TypeError(`${path} must be a Uint8Array`);
    default:
      if (typeof value === 'string') return value;
      if (typeof value === 'number' || typeof value === 'boolean') return String(value);
      throw new TypeError(`${path} must be a string`);
  }
}

function timestampText(value: unknown, format: TimestampFormat, path: string): string {
  const date = value instanceof Date ? value : typeof value === 'string' ? new Date(value) : undefined;
  if (!date || Number.isNaN(date.getTime())) throw new TypeError(`${path} must be a Date`);
  if (format === 'unixTimestamp') return String(Math.floor(date.getTime() / 1000));
  if (format === 'rfc822') return date.toUTCString();
  return date.toISOString();
}

/** S3's error document: `<Error><Code/><Message/><Resource/><RequestId/></Error>` plus any extra elements. */
export function serializeRestXmlError(
  error: ServiceError & { details?: Readonly<Record<string, string>> },
  requestId: string,
  extra: { resource?: string; details?: Readonly<Record<string, string | undefined>> } = {},
): { status: number; contentType: string; body: string } {
  const writer = new XmlWriter().declaration().open('Error');
  writer.element('Code', error.code).element('Message', error.message);
  for (const [name, value] of Object.entries({ ...error.details, ...extra.details })) {
    if (value !== undefined) writer.element(name, value);
  }
  if (extra.resource !== undefined) writer.element('Resource', extra.resource);
  writer.element('RequestId', requestId).close('Error');
  return { status: error.status, contentType: xmlContentType, body: writer.toString() };
}
