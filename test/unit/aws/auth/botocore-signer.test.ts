import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import {
  createRequestVerifier,
  serviceProfiles,
  type AuthMethod,
  type SignedRequest,
} from '../../../../src/aws/auth/index.js';
import { runCommand } from '../../../helpers/cli.js';
import { ACCESS_KEY, credentials, SECRET } from './helpers.js';

// Requests signed by botocore (what the aws CLI and boto3 use), through the image's python3.
interface BotocoreRequest {
  name: string;
  profile: 'ec2' | 'query' | 's3';
  method: string;
  path: string;
  query: string;
  headers: Record<string, string>;
  body: string | null;
  expect: { method: AuthMethod; service?: string; region?: string };
}

const script = join(dirname(fileURLToPath(import.meta.url)), 'botocore-sign.py');
const run = await runCommand('python3', [script, ACCESS_KEY, SECRET]);
if (run.code !== 0) throw new Error(`botocore-sign.py failed: ${run.stderr}`);
const { now, requests } = JSON.parse(run.stdout) as { now: string; requests: BotocoreRequest[] };
const signedAt = new Date(now);

function asSigned(request: BotocoreRequest): SignedRequest {
  return {
    method: request.method,
    path: request.path,
    query: request.query,
    headers: request.headers,
    ...(request.body === null ? {} : { body: Buffer.from(request.body, 'base64') }),
  };
}

t.test('every signer botocore has verifies', async (t) => {
  const signers = new Set(requests.map((request) => request.name.split(':')[0]));
  t.same([...signers].sort(), [
    'HmacV1Auth',
    'HmacV1QueryAuth',
    'S3SigV4Auth',
    'S3SigV4QueryAuth',
    'SigV2Auth',
    'SigV4Auth',
    'SigV4QueryAuth',
  ]);
  for (const request of requests) {
    const verifier = createRequestVerifier({ credentials, profile: serviceProfiles[request.profile] });
    const result = await verifier.verify(asSigned(request), signedAt);
    t.match(result, { ...request.expect, accessKeyId: ACCESS_KEY, principal: { user: 'alice' } }, request.name);
  }
});

t.test('and stops verifying once anything it signed changes', async (t) => {
  for (const request of requests) {
    const verifier = createRequestVerifier({ credentials, profile: serviceProfiles[request.profile] });
    const tampered = { ...asSigned(request), path: `${request.path}x` };
    // EC2 calls a bad signature an AuthFailure; the Query services and S3 call it SignatureDoesNotMatch.
    const code = serviceProfiles[request.profile].dialect === 'ec2' ? 'AuthFailure' : 'SignatureDoesNotMatch';
    await t.rejects(verifier.verify(tampered, signedAt), { code }, request.name);
  }
});
