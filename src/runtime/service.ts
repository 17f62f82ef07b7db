import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer, type Server } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import express, { type Express, type NextFunction, type Request, type Response } from 'express';
import { pino, type Logger } from 'pino';
import { requireCloudPeer } from './peer-auth.js';
import type { ServiceConfig } from './service-config.js';
import { malleeVersion } from './package-root.js';

/** A check that `/healthz` runs; it throws (or rejects) when the dependency it looks at is not usable. */
export type HealthCheck = () => Promise<Record<string, unknown> | void>;

/** What a component adds to the shared runtime: its routes, its health checks, and how it shuts down. */
export interface ComponentDefinition {
  describe: string;
  /**
   * The error document for a request Node's HTTP parser refuses before any route sees it (headers over the limit, a
   * malformed request line), in the component's own API dialect. Without it the answer has a plain-text body.
   */
  clientErrorDocument?(error: ClientErrorSummary): { contentType: string; body: string };
  /** Mounts the component's public and component-to-component routes. `internal` routes sit behind mTLS. */
  mount(routes: { app: Express; internal: express.Router }, context: ServiceContext): Promise<ComponentInstance>;
}

/** What went wrong with a request the HTTP parser refused, in API terms. */
export interface ClientErrorSummary {
  status: number;
  code: string;
  message: string;
  requestId: string;
}

/** Request line and headers together, at most: above Node's 16 KiB, so long presigned or Query GET URLs still fit. */
export const maxHeaderBytes = 64 * 1024;

/** Node's parser errors as an API answers them: 400 with a code, as S3 and EC2 do, never a bare 431. */
export function summarizeClientError(error: NodeJS.ErrnoException, requestId: string): ClientErrorSummary {
  if (error.code === 'HPE_HEADER_OVERFLOW') {
    return {
      status: 400,
      code: 'RequestHeaderSectionTooLarge',
      message: `Your request's URL and headers exceed the maximum allowed size (${maxHeaderBytes} bytes).`,
      requestId,
    };
  }
  if (error.code === 'ERR_HTTP_REQUEST_TIMEOUT') {
    return { status: 400, code: 'RequestTimeout', message: 'The request was not received in time.', requestId };
  }
  return { status: 400, code: 'BadRequest', message: 'The HTTP request could not be parsed.', requestId };
}

export interface ComponentInstance {
  health?: HealthCheck;
  close?: () => Promise<void>;
  /**
   * Answers every request outside the runtime's own paths (`/healthz`, `/version`, `/internal/...`) straight from
   * Node's server, without express's routing: for an API such as S3 whose each request is small and must cost little.
   * The request still gets its id, its access-log line and its place among the in-flight requests.
   */
  serve?: (request: IncomingMessage, response: ServerResponse, requestId: string, log: Logger) => Promise<void>;
}

/** The runtime's own routes, which stay with express even when a component serves the rest directly. */
function isRuntimePath(method: string | undefined, url: string | undefined): boolean {
  const path = (url ?? '/').split('?', 1)[0]!.toLowerCase().replace(/\/+$/, '');
  if (path === '/internal' || path.startsWith('/internal/')) return true;
  return (method === 'GET' || method === 'HEAD') && (path === '/healthz' || path === '/version');
}

export interface ServiceContext {
  config: ServiceConfig;
  log: Logger;
  version: string;
}

export interface RunningService {
  server: Server;
  port: number;
  url: string;
  log: Logger;
  /** Stops accepting connections, lets in-flight requests finish (up to the grace period), then closes. */
  shutdown(reason: string): Promise<void>;
}

/**
 * Starts one daemon: an HTTPS server with the cloud's certificate that asks every client for a certificate but
 * requires one only on component-to-component routes (`/internal/...`), so the public APIs stay usable by
 * ordinary AWS clients.
 */
export async function startService(
  config: ServiceConfig,
  component: ComponentDefinition,
  log: Logger = createLogger(config),
): Promise<RunningService> {
  const version = malleeVersion();
  const context: ServiceContext = { config, log, version };
  const startedAt = Date.now();
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);

  // 1. Every request gets an id, returned to the client and carried by every log line written for it.
  // 2. One access-log line per request once its response is sent; in-flight responses are tracked for shutdown.
  const inFlight = new Set<ServerResponse>();
  let stopping = false;
  const admit = (request: IncomingMessage, response: ServerResponse, path: string) => {
    const requestId = randomUUID();
    const requestLog = log.child({ requestId });
    response.setHeader('x-mallee-request-id', requestId);
    const started = process.hrtime.bigint();
    inFlight.add(response);
    if (stopping) response.setHeader('connection', 'close');
    response.on('close', () => inFlight.delete(response));
    response.on('finish', () => {
      const milliseconds = Number(process.hrtime.bigint() - started) / 1e6;
      requestLog.info({ method: request.method, path, status: response.statusCode, milliseconds }, 'request');
    });
    return { requestId, requestLog };
  };
  app.use((request: Request, response: Response, next: NextFunction) => {
    const { requestId, requestLog } = admit(request, response, request.path);
    response.locals.requestId = requestId;
    response.locals.log = requestLog;
    next();
  });

  // 3. Health and version: open to anyone who can reach the port (no secrets in them).
  let instance: ComponentInstance = {};
  app.get('/healthz', async (_request: Request, response: Response) => {
    const body = { status: 'ok', component: config.component, name: config.name, version, uptimeSeconds: 0 };
    body.uptimeSeconds = Math.round((Date.now() - startedAt) / 1000);
    try {
      const details = (await instance.health?.()) ?? {};
      response.json({ ...body, ...details });
    } catch (error) {
      response.status(503).json({ ...body, status: 'unhealthy', error: (error as Error).message });
    }
  });
  app.get('/version', (_request: Request, response: Response) => {
    response.json({ component: config.component, version, node: process.version });
  });

  // 4. Component-to-component routes: only peers with a certificate from the cloud CA.
  const internal = express.Router();
  app.use('/internal', requireCloudPeer, internal);
  internal.get('/peer', (_request: Request, response: Response) => {
    response.json({ you: response.locals.peer, me: config.name });
  });

  // 5. The component's own routes.
  instance = await component.mount({ app, internal }, context);

  // 6. Anything unhandled is logged with its request id and answered without a stack trace.
  app.use((error: Error, _request: Request, response: Response, _next: NextFunction) => {
    (response.locals.log as Logger).error({ err: error }, 'request failed');
    if (!response.headersSent) {
      response.status(500).json({ error: 'InternalError', requestId: response.locals.requestId });
    }
  });

  const server = createServer({
    ca: readFileSync(config.tls.ca),
    cert: readFileSync(config.tls.cert),
    key: readFileSync(config.tls.key),
    // A peer whose certificate the CA revoked (a host removed from the cloud) is refused like one it never signed.
    ...(config.tls.crl !== undefined && { crl: readFileSync(config.tls.crl) }),
    requestCert: true,
    rejectUnauthorized: false,
    maxHeaderSize: maxHeaderBytes,
    // No deadline for a whole request (Node's default is five minutes, body included): a 5 GiB PUT over a slow link
    // takes what it takes. A client that goes silent mid-body is what ends one (`watchSilence`).
    requestTimeout: 0,
  });
  const silence = silenceWatch(component, log);
  server.setTimeout((config.requestIdleSeconds ?? 60) * 1000, silence.onSilence);
  server.on('request', (request: IncomingMessage, response: ServerResponse) => {
    silence.watch(request, response);
    const serve = instance.serve;
    if (!serve || isRuntimePath(request.method, request.url)) {
      app(request, response);
      return;
    }
    const { requestId, requestLog } = admit(request, response, (request.url ?? '/').split('?', 1)[0]!);
    serve(request, response, requestId, requestLog).catch((error: unknown) => {
      requestLog.error({ err: error }, 'request failed');
      if (!response.headersSent) {
        response.statusCode = 500;
        response.setHeader('content-type', 'application/json');
        response.end(JSON.stringify({ error: 'InternalError', requestId }));
      } else response.destroy();
    });
  });
  // Requests the parser refuses never reach express: answer them in the API's dialect, then close the connection.
  server.on('clientError', (error: NodeJS.ErrnoException, socket) => {
    if (error.code === 'ECONNRESET' || !socket.writable) {
      socket.destroy();
      return;
    }
    const summary = summarizeClientError(error, randomUUID());
    const document = component.clientErrorDocument?.(summary) ?? {
      contentType: 'text/plain; charset=utf-8',
      body: `${summary.code}: ${summary.message}\n`,
    };
    log.info({ code: error.code, answer: summary.code, requestId: summary.requestId }, 'request refused by the parser');
    socket.end(
      `HTTP/1.1 ${summary.status} Bad Request\r\nconnection: close\r\ncontent-type: ${document.contentType}\r\n` +
        `content-length: ${Buffer.byteLength(document.body)}\r\nx-mallee-request-id: ${summary.requestId}\r\n\r\n` +
        document.body,
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.listen.port, config.listen.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const host = config.listen.host.includes(':') ? `[${config.listen.host}]` : config.listen.host;
  const url = `https://${host}:${port}`;
  log.info({ url, version, component: config.component }, 'listening');

  let closing: Promise<void> | undefined;
  const shutdown = (reason: string): Promise<void> => {
    stopping = true;
    closing ??= closeGracefully(server, inFlight, config.shutdownGraceSeconds ?? 30, log, reason).then(() =>
      instance.close?.(),
    );
    return closing;
  };
  return { server, port, url, log, shutdown };
}

/** S3's words when a client stops sending the body it announced. */
export const requestIdleMessage =
  'Your socket connection to the server was not read from or written to within the timeout period. Idle connections will be closed.';

/**
 * Watches each connection for silence while a request's body is still due: after `requestIdleSeconds` with nothing,
 * the request is answered 400 RequestTimeout in the component's dialect and the connection closes (the handler sees
 * its body end early and keeps nothing, as when a client disconnects). Once the whole request is in, silence is the
 * server's own work or a client reading slowly: no timeout then.
 */
function silenceWatch(component: ComponentDefinition, log: Logger) {
  const current = new WeakMap<Socket, { request: IncomingMessage; response: ServerResponse }>();
  const onSilence = (socket: Socket) => {
    const exchange = current.get(socket);
    // Between requests (or before the first): nothing to answer, the connection just goes.
    if (!exchange || exchange.response.writableFinished) {
      socket.destroy();
      return;
    }
    if (exchange.request.complete) return;
    const { response } = exchange;
    if (response.headersSent) {
      socket.destroy();
      return;
    }
    const requestId = String(response.getHeader('x-mallee-request-id') ?? randomUUID());
    const summary = { status: 400, code: 'RequestTimeout', message: requestIdleMessage, requestId };
    const document = component.clientErrorDocument?.(summary) ?? {
      contentType: 'text/plain; charset=utf-8',
      body: `${summary.code}: ${summary.message}\n`,
    };
    log.info({ requestId }, 'request body stalled: answered RequestTimeout');
    response.on('finish', () => socket.destroy());
    response.writeHead(400, {
      'content-type': document.contentType,
      'content-length': Buffer.byteLength(document.body),
      connection: 'close',
    });
    response.end(document.body);
  };
  const watch = (request: IncomingMessage, response: ServerResponse) => {
    current.set(request.socket, { request, response });
  };
  return { watch, onSilence };
}

async function closeGracefully(
  server: Server,
  inFlight: Set<ServerResponse>,
  graceSeconds: number,
  log: Logger,
  reason: string,
): Promise<void> {
  log.info({ reason, graceSeconds, inFlight: inFlight.size }, 'shutting down: finishing in-flight requests');
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  // Idle keep-alive connections close now; busy ones close once their response is out.
  server.closeIdleConnections();
  for (const response of inFlight) {
    if (!response.headersSent) response.setHeader('connection', 'close');
    response.on('finish', () => setImmediate(() => server.closeIdleConnections()));
  }
  const deadline = setTimeout(() => {
    log.warn('grace period over: closing the connections still open');
    server.closeAllConnections();
  }, graceSeconds * 1000);
  await closed;
  clearTimeout(deadline);
  log.info('stopped');
}

export function createLogger(config: Pick<ServiceConfig, 'name' | 'component' | 'logLevel'>): Logger {
  // Synchronous writes: lines reach the log in order, and nothing is lost when the daemon exits right after.
  return pino(
    { level: config.logLevel ?? 'info', base: { component: config.component, name: config.name } },
    pino.destination({ fd: 1, sync: true }),
  );
}
