import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import tls from 'node:tls';
import t, { type Test } from 'tap';
import { createCloudCa, issueHostCertificate, type PemPair } from '../../../src/pki/certificate-authority.js';

const LOOPBACK = ['localhost', '127.0.0.1', '::1'];
const DAY_MS = 24 * 60 * 60 * 1000;

interface Outcome {
  /** `reason`: why the server dropped the client (its certificate's verify error, or the TLS error). */
  server: { accepted: boolean; peer?: string; reason?: string };
  client: { received: string; error?: NodeJS.ErrnoException };
}

/**
 * One connection, followed to its end on both sides: the server either sees a secure connection (and greets the peer
 * by its certificate's CN) or a TLS client error; the client collects what it read and its error until the socket
 * closes. A client certificate that fails verification is not answered with an alert: Node's server destroys the
 * socket, so under TLS 1.3 (where the client finishes its handshake first) the client just sees the connection end.
 */
async function connect(server: tls.Server, options: tls.ConnectionOptions): Promise<Outcome> {
  const serverSide = new Promise<Outcome['server']>((resolve) => {
    const onSecure = (socket: tls.TLSSocket) => {
      stop();
      const peer = String(socket.getPeerCertificate().subject.CN);
      socket.end(`hello ${peer}`);
      resolve({ accepted: true, peer });
    };
    const onError = (error: NodeJS.ErrnoException, socket: tls.TLSSocket) => {
      stop();
      resolve({ accepted: false, reason: socket.authorizationError?.toString() ?? error.code });
    };
    const stop = () => {
      server.off('secureConnection', onSecure);
      server.off('tlsClientError', onError);
    };
    server.on('secureConnection', onSecure);
    server.on('tlsClientError', onError);
  });
  const { port } = server.address() as AddressInfo;
  const socket = tls.connect({ host: '127.0.0.1', port, ...options });
  let received = '';
  let error: NodeJS.ErrnoException | undefined;
  socket.setEncoding('utf8');
  socket.on('data', (chunk: string) => (received += chunk));
  socket.on('error', (caught: NodeJS.ErrnoException) => (error = caught));
  // Not events.once: it would reject on the 'error' this test wants to look at.
  await new Promise((resolve) => socket.once('close', resolve));
  return { server: await serverSide, client: { received, error } };
}

async function listen(t: Test, host: PemPair, caPem: string): Promise<tls.Server> {
  const server = tls.createServer({
    cert: host.certPem,
    key: host.keyPem,
    ca: caPem,
    requestCert: true,
    rejectUnauthorized: true,
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return server;
}

t.test('mutual TLS between hosts of one cloud, and nobody else', async (t) => {
  const ca = await createCloudCa({ cloudName: 'lab' });
  const otherCa = await createCloudCa({ cloudName: 'lab' });
  const [serverHost, clientHost, strangerHost, expiredHost] = await Promise.all([
    issueHostCertificate(ca, { hostName: 'clc', addresses: LOOPBACK }),
    issueHostCertificate(ca, { hostName: 'node1', addresses: LOOPBACK }),
    issueHostCertificate(otherCa, { hostName: 'node1', addresses: LOOPBACK }),
    issueHostCertificate(ca, {
      hostName: 'old',
      addresses: LOOPBACK,
      notBefore: new Date(Date.now() - 40 * DAY_MS),
      notAfter: new Date(Date.now() - DAY_MS),
    }),
  ]);
  const server = await listen(t, serverHost, ca.certPem);

  t.test('a client with a certificate from the same CA is accepted', async (t) => {
    const outcome = await connect(server, { ca: ca.certPem, cert: clientHost.certPem, key: clientHost.keyPem });
    t.same(outcome.server, { accepted: true, peer: 'node1' });
    t.equal(outcome.client.error, undefined);
    t.equal(outcome.client.received, 'hello node1');
  });

  t.test('a client without a certificate is refused', async (t) => {
    const outcome = await connect(server, { ca: ca.certPem });
    t.same(outcome.server, { accepted: false, reason: 'ERR_SSL_PEER_DID_NOT_RETURN_A_CERTIFICATE' });
    t.equal(outcome.client.received, '', 'the client never hears from the application');
    t.equal(outcome.client.error?.code, 'ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED');
  });

  t.test('a client with a certificate from another CA is refused', async (t) => {
    const outcome = await connect(server, { ca: ca.certPem, cert: strangerHost.certPem, key: strangerHost.keyPem });
    t.same(outcome.server, { accepted: false, reason: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' });
    t.equal(outcome.client.received, '', 'the connection ends before the server says anything');
  });

  t.test('a client with an expired certificate from the same CA is refused', async (t) => {
    const outcome = await connect(server, { ca: ca.certPem, cert: expiredHost.certPem, key: expiredHost.keyPem });
    t.same(outcome.server, { accepted: false, reason: 'CERT_HAS_EXPIRED' });
    t.equal(outcome.client.received, '', 'the connection ends before the server says anything');
  });

  t.test('under TLS 1.2 the refused client sees the handshake fail', async (t) => {
    const outcome = await connect(server, {
      ca: ca.certPem,
      cert: strangerHost.certPem,
      key: strangerHost.keyPem,
      maxVersion: 'TLSv1.2',
    });
    t.same(outcome.server, { accepted: false, reason: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' });
    t.equal(outcome.client.error?.code, 'ECONNRESET');
    t.match(outcome.client.error?.message, /before secure TLS connection was established/);
  });

  t.test('a client refuses a server whose certificate is from another CA', async (t) => {
    const strangerServer = await listen(t, strangerHost, otherCa.certPem);
    const outcome = await connect(strangerServer, { ca: ca.certPem, cert: clientHost.certPem, key: clientHost.keyPem });
    t.equal(outcome.client.received, '');
    t.match(outcome.client.error?.code, /^(SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_VERIFY_LEAF_SIGNATURE)$/);
    t.equal(outcome.server.accepted, false);
  });
});
