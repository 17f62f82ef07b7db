import { pino } from 'pino';
import t from 'tap';
import { ec2Model } from '../../../../src/aws/generated/ec2-model.js';
import type { Ec2Operations } from '../../../../src/aws/generated/ec2-types.js';
import { iamModel } from '../../../../src/aws/generated/iam-model.js';
import { createQueryDispatcher, type DispatchContext } from '../../../../src/aws/protocol/query-dispatcher.js';
import { ServiceError } from '../../../../src/aws/service-error.js';
import { testModel } from './test-models.js';

interface AccountContext extends DispatchContext {
  accountId: string;
}

const errors: object[] = [];
const context: AccountContext = {
  requestId: 'req-1',
  accountId: '000000000001',
  log: { error: (details) => errors.push(details) },
};

// The context type cannot be inferred from the handlers, so a service names both type arguments.
const ec2 = createQueryDispatcher<Ec2Operations, AccountContext>(ec2Model, {
  async DescribeRegions(input, { accountId }) {
    return { Regions: (input.RegionNames ?? ['mallee-1']).map((RegionName) => ({ RegionName, Endpoint: accountId })) };
  },
  async DescribeKeyPairs() {
    throw new TypeError("Cannot read properties of undefined (reading 'keyName')");
  },
  async DescribeImages() {
    throw new ServiceError('ServiceUnavailable', 'Try again later.', 503);
  },
  async DescribeVolumes() {
    return { Volumes: 'not a list' } as never;
  },
});
const ec2Params = (action: string, params: Record<string, string> = {}) => ({
  Action: action,
  Version: '2016-11-15',
  ...params,
});

t.test('the handler gets typed input and the context; the answer is the serialised output', async (t) => {
  const result = await ec2(ec2Params('DescribeRegions', { 'RegionName.1': 'mallee-2' }), context);
  t.equal(result.status, 200);
  t.equal(result.contentType, 'text/xml;charset=UTF-8');
  t.equal(result.operation, 'DescribeRegions');
  t.match(
    result.body,
    '<requestId>req-1</requestId><regionInfo><item><regionEndpoint>000000000001</regionEndpoint>' +
      '<regionName>mallee-2</regionName></item></regionInfo>',
  );
});

t.test('an operation without a handler', async (t) => {
  const result = await ec2(ec2Params('DescribeVpcs'), context);
  t.equal(result.status, 400);
  t.equal(result.operation, 'DescribeVpcs');
  t.match(
    result.body,
    '<Code>UnsupportedOperation</Code><Message>The operation DescribeVpcs is not supported by this cloud yet.</Message>',
  );
  t.match(result.body, '<RequestID>req-1</RequestID>');

  const iam = createQueryDispatcher(iamModel, {});
  const answer = await iam({ Action: 'DeleteUser', Version: '2010-05-08', UserName: 'bob' }, context);
  t.equal(answer.status, 400);
  t.match(answer.body, '<ErrorResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><Error><Type>Sender</Type>');
  t.match(
    answer.body,
    '<Code>InvalidAction</Code><Message>Could not find operation DeleteUser for version 2010-05-08</Message>',
  );
});

t.test('input is checked before the handler is looked up', async (t) => {
  const result = await ec2(ec2Params('DescribeVpcs', { Bogus: '1' }), context);
  t.match(result.body, '<Code>UnknownParameter</Code>');
  const missing = await ec2({}, context);
  t.equal(missing.operation, undefined);
  t.match(missing.body, '<Code>MissingAction</Code>');
});

t.test('a handler that crashes answers InternalError without detail, and is logged', async (t) => {
  errors.length = 0;
  const result = await ec2(ec2Params('DescribeKeyPairs'), context);
  t.equal(result.status, 500);
  t.match(result.body, '<Code>InternalError</Code><Message>An internal error has occurred</Message>');
  t.notMatch(result.body, /keyName|TypeError|at /);
  t.match(errors, [{ operation: 'DescribeKeyPairs', requestId: 'req-1', err: { name: 'TypeError' } }]);

  const badOutput = await ec2(ec2Params('DescribeVolumes'), context);
  t.equal(badOutput.status, 500, 'an output the model cannot write is the handler’s bug');
  t.match(errors.at(-1), { err: { message: 'output.Volumes must be an array' } });

  const lines: string[] = [];
  const log = pino({ level: 'error' }, { write: (line: string) => lines.push(line) });
  await ec2(ec2Params('DescribeKeyPairs'), { requestId: 'req-9', accountId: 'x', log });
  t.match(
    JSON.parse(lines[0] ?? '{}'),
    {
      msg: 'AWS request handler failed',
      operation: 'DescribeKeyPairs',
      requestId: 'req-9',
      err: { type: 'TypeError', stack: /TypeError/ },
    },
    'a pino logger fits, and keeps the stack the client never sees',
  );

  const noLog = await ec2(ec2Params('DescribeKeyPairs'), { requestId: 'r', accountId: 'x' });
  t.equal(noLog.status, 500, 'logging is optional');
  const brokenLog = await ec2(ec2Params('DescribeKeyPairs'), {
    requestId: 'r',
    accountId: 'x',
    log: {
      error() {
        throw new Error('log full');
      },
    },
  });
  t.equal(brokenLog.status, 500, 'a broken logger changes nothing');
});

t.test('a ServiceError keeps its own status', async (t) => {
  const result = await ec2(ec2Params('DescribeImages'), context);
  t.equal(result.status, 503);
  t.match(result.body, '<Code>ServiceUnavailable</Code><Message>Try again later.</Message>');
});

t.test('operations that return nothing', async (t) => {
  const widgets = createQueryDispatcher(testModel('query'), { async Ping() {} });
  const result = await widgets({ Action: 'Ping', Version: '2020-01-01' }, context);
  t.equal(result.status, 200);
  t.match(result.body, '<PingResponse xmlns="https://widgets.example/doc/2020-01-01/"><ResponseMetadata>');
});

t.test('handlers for operations the model lacks are refused at start', async (t) => {
  t.throws(
    () => createQueryDispatcher(ec2Model, { DescribeFoo: async () => ({}) } as never),
    /EC2 has no operation DescribeFoo/,
  );
});
