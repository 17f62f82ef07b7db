import type { IncomingMessage, ServerResponse } from 'node:http';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Logger } from 'pino';
import {
  createRequestVerifier,
  fromIncomingMessage,
  hasAuthentication,
  serviceProfiles,
  type Authenticated,
  type CredentialLookup,
} from '../../src/aws/auth/index.js';
import { headerValue, percentDecode } from '../../src/aws/auth/canonical.js';
import type { SignedRequest } from '../../src/aws/auth/types.js';
import { s3Model } from '../../src/aws/generated/s3-model.js';
import type { S3Operations } from '../../src/aws/generated/s3-types.js';
import { handlerTable, type QueryHandlers } from '../../src/aws/protocol/query-dispatcher.js';
import { parseRestXmlInput, restXmlRouter } from '../../src/aws/protocol/rest-xml-parser.js';
import { serializeRestXmlError, serializeRestXmlResponse } from '../../src/aws/protocol/rest-xml-serializer.js';
import { ServiceError } from '../../src/aws/service-error.js';
import type { WalrusPrincipal } from './credential-lookup.js';
import { bucketHandlers } from './handlers/buckets.js';
import type { WalrusContext } from './handlers/context.js';
import { listingHandlers } from './handlers/listing.js';
import { multipartHandlers } from './handlers/multipart.js';
import { bucketSettingHandlers } from './handlers/bucket-settings.js';
import { objectHandlers, parseCopySource } from './handlers/objects.js';
import type { Caller } from './models/acl.js';
import type { RequestFacts } from './models/bucket-policy.js';
import { corsHeaders, matchCorsRule, requestedHeaders } from './models/cors.js';
import { checkEncryptionRequest, type EncryptionHeaders } from './models/encryption-request.js';
import { checkBodyDigests, type ExpectedDigests } from './models/object-bytes.js';
import { decodePayload, type PayloadForm, type PayloadTrailer } from './payload.js';
import { answerPostObject, isPostObject } from './post-object.js';
import { S3Error, s3Errors } from './s3-errors.js';
import { isShelfUnavailable } from './storage/blob-shelf.js';
import type { ByteStore } from './storage/byte-store.js';
import type { MetadataStore } from './storage/metadata-store.js';
import type { OrphanWatch } from './storage/orphan-watch.js';

/**
 * Walrus's S3 request pipeline, one list of steps for every request:
 *   1. address: path style `/bucket/key`, or virtual-host style `bucket.DNSNAME/key` when a DNS name is configured;
 *   2. authenticate: a request that claims an identity is verified (SigV4 header or presigned, S3's v2 signatures)
 *      against the clc's keys; one that claims none is anonymous, and the ACLs decide what it may do;
 *   3. route: the operation whose `requestUri` template and query markers match (the rest-xml parser);
 *   4. body: an object's bytes stay a stream, decoded and verified as the signature announced (hash, chunk
 *      signatures, trailing checksum); an XML document is read (small), verified and parsed into the input;
 *   5. dispatch to the handler, which gets typed input and a context, never HTTP; then wait until what it committed
 *      is on disk (group commit: one fsync for all the requests that committed meanwhile);
 *   6. serialise the output by the model (headers, XML or the object's byte stream), or the error as S3's XML.
 */

export const walrusHandlers: QueryHandlers<S3Operations, WalrusContext> = {
  ...bucketHandlers,
  ...objectHandlers,
  ...listingHandlers,
  ...multipartHandlers,
  ...bucketSettingHandlers,
};

const s3Namespace = 'http://s3.amazonaws.com/doc/2006-03-01/';

/** Where S3 answers a success its model does not name (so 200 by the model) with another status, as S3 does. */
const statusBeyondModel: Partial<Record<string, number>> = { PutBucketPolicy: 204, PutBucketTagging: 204 };

/** Root elements of S3's response documents, which the model leaves unnamed. */
const rootElements: Readonly<Record<string, string>> = {
  ListBuckets: 'ListAllMyBucketsResult',
  ListObjects: 'ListBucketResult',
  ListObjectsV2: 'ListBucketResult',
  ListObjectVersions: 'ListVersionsResult',
  ListMultipartUploads: 'ListMultipartUploadsResult',
  ListParts: 'ListPartsResult',
  CreateMultipartUpload: 'InitiateMultipartUploadResult',
  CompleteMultipartUpload: 'CompleteMultipartUploadResult',
  DeleteObjects: 'DeleteResult',
  GetBucketAcl: 'AccessControlPolicy',
  GetObjectAcl: 'AccessControlPolicy',
  GetBucketLocation: 'LocationConstraint',
  GetBucketVersioning: 'VersioningConfiguration',
  GetObjectTagging: 'Tagging',
  GetBucketTagging: 'Tagging',
  GetBucketCors: 'CORSConfiguration',
  GetBucketLifecycleConfiguration: 'LifecycleConfiguration',
  GetObjectAttributes: 'GetObjectAttributesResponse',
  GetBucketLogging: 'BucketLoggingStatus',
  GetBucketNotification: 'NotificationConfiguration',
  GetBucketNotificationConfiguration: 'NotificationConfiguration',
  GetBucketAccelerateConfiguration: 'AccelerateConfiguration',
  GetBucketRequestPayment: 'RequestPaymentConfiguration',
  ListBucketAnalyticsConfigurations: 'ListBucketAnalyticsConfigurationResult',
  ListBucketMetricsConfigurations: 'ListMetricsConfigurationsResult',
  ListBucketInventoryConfigurations: 'ListInventoryConfigurationsResult',
  ListBucketIntelligentTieringConfigurations: 'ListBucketIntelligentTieringConfigurationsOutput',
  CopyObject: 'CopyObjectResult',
  UploadPartCopy: 'CopyPartResult',
};

/** Largest XML request document (DeleteObjects of 1,000 keys of 1,024 bytes stays below it). */
const maxDocumentBytes = 4 * 1024 * 1024;

export interface WalrusPipelineOptions {
  meta: MetadataStore;
  bytes: ByteStore;
  orphans: OrphanWatch;
  credentials: CredentialLookup<WalrusPrincipal>;
  region: string;
  /** Virtual-host style addressing: `BUCKET.dnsName` names the bucket. */
  dnsName?: string;
  minPartSize?: number;
}

export type WalrusRequestHandler = (
  request: IncomingMessage,
  response: ServerResponse,
  requestId: string,
  log?: Logger,
) => Promise<void>;

export function createWalrusPipeline(options: WalrusPipelineOptions): WalrusRequestHandler {
  const verifier = createRequestVerifier({
    credentials: options.credentials,
    profile: serviceProfiles.s3,
    regions: [options.region],
  });
  const router = restXmlRouter(s3Model);
  const table = handlerTable(s3Model, walrusHandlers);
  const dnsSuffix = options.dnsName ? `.${options.dnsName.toLowerCase()}` : undefined;

  return async (request, response, requestId, log) => {
    response.setHeader('x-amz-request-id', requestId);
    const url = (request as IncomingMessage & { originalUrl?: string }).originalUrl ?? request.url ?? '/';
    // 1. The bucket from the Host header, when it is a subdomain of the configured name.
    const host = (request.headers.host ?? '').replace(/:\d+$/, '').toLowerCase();
    const virtualHostBucket =
      dnsSuffix && host.endsWith(dnsSuffix) ? host.slice(0, host.length - dnsSuffix.length) : undefined;
    const signed = fromIncomingMessage(request, undefined, { url, ...(virtualHostBucket && { virtualHostBucket }) });
    const path = virtualHostBucket ? `/${virtualHostBucket}${signed.path}` : signed.path;
    let operation: string | undefined;
    /** What a handler gets: the caller, the facts for a bucket policy, the body's bytes; never HTTP. */
    const handlerContext = (
      caller: Caller,
      facts: () => RequestFacts,
      body: () => AsyncIterable<Buffer>,
      trailer: PayloadTrailer,
    ): WalrusContext => ({
      requestId,
      log,
      caller,
      facts,
      meta: options.meta,
      bytes: options.bytes,
      orphans: options.orphans,
      region: options.region,
      minPartSize: options.minPartSize ?? 5 * 1024 * 1024,
      body,
      trailer,
    });
    options.orphans.requestStarted();
    try {
      // 2. Browsers: a preflight is answered from the bucket's CORS rules, unsigned; a page's request gets the
      // Access-Control-* headers of the rule that allows it (its answer, or its error, is otherwise the same).
      const origin = headerValue(signed, 'origin');
      if (signed.method === 'OPTIONS') {
        answerPreflight(options.meta, bucketOfPath(path), origin, signed, response);
        return;
      }
      if (origin !== undefined) allowFromOrigin(options.meta, bucketOfPath(path), origin, signed.method, response);
      // A browser's form upload carries its signature in the form, not in the headers.
      if (isPostObject(signed.method, path, headerValue(signed, 'content-type'))) {
        operation = 'PostObject';
        const since = options.meta.commitCount;
        await answerPostObject(request, response, bucketOfPath(path) ?? '', () => requestFacts(request, signed), {
          credentials: options.credentials,
          regions: [options.region],
          context: (caller, facts, body) => handlerContext(caller, facts, body, {}),
          flush: () => options.meta.flush(since),
        });
        return;
      }
      // 3. Who is asking.
      let authenticated: Authenticated<WalrusPrincipal> | undefined;
      if (hasAuthentication(signed, serviceProfiles.s3)) authenticated = await verifier.verify(signed);
      const caller: Caller = authenticated && {
        id: authenticated.principal.accountId,
        displayName: authenticated.principal.accountName,
      };
      // 4. What for.
      const wire = { method: signed.method, path, query: signed.query, headers: signed.headers };
      const match = router.match(wire);
      if (!match) throw s3Errors.methodNotAllowed(signed.method);
      operation = match.operation.name;
      const handler = table.get(operation);
      if (!handler) throw s3Errors.notImplemented();
      // 5. The body.
      const form: PayloadForm = {
        signedPayload: authenticated?.signedPayload ?? anonymousPayload(headerValue(signed, 'x-amz-content-sha256')),
        headers: signed.headers,
        ...(authenticated?.signingKey &&
          authenticated.seedSignature &&
          authenticated.requestTime &&
          authenticated.scope && {
            signing: {
              signingKey: authenticated.signingKey,
              seedSignature: authenticated.seedSignature,
              requestTime: authenticated.requestTime,
              scope: authenticated.scope,
            },
          }),
      };
      const payload = match.operation.input?.payload;
      const streaming = payload !== undefined && match.operation.input?.members.get(payload)?.type === 'blob';
      const source = () => request.iterator({ destroyOnReturn: false }) as AsyncIterable<Buffer>;
      let document: Buffer | undefined;
      if (!streaming && hasBody(request)) {
        document = await readDocument(decodePayload(source(), form));
      }
      const input = parseRestXmlInput(match, wire, document);
      if (document) checkBodyDigests(document, input as ExpectedDigests);
      checkEncryptionRequest(input as EncryptionHeaders);
      requireExpectedOwners(options.meta, input as ExpectedOwners);
      // 6. Dispatch.
      const trailer: PayloadTrailer = {};
      let facts: RequestFacts | undefined;
      const context = handlerContext(
        caller,
        () => (facts ??= requestFacts(request, signed, authenticated)),
        () => decodePayload(source(), form, trailer),
        trailer,
      );
      const since = options.meta.commitCount;
      const output = (await handler(input, context)) as Record<string, unknown> | undefined;
      // Whatever the handler committed is on disk before the client hears of it (one commit and one fsync shared by
      // many requests), or the request fails if its commit did.
      await options.meta.flush(since);
      // 7. The answer.
      const answer = serializeRestXmlResponse(match.operation, output ?? {}, {
        rootElement: rootElements[operation],
        xmlNamespace: s3Namespace,
      });
      if (operation === 'GetObject' && output?.ContentRange !== undefined) answer.status = 206;
      answer.status = statusBeyondModel[operation] ?? answer.status;
      closeUnlessBodyRead(request, response);
      response.statusCode = answer.status;
      for (const [name, value] of Object.entries(answer.headers)) response.setHeader(name, value);
      log?.debug({ operation, accountId: caller?.id, status: answer.status }, 's3 request');
      if (answer.body instanceof Readable) {
        if (request.method === 'HEAD') {
          answer.body.destroy();
          response.end();
        } else {
          await pipeline(answer.body, response).catch((error: unknown) => {
            log?.warn({ err: error, operation }, 'object stream ended early');
          });
        }
      } else {
        if (answer.body === undefined && answer.status === 200 && response.getHeader('content-length') === undefined) {
          response.setHeader('content-length', '0');
        }
        response.end(answer.body);
      }
    } catch (error) {
      // S3's own errors are refusals; anything else may have struck between publishing a blob and recording it.
      if (!(error instanceof ServiceError)) options.orphans.mayHaveOrphaned();
      await options.meta.flush().catch(() => undefined);
      closeUnlessBodyRead(request, response);
      sendError(error, response, { requestId, log, operation, resource: decodedPath(path), method: signed.method });
    } finally {
      options.orphans.requestEnded();
    }
  };
}

/** The owners a request expects of the buckets it names (`x-amz-expected-bucket-owner`, and the copy source's). */
interface ExpectedOwners {
  Bucket?: string;
  ExpectedBucketOwner?: string;
  CopySource?: string;
  ExpectedSourceBucketOwner?: string;
}

/**
 * As on S3, a request that says which account must own its bucket (or its copy's source bucket) is refused with
 * `AccessDenied` when another does: a tool that checks it never writes into, or reads from, a bucket that changed
 * hands. A bucket that does not exist is left to the handler (`NoSuchBucket`).
 */
function requireExpectedOwners(meta: MetadataStore, input: ExpectedOwners): void {
  const check = (bucket: string | undefined, expected: string | undefined) => {
    if (bucket === undefined || expected === undefined) return;
    const owner = meta.getBucket(bucket)?.owner.id;
    if (owner !== undefined && owner !== expected) throw s3Errors.accessDenied();
  };
  check(input.Bucket, input.ExpectedBucketOwner);
  if (input.ExpectedSourceBucketOwner !== undefined && input.CopySource !== undefined) {
    check(parseCopySource(input.CopySource).bucket, input.ExpectedSourceBucketOwner);
  }
}

/** What a bucket policy's conditions may ask of a request (gathered only for a bucket that has a policy). */
function requestFacts(
  request: IncomingMessage,
  signed: SignedRequest,
  authenticated?: Authenticated<WalrusPrincipal>,
): RequestFacts {
  const amzHeaders: Record<string, string> = {};
  for (const name of Object.keys(signed.headers)) {
    if (name.startsWith('x-amz-')) amzHeaders[name] = headerValue(signed, name) ?? '';
  }
  const query: Record<string, string> = {};
  const params = new URLSearchParams(signed.query);
  for (const name of ['prefix', 'delimiter', 'max-keys', 'versionId']) {
    const value = params.get(name);
    if (value !== null) query[name] = value;
  }
  const userAgent = headerValue(signed, 'user-agent');
  const referer = headerValue(signed, 'referer');
  const method = authenticated?.method;
  const socket = request.socket as { getProtocol?: () => string | null };
  const tlsVersion = socket.getProtocol?.()?.replace(/^TLSv/, '') ?? undefined;
  return {
    sourceIp: (request.socket.remoteAddress ?? '').replace(/^::ffff:(?=\d+\.)/, ''),
    time: new Date(),
    secureTransport: tlsVersion !== undefined,
    ...(tlsVersion !== undefined && { tlsVersion }),
    ...(userAgent !== undefined && { userAgent }),
    ...(referer !== undefined && { referer }),
    ...(method && {
      authType: method.endsWith('-query') ? 'REST-QUERY-STRING' : 'REST-HEADER',
      signatureVersion: method.startsWith('sigv4') ? 'AWS4-HMAC-SHA256' : 'AWS',
    }),
    ...(authenticated && {
      principal: {
        accountId: authenticated.principal.accountId,
        arn: authenticated.principal.arn,
        ...(authenticated.principal.userId !== undefined && { userId: authenticated.principal.userId }),
      },
    }),
    amzHeaders,
    query,
  };
}

/** The bucket a path names (path style, or the virtual host's put in front): its first segment, if any. */
function bucketOfPath(path: string): string | undefined {
  const name = path.split('/')[1];
  return name === undefined || name === '' ? undefined : name;
}

/**
 * An `OPTIONS` preflight, as S3 answers it: 200 with the Access-Control-* headers of the first CORS rule of the bucket
 * that allows the origin, the method and every requested header; otherwise S3's errors (`BadRequest` without an
 * origin or method, `AccessForbidden` for a bucket without CORS rules or a request none allows).
 */
function answerPreflight(
  meta: MetadataStore,
  bucketName: string | undefined,
  origin: string | undefined,
  signed: SignedRequest,
  response: ServerResponse,
): void {
  if (origin === undefined) throw s3Errors.badRequest('Insufficient information. Origin request header needed.');
  const method = headerValue(signed, 'access-control-request-method');
  if (method === undefined) {
    throw s3Errors.badRequest('Insufficient information. Access-Control-Request-Method request header needed.');
  }
  const bucket = bucketName === undefined ? undefined : meta.getBucket(bucketName);
  if (!bucket) throw s3Errors.corsForbidden('Bucket not found');
  if (!bucket.cors) throw s3Errors.corsForbidden('CORS is not enabled for this bucket.');
  const wanted = requestedHeaders(headerValue(signed, 'access-control-request-headers'));
  const rule = matchCorsRule(bucket.cors, origin, method, wanted);
  if (!rule) {
    throw s3Errors.corsForbidden(
      "This CORS request is not allowed. This is usually because the evalution of Origin, request method / Access-Control-Request-Method or Access-Control-Request-Headers are not whitelisted by the resource's CORS spec.",
    );
  }
  for (const [name, value] of Object.entries(corsHeaders(rule, origin, { requestHeaders: wanted }))) {
    response.setHeader(name, value);
  }
  response.setHeader('content-length', '0');
  response.end();
}

/** A request from a page on `origin`: the headers of the bucket's CORS rule that allows it, if one does. */
function allowFromOrigin(
  meta: MetadataStore,
  bucketName: string | undefined,
  origin: string,
  method: string,
  response: ServerResponse,
): void {
  const rules = bucketName === undefined ? undefined : meta.getBucket(bucketName)?.cors;
  const rule = rules && matchCorsRule(rules, origin, method);
  if (!rule) return;
  for (const [name, value] of Object.entries(corsHeaders(rule, origin))) response.setHeader(name, value);
}

/** What an unsigned request's body is: an unsigned aws-chunked upload when it says so, else the bytes as sent. */
function anonymousPayload(claimed: string | undefined): string {
  if (claimed === 'STREAMING-UNSIGNED-PAYLOAD-TRAILER') return claimed;
  if (claimed !== undefined && /^[0-9a-fA-F]{64}$/.test(claimed)) return claimed;
  return 'UNSIGNED-PAYLOAD';
}

/**
 * An answer given before the request's body was read whole (refused at authentication, a full disk mid-upload, a
 * client that sent `Expect: 100-continue` and never the body) ends the connection: only the body's end marks where
 * the client's next request would begin, so the socket cannot be kept alive for it. S3 does the same.
 */
function closeUnlessBodyRead(request: IncomingMessage, response: ServerResponse): void {
  if (request.complete || response.headersSent) return;
  response.setHeader('connection', 'close');
  lingerAfterAnswer(request);
}

/** How long a connection closed early keeps taking (and dropping) what the client still sends. */
const lingerMs = 10_000;

/**
 * Node closes the socket as soon as the answer is written. With the client still sending, unread bytes on the socket
 * make the kernel reset the connection rather than close it, and a client that was writing when the reset came reports
 * ECONNRESET or EPIPE and never reads the 507 or 403 sent before it. So the connection lingers, as web servers make it:
 * the answer is followed by our end of the connection, and the rest of the body is read and dropped until the client
 * closes its end (the socket then ends itself), for at most `lingerMs`.
 */
function lingerAfterAnswer(request: IncomingMessage): void {
  const socket = request.socket;
  request.resume();
  socket.destroySoon = () => {
    socket.end();
    const timer = setTimeout(() => socket.destroy(), lingerMs).unref();
    socket.once('close', () => clearTimeout(timer));
  };
}

function hasBody(request: IncomingMessage): boolean {
  const length = request.headers['content-length'];
  return (length !== undefined && length !== '0') || request.headers['transfer-encoding'] !== undefined;
}

async function readDocument(chunks: AsyncIterable<Buffer>): Promise<Buffer> {
  const parts: Buffer[] = [];
  let size = 0;
  for await (const chunk of chunks) {
    size += chunk.length;
    if (size > maxDocumentBytes) throw s3Errors.malformedXml();
    parts.push(chunk);
  }
  return Buffer.concat(parts);
}

function decodedPath(path: string): string {
  return percentDecode(path, false).toString('utf8');
}

/** A full disk or quota, from the byte store (`ENOSPC`, `EDQUOT`) or from SQLite (`SQLITE_FULL`). */
function isOutOfSpace(error: unknown): boolean {
  const code = (error as { code?: unknown } | undefined)?.code;
  return code === 'ENOSPC' || code === 'EDQUOT' || code === 'SQLITE_FULL';
}

function sendError(
  error: unknown,
  response: ServerResponse,
  request: { requestId: string; log?: Logger; operation?: string; resource: string; method: string },
): void {
  let answer: ServiceError;
  if (error instanceof ServiceError) answer = error;
  else if (isOutOfSpace(error)) {
    request.log?.error({ err: error, operation: request.operation }, 'out of disk space: request refused');
    answer = s3Errors.insufficientCapacity();
  } else if (isShelfUnavailable(error)) {
    request.log?.error({ err: error, operation: request.operation }, 'object store engine unavailable');
    answer = s3Errors.serviceUnavailable('The store behind Walrus cannot be reached; nothing was stored. Try again.');
  } else {
    request.log?.error({ err: error, operation: request.operation }, 's3 request failed');
    answer = s3Errors.internalError();
  }
  if (response.headersSent) {
    response.destroy();
    return;
  }
  const headers = answer instanceof S3Error ? answer.headers : {};
  for (const [name, value] of Object.entries(headers)) response.setHeader(name, value);
  if (answer.status === 304) {
    response.statusCode = 304;
    response.end();
    return;
  }
  // S3Error and AuthError carry their extra elements (`BucketName`, `StringToSign` ...) as `details`.
  const document = serializeRestXmlError(answer, request.requestId, { resource: request.resource });
  response.statusCode = document.status;
  response.setHeader('content-type', 'application/xml');
  if (request.method === 'HEAD') {
    response.end();
    return;
  }
  response.setHeader('content-length', Buffer.byteLength(document.body));
  response.end(document.body);
}
