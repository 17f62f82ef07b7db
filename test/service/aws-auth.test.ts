import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import express from 'express';
import t from 'tap';
import { createRequestVerifier, fromIncomingMessage, serviceProfiles } from '../../src/aws/auth/index.js';
import { ServiceError } from '../../src/aws/service-error.js';
import { runCommand } from '../helpers/cli.js';

// A tiny STS endpoint that authenticates every request with the verifier, driven by real clients.
interface Caller {
  account: string;
  arn: string;
  userId: string;
}

const ACCESS_KEY = 'AKIAMALLEESERVICE001';
const SECRET = 'c2VydmljZSB0ZXN0/secret+key=abc';
const table = new Map<string, { secretAccessKey: string; principal: Caller }>([
  [
    ACCESS_KEY,
    {
      secretAccessKey: SECRET,
      principal: { account: '123456789012', arn: 'arn:aws:iam::123456789012:user/alice', userId: 'AIDAMALLEEALICE' },
    },
  ],
]);
const verifier = createRequestVerifier<Caller>({
  credentials: { lookup: async (accessKeyId) => table.get(accessKeyId) },
  profile: serviceProfiles.sts,
});

const xml = (text: string) =>
  text.replace(/[<>&'"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', "'": '&apos;', '"': '&quot;' })[c]!);
const NS = 'https://sts.amazonaws.com/doc/2011-06-15/';

/** An STS endpoint whose clock runs `clockOffsetMs` ahead of this machine's, as a skewed server's would. */
async function startSts(clockOffsetMs = 0): Promise<string> {
  const app = express();
  // The verifier needs the body's bytes: SigV4 signs their hash.
  app.use(express.raw({ type: () => true }));
  app.use(async (req, res) => {
    const requestId = randomUUID();
    const now = new Date(Date.now() + clockOffsetMs);
    res.set('Date', now.toUTCString());
    try {
      const body = Buffer.isBuffer(req.body) ? req.body : undefined;
      const caller = await verifier.verify(fromIncomingMessage(req, body, { url: req.originalUrl }), now);
      const { account, arn, userId } = caller.principal;
      res
        .type('text/xml')
        .send(
          `<GetCallerIdentityResponse xmlns="${NS}"><GetCallerIdentityResult><Arn>${xml(arn)}</Arn><UserId>${xml(userId)}</UserId><Account>${account}</Account></GetCallerIdentityResult><ResponseMetadata><RequestId>${requestId}</RequestId></ResponseMetadata></GetCallerIdentityResponse>`,
        );
    } catch (error) {
      const failure =
        error instanceof ServiceError ? error : new ServiceError('InternalFailure', 'Internal failure', 500);
      res
        .status(failure.status)
        .type('text/xml')
        .send(
          `<ErrorResponse xmlns="${NS}"><Error><Type>${failure.fault}</Type><Code>${failure.code}</Code><Message>${xml(failure.message)}</Message></Error><RequestId>${requestId}</RequestId></ErrorResponse>`,
        );
    }
  });
  const server = app.listen(0, '127.0.0.1');
  await new Promise<void>((resolve, reject) => server.once('listening', resolve).once('error', reject));
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

const endpoint = await startSts();

function sts(accessKeyId: string, secretAccessKey: string, at = endpoint) {
  return new STSClient({
    endpoint: at,
    region: 'us-east-1',
    credentials: { accessKeyId, secretAccessKey },
    maxAttempts: 2,
  });
}

t.test('@aws-sdk/client-sts: a signed GetCallerIdentity answers with the caller', async (t) => {
  const identity = await sts(ACCESS_KEY, SECRET).send(new GetCallerIdentityCommand({}));
  t.match(identity, {
    Account: '123456789012',
    Arn: 'arn:aws:iam::123456789012:user/alice',
    UserId: 'AIDAMALLEEALICE',
  });
});

t.test('@aws-sdk/client-sts: a wrong secret reaches the SDK as SignatureDoesNotMatch', async (t) => {
  await t.rejects(sts(ACCESS_KEY, 'not-the-secret').send(new GetCallerIdentityCommand({})), {
    name: 'SignatureDoesNotMatch',
    message: /^The request signature we calculated does not match the signature you provided/,
    $metadata: { httpStatusCode: 403 },
  });
});

t.test('@aws-sdk/client-sts: an unknown key is InvalidClientTokenId', async (t) => {
  await t.rejects(sts('AKIANOSUCHKEY0000000', SECRET).send(new GetCallerIdentityCommand({})), {
    name: 'InvalidClientTokenId',
    message: 'The security token included in the request is invalid.',
    $metadata: { httpStatusCode: 403 },
  });
});

t.test('@aws-sdk/client-sts: a client 20 minutes behind the server corrects its clock from the refusal', async (t) => {
  const client = sts(ACCESS_KEY, SECRET, await startSts(20 * 60 * 1000));
  const identity = await client.send(new GetCallerIdentityCommand({}));
  t.equal(identity.Account, '123456789012');
  t.equal(identity.$metadata.attempts, 2, 'the first attempt was refused as expired');
});

t.test('the aws CLI (botocore) calls sts get-caller-identity', async (t) => {
  const env = {
    AWS_CONFIG_FILE: '/dev/null',
    AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
    AWS_ACCESS_KEY_ID: ACCESS_KEY,
    AWS_SECRET_ACCESS_KEY: SECRET,
    AWS_DEFAULT_REGION: 'us-east-1',
    AWS_EC2_METADATA_DISABLED: 'true',
  };
  const args = ['sts', 'get-caller-identity', '--endpoint-url', endpoint, '--output', 'json'];
  const ok = await runCommand('aws', args, { env });
  t.equal(ok.code, 0, ok.stderr);
  t.same(JSON.parse(ok.stdout), {
    UserId: 'AIDAMALLEEALICE',
    Account: '123456789012',
    Arn: 'arn:aws:iam::123456789012:user/alice',
  });

  const refused = await runCommand('aws', args, { env: { ...env, AWS_SECRET_ACCESS_KEY: 'wrong' } });
  t.not(refused.code, 0);
  t.match(refused.stderr, /An error occurred \(SignatureDoesNotMatch\) when calling the GetCallerIdentity operation/);
});
