import { XMLParser, XMLValidator } from 'fast-xml-parser';
import type { ServiceModel, ShapeRef, StructureShape } from '../model/service-model.js';
import { commonErrors, ServiceError } from '../service-error.js';
import { xmlContentType, type SerializedResponse } from './error-serializer.js';
import {
  handlerTable,
  unexpectedError,
  type DispatchContext,
  type DispatchResult,
  type QueryHandlers,
} from './query-dispatcher.js';
import { parseQueryRequest, type ParsedQueryRequest } from './query-parser.js';
import { writeStructureMembers } from './query-serializer.js';
import { requestParameterName, responseElementName } from './wire-names.js';
import { XmlWriter } from './xml-writer.js';

/**
 * EC2 over SOAP 1.1, document/literal, as `wsdl/ec2.wsdl` (rendered from the same model by
 * `src/aws/codegen/ec2-wsdl.ts`) describes it, served by the same handlers as the Query API:
 *
 * - request: `<soap:Envelope><soap:Body><RunInstances xmlns="http://ec2.amazonaws.com/doc/2016-11-15/">…` whose
 *   children are the input members under the names the EC2 responses use, lists as `<item>` children. The body is
 *   turned into the query parameters it stands for (`<Filter><item><Name>` is `Filter.1.Name`) and parsed by the
 *   query parser, so both wire forms give the same typed input and the same errors (`UnknownParameter` ...).
 * - response: the query response's root element inside a SOAP body, written by the query serialiser's shape walk,
 *   every list as `<item>` children.
 * - errors: a SOAP fault; `faultcode` `soap:Client` or `soap:Server`, `faultstring` the message, `detail` EC2's own
 *   `<Errors><Error><Code/><Message/></Error></Errors><RequestID/>`, with the HTTP status EC2 gives the error.
 *
 * The namespace names the API version: a body element in another `http://ec2.amazonaws.com/doc/…/` namespace is
 * answered `NoSuchVersion`, as a Query request with that `Version` is.
 */

export const soapEnvelopeNamespace = 'http://schemas.xmlsoap.org/soap/envelope/';
const schemaInstanceNamespace = 'http://www.w3.org/2001/XMLSchema-instance';

/** Every list, in requests and responses, is a wrapper element of `<item>` children, as in Amazon's ec2.wsdl. */
export const soapListItem = 'item';

/** The element a member travels in: the name the EC2 query protocol's responses give it. */
export function soapElementName(member: string, ref: ShapeRef): string {
  return responseElementName(member, ref);
}

/** SOAP's own errors, beside the EC2 codes a handler throws. */
export const soapErrors = {
  invalidRequest: (why: string) =>
    new ServiceError('InvalidRequest', `The request is not a valid SOAP message: ${why}`),
  versionMismatch: (namespace: string) =>
    new ServiceError(
      'VersionMismatch',
      `The envelope namespace ${namespace || '(none)'} is not SOAP 1.1's ${soapEnvelopeNamespace}.`,
    ),
  mustUnderstand: (header: string) =>
    new ServiceError('MustUnderstand', `The header ${header} is marked mustUnderstand and is not understood here.`),
} as const;

/** `faultcode` by error code where SOAP has its own; else `soap:Client` for the sender's faults, `soap:Server`. */
const soapFaultCodes: Readonly<Record<string, string>> = {
  VersionMismatch: 'soap:VersionMismatch',
  MustUnderstand: 'soap:MustUnderstand',
};

/** The operation the body names and its typed input, exactly as `parseQueryRequest` gives them; throws ServiceError. */
export function parseEc2SoapRequest(service: ServiceModel, body: string | Buffer): ParsedQueryRequest {
  const { apiVersion, serviceId, xmlNamespace = '' } = service.metadata;
  const text = typeof body === 'string' ? body : body.toString('utf8');
  const request = bodyElement(parseXml(text.replace(/^\uFEFF/, '')));
  const version = versionOf(request.namespace, xmlNamespace, apiVersion);
  if (version === undefined) {
    throw soapErrors.invalidRequest(`the body element ${request.name} must be in the namespace ${xmlNamespace}.`);
  }
  if (version !== apiVersion) throw commonErrors.noSuchVersion(version, `Amazon${serviceId}`);
  const operation = service.operations.get(request.name);
  if (!operation) throw commonErrors.invalidAction(request.name);
  const params: Record<string, string> = { Action: request.name, Version: apiVersion };
  if (operation.input) new BodyFlattener(request.namespace, params).structure(operation.input, request, '');
  else for (const child of request.children) throw commonErrors.unknownParameter(child.name);
  return parseQueryRequest(service, params);
}

/** A handler's output as the SOAP response the WSDL describes. */
export function serializeEc2SoapResponse(
  service: ServiceModel,
  operation: string,
  output: unknown,
  requestId: string,
): string {
  const model = service.operations.get(operation);
  if (!model) throw new Error(`${service.metadata.serviceId} has no operation ${operation}`);
  const root = `${operation}Response`;
  const writer = envelope().open(root, { xmlns: service.metadata.xmlNamespace });
  writer.element('requestId', requestId);
  if (model.output) writeStructureMembers(writer, model.output, output, () => soapListItem);
  else writer.element('return', 'true');
  return writer.close(root).close('soap:Body').close('soap:Envelope').toString();
}

/** A ServiceError as a SOAP 1.1 fault that still reads as EC2's error document inside `detail`. */
export function serializeEc2SoapFault(error: ServiceError, requestId: string): SerializedResponse {
  const writer = envelope().open('soap:Fault');
  writer.element('faultcode', soapFaultCodes[error.code] ?? (error.fault === 'Sender' ? 'soap:Client' : 'soap:Server'));
  writer.element('faultstring', error.message);
  writer.open('detail').open('Errors').open('Error');
  writer.element('Code', error.code).element('Message', error.message);
  writer.close('Error').close('Errors').element('RequestID', requestId).close('detail');
  writer.close('soap:Fault').close('soap:Body').close('soap:Envelope');
  return { status: error.status, contentType: xmlContentType, body: writer.toString() };
}

export type Ec2SoapDispatcher<Context> = (body: string | Buffer, context: Context) => Promise<DispatchResult>;

/**
 * The SOAP twin of `createQueryDispatcher`: the same `QueryHandlers` answer SOAP envelopes. An operation without a
 * handler answers `UnsupportedOperation`; a handler's unexpected failure `InternalError`. Never rejects.
 */
export function createEc2SoapDispatcher<Ops, Context extends DispatchContext = DispatchContext>(
  service: ServiceModel<Ops>,
  handlers: QueryHandlers<Ops, Context>,
): Ec2SoapDispatcher<Context> {
  if (service.metadata.protocol !== 'ec2') throw new Error(`${service.metadata.serviceId} is not EC2`);
  const table = handlerTable(service, handlers);
  return async (body, context) => {
    let operation: string | undefined;
    try {
      const request = parseEc2SoapRequest(service, body);
      operation = request.operation;
      const handler = table.get(operation);
      if (!handler) throw commonErrors.unsupportedOperation(operation);
      const output = await handler(request.input, context);
      const xml = serializeEc2SoapResponse(service, operation, output ?? {}, context.requestId);
      return { status: 200, contentType: xmlContentType, body: xml, operation };
    } catch (error) {
      const answer = error instanceof ServiceError ? error : unexpectedError(error, operation, context);
      return { ...serializeEc2SoapFault(answer, context.requestId), ...(operation && { operation }) };
    }
  };
}

function envelope(): XmlWriter {
  return new XmlWriter().declaration().open('soap:Envelope', { 'xmlns:soap': soapEnvelopeNamespace }).open('soap:Body');
}

/**
 * The API version a namespace names: `2016-11-15` from `http://ec2.amazonaws.com/doc/2016-11-15/`, `2014-01-01`
 * from the same with that version; undefined for a namespace of no version of this service.
 */
function versionOf(namespace: string, serviceNamespace: string, apiVersion: string): string | undefined {
  const base = serviceNamespace.endsWith(`${apiVersion}/`)
    ? serviceNamespace.slice(0, -apiVersion.length - 1)
    : serviceNamespace;
  if (namespace === serviceNamespace || namespace === serviceNamespace.replace(/\/$/, '')) return apiVersion;
  if (!namespace.startsWith(base)) return undefined;
  return /^(\d{4}-\d{2}-\d{2})\/?$/.exec(namespace.slice(base.length))?.[1];
}

/** An element with its namespace resolved. */
interface XmlElement {
  namespace: string;
  /** Local name. */
  name: string;
  /** By `{namespace}local` for prefixed attributes, by local name otherwise; namespace declarations left out. */
  attributes: ReadonlyMap<string, string>;
  children: XmlElement[];
  /** The element's own text, its children's left out. */
  text: string;
}

type OrderedNode = Record<string, unknown> & { ':@'?: Record<string, string> };

const parser = new XMLParser({
  preserveOrder: true,
  ignoreAttributes: false,
  attributeNamePrefix: '',
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: false,
  // Numeric references (&#13;) are decoded with the HTML ones; there is no DTD to declare others.
  htmlEntities: true,
});

function parseXml(text: string): XmlElement {
  // SOAP 1.1 messages carry no DTD; refusing one keeps entity expansion out altogether.
  if (/<!DOCTYPE/i.test(text)) throw soapErrors.invalidRequest('a document type declaration is not allowed.');
  const valid = XMLValidator.validate(text);
  if (valid !== true) throw soapErrors.invalidRequest(`${valid.err.msg} (line ${valid.err.line}).`);
  const nodes = parser.parse(text) as OrderedNode[];
  const roots = nodes.filter((node) => !Object.keys(node).every((key) => key.startsWith('?') || key === ':@'));
  const root = roots.find((node) => elementTag(node) !== undefined);
  if (!root || roots.length !== 1) throw soapErrors.invalidRequest('the body must hold one XML document.');
  return resolve(root, new Map([['xml', 'http://www.w3.org/XML/1998/namespace']]));
}

/** The tag of an element node; undefined for text. */
function elementTag(node: OrderedNode): string | undefined {
  return Object.keys(node).find((key) => key !== ':@' && key !== '#text');
}

function resolve(node: OrderedNode, scope: ReadonlyMap<string, string>): XmlElement {
  const tag = elementTag(node) as string;
  const rawAttributes = node[':@'] ?? {};
  let inner = scope;
  for (const [name, value] of Object.entries(rawAttributes)) {
    if (name === 'xmlns' || name.startsWith('xmlns:')) {
      if (inner === scope) inner = new Map(scope);
      (inner as Map<string, string>).set(name === 'xmlns' ? '' : name.slice(6), value);
    }
  }
  const [prefix, name] = split(tag);
  const namespace = inner.get(prefix);
  if (namespace === undefined && prefix !== '') throw soapErrors.invalidRequest(`the prefix ${prefix} is undeclared.`);
  const attributes = new Map<string, string>();
  for (const [rawName, value] of Object.entries(rawAttributes)) {
    if (rawName === 'xmlns' || rawName.startsWith('xmlns:')) continue;
    const [attributePrefix, local] = split(rawName);
    if (attributePrefix === '') attributes.set(local, value);
    else {
      const uri = inner.get(attributePrefix);
      if (uri === undefined) throw soapErrors.invalidRequest(`the prefix ${attributePrefix} is undeclared.`);
      attributes.set(`{${uri}}${local}`, value);
    }
  }
  const children: XmlElement[] = [];
  let text = '';
  for (const child of (node[tag] as OrderedNode[] | undefined) ?? []) {
    if (elementTag(child) !== undefined) children.push(resolve(child, inner));
    else if (typeof child['#text'] === 'string') text += child['#text'];
  }
  return { namespace: namespace ?? '', name, attributes, children, text };
}

function split(tag: string): [prefix: string, local: string] {
  const colon = tag.indexOf(':');
  return colon === -1 ? ['', tag] : [tag.slice(0, colon), tag.slice(colon + 1)];
}

/** The one element in the envelope's body, after checking the envelope and its headers. */
function bodyElement(root: XmlElement): XmlElement {
  if (root.name !== 'Envelope') throw soapErrors.invalidRequest('the document is not a SOAP envelope.');
  // SOAP 1.2's envelope, or any other, is a version this endpoint does not speak.
  if (root.namespace !== soapEnvelopeNamespace) throw soapErrors.versionMismatch(root.namespace);
  const parts = root.children.filter((child) => child.namespace === soapEnvelopeNamespace);
  const header = parts.find((child) => child.name === 'Header');
  const body = parts.find((child) => child.name === 'Body');
  for (const entry of header?.children ?? []) {
    const mustUnderstand = entry.attributes.get(`{${soapEnvelopeNamespace}}mustUnderstand`)?.trim();
    if (mustUnderstand === '1' || mustUnderstand === 'true') {
      throw soapErrors.mustUnderstand(`{${entry.namespace}}${entry.name}`);
    }
  }
  if (!body) throw soapErrors.invalidRequest('the envelope has no Body.');
  if (body.children.length !== 1 || body.text.trim() !== '') {
    throw soapErrors.invalidRequest(`the Body must hold exactly one request element, not ${body.children.length}.`);
  }
  return body.children[0] as XmlElement;
}

/** A structure's members by element name, worked out once per structure. */
const elementTables = new WeakMap<StructureShape, ReadonlyMap<string, [string, ShapeRef]>>();

function elementTable(structure: StructureShape): ReadonlyMap<string, [string, ShapeRef]> {
  let table = elementTables.get(structure);
  if (!table) {
    const built = new Map<string, [string, ShapeRef]>();
    for (const [member, ref] of structure.members) built.set(soapElementName(member, ref), [member, ref]);
    elementTables.set(structure, (table = built));
  }
  return table;
}

/**
 * Writes a request element's content as the EC2 query parameters it stands for, in the lexical forms the query
 * parser reads (XML Schema allows `1`/`0` for booleans, whitespace around numbers and inside base64). What is not in
 * the model is refused under the parameter name it would have had (`Filter.1.Nme`), as EC2 refuses parameters.
 */
class BodyFlattener {
  constructor(
    private readonly namespace: string,
    private readonly params: Record<string, string>,
  ) {}

  structure(structure: StructureShape, element: XmlElement, prefix: string): void {
    if (element.text.trim() !== '') {
      throw commonErrors.invalidParameterValue(
        prefix.slice(0, -1) || element.name,
        shown(element.text),
        'Expected a structure.',
      );
    }
    const table = elementTable(structure);
    const seen = new Set<string>();
    for (const child of element.children) {
      const entry = child.namespace === this.namespace || child.namespace === '' ? table.get(child.name) : undefined;
      if (!entry) throw commonErrors.unknownParameter(`${prefix}${child.name}`);
      const [member, ref] = entry;
      const name = `${prefix}${requestParameterName('ec2', member, ref)}`;
      if (seen.has(member)) {
        throw commonErrors.invalidParameterValue(name, shown(child.text), 'The element may be given only once.');
      }
      seen.add(member);
      if (child.attributes.get(`{${schemaInstanceNamespace}}nil`)?.trim() === 'true') continue;
      this.value(ref, child, name);
    }
  }

  private value(ref: ShapeRef, element: XmlElement, name: string): void {
    switch (ref.type) {
      case 'structure':
        // An empty structure is still given: `Name=` is how the query parser hears an empty one.
        if (element.children.length === 0 && element.text.trim() === '') this.params[name] = '';
        else this.structure(ref.structure as StructureShape, element, `${name}.`);
        return;
      case 'list':
        this.list(ref, element, name);
        return;
      case 'map':
        this.map(ref, element, name);
        return;
      default: {
        const child = element.children[0];
        if (child) throw commonErrors.unknownParameter(`${name}.${child.name}`);
        this.params[name] = lexical(ref, element.text);
      }
    }
  }

  private list(ref: ShapeRef, element: XmlElement, name: string): void {
    if (element.text.trim() !== '') {
      throw commonErrors.invalidParameterValue(name, shown(element.text), `Expected a list of <${soapListItem}>.`);
    }
    const items = this.children(element, soapListItem, name);
    if (items.length === 0) this.params[name] = '';
    items.forEach((item, index) => this.value(ref.member as ShapeRef, item, `${name}.${index + 1}`));
  }

  private map(ref: ShapeRef, element: XmlElement, name: string): void {
    const keyRef = ref.key as ShapeRef;
    const valueRef = ref.value as ShapeRef;
    const keyName = keyRef.locationName ?? 'key';
    const valueName = valueRef.locationName ?? 'value';
    const entries = this.children(element, 'entry', name);
    if (entries.length === 0) this.params[name] = '';
    entries.forEach((entry, index) => {
      const prefix = `${name}.entry.${index + 1}`;
      for (const part of entry.children) {
        const partName = part.name === keyName || part.name === valueName ? part.name : undefined;
        if (!partName || (part.namespace !== this.namespace && part.namespace !== '')) {
          throw commonErrors.unknownParameter(`${prefix}.${part.name}`);
        }
        this.value(partName === keyName ? keyRef : valueRef, part, `${prefix}.${partName}`);
      }
    });
  }

  /** The children of a list or map element, each of which must be `expected`. */
  private children(element: XmlElement, expected: string, name: string): XmlElement[] {
    for (const child of element.children) {
      if (child.name !== expected || (child.namespace !== this.namespace && child.namespace !== '')) {
        throw commonErrors.unknownParameter(`${name}.${child.name}`);
      }
    }
    return element.children;
  }
}

/** A scalar's XML Schema text in the form the query parser reads. */
function lexical(ref: ShapeRef, text: string): string {
  switch (ref.type) {
    case 'boolean': {
      const value = text.trim();
      return value === '1' ? 'true' : value === '0' ? 'false' : value;
    }
    case 'integer':
    case 'long':
    case 'timestamp':
      return text.trim();
    case 'float':
    case 'double': {
      const value = text.trim();
      return value === 'INF' ? 'Infinity' : value === '-INF' ? '-Infinity' : value;
    }
    case 'blob':
      return text.replace(/\s+/g, '');
    default:
      return text;
  }
}

function shown(value: string): string {
  return value.length > 256 ? `${value.slice(0, 256)}...` : value;
}
