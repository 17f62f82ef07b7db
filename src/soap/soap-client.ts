import { randomUUID } from 'node:crypto';
import { ClientSSLSecurity, createClientAsync, type Client } from 'soap';
import { peerExplanation, peerTlsOptions, type PeerTls } from '../runtime/peer-client.js';

/** A SOAP fault from a Mallee component, with the code and correlation id its detail carries. */
export class SoapFaultError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly correlationId: string,
  ) {
    super(message);
    this.name = 'SoapFaultError';
  }
}

/**
 * A request that got no SOAP answer (refused, timed out, TLS refused, an HTTP error without a fault). It keeps the
 * message, the network code and the HTTP status, and nothing else: the HTTP library's own error carries the request
 * options, this host's TLS private key among them, and a logger that prints the error whole would print the key.
 */
export class SoapTransportError extends Error {
  constructor(
    message: string,
    readonly code?: string,
    readonly status?: number,
  ) {
    super(message);
    this.name = 'SoapTransportError';
  }
}

/**
 * A client built from a WSDL file in this package, talking to `endpoint` over mutual TLS with this host's (or the
 * operator's) certificate. `call` adds `correlationId` and `userId` to every message, as the contract requires.
 */
export class SoapServiceClient {
  private constructor(
    private readonly client: Client,
    private readonly userId: string,
  ) {}

  static async connect(wsdlFile: string, endpoint: string, tls: PeerTls, userId: string): Promise<SoapServiceClient> {
    const client = await createClientAsync(wsdlFile, { endpoint });
    // node-soap makes an HTTPS agent a request; the identity's cached TLS context spares each one parsing it again.
    const { secureContext } = peerTlsOptions(tls);
    client.setSecurity(
      new ClientSSLSecurity(Buffer.from(tls.key), Buffer.from(tls.cert), Buffer.from(tls.ca), {
        secureContext,
        ...(tls.crl !== undefined && { crl: Buffer.from(tls.crl) }),
      }),
    );
    return new SoapServiceClient(client, userId);
  }

  async call<T = Record<string, unknown>>(operation: string, input: Record<string, unknown> = {}): Promise<T> {
    const correlationId = randomUUID();
    const method = this.client[`${operation}Async`] as
      ((args: Record<string, unknown>) => Promise<[T, string, unknown, string]>) | undefined;
    if (!method) throw new Error(`the WSDL has no operation ${operation}`);
    try {
      const [result] = await method.call(this.client, { correlationId, userId: this.userId, ...input });
      return result;
    } catch (error) {
      throw toFaultError(error, correlationId);
    }
  }
}

function toFaultError(error: unknown, correlationId: string): Error {
  const fault = (error as { root?: { Envelope?: { Body?: { Fault?: Record<string, unknown> } } } }).root?.Envelope?.Body
    ?.Fault;
  if (!fault) return toTransportError(error);
  const detail = (fault.detail as Record<string, Record<string, string>> | undefined) ?? {};
  const first = Object.values(detail)[0];
  if (first?.code) return new SoapFaultError(first.code, first.message ?? '', first.correlationId ?? correlationId);
  return new SoapFaultError('Fault', String(fault.faultstring ?? 'SOAP fault'), correlationId);
}

/**
 * What went wrong, from either shape node-soap rejects with: an Error (no connection, a timeout, TLS refused), or,
 * for an answer that is not XML (a peer's JSON refusal such as 403 PeerNotTrusted), a plain object with the response.
 */
function toTransportError(error: unknown): Error {
  const { code, response, body } = (error ?? {}) as { code?: string; response?: { status?: number }; body?: unknown };
  const status = response?.status;
  const answered = status === undefined ? undefined : `the peer answered HTTP ${status}${peerExplanation(body)}`;
  if (error instanceof Error) {
    return new SoapTransportError(answered ? `${error.message}: ${answered}` : error.message, code, status);
  }
  return new SoapTransportError(answered ?? `no SOAP answer: ${String(error)}`, code, status);
}
