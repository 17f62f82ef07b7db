import { writeFileSync } from 'node:fs';
import tlsModule from 'node:tls';
import { join } from 'node:path';
import express from 'express';
import { pino } from 'pino';
import t from 'tap';
import { ServiceError } from '../../src/aws/service-error.js';
import { createCloudCa, issueHostCertificate } from '../../src/pki/certificate-authority.js';
import { requireCloudPeer } from '../../src/runtime/peer-auth.js';
import { startService } from '../../src/runtime/service.js';
import { SoapFaultError, SoapServiceClient } from '../../src/soap/soap-client.js';
import { mountSoapService } from '../../src/soap/soap-service.js';
import { projectRoot, runCommand, temporaryDir } from '../helpers/cli.js';

// The SOAP plumbing every component shares, exercised with wsdl/admin.wsdl and an in-memory set of accounts.
const dir = temporaryDir('soap');
const loopback = ['127.0.0.1', '::1', 'localhost'];
const ca = await createCloudCa({ cloudName: 'soap-test' });
const server = await issueHostCertificate(ca, { hostName: 'server', addresses: loopback });
const admin = await issueHostCertificate(ca, { hostName: 'admin', addresses: loopback });
const files = {
  ca: join(dir, 'ca.pem'),
  cert: join(dir, 'server.pem'),
  key: join(dir, 'server-key.pem'),
  adminCert: join(dir, 'admin.pem'),
  adminKey: join(dir, 'admin-key.pem'),
};
writeFileSync(files.ca, ca.certPem);
writeFileSync(files.cert, server.certPem);
writeFileSync(files.key, server.keyPem);
writeFileSync(files.adminCert, admin.certPem);
writeFileSync(files.adminKey, admin.keyPem);
const wsdlFile = join(projectRoot, 'wsdl', 'admin.wsdl');

const accounts = new Map<string, { accountId: string; accountName: string; status: string; createdAt: Date }>();
const seen: { correlationId: string; userId: string }[] = [];
const running = await startService(
  {
    component: 'clc',
    name: 'soap-test',
    listen: { host: '127.0.0.1', port: 0 },
    tls: { ca: files.ca, cert: files.cert, key: files.key },
    dataDir: dir,
    region: 'test-1',
  },
  {
    describe: 'test',
    async mount({ app }, { log }) {
      const router = express.Router();
      app.use('/services/admin', requireCloudPeer, router);
      mountSoapService(router, {
        wsdlFile,
        service: 'AdminService',
        port: 'AdminPort',
        log,
        operations: {
          async CreateAccount(input, context) {
            seen.push({ correlationId: context.correlationId, userId: context.userId });
            const accountName = String(input.accountName);
            if (accounts.has(accountName)) {
              throw new ServiceError('EntityAlreadyExists', `Account ${accountName} already exists.`, 409);
            }
            const account = {
              accountId: String(100000000000 + accounts.size),
              accountName,
              status: 'active',
              createdAt: new Date(),
            };
            accounts.set(accountName, account);
            return { account, rootAccessKey: { accessKeyId: 'AKIAEXAMPLE', secretAccessKey: 'secret' } };
          },
          async ListAccounts() {
            return { accounts: [...accounts.values()] };
          },
          async DeleteAccount() {
            throw new Error('disk on fire');
          },
        },
      });
      return {};
    },
  },
  pino({ level: 'silent' }),
);
t.teardown(() => running.shutdown('test over'));
const endpoint = `${running.url}/services/admin`;
const tls = { ca: ca.certPem, cert: admin.certPem, key: admin.keyPem };

t.test('a client built from the WSDL calls the service over mTLS; correlation ids travel both ways', async (t) => {
  const client = await SoapServiceClient.connect(wsdlFile, endpoint, tls, 'operator');
  const created = await client.call<{ correlationId: string; account: { accountName: string; createdAt: Date } }>(
    'CreateAccount',
    { accountName: 'research' },
  );
  t.equal(created.account.accountName, 'research');
  t.type(created.account.createdAt, Date, 'xsd:dateTime comes back as a Date');
  t.equal(created.correlationId, seen[0]?.correlationId, 'the response echoes the request correlationId');
  t.equal(seen[0]?.userId, 'operator');
  const listed = await client.call<{ accounts: { accountName: string }[] }>('ListAccounts');
  t.same(
    [listed.accounts].flat().map((account) => account.accountName),
    ['research'],
  );
});

t.test('errors become SOAP faults carrying the code; unexpected ones hide their details', async (t) => {
  const client = await SoapServiceClient.connect(wsdlFile, endpoint, tls, 'operator');
  await t.rejects(client.call('CreateAccount', { accountName: 'research' }), {
    name: 'SoapFaultError',
    code: 'EntityAlreadyExists',
    message: 'Account research already exists.',
  });
  const failure = await client.call('DeleteAccount', { accountName: 'research' }).catch((error: unknown) => error);
  t.ok(failure instanceof SoapFaultError);
  t.match(failure, { code: 'InternalError', message: 'An internal error has occurred' });
});

t.test("SOAP calls reuse their identity's TLS context, and each identity presents its own", async (t) => {
  const otherCa = await createCloudCa({ cloudName: 'somebody-else' });
  const stranger = await issueHostCertificate(otherCa, { hostName: 'admin', addresses: loopback });
  const asAdmin = await SoapServiceClient.connect(wsdlFile, endpoint, tls, 'operator');
  const asStranger = await SoapServiceClient.connect(
    wsdlFile,
    endpoint,
    { ca: ca.certPem, cert: stranger.certPem, key: stranger.keyPem },
    'operator',
  );
  // Counted where node:tls builds one for a connection that brings none (the module object its callers use).
  const createSecureContext = tlsModule.createSecureContext;
  let built = 0;
  tlsModule.createSecureContext = (...args) => {
    built++;
    return createSecureContext(...args);
  };
  t.teardown(() => void (tlsModule.createSecureContext = createSecureContext));
  for (const round of [1, 2, 3]) {
    const listed = await asAdmin.call<{ accounts: unknown }>('ListAccounts');
    t.ok(listed.accounts, `call ${round} as the admin is answered`);
    await t.rejects(
      asStranger.call('ListAccounts'),
      {
        name: 'SoapTransportError',
        status: 403,
        message:
          'the peer answered HTTP 403: PeerNotTrusted: the client certificate is not signed by this cloud CA (UNABLE_TO_VERIFY_LEAF_SIGNATURE)',
      },
      `call ${round} with a certificate of another CA is refused`,
    );
  }
  t.equal(built, 0, 'no call built a TLS context of its own');
});

t.test('the WSDL is served at ?wsdl, and only to cloud peers', async (t) => {
  const curl = await runCommand('curl', [
    '-sS',
    '--cacert',
    files.ca,
    '--cert',
    files.adminCert,
    '--key',
    files.adminKey,
    `${endpoint}?wsdl`,
  ]);
  t.match(curl.stdout, /<wsdl:definitions name="MalleeAdmin"/);
  const anonymous = await runCommand('curl', [
    '-sS',
    '-o',
    '/dev/null',
    '-w',
    '%{http_code}',
    '--cacert',
    files.ca,
    `${endpoint}?wsdl`,
  ]);
  t.equal(anonymous.stdout, '403');
});

t.test('a SOAP client nobody here wrote (python3-zeep) works from the same WSDL', async (t) => {
  const script = `
import sys, requests, zeep
from zeep.transports import Transport
session = requests.Session()
session.verify = sys.argv[1]
session.cert = (sys.argv[2], sys.argv[3])
client = zeep.Client(sys.argv[4], transport=Transport(session=session))
service = client.create_service('{urn:mallee:admin:2026-11}AdminBinding', sys.argv[5])
created = service.CreateAccount(correlationId='zeep-1', userId='zeep', accountName='from-zeep')
print(created.correlationId, created.account.accountName, created.account.createdAt.year)
try:
    service.CreateAccount(correlationId='zeep-2', userId='zeep', accountName='from-zeep')
except zeep.exceptions.Fault as fault:
    print('fault', fault.message)
`;
  // requests lets REQUESTS_CA_BUNDLE override session.verify, so the cloud CA goes there too.
  const args = ['-c', script, files.ca, files.adminCert, files.adminKey, wsdlFile, endpoint];
  const result = await runCommand('/usr/bin/python3', args, { env: { REQUESTS_CA_BUNDLE: files.ca } });
  t.equal(result.code, 0, result.stderr);
  const [first, second] = result.stdout.trim().split('\n');
  t.equal(first, `zeep-1 from-zeep ${new Date().getUTCFullYear()}`);
  t.equal(second, 'fault EntityAlreadyExists: Account from-zeep already exists.');
});
