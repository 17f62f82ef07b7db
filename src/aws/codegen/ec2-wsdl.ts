import type { ServiceModel, ShapeRef, StructureShape } from '../model/service-model.js';
import { soapElementName, soapListItem } from '../protocol/ec2-soap.js';
import { escapeXmlAttribute } from '../protocol/xml-writer.js';

export interface Ec2WsdlOptions {
  /** The actions to describe; every operation of the model when absent. */
  operations?: readonly string[];
  /** Where the service is, in `soap:address`; the clc rewrites it to the URL each `?wsdl` request reached. */
  location?: string;
  /** Lines of the comment at the top of the file (where it was generated from). */
  header?: readonly string[];
}

/** The address the file carries; the clc serves `?wsdl` with its own in its place. */
export const ec2WsdlDefaultLocation = 'https://localhost:8773/services/compute';

const wsdlNamespace = 'http://schemas.xmlsoap.org/wsdl/';
const wsdlSoapNamespace = 'http://schemas.xmlsoap.org/wsdl/soap/';
const schemaNamespace = 'http://www.w3.org/2001/XMLSchema';
const httpTransport = 'http://schemas.xmlsoap.org/soap/http';

const scalarTypes: Readonly<Record<string, string>> = {
  string: 'xs:string',
  integer: 'xs:int',
  long: 'xs:long',
  float: 'xs:float',
  double: 'xs:double',
  boolean: 'xs:boolean',
  timestamp: 'xs:dateTime',
  blob: 'xs:base64Binary',
};

// An XML NCName, as far as names in AWS models go.
const ncName = /^[A-Za-z_][\w.-]*$/;

/**
 * Renders `wsdl/ec2.wsdl`, EC2 over SOAP as Amazon's own historic ec2.wsdl described it, from the service model:
 * SOAP 1.1, document/literal, target namespace the model's (`http://ec2.amazonaws.com/doc/2016-11-15/`), one request
 * element per action named after it (`RunInstances`) and one response element (`RunInstancesResponse`).
 *
 * The types are the model's structures, one `complexType` each (an output structure is written inline in its
 * response element), with the element names the EC2 query protocol's responses use (`locationName`, else the member
 * name), members in model order. Every list is a wrapper element of
 * `item` children, in requests as in responses; every response starts with `requestId`, and an action that answers
 * nothing else has `return`, as the query responses do. Every member is optional except those the model requires.
 *
 * Every operation of the model is described (a client may call any; the unimplemented ones answer the
 * `UnsupportedOperation` fault, as on the Query API), unless `operations` narrows the list. Faults are not declared
 * per operation, as in Amazon's WSDL: any operation may answer a SOAP 1.1 fault whose `detail` holds EC2's
 * `<Errors><Error><Code/><Message/></Error></Errors><RequestID/>`.
 */
export function renderEc2Wsdl(service: ServiceModel, options: Ec2WsdlOptions = {}): string {
  const { xmlNamespace, protocol, serviceId } = service.metadata;
  if (protocol !== 'ec2' || !xmlNamespace) throw new Error(`${serviceId} does not use the ec2 protocol`);
  const names = options.operations ? [...options.operations] : [...service.operations.keys()];
  const operations = names.map((name) => {
    const operation = service.operations.get(name);
    if (!operation) throw new Error(`${serviceId} has no operation ${name}`);
    return operation;
  });

  const out = new Lines();
  out.add(0, '<?xml version="1.0" encoding="UTF-8"?>');
  if (options.header) {
    out.add(0, '<!--');
    for (const line of options.header) out.add(1, line.replace(/--/g, '- -'));
    out.add(0, '-->');
  }
  out.add(0, `<wsdl:definitions name="AmazonEC2" targetNamespace="${attribute(xmlNamespace)}"`);
  out.add(2, `xmlns:tns="${attribute(xmlNamespace)}"`);
  out.add(2, `xmlns:wsdl="${wsdlNamespace}"`);
  out.add(2, `xmlns:soap="${wsdlSoapNamespace}"`);
  out.add(2, `xmlns:xs="${schemaNamespace}">`);
  out.add(1, '<wsdl:types>');
  out.add(2, `<xs:schema targetNamespace="${attribute(xmlNamespace)}" elementFormDefault="qualified">`);

  for (const operation of operations) {
    const name = checkedName(operation.name, operation.name);
    if (operation.input) out.add(3, `<xs:element name="${name}" type="tns:${operation.input.name}"/>`);
    else out.add(3, `<xs:element name="${name}"><xs:complexType><xs:sequence/></xs:complexType></xs:element>`);
    out.add(3, `<xs:element name="${name}Response">`);
    out.add(4, '<xs:complexType>');
    out.add(5, '<xs:sequence>');
    out.add(6, '<xs:element name="requestId" type="xs:string"/>');
    if (operation.output) {
      for (const [member, ref] of operation.output.members) {
        if (soapElementName(member, ref) === 'requestId') {
          throw new Error(`${operation.output.name}.${member} collides with requestId`);
        }
      }
      memberElements(out, 6, operation.output);
    } else {
      out.add(6, '<xs:element name="return" type="xs:boolean" minOccurs="0"/>');
    }
    out.add(5, '</xs:sequence>');
    out.add(4, '</xs:complexType>');
    out.add(3, '</xs:element>');
  }

  // Output structures are inlined in their response elements; everything they and the inputs reach is a named type.
  const structures = new Map<string, StructureShape>();
  const reach = (structure: StructureShape): void => {
    if (structures.has(structure.name)) return;
    structures.set(structure.name, structure);
    for (const ref of structure.members.values()) reachRef(ref);
  };
  const reachRef = (ref: ShapeRef): void => {
    if (ref.structure) reach(ref.structure);
    for (const inner of [ref.member, ref.key, ref.value]) if (inner) reachRef(inner);
  };
  for (const operation of operations) {
    if (operation.input) reach(operation.input);
    for (const ref of operation.output?.members.values() ?? []) reachRef(ref);
  }
  for (const name of [...structures.keys()].sort()) {
    const structure = structures.get(name) as StructureShape;
    out.add(3, `<xs:complexType name="${checkedName(name, name)}">`);
    if (structure.members.size === 0) {
      out.add(4, '<xs:sequence/>');
    } else {
      out.add(4, '<xs:sequence>');
      memberElements(out, 5, structure);
      out.add(4, '</xs:sequence>');
    }
    out.add(3, '</xs:complexType>');
  }
  out.add(2, '</xs:schema>');
  out.add(1, '</wsdl:types>');

  for (const { name } of operations) {
    out.add(1, `<wsdl:message name="${name}RequestMsg">`);
    out.add(2, `<wsdl:part name="${name}RequestMsgReq" element="tns:${name}"/>`);
    out.add(1, '</wsdl:message>');
    out.add(1, `<wsdl:message name="${name}ResponseMsg">`);
    out.add(2, `<wsdl:part name="${name}ResponseMsgResp" element="tns:${name}Response"/>`);
    out.add(1, '</wsdl:message>');
  }

  out.add(1, '<wsdl:portType name="AmazonEC2PortType">');
  for (const { name } of operations) {
    out.add(2, `<wsdl:operation name="${name}">`);
    out.add(3, `<wsdl:input message="tns:${name}RequestMsg"/>`);
    out.add(3, `<wsdl:output message="tns:${name}ResponseMsg"/>`);
    out.add(2, '</wsdl:operation>');
  }
  out.add(1, '</wsdl:portType>');

  out.add(1, '<wsdl:binding name="AmazonEC2Binding" type="tns:AmazonEC2PortType">');
  out.add(2, `<soap:binding style="document" transport="${httpTransport}"/>`);
  for (const { name } of operations) {
    out.add(2, `<wsdl:operation name="${name}">`);
    out.add(3, `<soap:operation soapAction="${name}"/>`);
    out.add(3, '<wsdl:input><soap:body use="literal"/></wsdl:input>');
    out.add(3, '<wsdl:output><soap:body use="literal"/></wsdl:output>');
    out.add(2, '</wsdl:operation>');
  }
  out.add(1, '</wsdl:binding>');

  out.add(1, '<wsdl:service name="AmazonEC2">');
  out.add(2, '<wsdl:port name="AmazonEC2Port" binding="tns:AmazonEC2Binding">');
  out.add(3, `<soap:address location="${attribute(options.location ?? ec2WsdlDefaultLocation)}"/>`);
  out.add(2, '</wsdl:port>');
  out.add(1, '</wsdl:service>');
  out.add(0, '</wsdl:definitions>');
  return out.toString();
}

/** The `xs:element`s of a structure's members, in model order. */
function memberElements(out: Lines, depth: number, structure: StructureShape): void {
  for (const [member, ref] of structure.members) {
    const where = `${structure.name}.${member}`;
    if (ref.xmlAttribute || ref.flattened) throw new Error(`${where}: attributes and flattened lists are not ec2`);
    const name = checkedName(soapElementName(member, ref), where);
    const occurs = structure.required.has(member) ? '' : ' minOccurs="0"';
    element(out, depth, name, ref, occurs, where);
  }
}

/** One element of a reference's type: a scalar or structure by name, a list or map as an inline wrapper type. */
function element(out: Lines, depth: number, name: string, ref: ShapeRef, occurs: string, where: string): void {
  if (ref.type === 'structure') {
    out.add(depth, `<xs:element name="${name}" type="tns:${(ref.structure as StructureShape).name}"${occurs}/>`);
    return;
  }
  if (ref.type === 'list' || ref.type === 'map') {
    out.add(depth, `<xs:element name="${name}"${occurs}>`);
    out.add(depth + 1, '<xs:complexType>');
    out.add(depth + 2, '<xs:sequence>');
    if (ref.type === 'list') {
      element(out, depth + 3, soapListItem, ref.member as ShapeRef, ' minOccurs="0" maxOccurs="unbounded"', where);
    } else {
      // Maps as the query serialiser writes them: <entry><key/><value/></entry>.
      out.add(depth + 3, '<xs:element name="entry" minOccurs="0" maxOccurs="unbounded">');
      out.add(depth + 4, '<xs:complexType>');
      out.add(depth + 5, '<xs:sequence>');
      const key = ref.key as ShapeRef;
      const value = ref.value as ShapeRef;
      element(out, depth + 6, checkedName(key.locationName ?? 'key', where), key, '', where);
      element(out, depth + 6, checkedName(value.locationName ?? 'value', where), value, '', where);
      out.add(depth + 5, '</xs:sequence>');
      out.add(depth + 4, '</xs:complexType>');
      out.add(depth + 3, '</xs:element>');
    }
    out.add(depth + 2, '</xs:sequence>');
    out.add(depth + 1, '</xs:complexType>');
    out.add(depth, '</xs:element>');
    return;
  }
  const type = scalarTypes[ref.type];
  if (!type) throw new Error(`${where}: no XML Schema type for ${ref.type}`);
  out.add(depth, `<xs:element name="${name}" type="${type}"${occurs}/>`);
}

function checkedName(name: string, where: string): string {
  if (!ncName.test(name)) throw new Error(`${where}: ${name} is not an XML name`);
  return name;
}

function attribute(text: string): string {
  return escapeXmlAttribute(text);
}

/** Indented lines, two spaces a level. */
class Lines {
  private readonly lines: string[] = [];

  add(depth: number, line: string): void {
    this.lines.push(`${'  '.repeat(depth)}${line}`);
  }

  toString(): string {
    return `${this.lines.join('\n')}\n`;
  }
}
