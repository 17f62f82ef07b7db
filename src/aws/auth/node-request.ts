import type { IncomingMessage } from 'node:http';
import type { SignedRequest } from './types.js';

/**
 * A Node request as the verifier wants it: the raw path and query of `req.url` (before any router decodes them) and
 * the headers with repeats kept apart. Pass the body when it is already in memory (see `SignedRequest.body`).
 */
export function fromIncomingMessage(
  incoming: IncomingMessage,
  body?: Buffer | string,
  extra: Pick<SignedRequest, 'payloadHash' | 'virtualHostBucket'> & { url?: string } = {},
): SignedRequest {
  // Express rewrites req.url below a mount point; its originalUrl is what the client sent.
  const { url = incoming.url ?? '/', ...rest } = extra;
  const question = url.indexOf('?');
  return {
    method: incoming.method ?? 'GET',
    path: question === -1 ? url : url.slice(0, question),
    query: question === -1 ? '' : url.slice(question + 1),
    headers: incoming.headersDistinct,
    ...(body === undefined ? {} : { body }),
    ...rest,
  };
}
