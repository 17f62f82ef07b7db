import { XMLParser } from 'fast-xml-parser';
import { percentDecode, splitQuery } from '../auth/canonical.js';
import type { OperationModel, ServiceModel, ShapeRef, StructureShape } from '../model/service-model.js';
import { ServiceError } from '../service-error.js';
import { listItemName, responseElementName } from './wire-names.js';

/**
 * The request parser for the `rest-xml` protocol (S3): method, path, query string and headers in, the operation and
 * its typed input out, driven by the service model alone. The operation is the one whose `http.requestUri` template
 * matches the path and whose query markers (`?uploads`, `?list-type=2`) are all present; where several match (PUT
 * `/{Bucket}/{Key+}` is PutObject, CopyObject, UploadPart and UploadPartCopy) the one with the most markers, then the
 * most of its required query and header members present, wins. Members are read from where the model's `location`
 * puts them; a structure `payload` is read from the XML body; a blob payload (an object's bytes) is left to the
 * caller, which streams it.
 */

/** A request as the parser needs it; the path and query raw (percent-encoded), header names lower-cased. */
export interface RestXmlRequest {
  method: string;
  path: string;
  query: string;
  headers: Readonly<Record<string, string | readonly string[] | undefined>>;
}

export interface RestXmlMatch {
  operation: OperationModel;
  /** URI labels, percent-decoded: `{ Bucket: 'photos', Key: 'a/b c.jpg' }`. */
  labels: Record<string, string>;
}

interface CompiledRoute {
  operation: OperationModel;
  method: string;
  pattern: RegExp;
  labelNames: string[];
  /** Query names the template requires, with the value when it names one (`list-type=2`). */
  markers: [name: string, value: string | undefined][];
  /** Required input members the request carries in its query string or headers: they tell look-alikes apart. */
  requiredWire: [location: 'querystring' | 'header', name: string][];
}

export interface RestXmlRouter {
  /** The operation a request is for, or undefined when no template of the model matches. */
  match(request: RestXmlRequest): RestXmlMatch | undefined;
}

const routers = new WeakMap<ServiceModel, RestXmlRouter>();

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function compileRoute(operation: OperationModel): CompiledRoute | undefined {
  if (!operation.http) return undefined;
  const { method, requestUri } = operation.http;
  const question = requestUri.indexOf('?');
  const pathTemplate = question === -1 ? requestUri : requestUri.slice(0, question);
  const queryTemplate = question === -1 ? '' : requestUri.slice(question + 1);
  const labelNames: string[] = [];
  let source = '';
  let greedy = false;
  for (const part of pathTemplate.split(/(\{[^}]+\})/)) {
    const label = /^\{([^}+]+)(\+?)\}$/.exec(part);
    if (!label) {
      source += escapeRegExp(part);
      continue;
    }
    labelNames.push(label[1] as string);
    greedy = label[2] === '+';
    source += greedy ? '(.+)' : '([^/]+)';
  }
  // `/bucket/` is the bucket, as S3 reads it; a greedy label takes a trailing slash as part of itself.
  const pattern = new RegExp(`^${source}${greedy || source.endsWith('/') ? '' : '/?'}$`);
  const markers = splitQuery(queryTemplate).map(({ key, value, hasValue }): [string, string | undefined] => [
    key,
    hasValue ? value : undefined,
  ]);
  const requiredWire: CompiledRoute['requiredWire'] = [];
  for (const name of operation.input?.required ?? []) {
    const ref = operation.input?.members.get(name);
    if (ref?.location === 'querystring' || ref?.location === 'header') {
      const wireName = ref.locationName ?? name;
      requiredWire.push([ref.location, ref.location === 'header' ? wireName.toLowerCase() : wireName]);
    }
  }
  return { operation, method: method.toUpperCase(), pattern, labelNames, markers, requiredWire };
}

export function restXmlRouter(model: ServiceModel): RestXmlRouter {
  let router = routers.get(model);
  if (router) return router;
  // Each request is matched against its method's routes only; their query markers are checked before the path's
  // pattern, as most routes (S3's `?acl`, `?tagging` ...) are told apart by markers alone.
  const routesByMethod = new Map<string, CompiledRoute[]>();
  for (const route of [...model.operations.values()].map(compileRoute)) {
    if (!route) continue;
    const routes = routesByMethod.get(route.method) ?? [];
    routes.push(route);
    routesByMethod.set(route.method, routes);
  }
  router = {
    match(request) {
      const routes = routesByMethod.get(request.method.toUpperCase()) ?? [];
      const query = queryNames(request.query);
      let best: { route: CompiledRoute; groups: string[]; score: number } | undefined;
      for (const route of routes) {
        if (
          !route.markers.every(([name, value]) => query.has(name) && (value === undefined || query.get(name) === value))
        ) {
          continue;
        }
        const found = route.pattern.exec(request.path);
        if (!found) continue;
        const present = route.requiredWire.filter(([location, name]) =>
          location === 'querystring' ? query.has(name) : request.headers[name] !== undefined,
        ).length;
        if (present < route.requiredWire.length) continue;
        // More markers, then more required members present, then the current form over a deprecated one.
        const score = route.markers.length * 1000 + present * 10 + (route.operation.deprecated ? 0 : 1);
        if (!best || score > best.score) best = { route, groups: found.slice(1), score };
      }
      if (!best) return undefined;
      const labels: Record<string, string> = {};
      best.route.labelNames.forEach((name, index) => {
        labels[name] = percentDecode(best.groups[index] ?? '', false).toString('utf8');
      });
      return { operation: best.route.operation, labels };
    },
  };
  routers.set(model, router);
  return router;
}

/** Decoded query names and their first values; names compare case-sensitively, as S3's subresources do. */
function queryNames(raw: string): Map<string, string> {
  const names = new Map<string, string>();
  for (const { key, value } of splitQuery(raw)) {
    const name = percentDecode(key, true).toString('utf8');
    if (!names.has(name)) names.set(name, percentDecode(value, true).toString('utf8'));
  }
  return names;
}

/** S3's answers to input it cannot read; other rest-xml services word them alike. */
export const restXmlErrors = {
  malformedXml: () =>
    new ServiceError(
      'MalformedXML',
      'The XML you provided was not well-formed or did not validate against our published schema',
    ),
  invalidArgument: (name: string, value: string) =>
    new ServiceError('InvalidArgument', `Invalid value for ${name}: ${value}`),
};

const xmlParser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@_',
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: false,
  htmlEntities: true,
  processEntities: true,
});

/**
 * The input of `match.operation` read from the request: URI labels, query members, header members (a `headers`
 * map collects every header with its prefix, `x-amz-meta-`), and a structure payload parsed from `body`. A blob
 * payload member is not set: the caller gives the handler the body stream under that name.
 */
export function parseRestXmlInput(
  match: RestXmlMatch,
  request: RestXmlRequest,
  body?: Buffer | string,
): Record<string, unknown> {
  const input: Record<string, unknown> = {};
  const shape = match.operation.input;
  if (!shape) return input;
  const query = new Map<string, string[]>();
  for (const { key, value } of splitQuery(request.query)) {
    const name = percentDecode(key, true).toString('utf8');
    const values = query.get(name) ?? [];
    values.push(percentDecode(value, true).toString('utf8'));
    query.set(name, values);
  }
  for (const [member, ref] of shape.members) {
    const wireName = ref.locationName ?? member;
    switch (ref.location) {
      case 'uri': {
        const label = match.labels[wireName] ?? match.labels[member];
        if (label !== undefined) input[member] = label;
        break;
      }
      case 'querystring': {
        const values = query.get(wireName);
        if (values === undefined) break;
        input[member] = ref.type === 'list' ? values : scalarFromText(ref, values[0] as string, wireName, 'query');
        break;
      }
      case 'header': {
        const raw = request.headers[wireName.toLowerCase()];
        if (raw === undefined) break;
        const text = typeof raw === 'string' ? raw : raw.join(',');
        if (ref.type === 'list') input[member] = text.split(',').map((item) => item.trim());
        else {
          const value = scalarFromText(ref, text, wireName, 'header');
          if (value !== undefined) input[member] = value;
        }
        break;
      }
      case 'headers': {
        const prefix = wireName.toLowerCase();
        const map: Record<string, string> = {};
        for (const [name, value] of Object.entries(request.headers)) {
          if (value === undefined || !name.startsWith(prefix)) continue;
          map[name.slice(prefix.length)] = typeof value === 'string' ? value : value.join(',');
        }
        if (Object.keys(map).length > 0) input[member] = map;
        break;
      }
      default:
        break;
    }
  }
  const text = body === undefined ? '' : body.toString();
  if (shape.payload !== undefined) {
    const ref = shape.members.get(shape.payload);
    if (ref?.type === 'structure' && text.trim() !== '') {
      const root = parseXmlDocument(text);
      input[shape.payload] = readStructure(ref.structure as StructureShape, root.value);
    } else if (ref && ref.type !== 'structure' && ref.type !== 'blob' && body !== undefined) {
      input[shape.payload] = text;
    }
  } else if (text.trim() !== '' && [...shape.members.values()].some((ref) => ref.location === undefined)) {
    Object.assign(input, readStructure(shape, parseXmlDocument(text).value, true));
  }
  return input;
}

/** The root element of an XML document: its name and parsed content. */
function parseXmlDocument(text: string): { name: string; value: unknown } {
  let parsed: Record<string, unknown>;
  try {
    parsed = xmlParser.parse(text, true) as Record<string, unknown>;
  } catch {
    throw restXmlErrors.malformedXml();
  }
  const roots = Object.keys(parsed).filter((name) => !name.startsWith('?'));
  if (roots.length !== 1) throw restXmlErrors.malformedXml();
  const name = roots[0] as string;
  return { name, value: parsed[name] };
}

function asArray(value: unknown): unknown[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? value : [value];
}

/** An element's text: a plain string, or the `#text` of an element that also has attributes. */
function textOf(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value && typeof value === 'object') {
    const text = (value as Record<string, unknown>)['#text'];
    return typeof text === 'string' ? text : text === undefined ? '' : String(text);
  }
  return value === undefined || value === null ? '' : String(value);
}

function localName(name: string): string {
  const colon = name.indexOf(':');
  return colon === -1 ? name : name.slice(colon + 1);
}

/** The children of `element` named `name`, with or without a namespace prefix. */
function childrenNamed(element: Record<string, unknown>, name: string): unknown[] {
  if (element[name] !== undefined) return asArray(element[name]);
  const wanted = localName(name);
  for (const [key, value] of Object.entries(element)) {
    if (!key.startsWith('@_') && key !== '#text' && localName(key) === wanted) return asArray(value);
  }
  return [];
}

function attributeNamed(element: Record<string, unknown>, name: string): string | undefined {
  const exact = element[`@_${name}`];
  if (exact !== undefined) return String(exact);
  const wanted = localName(name);
  for (const [key, value] of Object.entries(element)) {
    if (key.startsWith('@_') && localName(key.slice(2)) === wanted && !key.startsWith('@_xmlns')) {
      return String(value);
    }
  }
  return undefined;
}

function readStructure(shape: StructureShape, element: unknown, bodyOnly = false): Record<string, unknown> {
  const result: Record<string, unknown> = {};
  if (element === undefined || element === null || typeof element !== 'object') {
    if (typeof element === 'string' && element.trim() !== '') throw restXmlErrors.malformedXml();
    return result;
  }
  const record = element as Record<string, unknown>;
  for (const [member, ref] of shape.members) {
    if (bodyOnly && ref.location !== undefined) continue;
    if (ref.xmlAttribute) {
      const attribute = attributeNamed(record, ref.locationName ?? member);
      if (attribute !== undefined) result[member] = scalarFromText(ref, attribute, member, 'body');
      continue;
    }
    const name = responseElementName(member, ref);
    const nodes = childrenNamed(record, name);
    if (nodes.length === 0) continue;
    result[member] = readValue(ref, nodes, member);
  }
  return result;
}

function readValue(ref: ShapeRef, nodes: unknown[], path: string): unknown {
  switch (ref.type) {
    case 'structure':
      return readStructure(ref.structure as StructureShape, nodes[0]);
    case 'list': {
      const member = ref.member as ShapeRef;
      const items = ref.flattened
        ? nodes
        : nodes.flatMap((node) =>
            node && typeof node === 'object' ? childrenNamed(node as Record<string, unknown>, listItemName(ref)) : [],
          );
      return items.map((item) => readValue(member, [item], path));
    }
    case 'map': {
      const map: Record<string, unknown> = {};
      const entries = ref.flattened
        ? nodes
        : nodes.flatMap((node) =>
            node && typeof node === 'object' ? childrenNamed(node as Record<string, unknown>, 'entry') : [],
          );
      for (const entry of entries) {
        if (!entry || typeof entry !== 'object') continue;
        const record = entry as Record<string, unknown>;
        const key = textOf(childrenNamed(record, ref.key?.locationName ?? 'key')[0]);
        map[key] = readValue(ref.value as ShapeRef, childrenNamed(record, ref.value?.locationName ?? 'value'), path);
      }
      return map;
    }
    default:
      return scalarFromText(ref, textOf(nodes[0]), path, 'body');
  }
}

/**
 * A scalar from its wire text. A header the client sent malformed (an unparsable `If-Modified-Since`) is ignored,
 * as S3 ignores it; malformed query and body values are refused.
 */
function scalarFromText(ref: ShapeRef, text: string, name: string, where: 'query' | 'header' | 'body'): unknown {
  switch (ref.type) {
    case 'integer':
    case 'long':
    case 'float':
    case 'double': {
      const number = Number(text.trim());
      if (text.trim() === '' || Number.isNaN(number)) {
        if (where === 'header') return undefined;
        throw restXmlErrors.invalidArgument(name, text);
      }
      return number;
    }
    case 'boolean': {
      const lowered = text.trim().toLowerCase();
      if (lowered === 'true' || lowered === 'false') return lowered === 'true';
      if (where === 'header') return undefined;
      throw restXmlErrors.invalidArgument(name, text);
    }
    case 'timestamp': {
      const trimmed = text.trim();
      const date = /^\d+(\.\d+)?$/.test(trimmed) ? new Date(Number(trimmed) * 1000) : new Date(trimmed);
      if (Number.isNaN(date.getTime())) {
        if (where === 'header') return undefined;
        throw restXmlErrors.invalidArgument(name, text);
      }
      return date;
    }
    case 'blob':
      return Buffer.from(text, 'base64');
    default:
      return text;
  }
}
