import t from 'tap';
import { ec2Model } from '../../../../src/aws/generated/ec2-model.js';
import { iamModel } from '../../../../src/aws/generated/iam-model.js';
import { stsModel } from '../../../../src/aws/generated/sts-model.js';
import type { ServiceModel } from '../../../../src/aws/model/service-model.js';
import {
  assertNotTogether,
  parseQueryRequest,
  parseTimestamp,
  type QueryParams,
} from '../../../../src/aws/protocol/query-parser.js';
import { ServiceError } from '../../../../src/aws/service-error.js';
import { testModel } from './test-models.js';

const ec2 = (action: string, params: Record<string, string> = {}) =>
  parseQueryRequest(ec2Model, { Action: action, Version: '2016-11-15', ...params });
const iam = (action: string, params: Record<string, string> = {}) =>
  parseQueryRequest(iamModel, { Action: action, Version: '2010-05-08', ...params });
const widgets = (protocol: 'ec2' | 'query', params: Record<string, string>) =>
  parseQueryRequest(testModel(protocol), { Action: 'PutWidget', Version: '2020-01-01', Name: 'w', ...params });

/** The code and message a parse fails with. */
function failure(parse: () => unknown): { code: string; message: string; status: number } {
  try {
    parse();
  } catch (error) {
    if (error instanceof ServiceError) return { code: error.code, message: error.message, status: error.status };
    throw error;
  }
  throw new Error('expected the request to be rejected');
}

t.test('action and version', async (t) => {
  t.same(
    failure(() => parseQueryRequest(ec2Model, { Version: '2016-11-15' })),
    {
      code: 'MissingAction',
      message: 'The request must contain the parameter Action.',
      status: 400,
    },
  );
  t.same(
    failure(() => ec2('DescribeFoo')),
    {
      code: 'InvalidAction',
      message: 'The action DescribeFoo is not valid for this web service.',
      status: 400,
    },
  );
  t.same(
    failure(() => parseQueryRequest(ec2Model, { Action: 'DescribeRegions' })),
    {
      code: 'MissingParameter',
      message: 'The request must contain the parameter Version',
      status: 400,
    },
  );
  t.same(
    failure(() => parseQueryRequest(ec2Model, { Action: 'DescribeRegions', Version: '2030-01-01' })),
    {
      code: 'NoSuchVersion',
      message: 'The requested version (2030-01-01) of service AmazonEC2 does not exist',
      status: 400,
    },
  );
  t.same(
    failure(() => iam('DescribeFoo')),
    {
      code: 'InvalidAction',
      message: 'Could not find operation DescribeFoo for version 2010-05-08',
      status: 400,
    },
  );
  t.same(
    failure(() => parseQueryRequest(iamModel, { Action: 'ListUsers', Version: '2006-01-01' })),
    {
      code: 'InvalidAction',
      message: 'Could not find operation ListUsers for version 2006-01-01',
      status: 400,
    },
  );
  t.equal(failure(() => ec2('constructor')).code, 'InvalidAction', 'object prototype names are not actions');
  t.same(parseQueryRequest(stsModel, { Action: 'GetCallerIdentity', Version: '2011-06-15' }), {
    operation: 'GetCallerIdentity',
    input: {},
  });
});

t.test('ec2 protocol names: locationName capitalised, queryName, member name', async (t) => {
  t.same(ec2('DescribeInstances', { DryRun: 'true', MaxResults: '5', NextToken: 'abc' }).input, {
    DryRun: true,
    MaxResults: 5,
    NextToken: 'abc',
  });
  t.equal(failure(() => ec2('DescribeInstances', { dryRun: 'true' })).code, 'UnknownParameter', 'wire names only');
  const input = ec2('RunInstances', {
    MinCount: '1',
    MaxCount: '1',
    'NetworkInterface.1.DeviceIndex': '0',
    'NetworkInterface.1.PrivateIpAddresses.1.PrivateIpAddress': '10.0.0.5',
    'NetworkInterface.1.PrivateIpAddresses.1.Primary': 'true',
  }).input;
  t.same(input.NetworkInterfaces, [
    { DeviceIndex: 0, PrivateIpAddresses: [{ PrivateIpAddress: '10.0.0.5', Primary: true }] },
  ]);
});

t.test('ec2 lists: Name.N, 1-based, in numeric order, gaps closed', async (t) => {
  t.same(ec2('DescribeInstances', { 'InstanceId.10': 'i-d', 'InstanceId.1': 'i-a', 'InstanceId.3': 'i-c' }).input, {
    InstanceIds: ['i-a', 'i-c', 'i-d'],
  });
  t.same(
    ec2('DescribeInstances', {
      'Filter.2.Name': 'tag:Name',
      'Filter.2.Value.1': 'web',
      'Filter.1.Name': 'instance-state-name',
      'Filter.1.Value.2': 'stopped',
      'Filter.1.Value.1': 'running',
    }).input,
    {
      Filters: [
        { Name: 'instance-state-name', Values: ['running', 'stopped'] },
        { Name: 'tag:Name', Values: ['web'] },
      ],
    },
  );
  for (const index of ['0', '-1', 'a', '01', '1.5', '']) {
    t.same(
      failure(() => ec2('DescribeInstances', { [`InstanceId.${index}`]: 'i-a' })),
      { code: 'UnknownParameter', message: `The parameter InstanceId.${index} is not recognized`, status: 400 },
      `index ${JSON.stringify(index)}`,
    );
  }
  t.same(
    failure(() => ec2('DescribeInstances', { InstanceId: 'i-a' })),
    {
      code: 'InvalidParameterValue',
      message: 'Value (i-a) for parameter InstanceId is invalid. Expected a list: InstanceId.1, InstanceId.2 ...',
      status: 400,
    },
  );
  t.same(ec2('DescribeInstances', { InstanceId: '' }).input, { InstanceIds: [] }, 'an empty list');
});

t.test('nested structures and lists of structures', async (t) => {
  const input = ec2('RunInstances', {
    MinCount: '2',
    MaxCount: '3',
    ImageId: 'ami-1',
    'Placement.AvailabilityZone': 'mallee-1a',
    'Placement.Tenancy': 'default',
    'BlockDeviceMapping.1.DeviceName': '/dev/sda1',
    'BlockDeviceMapping.1.Ebs.VolumeSize': '8',
    'BlockDeviceMapping.1.Ebs.DeleteOnTermination': 'false',
    'TagSpecification.1.ResourceType': 'instance',
    'TagSpecification.1.Tag.1.Key': 'Name',
    'TagSpecification.1.Tag.1.Value': 'web',
    'TagSpecification.1.Tag.2.Key': 'empty',
    'TagSpecification.1.Tag.2.Value': '',
  }).input;
  t.same(input, {
    BlockDeviceMappings: [{ DeviceName: '/dev/sda1', Ebs: { VolumeSize: 8, DeleteOnTermination: false } }],
    ImageId: 'ami-1',
    MaxCount: 3,
    MinCount: 2,
    Placement: { AvailabilityZone: 'mallee-1a', Tenancy: 'default' },
    TagSpecifications: [
      {
        ResourceType: 'instance',
        Tags: [
          { Key: 'Name', Value: 'web' },
          { Key: 'empty', Value: '' },
        ],
      },
    ],
  });
  t.same(
    failure(() => ec2('RunInstances', { MinCount: '1', MaxCount: '1', Placement: 'mallee-1a' })),
    {
      code: 'InvalidParameterValue',
      message: 'Value (mallee-1a) for parameter Placement is invalid. Expected a structure.',
      status: 400,
    },
  );
});

t.test('query protocol: Name.member.N lists, empty lists, nested members', async (t) => {
  t.same(
    iam('CreateUser', {
      UserName: 'alice',
      'Tags.member.2.Key': 'b',
      'Tags.member.2.Value': '2',
      'Tags.member.1.Key': 'a',
      'Tags.member.1.Value': '1',
    }).input,
    {
      UserName: 'alice',
      Tags: [
        { Key: 'a', Value: '1' },
        { Key: 'b', Value: '2' },
      ],
    },
  );
  t.same(iam('CreateUser', { UserName: 'alice', Tags: '' }).input, { UserName: 'alice', Tags: [] });
  t.same(
    failure(() => iam('CreateUser', { UserName: 'alice', 'Tags.1.Key': 'a', 'Tags.1.Value': 'b' })),
    {
      code: 'UnknownParameter',
      message: 'The parameter Tags.1 is not recognized',
      status: 400,
    },
  );
  t.same(iam('ListUsers', { MaxItems: '10', Marker: 'm' }).input, { MaxItems: 10, Marker: 'm' });
});

t.test('query protocol: flattened lists and maps', async (t) => {
  t.same(
    widgets('query', {
      'Labels.member.1': 'x',
      'FlatItem.2': 'f2',
      'FlatItem.1': 'f1',
      'Attributes.entry.1.key': 'colour',
      'Attributes.entry.1.value': 'red',
      'Attributes.entry.2.key': '__proto__',
      'Attributes.entry.2.value': 'safe',
      'Named.entry.1.K': 'a',
      'Named.entry.1.V': '7',
      'FlatMap.1.key': 'k',
      'FlatMap.1.value': 'v',
      'Parts.member.1.Id': 'p1',
      'Parts.member.1.Size': '3',
      'Nested.Id': 'n',
    }).input,
    {
      Name: 'w',
      Labels: ['x'],
      Flat: ['f1', 'f2'],
      Attributes: { colour: 'red', ['__proto__']: 'safe' },
      Named: { a: 7 },
      FlatMap: { k: 'v' },
      Parts: [{ Id: 'p1', Size: 3 }],
      Nested: { Id: 'n' },
    },
  );
  const attributes = widgets('query', { 'Attributes.entry.1.key': '__proto__', 'Attributes.entry.1.value': 'x' }).input
    .Attributes as Record<string, unknown>;
  t.equal(Object.getPrototypeOf(attributes), null, 'map keys cannot reach a prototype');
  t.same(Object.keys(attributes), ['__proto__']);
  t.same(
    failure(() => widgets('query', { 'Attributes.entry.1.key': 'a' })),
    {
      code: 'ValidationError',
      message:
        "1 validation error detected: Value null at 'attributes.1.member.value' failed to satisfy constraint: Member must not be null",
      status: 400,
    },
  );
  t.equal(failure(() => widgets('query', { 'Attributes.entry.1.colour': 'a' })).code, 'UnknownParameter');
});

t.test('scalars', async (t) => {
  const input = widgets('ec2', {
    Count: '7',
    Big: '9007199254740991',
    Ratio: '-1.5e3',
    Weight: '.25',
    Enabled: 'false',
    Made: '2026-11-23T19:00:00Z',
    Blob: Buffer.from('hello\u0000world').toString('base64'),
  }).input;
  t.equal(input.Count, 7);
  t.equal(input.Big, 9007199254740991);
  t.equal(input.Ratio, -1500);
  t.equal(input.Weight, 0.25);
  t.equal(input.Enabled, false);
  t.ok(input.Made instanceof Date);
  t.equal((input.Made as Date).toISOString(), '2026-11-23T19:00:00.000Z');
  t.ok(Buffer.isBuffer(input.Blob));
  t.equal((input.Blob as Buffer).toString(), 'hello\u0000world');
  t.same(widgets('ec2', { Made: '1795460400' }).input.Made, new Date('2026-11-23T19:00:00Z'), 'epoch seconds');
  t.same(widgets('ec2', { Ratio: 'NaN' }).input.Ratio, NaN, 'special floats as botocore writes them');

  const invalid = (params: Record<string, string>) => failure(() => widgets('ec2', params)).message;
  t.equal(invalid({ Count: '1.5' }), 'Value (1.5) for parameter Count is invalid. Expected an integer.');
  t.equal(invalid({ Count: '' }), 'Value () for parameter Count is invalid. Expected an integer.');
  t.equal(invalid({ Count: '2147483648' }), 'Value (2147483648) for parameter Count is invalid. Expected an integer.');
  t.equal(
    invalid({ Big: '9007199254740993' }),
    'Value (9007199254740993) for parameter Big is invalid. Expected an integer.',
  );
  t.equal(invalid({ Ratio: '1,5' }), 'Value (1,5) for parameter Ratio is invalid. Expected a number.');
  t.equal(invalid({ Enabled: 'True' }), "Value (True) for parameter Enabled is invalid. Expected 'true' or 'false'.");
  t.equal(invalid({ Enabled: '1' }), "Value (1) for parameter Enabled is invalid. Expected 'true' or 'false'.");
  t.equal(
    invalid({ Made: '2026-02-30T00:00:00Z' }),
    'Value (2026-02-30T00:00:00Z) for parameter Made is invalid. Expected a date and time in ISO 8601 (2026-11-23T19:00:00Z) or epoch seconds.',
  );
  t.equal(invalid({ Blob: 'not base64!' }), 'Value (not base64!) for parameter Blob is invalid. Expected base64.');
  t.equal(
    failure(() => widgets('ec2', { Count: 'x'.repeat(1000) })).message,
    `Value (${'x'.repeat(256)}...) for parameter Count is invalid. Expected an integer.`,
    'long values are cut in messages',
  );
});

t.test('timestamps', async (t) => {
  const iso = (text: string) => parseTimestamp(text)?.toISOString();
  t.equal(iso('2026-11-23T19:00:00Z'), '2026-11-23T19:00:00.000Z');
  t.equal(iso('2026-11-23T19:00:00.123456Z'), '2026-11-23T19:00:00.123Z');
  t.equal(iso('2026-11-23T20:00:00+01:00'), '2026-11-23T19:00:00.000Z');
  t.equal(iso('2026-11-23T20:00:00+0100'), '2026-11-23T19:00:00.000Z');
  t.equal(iso('2026-11-23T19:00:00'), '2026-11-23T19:00:00.000Z', 'no zone is UTC');
  t.equal(iso('2026-11-23'), '2026-11-23T00:00:00.000Z');
  t.equal(iso('2028-02-29T00:00:00Z'), '2028-02-29T00:00:00.000Z', 'a leap day');
  t.equal(iso('1795460400.5'), '2026-11-23T19:00:00.500Z');
  for (const bad of [
    '2026-13-01',
    '2027-02-29',
    '2026-11-23T24:00:00Z',
    'yesterday',
    '-5',
    '',
    '2026-11-23T19:00:00ZZ',
  ]) {
    t.equal(parseTimestamp(bad), undefined, bad);
  }
});

t.test('enums, lengths and ranges (from a model that has them)', async (t) => {
  t.same(
    failure(() => widgets('ec2', { Colour: 'pink' })),
    {
      code: 'InvalidParameterValue',
      message: 'Value (pink) for parameter Colour is invalid. Valid values: red, green, blue.',
      status: 400,
    },
  );
  t.equal(widgets('ec2', { Colour: 'green' }).input.Colour, 'green');
  t.equal(
    failure(() => widgets('ec2', { Name: 'much-too-long' })).message,
    'Value (much-too-long) for parameter Name is invalid. Expecting a length of at most 8.',
  );
  t.equal(
    failure(() => widgets('ec2', { Count: '0' })).message,
    'Value (0) for parameter Count is invalid. Expecting a value greater than or equal to 1.',
  );
  t.equal(
    failure(() => widgets('ec2', { Labels: '' })).message,
    'Value ([]) for parameter Labels is invalid. Expecting a length of at least 1.',
  );
  t.same(
    failure(() => widgets('query', { Name: '', Colour: 'pink', Count: '11' })),
    {
      code: 'ValidationError',
      message:
        "3 validation errors detected: Value '' at 'name' failed to satisfy constraint: Member must have length greater than or equal to 1; " +
        "Value 'pink' at 'colour' failed to satisfy constraint: Member must satisfy enum value set: [red, green, blue]; " +
        "Value '11' at 'count' failed to satisfy constraint: Member must have value less than or equal to 10",
      status: 400,
    },
  );
});

t.test('required members', async (t) => {
  t.same(
    failure(() => ec2('RunInstances', { MinCount: '1' })),
    {
      code: 'MissingParameter',
      message: 'The request must contain the parameter MaxCount',
      status: 400,
    },
  );
  t.same(
    failure(() => ec2('CreateTags', { 'ResourceId.1': 'i-1', 'Tag.1': 'v' })),
    {
      code: 'InvalidParameterValue',
      message: 'Value (v) for parameter Tag.1 is invalid. Expected a structure.',
      status: 400,
    },
    'a scalar where a structure belongs is not a missing member',
  );
  t.same(
    failure(() => ec2('RunInstances', { MinCount: '1', MaxCount: '1', 'ElasticInferenceAccelerator.1.Count': '1' })),
    {
      code: 'MissingParameter',
      message: 'The request must contain the parameter ElasticInferenceAccelerator.1.Type',
      status: 400,
    },
    'nested members use the full wire name',
  );
  t.same(
    failure(() => iam('AttachUserPolicy', {})),
    {
      code: 'ValidationError',
      message:
        "2 validation errors detected: Value null at 'userName' failed to satisfy constraint: Member must not be null; " +
        "Value null at 'policyArn' failed to satisfy constraint: Member must not be null",
      status: 400,
    },
  );
  t.same(
    failure(() => widgets('ec2', { 'Parts.1.Size': '1' })).message,
    'The request must contain the parameter Parts.1.Id',
  );
  t.equal(
    failure(() => widgets('query', { 'Parts.member.1.Size': '1' })).message,
    "1 validation error detected: Value null at 'parts.1.member.id' failed to satisfy constraint: Member must not be null",
  );
});

t.test('unknown parameters, envelope parameters, repeated parameters', async (t) => {
  t.same(
    failure(() => ec2('DescribeRegions', { Foo: 'bar' })),
    {
      code: 'UnknownParameter',
      message: 'The parameter Foo is not recognized',
      status: 400,
    },
  );
  t.equal(
    failure(() => ec2('DescribeInstances', { 'Filter.1.Name': 'x', 'Filter.1.Colour': 'red' })).message,
    'The parameter Filter.1.Colour is not recognized',
  );
  t.equal(
    failure(() => ec2('DescribeInstances', { 'MaxResults.1': '5' })).message,
    'The parameter MaxResults.1 is not recognized',
  );
  t.equal(failure(() => ec2('DescribeRegions', { 'Foo..Bar': 'x' })).message, 'The parameter Foo is not recognized');
  t.equal(
    failure(() => ec2('RunInstances', { Foo: 'x', MinCount: 'y' })).code,
    'UnknownParameter',
    'an unknown parameter is reported before a bad value or a missing one',
  );
  t.same(
    ec2('DescribeRegions', {
      AWSAccessKeyId: 'AKIA',
      Signature: 'sig',
      SignatureMethod: 'HmacSHA256',
      SignatureVersion: '2',
      Timestamp: '2026-11-23T19:00:00Z',
      'X-Amz-Algorithm': 'AWS4-HMAC-SHA256',
      'X-Amz-Signature': 'abc',
    }).input,
    {},
    'signature parameters are not input',
  );
  const repeated = { Action: 'DescribeRegions', Version: '2016-11-15', 'RegionName.1': ['a', 'b'] };
  t.same(
    failure(() => parseQueryRequest(ec2Model, repeated as unknown as QueryParams)),
    {
      code: 'InvalidParameterValue',
      message: 'Value (a,b) for parameter RegionName.1 is invalid. The parameter may be given only once.',
      status: 400,
    },
  );
});

t.test('assertNotTogether: InvalidParameterCombination for the handler', async (t) => {
  const input = ec2('DescribeInstances', { 'InstanceId.1': 'i-1', MaxResults: '5' }).input;
  t.throws(() => assertNotTogether(ec2Model, 'DescribeInstances', input, 'InstanceIds', 'MaxResults'), {
    code: 'InvalidParameterCombination',
    message: 'The parameter InstanceId cannot be used with the parameter MaxResults',
  });
  t.doesNotThrow(() =>
    assertNotTogether(ec2Model, 'DescribeInstances', { MaxResults: 5 }, 'InstanceIds', 'MaxResults'),
  );
});

t.test('the parser refuses a model of another protocol', async (t) => {
  const s3Like = { ...testModel('rest-xml') } as ServiceModel;
  t.throws(() => parseQueryRequest(s3Like, { Action: 'PutWidget', Version: '2020-01-01' }), /rest-xml protocol/);
});
