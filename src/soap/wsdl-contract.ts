/**
 * A component's SOAP interface as data: its types and operations. `renderWsdl` writes the WSDL that is the contract
 * (`npm run generate` keeps `wsdl/*.wsdl` in step, and a test fails when one is stale); servers and clients are built
 * from that file. Every request carries `correlationId` and `userId`, every response echoes `correlationId`, and
 * every operation may answer a fault carrying a code, as every Mallee inter-component message does.
 */

export type XsdScalar = 'string' | 'int' | 'long' | 'double' | 'boolean' | 'dateTime';

export interface WsdlField {
  name: string;
  /** An XSD scalar, or the name of one of the contract's complex types. */
  type: XsdScalar | (string & {});
  optional?: boolean;
  /** Repeated element (`maxOccurs="unbounded"`); implies optional. */
  list?: boolean;
  doc?: string;
}

export interface WsdlOperation {
  doc: string;
  input: readonly WsdlField[];
  output: readonly WsdlField[];
}

export interface WsdlContract {
  /** `MalleeCluster`: the definitions' name. */
  name: string;
  /** `urn:mallee:cc:2026-11` */
  namespace: string;
  service: string;
  port: string;
  /** The fault element every operation may answer with. */
  faultElement: string;
  /** Where the service usually lives, for `soap:address` (clients always pass the real endpoint). */
  defaultLocation: string;
  /** Lines of the comment at the top of the file. */
  header: readonly string[];
  complexTypes: Readonly<Record<string, readonly WsdlField[]>>;
  operations: Readonly<Record<string, WsdlOperation>>;
}

const scalars = new Set<string>(['string', 'int', 'long', 'double', 'boolean', 'dateTime']);

const envelopeIn: readonly WsdlField[] = [
  { name: 'correlationId', type: 'string' },
  { name: 'userId', type: 'string' },
];
const envelopeOut: readonly WsdlField[] = [{ name: 'correlationId', type: 'string' }];

export function renderWsdl(contract: WsdlContract): string {
  const { namespace, faultElement } = contract;
  const typeRef = (field: WsdlField): string => {
    if (scalars.has(field.type)) return `xsd:${field.type}`;
    if (!Object.hasOwn(contract.complexTypes, field.type)) {
      throw new Error(`${contract.name}: field ${field.name} has unknown type ${field.type}`);
    }
    return `tns:${field.type}`;
  };
  const element = (field: WsdlField, indent: string): string => {
    const occurs = field.list ? ' minOccurs="0" maxOccurs="unbounded"' : field.optional ? ' minOccurs="0"' : '';
    const doc = field.doc ? `<!-- ${field.doc} -->` : '';
    return `${indent}<xsd:element name="${field.name}" type="${typeRef(field)}"${occurs}/>${doc}`;
  };
  const sequence = (fields: readonly WsdlField[], indent: string): string[] => [
    `${indent}<xsd:sequence>`,
    ...fields.map((field) => element(field, `${indent}  `)),
    `${indent}</xsd:sequence>`,
  ];

  const lines: string[] = ['<?xml version="1.0" encoding="UTF-8"?>', '<!--'];
  lines.push(...contract.header.map((line) => `  ${line}`), '-->');
  lines.push(
    `<wsdl:definitions name="${contract.name}"`,
    `    targetNamespace="${namespace}"`,
    `    xmlns:tns="${namespace}"`,
    '    xmlns:wsdl="http://schemas.xmlsoap.org/wsdl/"',
    '    xmlns:soap="http://schemas.xmlsoap.org/wsdl/soap/"',
    '    xmlns:xsd="http://www.w3.org/2001/XMLSchema">',
    '',
    '  <wsdl:types>',
    `    <xsd:schema targetNamespace="${namespace}" elementFormDefault="qualified">`,
  );
  for (const [name, fields] of Object.entries(contract.complexTypes)) {
    lines.push(`      <xsd:complexType name="${name}">`, ...sequence(fields, '        '), '      </xsd:complexType>');
  }
  const messageElement = (name: string, fields: readonly WsdlField[]) => [
    `      <xsd:element name="${name}">`,
    '        <xsd:complexType>',
    ...sequence(fields, '          '),
    '        </xsd:complexType>',
    '      </xsd:element>',
  ];
  for (const [name, operation] of Object.entries(contract.operations)) {
    lines.push(`      <!-- ${name}: ${operation.doc} -->`);
    lines.push(...messageElement(name, [...envelopeIn, ...operation.input]));
    lines.push(...messageElement(`${name}Response`, [...envelopeOut, ...operation.output]));
  }
  lines.push(
    ...messageElement(faultElement, [
      { name: 'correlationId', type: 'string' },
      { name: 'code', type: 'string' },
      { name: 'message', type: 'string' },
    ]),
  );
  lines.push('    </xsd:schema>', '  </wsdl:types>', '');

  const operations = Object.keys(contract.operations);
  for (const name of operations) {
    lines.push(
      `  <wsdl:message name="${name}Request"><wsdl:part name="parameters" element="tns:${name}"/></wsdl:message>`,
      `  <wsdl:message name="${name}Response"><wsdl:part name="parameters" element="tns:${name}Response"/></wsdl:message>`,
    );
  }
  lines.push(
    `  <wsdl:message name="${faultElement}"><wsdl:part name="fault" element="tns:${faultElement}"/></wsdl:message>`,
    '',
  );
  lines.push(`  <wsdl:portType name="${contract.port}Type">`);
  for (const name of operations) {
    lines.push(
      `    <wsdl:operation name="${name}">`,
      `      <wsdl:input message="tns:${name}Request"/>`,
      `      <wsdl:output message="tns:${name}Response"/>`,
      `      <wsdl:fault name="${faultElement}" message="tns:${faultElement}"/>`,
      '    </wsdl:operation>',
    );
  }
  lines.push('  </wsdl:portType>', '');
  lines.push(`  <wsdl:binding name="${contract.port}Binding" type="tns:${contract.port}Type">`);
  lines.push('    <soap:binding style="document" transport="http://schemas.xmlsoap.org/soap/http"/>');
  for (const name of operations) {
    lines.push(
      `    <wsdl:operation name="${name}">`,
      `      <soap:operation soapAction="${namespace}#${name}"/>`,
      '      <wsdl:input><soap:body use="literal"/></wsdl:input>',
      '      <wsdl:output><soap:body use="literal"/></wsdl:output>',
      `      <wsdl:fault name="${faultElement}"><soap:fault name="${faultElement}" use="literal"/></wsdl:fault>`,
      '    </wsdl:operation>',
    );
  }
  lines.push('  </wsdl:binding>', '');
  lines.push(
    `  <wsdl:service name="${contract.service}">`,
    `    <wsdl:port name="${contract.port}" binding="tns:${contract.port}Binding">`,
    `      <soap:address location="${contract.defaultLocation}"/>`,
    '    </wsdl:port>',
    '  </wsdl:service>',
    '</wsdl:definitions>',
    '',
  );
  return lines.join('\n');
}
