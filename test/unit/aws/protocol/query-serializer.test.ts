import { XMLParser, XMLValidator } from 'fast-xml-parser';
import t from 'tap';
import { ec2Model } from '../../../../src/aws/generated/ec2-model.js';
import type { DescribeInstancesOutput } from '../../../../src/aws/generated/ec2-types.js';
import { iamModel } from '../../../../src/aws/generated/iam-model.js';
import { stsModel } from '../../../../src/aws/generated/sts-model.js';
import { serializeError } from '../../../../src/aws/protocol/error-serializer.js';
import { parseQueryRequest } from '../../../../src/aws/protocol/query-parser.js';
import { serializeQueryResponse } from '../../../../src/aws/protocol/query-serializer.js';
import { escapeXmlAttribute, escapeXmlText } from '../../../../src/aws/protocol/xml-writer.js';
import { commonErrors, ServiceError } from '../../../../src/aws/service-error.js';
import { testModel } from './test-models.js';

const declaration = '<?xml version="1.0" encoding="UTF-8"?>';
// htmlEntities decodes numeric references (&#13;) as the SDKs' parsers do.
const parser = new XMLParser({ ignoreAttributes: false, parseTagValue: false, trimValues: false, htmlEntities: true });

t.test('ec2: requestId, namespace, locationNames, item lists, booleans, dates', async (t) => {
  const output: DescribeInstancesOutput = {
    Reservations: [
      {
        ReservationId: 'r-1',
        Instances: [
          {
            InstanceId: 'i-1',
            LaunchTime: new Date('2026-11-23T19:00:00Z'),
            State: { Code: 16, Name: 'running' },
            EbsOptimized: false,
            Tags: [{ Key: 'Name', Value: 'web' }],
          },
        ],
        Groups: [],
      },
    ],
  };
  t.equal(
    serializeQueryResponse(ec2Model, 'DescribeInstances', output, 'req-1'),
    declaration +
      '<DescribeInstancesResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/">' +
      '<requestId>req-1</requestId>' +
      '<reservationSet><item>' +
      '<groupSet></groupSet>' +
      '<instancesSet><item>' +
      '<instanceId>i-1</instanceId>' +
      '<launchTime>2026-11-23T19:00:00.000Z</launchTime>' +
      '<instanceState><code>16</code><name>running</name></instanceState>' +
      '<ebsOptimized>false</ebsOptimized>' +
      '<tagSet><item><key>Name</key><value>web</value></item></tagSet>' +
      '</item></instancesSet>' +
      '<reservationId>r-1</reservationId>' +
      '</item></reservationSet>' +
      '</DescribeInstancesResponse>',
  );
});

t.test('ec2: members in model order, unknown and empty ones left out', async (t) => {
  const xml = serializeQueryResponse(
    ec2Model,
    'DescribeRegions',
    { Regions: [{ OptInStatus: 'opt-in-not-required', RegionName: 'mallee-1', Endpoint: undefined }], Extra: 1 },
    'r',
  );
  t.match(xml, '<regionInfo><item><regionName>mallee-1</regionName><optInStatus>opt-in-not-required</optInStatus>');
  t.notMatch(xml, /Extra|regionEndpoint/);
});

t.test('ec2: an operation without output answers <return>true</return>', async (t) => {
  t.equal(
    serializeQueryResponse(ec2Model, 'CreateTags', {}, 'req-2'),
    `${declaration}<CreateTagsResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><requestId>req-2</requestId>` +
      '<return>true</return></CreateTagsResponse>',
  );
});

t.test('query: resultWrapper, member lists, ResponseMetadata', async (t) => {
  t.equal(
    serializeQueryResponse(
      iamModel,
      'ListUsers',
      {
        Users: [
          {
            Path: '/',
            UserName: 'alice',
            UserId: 'AID1',
            Arn: 'arn:1',
            CreateDate: new Date('2026-11-23T19:00:00.5Z'),
          },
        ],
        IsTruncated: false,
      },
      'req-3',
    ),
    declaration +
      '<ListUsersResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><ListUsersResult>' +
      '<Users><member><Path>/</Path><UserName>alice</UserName><UserId>AID1</UserId><Arn>arn:1</Arn>' +
      '<CreateDate>2026-11-23T19:00:00.500Z</CreateDate></member></Users><IsTruncated>false</IsTruncated>' +
      '</ListUsersResult><ResponseMetadata><RequestId>req-3</RequestId></ResponseMetadata></ListUsersResponse>',
  );
  t.equal(
    serializeQueryResponse(iamModel, 'DeleteUser', undefined, 'req-4'),
    `${declaration}<DeleteUserResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/">` +
      '<ResponseMetadata><RequestId>req-4</RequestId></ResponseMetadata></DeleteUserResponse>',
    'no output, no result element',
  );
  t.match(
    serializeQueryResponse(stsModel, 'GetCallerIdentity', { Account: '1' }, 'r'),
    '<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><GetCallerIdentityResult><Account>1</Account></GetCallerIdentityResult>',
  );
});

t.test('maps, flattened lists, blobs, epoch timestamps, numbers', async (t) => {
  const xml = serializeQueryResponse(
    testModel('query'),
    'PutWidget',
    {
      Widget: { Id: 'w1', Size: 3 },
      Labels: ['a', 'b'],
      Flat: ['f1', 'f2'],
      Attributes: { colour: 'red', size: 'XL' },
      FlatMap: new Map([['k1', 'v1']]),
      Epoch: new Date('2026-11-23T19:00:00.250Z'),
      Blob: Buffer.from('bytes\u0000'),
      Ok: true,
      Ratio: 0.5,
    },
    'r',
  );
  t.equal(
    xml,
    declaration +
      '<PutWidgetResponse xmlns="https://widgets.example/doc/2020-01-01/"><PutWidgetResult>' +
      '<widget><Id>w1</Id><Size>3</Size></widget>' +
      '<Labels><label>a</label><label>b</label></Labels>' +
      '<flatItem>f1</flatItem><flatItem>f2</flatItem>' +
      '<Attributes><entry><key>colour</key><value>red</value></entry><entry><key>size</key><value>XL</value></entry></Attributes>' +
      '<FlatMap><k>k1</k><v>v1</v></FlatMap>' +
      '<Epoch>1795460400.25</Epoch>' +
      `<Blob>${Buffer.from('bytes\u0000').toString('base64')}</Blob>` +
      '<Ok>true</Ok><Ratio>0.5</Ratio>' +
      '</PutWidgetResult><ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></PutWidgetResponse>',
  );
});

t.test('escaping: every string comes back as it was sent', async (t) => {
  const nasty = 'a & b < c > d "e" \'f\' \r\n\ttab ]]> <![CDATA[x]]> é 日本 😀';
  const xml = serializeQueryResponse(ec2Model, 'DescribeRegions', { Regions: [{ RegionName: nasty }] }, '<id&>');
  t.equal(XMLValidator.validate(xml), true);
  const parsed = parser.parse(xml) as {
    DescribeRegionsResponse: { requestId: string; regionInfo: { item: { regionName: string } } };
  };
  t.equal(parsed.DescribeRegionsResponse.regionInfo.item.regionName, nasty);
  t.equal(parsed.DescribeRegionsResponse.requestId, '<id&>');

  const controls = 'bell\u0007 nul\u0000 lone\uD800 fffe\uFFFE';
  const cleaned = serializeQueryResponse(ec2Model, 'DescribeRegions', { Regions: [{ RegionName: controls }] }, 'r');
  t.equal(XMLValidator.validate(cleaned), true, 'characters XML cannot carry are replaced');
  t.match(cleaned, 'bell\uFFFD nul\uFFFD lone\uFFFD fffe\uFFFD');
  t.equal(escapeXmlText('plain text'), 'plain text');
  t.equal(escapeXmlAttribute('a"b\nc'), 'a&quot;b&#10;c');
});

t.test('round trip: what the parser reads, the serialiser writes back', async (t) => {
  const { input } = parseQueryRequest(ec2Model, {
    Action: 'ImportKeyPair',
    Version: '2016-11-15',
    KeyName: 'k',
    PublicKeyMaterial: Buffer.from('ssh-ed25519 AAAA').toString('base64'),
  });
  t.same(input.PublicKeyMaterial, Buffer.from('ssh-ed25519 AAAA'));
  const xml = serializeQueryResponse(
    ec2Model,
    'ImportKeyPair',
    { KeyName: input.KeyName, KeyFingerprint: 'aa:bb', KeyPairId: 'key-1', Tags: [] },
    'r',
  );
  t.match(
    xml,
    '<keyFingerprint>aa:bb</keyFingerprint><keyName>k</keyName><keyPairId>key-1</keyPairId><tagSet></tagSet>',
  );
});

t.test('a handler output of the wrong kind is a TypeError naming the member', async (t) => {
  t.throws(() => serializeQueryResponse(ec2Model, 'DescribeRegions', { Regions: 'mallee-1' }, 'r'), {
    name: 'TypeError',
    message: 'output.Regions must be an array',
  });
  t.throws(() => serializeQueryResponse(ec2Model, 'DescribeRegions', { Regions: [{ RegionName: {} }] }, 'r'), {
    message: 'output.Regions[0].RegionName must be a string',
  });
  t.throws(
    () =>
      serializeQueryResponse(
        ec2Model,
        'DescribeInstances',
        { Reservations: [{ Instances: [{ LaunchTime: 'soon' }] }] },
        'r',
      ),
    { message: 'output.Reservations[0].Instances[0].LaunchTime is not a valid date' },
  );
  t.throws(() => serializeQueryResponse(ec2Model, 'DescribeRegions', 'nothing', 'r'), { message: /must be an object/ });
  t.throws(() => serializeQueryResponse(ec2Model, 'NoSuchThing', {}, 'r'), {
    message: 'EC2 has no operation NoSuchThing',
  });
});

t.test('error documents', async (t) => {
  t.same(serializeError('ec2', commonErrors.missingParameter('MaxCount'), 'req-5'), {
    status: 400,
    contentType: 'text/xml;charset=UTF-8',
    body:
      declaration +
      '<Response><Errors><Error><Code>MissingParameter</Code>' +
      '<Message>The request must contain the parameter MaxCount</Message></Error></Errors>' +
      '<RequestID>req-5</RequestID></Response>',
  });
  t.same(
    serializeError(
      'query',
      new ServiceError('EntityAlreadyExists', 'User <x> exists.', 409),
      'req-6',
      'https://iam.amazonaws.com/doc/2010-05-08/',
    ),
    {
      status: 409,
      contentType: 'text/xml;charset=UTF-8',
      body:
        declaration +
        '<ErrorResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><Error><Type>Sender</Type>' +
        '<Code>EntityAlreadyExists</Code><Message>User &lt;x&gt; exists.</Message></Error>' +
        '<RequestId>req-6</RequestId></ErrorResponse>',
    },
  );
  t.match(serializeError('query', commonErrors.internalError(), 'r'), {
    status: 500,
    body: /<Type>Receiver<\/Type><Code>InternalError<\/Code>/,
  });
  t.equal(
    serializeError('rest-xml', new ServiceError('NoSuchBucket', 'The specified bucket does not exist', 404), 'r').body,
    `${declaration}<Error><Code>NoSuchBucket</Code><Message>The specified bucket does not exist</Message><RequestId>r</RequestId></Error>`,
  );
});
