import { readFileSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import { request } from 'node:https';
import { createSecureContext, type SecureContext } from 'node:tls';
import type { ServiceConfig } from './service-config.js';

/**
 * TLS material a component presents to its peers (the same host certificate it serves with), and what it trusts: the
 * cloud CA, and its revocation list when there is one (a peer whose certificate is on it is refused).
 */
export interface PeerTls {
  ca: string | Buffer;
  cert: string | Buffer;
  key: string | Buffer;
  crl?: string | Buffer;
}

export function peerTlsFromConfig(config: Pick<ServiceConfig, 'tls'>): PeerTls {
  return {
    ca: readFileSync(config.tls.ca),
    cert: readFileSync(config.tls.cert),
    key: readFileSync(config.tls.key),
    ...(config.tls.crl !== undefined && { crl: readFileSync(config.tls.crl) }),
  };
}

/**
 * One TLS context per identity, parsed once: building one (the CA, certificate, key and revocation list read into
 * OpenSSL) costs more CPU than the handshake it serves, and health probes and peer calls come many times a second.
 */
const secureContexts = new WeakMap<PeerTls, SecureContext>();

function secureContextOf(tls: PeerTls): SecureContext {
  let context = secureContexts.get(tls);
  if (!context) {
    context = createSecureContext(peerTlsMaterial(tls));
    secureContexts.set(tls, context);
  }
  return context;
}

function peerTlsMaterial(tls: PeerTls): PeerTls {
  return { ca: tls.ca, cert: tls.cert, key: tls.key, ...(tls.crl !== undefined && { crl: tls.crl }) };
}

/**
 * The node:tls options of a connection to a peer: the identity's cached context, and its material too, which the
 * HTTPS agent names its pooled connections and resumable sessions by (so identities never share one).
 */
export function peerTlsOptions(tls: PeerTls): PeerTls & { secureContext: SecureContext } {
  return { ...peerTlsMaterial(tls), secureContext: secureContextOf(tls) };
}

export interface PeerResponse {
  status: number;
  body: string;
}

/**
 * One HTTPS request to another component of the cloud, presenting this host's certificate and trusting only the
 * cloud CA. Used for health probes now and as the transport of the SOAP clients.
 */
export function callPeer(
  url: string,
  tls: PeerTls,
  options: { method?: string; body?: string; headers?: Record<string, string>; timeoutMs?: number } = {},
): Promise<PeerResponse> {
  return new Promise((resolve, reject) => {
    const outgoing = request(
      url,
      {
        method: options.method ?? 'GET',
        headers: options.headers,
        ...peerTlsOptions(tls),
        timeout: options.timeoutMs ?? 5000,
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
        response.on('error', reject);
      },
    );
    outgoing.on('timeout', () =>
      outgoing.destroy(new Error(`no answer from ${url} in ${options.timeoutMs ?? 5000} ms`)),
    );
    outgoing.on('error', reject);
    outgoing.end(options.body);
  });
}

/**
 * A GET to another component whose answer is streamed, not collected: for files too large to hold in memory. Resolves
 * with the response as soon as its headers arrive; `idleMs` ends a transfer that stops moving (not one that is long).
 */
export function openPeerStream(url: string, tls: PeerTls, options: { idleMs?: number } = {}): Promise<IncomingMessage> {
  const idleMs = options.idleMs ?? 60_000;
  return new Promise((resolve, reject) => {
    const outgoing = request(url, { method: 'GET', ...peerTlsOptions(tls), timeout: idleMs }, resolve);
    outgoing.on('timeout', () => outgoing.destroy(new Error(`${url} sent nothing for ${idleMs / 1000} s`)));
    outgoing.on('error', reject);
    outgoing.end();
  });
}

/** The peer's own words from a non-SOAP answer: a Mallee daemon's JSON error, or the start of whatever it sent. */
export function peerExplanation(body: unknown): string {
  if (typeof body !== 'string' || body.trim() === '') return '';
  try {
    const { error, message } = JSON.parse(body) as { error?: string; message?: string };
    if (message) return `: ${error ? `${error}: ` : ''}${message}`;
  } catch {
    // Not JSON: quoted as it came.
  }
  return `: ${body.slice(0, 200)}`;
}
