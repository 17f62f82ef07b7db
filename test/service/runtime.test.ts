import { readFileSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import t from 'tap';
import { X509Certificate } from 'node:crypto';
import {
  createCloudCa,
  createRevocationList,
  issueHostCertificate,
  type PemPair,
} from '../../src/pki/certificate-authority.js';
import { callPeer, peerTlsFromConfig, peerTlsOptions } from '../../src/runtime/peer-client.js';
import type { ServiceConfig } from '../../src/runtime/service-config.js';
import { startService, type ComponentDefinition } from '../../src/runtime/service.js';
import { isDaemonRunning, launchDaemon, stopDaemon } from '../../src/supervisor/daemon-process.js';
import { temporaryDir } from '../helpers/cli.js';

const loopback = ['127.0.0.1', '::1', 'localhost'];
const dir = temporaryDir('runtime');
const ca = await createCloudCa({ cloudName: 'runtime-test' });
const otherCa = await createCloudCa({ cloudName: 'somebody-else' });
const server = await issueHostCertificate(ca, { hostName: 'server', addresses: loopback });
const client = await issueHostCertificate(ca, { hostName: 'client', addresses: loopback });
const strangerClient = await issueHostCertificate(otherCa, { hostName: 'client', addresses: loopback });
// A host removed from the cloud: its certificate is on the CA's revocation list, which the service checks.
const revokedClient = await issueHostCertificate(ca, { hostName: 'removed-node', addresses: loopback });
const revocationList = await createRevocationList(ca, [
  { serialNumber: new X509Certificate(revokedClient.certPem).serialNumber, revokedAt: new Date().toISOString() },
]);
const expiredClient = await issueHostCertificate(ca, {
  hostName: 'client',
  addresses: loopback,
  notBefore: new Date(Date.now() - 10 * 86_400_000),
  notAfter: new Date(Date.now() - 86_400_000),
});

function writePem(name: string, pem: string): string {
  const path = join(dir, name);
  writeFileSync(path, pem, { mode: 0o600 });
  return path;
}

function serviceConfig(name: string, component: ServiceConfig['component'] = 'cc'): ServiceConfig {
  return {
    component,
    name,
    listen: { host: '127.0.0.1', port: 0 },
    tls: {
      ca: writePem('ca.pem', ca.certPem),
      cert: writePem('server.pem', server.certPem),
      key: writePem('server-key.pem', server.keyPem),
      crl: writePem('crl.pem', revocationList),
    },
    dataDir: dir,
    region: 'test-1',
    zone: 'test-1a',
    shutdownGraceSeconds: 20,
  };
}

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

function get(url: string, identity?: PemPair, path = '/healthz'): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const outgoing = request(
      new URL(path, url),
      { ca: ca.certPem, cert: identity?.certPem, key: identity?.keyPem, agent: false },
      (response) => {
        let body = '';
        response.on('data', (chunk) => (body += chunk));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body }));
      },
    );
    outgoing.on('error', reject);
    outgoing.end();
  });
}

/** A component with one slow route whose answer the test releases, to catch a request in flight. */
function slowComponent() {
  let arrived!: () => void;
  let release!: () => void;
  const requestArrived = new Promise<void>((resolve) => (arrived = resolve));
  const released = new Promise<void>((resolve) => (release = resolve));
  const component: ComponentDefinition = {
    describe: 'test component',
    async mount({ app }) {
      app.get('/slow', async (_request, response) => {
        arrived();
        await released;
        response.send('finished after shutdown began');
      });
      return {};
    },
  };
  return { component, requestArrived, release };
}

const logLines: Record<string, unknown>[] = [];
const logSink = new Writable({
  write(chunk, _encoding, done) {
    for (const line of String(chunk).split('\n').filter(Boolean)) logLines.push(JSON.parse(line));
    done();
  },
});

const slow = slowComponent();
const running = await startService(serviceConfig('runtime-test'), slow.component, pino(logSink));
t.teardown(() => running.shutdown('test over'));

t.test('health and version are served over HTTPS with the cloud certificate', async (t) => {
  const health = await get(running.url);
  t.equal(health.status, 200);
  t.match(JSON.parse(health.body), { status: 'ok', component: 'cc', name: 'runtime-test', version: /^\d+\.\d+\.\d+/ });
  const version = JSON.parse((await get(running.url, undefined, '/version')).body);
  t.equal(version.component, 'cc');
  t.equal(version.node, process.version);
});

t.test('every request gets an id, returned to the client and on its log line', async (t) => {
  const answer = await get(running.url, undefined, '/version');
  const requestId = answer.headers['x-mallee-request-id'];
  t.match(requestId, /^[0-9a-f-]{36}$/);
  const line = logLines.find((entry) => entry.requestId === requestId);
  t.match(line, { msg: 'request', method: 'GET', path: '/version', status: 200 });
});

t.test('component routes need a client certificate from the cloud CA, not revoked', async (t) => {
  const trusted = await get(running.url, client, '/internal/peer');
  t.equal(trusted.status, 200);
  t.equal(JSON.parse(trusted.body).you.commonName, 'client');

  const refusals: [string, PemPair | undefined, RegExp][] = [
    ['no certificate', undefined, /^no client certificate/],
    ['a certificate from another CA', strangerClient, /not signed by this cloud CA/],
    ['an expired certificate', expiredClient, /has expired.*CERT_HAS_EXPIRED/],
    ['a revoked certificate', revokedClient, /has been revoked.*CERT_REVOKED/],
  ];
  for (const [what, identity, message] of refusals) {
    const answer = await get(running.url, identity, '/internal/peer');
    t.equal(answer.status, 403, `${what} is refused`);
    t.equal(JSON.parse(answer.body).error, 'PeerNotTrusted');
    t.match(JSON.parse(answer.body).message, message, `${what}: the refusal says why`);
  }
  t.ok(
    logLines.some((entry) => entry.msg === 'refused a component request'),
    'refusals are logged',
  );
});

t.test(
  "a component that serves directly gets every request but the runtime's own, with an id and a log line",
  async (t) => {
    const seen: { method: string; url: string; requestId: string }[] = [];
    const direct: ComponentDefinition = {
      describe: 'direct test component',
      async mount({ app }) {
        app.get('/express-only', (_request, response) => response.send('express'));
        return {
          serve: async (request, response, requestId) => {
            seen.push({ method: request.method ?? '', url: request.url ?? '', requestId });
            response.setHeader('content-type', 'text/plain');
            response.end(`direct ${request.method} ${request.url}`);
          },
        };
      },
    };
    const service = await startService(serviceConfig('direct-test'), direct, pino(logSink));
    t.teardown(() => service.shutdown('test over'));

    const answer = await get(service.url, undefined, '/bucket/key?list-type=2');
    t.equal(answer.body, 'direct GET /bucket/key?list-type=2');
    const requestId = answer.headers['x-mallee-request-id'];
    t.equal(seen.at(-1)?.requestId, requestId, 'the component gets the id the client sees');
    t.match(
      logLines.find((entry) => entry.requestId === requestId),
      { msg: 'request', method: 'GET', path: '/bucket/key', status: 200 },
      'the access log has its line, without the query',
    );
    t.equal(
      (await get(service.url, undefined, '/express-only')).body,
      'direct GET /express-only',
      'express routes are not reached',
    );

    t.equal(JSON.parse((await get(service.url)).body).status, 'ok', "/healthz stays the runtime's");
    t.equal(JSON.parse((await get(service.url, undefined, '/version')).body).component, 'cc', '/version too');
    const peer = await get(service.url, client, '/internal/peer');
    t.equal(JSON.parse(peer.body).me, 'direct-test', "/internal stays behind the runtime's peer check");
    t.equal((await get(service.url, undefined, '/internal/peer')).status, 403);
    t.equal(seen.length, 2, 'none of those reached the component');
  },
);

t.test('a component calling a peer refuses one that serves with a revoked certificate', async (t) => {
  // A removed host still answering at an address some config names: its server certificate is on the list.
  const config = serviceConfig('removed-peer');
  config.tls.cert = writePem('removed-peer.pem', revokedClient.certPem);
  config.tls.key = writePem('removed-peer-key.pem', revokedClient.keyPem);
  const removed = await startService(config, slowComponent().component, pino(logSink));
  t.teardown(() => removed.shutdown('test over'));
  const caller = { ca: ca.certPem, cert: client.certPem, key: client.keyPem };
  const url = `${removed.url}/version`;
  t.equal((await callPeer(url, caller)).status, 200, 'without the list, the CA signature is all there is to check');
  await t.rejects(callPeer(url, { ...caller, crl: revocationList }), { code: 'CERT_REVOKED' }, 'with it: refused');
  const fromConfig = peerTlsFromConfig({ tls: { ...serviceConfig('caller').tls } });
  t.ok(fromConfig.crl, "a daemon's peer identity carries the list its config names");
  await t.rejects(callPeer(url, fromConfig), { code: 'CERT_REVOKED' });
  t.equal((await callPeer(`${running.url}/version`, fromConfig)).status, 200, 'a peer still in the cloud answers');
});

t.test('a peer identity builds its TLS context once, and every call still presents its own certificate', async (t) => {
  const asClient = { ca: ca.certPem, cert: client.certPem, key: client.keyPem };
  const asRevoked = { ca: ca.certPem, cert: revokedClient.certPem, key: revokedClient.keyPem };
  t.equal(peerTlsOptions(asClient).secureContext, peerTlsOptions(asClient).secureContext, 'one context per identity');
  t.not(peerTlsOptions(asClient).secureContext, peerTlsOptions(asRevoked).secureContext, 'and its own for each');
  const url = `${running.url}/internal/peer`;
  for (const round of [1, 2]) {
    const answer = await callPeer(url, asClient);
    t.equal(JSON.parse(answer.body).you.commonName, 'client', `call ${round} is the client's`);
    const refused = await callPeer(url, asRevoked);
    t.equal(refused.status, 403, `call ${round} with the revoked identity (same server, same agent) is refused`);
    t.match(JSON.parse(refused.body).message, /CERT_REVOKED/);
  }
});

// Last: it stops the shared server.
t.test('shutdown lets the request in flight finish and takes no new connections', async (t) => {
  const inFlight = get(running.url, undefined, '/slow');
  await slow.requestArrived;
  const stopped = running.shutdown('SIGTERM');
  await t.rejects(get(running.url), { code: 'ECONNREFUSED' }, 'new connections are refused');
  slow.release();
  const answer = await inFlight;
  t.equal(answer.status, 200);
  t.equal(answer.body, 'finished after shutdown began');
  await stopped;
  t.ok(logLines.some((entry) => entry.msg === 'stopped'));
});

t.test('a real daemon process reports ready with its port, answers, and exits cleanly on SIGTERM', async (t) => {
  const configPath = join(dir, 'cc.json');
  writeFileSync(configPath, JSON.stringify({ ...serviceConfig('cc-daemon'), peers: {} }));
  const logPath = join(dir, 'cc.log');
  const daemon = await launchDaemon('cc', configPath, logPath);
  t.ok(isDaemonRunning(daemon.pid, configPath));
  t.equal(JSON.parse((await get(daemon.url)).body).name, 'cc-daemon');
  t.equal(await stopDaemon(daemon.pid, configPath), 'stopped', 'exited on SIGTERM without needing SIGKILL');
  t.notOk(isDaemonRunning(daemon.pid, configPath));
  const lines = readFileSync(logPath, 'utf8')
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line));
  t.match(lines.at(-1), { msg: 'stopped', component: 'cc', name: 'cc-daemon' });
  t.ok(lines.filter((line) => line.msg === 'request').every((line) => typeof line.requestId === 'string'));
});

t.test('a daemon that cannot start says why', async (t) => {
  const first = join(dir, 'first.json');
  writeFileSync(first, JSON.stringify(serviceConfig('first')));
  const daemon = await launchDaemon('sc', first, join(dir, 'first.log'));
  t.teardown(() => stopDaemon(daemon.pid, first));
  const second = join(dir, 'second.json');
  writeFileSync(
    second,
    JSON.stringify({ ...serviceConfig('second'), listen: { host: '127.0.0.1', port: daemon.port } }),
  );
  await t.rejects(launchDaemon('sc', second, join(dir, 'second.log')), {
    name: 'DaemonStartError',
    message: /sc failed to start: .*EADDRINUSE/,
    logPath: join(dir, 'second.log'),
  });

  const broken = join(dir, 'broken.json');
  writeFileSync(broken, '{"component": "sc"}');
  await t.rejects(launchDaemon('sc', broken, join(dir, 'broken.log')), { message: /lacks name, listen, tls/ });
});
