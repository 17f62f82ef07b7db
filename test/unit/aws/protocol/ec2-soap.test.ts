import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { XMLParser } from 'fast-xml-parser';
import t from 'tap';
import { ec2WsdlDefaultLocation, renderEc2Wsdl } from '../../../../src/aws/codegen/ec2-wsdl.js';
import { ec2Model } from '../../../../src/aws/generated/ec2-model.js';
import type { DescribeInstancesOutput, Ec2Operations } from '../../../../src/aws/generated/ec2-types.js';
import { loadServiceModel } from '../../../../src/aws/model/service-model.js';
import {
  createEc2SoapDispatcher,
  parseEc2SoapRequest,
  serializeEc2SoapFault,
  serializeEc2SoapResponse,
} from '../../../../src/aws/protocol/ec2-soap.js';
import type { DispatchContext } from '../../../../src/aws/protocol/query-dispatcher.js';
import { parseQueryRequest } from '../../../../src/aws/protocol/query-parser.js';
import { serializeQueryResponse } from '../../../../src/aws/protocol/query-serializer.js';
import { commonErrors, ServiceError } from '../../../../src/aws/service-error.js';
import { projectRoot, runCommand, temporaryDir } from '../../../helpers/cli.js';

const ns = 'http://ec2.amazonaws.com/doc/2016-11-15/';
const soapNs = 'http://schemas.xmlsoap.org/soap/envelope/';
const declaration = '<?xml version="1.0" encoding="UTF-8"?>';
const envelope = (body: string, header = '') =>
  `<s:Envelope xmlns:s="${soapNs}">${header}<s:Body>${body}</s:Body></s:Envelope>`;
const request = (action: string, content: string, namespace = ns) =>
  envelope(`<e:${action} xmlns:e="${namespace}">${content}</e:${action}>`);
const wsdlFile = join(projectRoot, 'wsdl', 'ec2.wsdl');

/** A small ec2-protocol model with what EC2's inputs barely use: blobs in and out, maps, every scalar. */
const widgets = loadServiceModel({
  metadata: {
    apiVersion: '2020-01-01',
    protocol: 'ec2',
    endpointPrefix: 'widgets',
    serviceId: 'Widgets',
    xmlNamespace: 'http://widgets.example/doc/2020-01-01/',
  },
  operations: { PutWidget: { input: 'PutWidgetInput', output: 'PutWidgetOutput' } },
  structures: {
    PutWidgetInput: {
      members: {
        Name: { locationName: 'name' },
        Count: { type: 'integer' },
        Big: { type: 'long' },
        Ratio: { type: 'double' },
        Enabled: { type: 'boolean' },
        Made: { type: 'timestamp' },
        Blob: { type: 'blob' },
        Labels: { type: 'list', member: { type: 'list', member: {} } },
        Attributes: { type: 'map', key: {}, value: { type: 'integer' } },
        Parts: { type: 'list', member: { shape: 'Part' }, locationName: 'partSet' },
        Nested: { shape: 'Part' },
      },
      required: ['Name'],
    },
    Part: { members: { Id: { locationName: 'id' }, Size: { type: 'integer' } }, required: ['Id'] },
    PutWidgetOutput: {
      members: {
        Blob: { type: 'blob', locationName: 'blob' },
        Parts: { type: 'list', member: { shape: 'Part', locationName: 'member' }, locationName: 'partSet' },
        Made: { type: 'timestamp' },
      },
    },
  },
});

function serviceError(fn: () => unknown): ServiceError {
  try {
    fn();
  } catch (error) {
    if (error instanceof ServiceError) return error;
    throw error;
  }
  throw new Error('no error thrown');
}

t.test('a request body gives the same typed input as the query parameters it stands for', async (t) => {
  const soap = request(
    'RunInstances',
    '<e:BlockDeviceMapping><e:item><e:deviceName>/dev/sda1</e:deviceName>' +
      '<e:ebs><e:deleteOnTermination>1</e:deleteOnTermination><e:volumeSize> 8 </e:volumeSize></e:ebs></e:item>' +
      '<e:item><e:deviceName>/dev/sdb</e:deviceName><e:noDevice/></e:item></e:BlockDeviceMapping>' +
      '<e:ImageId>emi-0123456789abcdef0</e:ImageId><e:MaxCount>2</e:MaxCount><e:MinCount>1</e:MinCount>' +
      '<e:TagSpecification><e:item><e:resourceType>instance</e:resourceType><e:Tag>' +
      '<e:item><e:key>Name</e:key><e:value>web &amp; db&#13;</e:value></e:item>' +
      '<e:item><e:key>empty</e:key><e:value></e:value></e:item></e:Tag></e:item></e:TagSpecification>' +
      '<e:SecurityGroup/><e:disableApiTermination>false</e:disableApiTermination>',
  );
  const parsed = parseEc2SoapRequest(ec2Model, soap);
  const query = parseQueryRequest(ec2Model, {
    Action: 'RunInstances',
    Version: '2016-11-15',
    'BlockDeviceMapping.1.DeviceName': '/dev/sda1',
    'BlockDeviceMapping.1.Ebs.DeleteOnTermination': 'true',
    'BlockDeviceMapping.1.Ebs.VolumeSize': '8',
    'BlockDeviceMapping.2.DeviceName': '/dev/sdb',
    'BlockDeviceMapping.2.NoDevice': '',
    ImageId: 'emi-0123456789abcdef0',
    MaxCount: '2',
    MinCount: '1',
    'TagSpecification.1.ResourceType': 'instance',
    'TagSpecification.1.Tag.1.Key': 'Name',
    'TagSpecification.1.Tag.1.Value': 'web & db\r',
    'TagSpecification.1.Tag.2.Key': 'empty',
    'TagSpecification.1.Tag.2.Value': '',
    SecurityGroup: '',
    DisableApiTermination: 'false',
  });
  t.same(parsed, query);
  t.strictSame(parsed.input, {
    BlockDeviceMappings: [
      { DeviceName: '/dev/sda1', Ebs: { DeleteOnTermination: true, VolumeSize: 8 } },
      { DeviceName: '/dev/sdb', NoDevice: '' },
    ],
    ImageId: 'emi-0123456789abcdef0',
    MaxCount: 2,
    MinCount: 1,
    SecurityGroups: [],
    TagSpecifications: [
      {
        ResourceType: 'instance',
        Tags: [
          { Key: 'Name', Value: 'web & db\r' },
          { Key: 'empty', Value: '' },
        ],
      },
    ],
    DisableApiTermination: false,
  });
});

t.test('blobs, timestamps, numbers, maps, lists of lists, nested and empty structures', async (t) => {
  const widgetNs = 'http://widgets.example/doc/2020-01-01/';
  // Unprefixed children in the default namespace, as other SOAP stacks write them.
  const body =
    `<PutWidget xmlns="${widgetNs}" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">` +
    '<name> spaced </name><Count>-3</Count><Big>9007199254740991</Big><Ratio>INF</Ratio>' +
    '<Enabled>0</Enabled><Made>2026-11-23T20:00:00+01:00</Made><Blob>aGVs\n bG8=</Blob>' +
    '<Labels><item><item>a</item><item>b</item></item><item/></Labels>' +
    '<Attributes><entry><key>x</key><value>1</value></entry></Attributes>' +
    '<partSet><item><id>p-1</id><Size>4</Size></item></partSet><Nested xsi:nil="true"/></PutWidget>';
  const parsed = parseEc2SoapRequest(widgets, envelope(body));
  // The query parser gives maps no prototype, so a key such as __proto__ is just a key.
  t.strictSame(
    { ...parsed.input, Attributes: { ...(parsed.input.Attributes as object) } },
    {
      Name: ' spaced ',
      Count: -3,
      Big: 9007199254740991,
      Ratio: Infinity,
      Enabled: false,
      Made: new Date('2026-11-23T19:00:00Z'),
      Blob: Buffer.from('hello'),
      Labels: [['a', 'b'], []],
      Attributes: { x: 1 },
      Parts: [{ Id: 'p-1', Size: 4 }],
    },
  );
  const empty = parseEc2SoapRequest(
    widgets,
    envelope(`<w:PutWidget xmlns:w="${widgetNs}"><w:name>n</w:name><w:Nested><w:id>x</w:id></w:Nested></w:PutWidget>`),
  );
  t.strictSame(empty.input, { Name: 'n', Nested: { Id: 'x' } });
  const missing = serviceError(() =>
    parseEc2SoapRequest(
      widgets,
      envelope(`<w:PutWidget xmlns:w="${widgetNs}"><w:name>n</w:name><w:Nested/></w:PutWidget>`),
    ),
  );
  t.match(missing, { code: 'MissingParameter', message: 'The request must contain the parameter Nested.Id' });
});

t.test('bad requests are answered as EC2 answers bad parameters', async (t) => {
  const cases: [string, string | Buffer, string, string][] = [
    [
      'an unknown element, named as its parameter would be',
      request('DescribeTags', '<e:Filter><e:item><e:Nme>key</e:Nme></e:item></e:Filter>'),
      'UnknownParameter',
      'The parameter Filter.1.Nme is not recognized',
    ],
    [
      'a list holding something but items',
      request('DescribeTags', '<e:Filter><e:Filter><e:Name>key</e:Name></e:Filter></e:Filter>'),
      'UnknownParameter',
      'The parameter Filter.Filter is not recognized',
    ],
    [
      'an element of another namespace',
      request('DescribeTags', '<x:maxResults xmlns:x="urn:other">5</x:maxResults>'),
      'UnknownParameter',
      'The parameter maxResults is not recognized',
    ],
    [
      'a value that is not an integer',
      request('DescribeTags', '<e:maxResults>five</e:maxResults>'),
      'InvalidParameterValue',
      'Value (five) for parameter MaxResults is invalid. Expected an integer.',
    ],
    [
      'a boolean that is not one',
      request('DescribeRegions', '<e:AllRegions>yes</e:AllRegions>'),
      'InvalidParameterValue',
      "Value (yes) for parameter AllRegions is invalid. Expected 'true' or 'false'.",
    ],
    [
      'an element given twice',
      request('DescribeTags', '<e:maxResults>5</e:maxResults><e:maxResults>6</e:maxResults>'),
      'InvalidParameterValue',
      'Value (6) for parameter MaxResults is invalid. The element may be given only once.',
    ],
    [
      'a required member left out',
      request('RunInstances', '<e:ImageId>emi-1</e:ImageId><e:MaxCount>1</e:MaxCount>'),
      'MissingParameter',
      'The request must contain the parameter MinCount',
    ],
    [
      'a scalar with children',
      request('DescribeTags', '<e:maxResults><e:item>5</e:item></e:maxResults>'),
      'UnknownParameter',
      'The parameter MaxResults.item is not recognized',
    ],
    ['an action EC2 does not have', request('LaunchRockets', ''), 'InvalidAction', ''],
    [
      'another API version',
      request('DescribeRegions', '', 'http://ec2.amazonaws.com/doc/2030-01-01/'),
      'NoSuchVersion',
      'The requested version (2030-01-01) of service AmazonEC2 does not exist',
    ],
    ['a body element in no EC2 namespace', request('DescribeRegions', '', 'urn:x'), 'InvalidRequest', ''],
    ['not XML', 'Action=DescribeRegions&Version=2016-11-15', 'InvalidRequest', ''],
    ['XML that is not well formed', envelope('<e:DescribeRegions xmlns:e="urn:x">'), 'InvalidRequest', ''],
    [
      'a document type declaration',
      `<!DOCTYPE x [<!ENTITY a "aaaa">]>${request('DescribeRegions', '')}`,
      'InvalidRequest',
      'The request is not a valid SOAP message: a document type declaration is not allowed.',
    ],
    ['not an envelope', `<e:DescribeRegions xmlns:e="${ns}"/>`, 'InvalidRequest', ''],
    [
      'a SOAP 1.2 envelope',
      `<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Body/></s:Envelope>`,
      'VersionMismatch',
      '',
    ],
    [
      'two body elements',
      envelope(`<e:DescribeRegions xmlns:e="${ns}"/><e:DescribeTags xmlns:e="${ns}"/>`),
      'InvalidRequest',
      '',
    ],
    ['an empty body', envelope(''), 'InvalidRequest', ''],
    [
      'a header that must be understood',
      envelope(
        `<e:DescribeRegions xmlns:e="${ns}"/>`,
        `<s:Header><w:Security xmlns:w="urn:wsse" s:mustUnderstand="1"/></s:Header>`,
      ),
      'MustUnderstand',
      'The header {urn:wsse}Security is marked mustUnderstand and is not understood here.',
    ],
  ];
  for (const [what, body, code, message] of cases) {
    const error = serviceError(() => parseEc2SoapRequest(ec2Model, body));
    t.equal(error.code, code, what);
    if (message !== '') t.equal(error.message, message, what);
    t.equal(error.status, 400, what);
  }
  const ignored = envelope(
    `<e:DescribeRegions xmlns:e="${ns}"/>`,
    `<s:Header><w:Note xmlns:w="urn:note" s:mustUnderstand="0">hello</w:Note></s:Header>`,
  );
  t.equal(
    parseEc2SoapRequest(ec2Model, Buffer.from(ignored)).operation,
    'DescribeRegions',
    'optional headers are fine',
  );
});

t.test('a response is the query response inside a SOAP body, every list as items', async (t) => {
  const output: DescribeInstancesOutput = {
    Reservations: [
      {
        ReservationId: 'r-1',
        OwnerId: '000000000001',
        Groups: [{ GroupId: 'sg-1', GroupName: 'default' }],
        Instances: [
          {
            InstanceId: 'i-1',
            LaunchTime: new Date('2026-11-23T19:00:00Z'),
            State: { Code: 16, Name: 'running' },
            EbsOptimized: false,
            Tags: [{ Key: 'Name', Value: 'a <b> & c' }],
          },
        ],
      },
    ],
  };
  const soap = serializeEc2SoapResponse(ec2Model, 'DescribeInstances', output, 'req-1');
  const query = serializeQueryResponse(ec2Model, 'DescribeInstances', output, 'req-1');
  t.equal(
    soap,
    `${declaration}<soap:Envelope xmlns:soap="${soapNs}"><soap:Body>` +
      query.slice(declaration.length) +
      '</soap:Body></soap:Envelope>',
    'the same shape walk; EC2 lists already wrap their items in <item>',
  );
  t.match(soap, '<launchTime>2026-11-23T19:00:00.000Z</launchTime>');
  t.match(soap, '<value>a &lt;b&gt; &amp; c</value>');

  // Where the model names list items otherwise (`member`), SOAP still says `item`, as the WSDL does.
  const widget = serializeEc2SoapResponse(
    widgets,
    'PutWidget',
    { Blob: Buffer.from('hello'), Parts: [{ Id: 'p', Size: 1 }], Made: new Date(0) },
    'req-2',
  );
  t.equal(
    widget,
    `${declaration}<soap:Envelope xmlns:soap="${soapNs}"><soap:Body>` +
      '<PutWidgetResponse xmlns="http://widgets.example/doc/2020-01-01/"><requestId>req-2</requestId>' +
      '<blob>aGVsbG8=</blob><partSet><item><id>p</id><Size>1</Size></item></partSet>' +
      '<Made>1970-01-01T00:00:00.000Z</Made></PutWidgetResponse></soap:Body></soap:Envelope>',
  );
  t.match(
    serializeEc2SoapResponse(ec2Model, 'DeleteKeyPair', { Return: true, KeyPairId: 'key-1' }, 'req-3'),
    `<DeleteKeyPairResponse xmlns="${ns}"><requestId>req-3</requestId><return>true</return>` +
      '<keyPairId>key-1</keyPairId></DeleteKeyPairResponse>',
  );
  t.match(
    serializeEc2SoapResponse(ec2Model, 'AssociateDhcpOptions', {}, 'req-4'),
    '<requestId>req-4</requestId><return>true</return></AssociateDhcpOptionsResponse>',
    'an action with no output answers return, as the query protocol does',
  );
});

t.test('a round trip: what the serialiser writes, the parser reads back', async (t) => {
  // DescribeTags' output is a list of structures; its Filter input a list of structures holding lists.
  const output = { Tags: [{ Key: 'k', ResourceId: 'sg-1', ResourceType: 'security-group' as const, Value: 'v' }] };
  const response = serializeEc2SoapResponse(ec2Model, 'DescribeTags', output, 'req-1');
  const xml = new XMLParser({ removeNSPrefix: true, parseTagValue: false, isArray: (name) => name === 'item' });
  const body = xml.parse(response) as { Envelope: { Body: { DescribeTagsResponse: { tagSet: { item: object[] } } } } };
  t.same(body.Envelope.Body.DescribeTagsResponse.tagSet.item, [
    { key: 'k', resourceId: 'sg-1', resourceType: 'security-group', value: 'v' },
  ]);
  const filters = [{ Name: 'key', Values: ['k', 'other'] }];
  const requestXml = request(
    'DescribeTags',
    '<e:Filter>' +
      filters
        .map(
          (filter) =>
            `<e:item><e:Name>${filter.Name}</e:Name><e:Value>` +
            filter.Values.map((value) => `<e:item>${value}</e:item>`).join('') +
            '</e:Value></e:item>',
        )
        .join('') +
      '</e:Filter>',
  );
  t.strictSame(parseEc2SoapRequest(ec2Model, requestXml).input, { Filters: filters });
});

t.test('faults carry the EC2 code, message and status', async (t) => {
  const client = serializeEc2SoapFault(
    new ServiceError('InvalidKeyPair.NotFound', "The key pair 'k' does not exist"),
    'req-1',
  );
  t.equal(client.status, 400);
  t.equal(client.contentType, 'text/xml;charset=UTF-8');
  t.equal(
    client.body,
    `${declaration}<soap:Envelope xmlns:soap="${soapNs}"><soap:Body><soap:Fault><faultcode>soap:Client</faultcode>` +
      "<faultstring>The key pair 'k' does not exist</faultstring><detail><Errors><Error>" +
      "<Code>InvalidKeyPair.NotFound</Code><Message>The key pair 'k' does not exist</Message></Error></Errors>" +
      '<RequestID>req-1</RequestID></detail></soap:Fault></soap:Body></soap:Envelope>',
  );
  const server = serializeEc2SoapFault(commonErrors.internalError(), 'req-2');
  t.equal(server.status, 500);
  t.match(server.body, '<faultcode>soap:Server</faultcode><faultstring>An internal error has occurred</faultstring>');
  const auth = serializeEc2SoapFault(new ServiceError('AuthFailure', 'AWS was not able to validate', 401), 'req-3');
  t.equal(auth.status, 401);
  t.match(auth.body, '<faultcode>soap:Client</faultcode>');
  const version = serializeEc2SoapFault(
    serviceError(() => parseEc2SoapRequest(ec2Model, '<Envelope/>')),
    'r',
  );
  t.match(version.body, '<faultcode>soap:VersionMismatch</faultcode>');
});

t.test('the dispatcher runs the same QueryHandlers', async (t) => {
  interface Context extends DispatchContext {
    accountId: string;
  }
  const logged: object[] = [];
  const dispatch = createEc2SoapDispatcher<Ec2Operations, Context>(ec2Model, {
    async DescribeRegions(input, { accountId }) {
      return {
        Regions: (input.RegionNames ?? ['mallee-1']).map((RegionName) => ({ RegionName, Endpoint: accountId })),
      };
    },
    async DescribeKeyPairs() {
      throw new TypeError('boom');
    },
    async DescribeImages() {
      throw new ServiceError('InvalidAMIID.NotFound', "The image id '[emi-1]' does not exist");
    },
  });
  const context: Context = { requestId: 'req-1', accountId: '000000000001', log: { error: (d) => logged.push(d) } };
  const ok = await dispatch(request('DescribeRegions', '<e:RegionName><e:item>r2</e:item></e:RegionName>'), context);
  t.equal(ok.status, 200);
  t.equal(ok.operation, 'DescribeRegions');
  t.match(ok.body, '<requestId>req-1</requestId><regionInfo><item><regionEndpoint>000000000001</regionEndpoint>');
  t.match(ok.body, '<regionName>r2</regionName>');
  const unsupported = await dispatch(request('DescribeVpcs', ''), context);
  t.equal(unsupported.status, 400);
  t.equal(unsupported.operation, 'DescribeVpcs');
  t.match(unsupported.body, '<Code>UnsupportedOperation</Code>');
  const known = await dispatch(request('DescribeImages', ''), context);
  t.match(known.body, '<faultcode>soap:Client</faultcode>');
  t.match(known.body, '<Code>InvalidAMIID.NotFound</Code>');
  const crash = await dispatch(request('DescribeKeyPairs', ''), context);
  t.equal(crash.status, 500);
  t.match(crash.body, '<Code>InternalError</Code>');
  t.notMatch(crash.body, 'boom');
  t.match(logged, [{ operation: 'DescribeKeyPairs', requestId: 'req-1' }]);
  const garbage = await dispatch('not xml', context);
  t.equal(garbage.status, 400);
  t.equal(garbage.operation, undefined);
  t.match(garbage.body, '<Code>InvalidRequest</Code>');
});

t.test('the WSDL describes every operation with its messages', async (t) => {
  const wsdl = readFileSync(wsdlFile, 'utf8');
  t.match(wsdl, /^<\?xml version="1.0" encoding="UTF-8"\?>\n<!--\n {2}Generated by src\/aws\/codegen\/generate\.ts/);
  t.match(wsdl, `<wsdl:definitions name="AmazonEC2" targetNamespace="${ns}"`);
  t.match(wsdl, '<soap:binding style="document" transport="http://schemas.xmlsoap.org/soap/http"/>');
  const count = (pattern: RegExp) => wsdl.match(pattern)?.length ?? 0;
  t.equal(count(/<wsdl:operation name="/g), 2 * ec2Model.operations.size, 'in the port type and the binding');
  for (const name of ec2Model.operations.keys()) {
    for (const expected of [
      `<xs:element name="${name}" `,
      `<xs:element name="${name}Response">`,
      `<wsdl:message name="${name}RequestMsg">`,
      `<wsdl:part name="${name}RequestMsgReq" element="tns:${name}"/>`,
      `<wsdl:part name="${name}ResponseMsgResp" element="tns:${name}Response"/>`,
      `<wsdl:input message="tns:${name}RequestMsg"/>`,
      `<wsdl:output message="tns:${name}ResponseMsg"/>`,
      `<soap:operation soapAction="${name}"/>`,
    ]) {
      if (!wsdl.includes(expected)) t.fail(`${name}: ${expected}`);
    }
  }
  const referenced = new Set([...wsdl.matchAll(/<xs:element [^>]*type="tns:(\w+)"/g)].map((match) => match[1]));
  const defined = new Set([...wsdl.matchAll(/<xs:complexType name="(\w+)">/g)].map((match) => match[1]));
  t.same(
    [...referenced].filter((name) => !defined.has(name)),
    [],
    'every type referenced is defined',
  );
  t.match(
    wsdl,
    '<xs:element name="DescribeRegionsResponse">\n' +
      '        <xs:complexType>\n' +
      '          <xs:sequence>\n' +
      '            <xs:element name="requestId" type="xs:string"/>\n' +
      '            <xs:element name="regionInfo" minOccurs="0">\n' +
      '              <xs:complexType>\n' +
      '                <xs:sequence>\n' +
      '                  <xs:element name="item" type="tns:Region" minOccurs="0" maxOccurs="unbounded"/>\n',
  );
  t.match(
    wsdl,
    /<xs:complexType name="ImportKeyPairInput">[^]*?<xs:element name="publicKeyMaterial" type="xs:base64Binary"\/>/,
  );
  t.match(wsdl, /<xs:complexType name="RunInstancesInput">[^]*?<xs:element name="MaxCount" type="xs:int"\/>/);

  const narrow = renderEc2Wsdl(ec2Model, { operations: ['DescribeRegions'], location: 'https://cloud:8773/x' });
  t.equal(narrow.match(/<wsdl:operation name="/g)?.length, 2, 'a list of actions narrows it');
  t.match(narrow, '<soap:address location="https://cloud:8773/x"/>');
  t.notMatch(narrow, 'RunInstances');
  t.match(wsdl, `<soap:address location="${ec2WsdlDefaultLocation}"/>`);
  t.throws(() => renderEc2Wsdl(ec2Model, { operations: ['LaunchRockets'] }), /no operation LaunchRockets/);
});

const xmllint = ['/usr/bin/xmllint', '/bin/xmllint'].find((path) => existsSync(path));

t.test(
  'xmllint accepts the WSDL, and its schema accepts what the serialiser writes',
  { skip: !xmllint && 'no xmllint' },
  async (t) => {
    const lint = xmllint as string;
    const wsdlCheck = await runCommand(lint, ['--noout', wsdlFile]);
    t.equal(wsdlCheck.code, 0, wsdlCheck.stderr);
    // The schema inside the WSDL, on its own, validates the response elements (the contents of soap:Body).
    const dir = temporaryDir('ec2-wsdl');
    const wsdl = readFileSync(wsdlFile, 'utf8');
    const schema = wsdl.slice(wsdl.indexOf('<xs:schema '), wsdl.indexOf('</xs:schema>') + '</xs:schema>'.length);
    const schemaFile = join(dir, 'ec2.xsd');
    writeFileSync(
      schemaFile,
      schema.replace('<xs:schema ', `<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:tns="${ns}" `),
    );
    const documents: [string, string][] = [
      [
        'DescribeInstancesResponse',
        serializeEc2SoapResponse(
          ec2Model,
          'DescribeInstances',
          {
            Reservations: [
              {
                ReservationId: 'r-1',
                Instances: [
                  { InstanceId: 'i-1', LaunchTime: new Date(0), State: { Code: 16, Name: 'running' }, Tags: [] },
                ],
              },
            ],
          },
          'req-1',
        ),
      ],
      [
        'DescribeTagsResponse',
        serializeEc2SoapResponse(ec2Model, 'DescribeTags', { Tags: [{ Key: 'a' }], NextToken: 'n' }, 'r'),
      ],
      ['AssociateDhcpOptionsResponse', serializeEc2SoapResponse(ec2Model, 'AssociateDhcpOptions', {}, 'r')],
    ];
    for (const [root, document] of documents) {
      const start = document.indexOf(`<${root}`);
      const end = document.indexOf(`</${root}>`) + root.length + 3;
      const file = join(dir, `${root}.xml`);
      writeFileSync(file, document.slice(start, end));
      const result = await runCommand(lint, ['--noout', '--schema', schemaFile, file]);
      t.equal(result.code, 0, `${root}: ${result.stderr}`);
    }
    // And the check has teeth: a member out of model order is refused.
    const bad = join(dir, 'bad.xml');
    writeFileSync(
      bad,
      `<DescribeTagsResponse xmlns="${ns}"><nextToken>n</nextToken><requestId>r</requestId></DescribeTagsResponse>`,
    );
    t.not((await runCommand(lint, ['--noout', '--schema', schemaFile, bad])).code, 0);
  },
);

const zeepScript = `
import base64, datetime, json, sys
import zeep
from lxml import etree
from zeep.helpers import serialize_object

job = json.load(sys.stdin)
client = zeep.Client(job["wsdl"])
out = {"operations": len(client.wsdl.bindings["{${ns}}AmazonEC2Binding"]._operations), "requests": [], "replies": []}
for name, kwargs in job["requests"]:
    if name == "ImportKeyPair":
        kwargs["publicKeyMaterial"] = kwargs["publicKeyMaterial"].encode()
    if name == "DescribeSpotPriceHistory":
        kwargs["startTime"] = datetime.datetime(2026, 11, 23, 19, 0, 0)
    node = client.create_message(client.service, name, **kwargs)
    out["requests"].append(etree.tostring(node).decode())
def plain(value):
    if isinstance(value, (datetime.datetime, datetime.date)):
        return value.isoformat()
    if isinstance(value, bytes):
        return base64.b64encode(value).decode()
    raise TypeError(type(value))
for name, xml in job["replies"]:
    operation = client.wsdl.bindings["{${ns}}AmazonEC2Binding"].get(name)
    reply = operation.process_reply(etree.fromstring(xml.encode()))
    out["replies"].append(serialize_object(reply, dict))
print(json.dumps(out, default=plain))
`;

const hasZeep = (await runCommand('/usr/bin/python3', ['-c', 'import zeep'])).code === 0;

t.test(
  'python3-zeep loads the WSDL; what it sends we parse, what we answer it reads',
  { skip: !hasZeep && 'no zeep' },
  async (t) => {
    const dir = temporaryDir('ec2-zeep');
    const job = {
      wsdl: wsdlFile,
      requests: [
        ['DescribeTags', { Filter: { item: [{ Name: 'key', Value: { item: ['a', 'b'] } }] }, maxResults: 5 }],
        [
          'RunInstances',
          {
            ImageId: 'emi-1',
            MinCount: 1,
            MaxCount: 1,
            BlockDeviceMapping: {
              item: [{ deviceName: '/dev/sda1', ebs: { volumeSize: 8, deleteOnTermination: true } }],
            },
          },
        ],
        ['ImportKeyPair', { keyName: 'k', publicKeyMaterial: 'ssh-ed25519 AAAA' }],
        ['DescribeSpotPriceHistory', { startTime: null }],
      ],
      replies: [
        [
          'DescribeRegions',
          serializeEc2SoapResponse(
            ec2Model,
            'DescribeRegions',
            { Regions: [{ RegionName: 'r1', Endpoint: 'https://e' }] },
            'req-1',
          ),
        ],
        [
          'DescribeInstances',
          serializeEc2SoapResponse(
            ec2Model,
            'DescribeInstances',
            {
              Reservations: [
                {
                  ReservationId: 'r-1',
                  Instances: [
                    {
                      InstanceId: 'i-1',
                      LaunchTime: new Date('2026-11-23T19:00:00Z'),
                      Tags: [{ Key: 'a', Value: 'b' }],
                    },
                  ],
                },
              ],
            },
            'req-2',
          ),
        ],
      ],
    };
    const jobFile = join(dir, 'job.json');
    writeFileSync(jobFile, JSON.stringify(job));
    const result = await runCommand('/bin/sh', ['-c', `/usr/bin/python3 -c "$0" < "$1"`, zeepScript, jobFile]);
    t.equal(result.code, 0, result.stderr);
    const out = JSON.parse(result.stdout) as {
      operations: number;
      requests: string[];
      replies: unknown[];
    };
    t.equal(out.operations, ec2Model.operations.size, 'zeep sees every operation');
    const inputs = out.requests.map((xml) => parseEc2SoapRequest(ec2Model, xml).input);
    t.strictSame(inputs, [
      { Filters: [{ Name: 'key', Values: ['a', 'b'] }], MaxResults: 5 },
      {
        BlockDeviceMappings: [{ DeviceName: '/dev/sda1', Ebs: { DeleteOnTermination: true, VolumeSize: 8 } }],
        ImageId: 'emi-1',
        MaxCount: 1,
        MinCount: 1,
      },
      { KeyName: 'k', PublicKeyMaterial: Buffer.from('ssh-ed25519 AAAA') },
      { StartTime: new Date('2026-11-23T19:00:00Z') },
    ]);
    t.match(out.replies[0], {
      requestId: 'req-1',
      regionInfo: { item: [{ regionName: 'r1', regionEndpoint: 'https://e' }] },
    });
    t.match(out.replies[1], {
      requestId: 'req-2',
      reservationSet: {
        item: [
          {
            reservationId: 'r-1',
            instancesSet: {
              item: [
                {
                  instanceId: 'i-1',
                  launchTime: '2026-11-23T19:00:00+00:00',
                  tagSet: { item: [{ key: 'a', value: 'b' }] },
                },
              ],
            },
          },
        ],
      },
    });
  },
);
