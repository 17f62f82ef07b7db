// The client's ceiling for bench/s3: an HTTPS server that does none of an S3 server's work. It drains PUT bodies and
// answers 200 with an ETag, answers GETs from one buffer in memory (`large` in the key: the large object's size,
// otherwise the small one's), and anything else with an empty bucket list. It checks no signature and keeps nothing.
// Run by bench/s3.ts: node --import tsx bench/s3-null-server.ts CERT KEY LARGE_BYTES SMALL_BYTES (prints its port).
import { readFileSync } from 'node:fs';
import type { ServerResponse } from 'node:http';
import { createServer } from 'node:https';

const [cert, key, largeText, smallText] = process.argv.slice(2);
const largeBytes = Number(largeText);
const smallBytes = Number(smallText);
const block = Buffer.alloc(1024 * 1024, 7);

function sendBytes(response: ServerResponse, size: number): void {
  response.writeHead(200, { 'content-length': size, etag: '"00000000000000000000000000000000"' });
  let left = size;
  const pump = () => {
    while (left > 0) {
      const length = Math.min(left, block.length);
      left -= length;
      if (!response.write(block.subarray(0, length))) {
        response.once('drain', pump);
        return;
      }
    }
    response.end();
  };
  pump();
}

const server = createServer({ cert: readFileSync(cert!), key: readFileSync(key!) }, (request, response) => {
  if (request.method === 'PUT' || request.method === 'POST') {
    request.resume();
    request.on('end', () => {
      response.writeHead(200, { etag: '"00000000000000000000000000000000"', 'content-length': 0 });
      response.end();
    });
    return;
  }
  // A GET of `/bucket/key` (clients may add a query, such as the SDK's `?x-id=GetObject`) is an object's.
  const path = (request.url ?? '/').split('?')[0]!;
  if (request.method === 'GET' && path.split('/').filter((part) => part !== '').length >= 2) {
    sendBytes(response, path.includes('large') ? largeBytes : smallBytes);
    return;
  }
  const body = '<?xml version="1.0" encoding="UTF-8"?><ListAllMyBucketsResult><Buckets/></ListAllMyBucketsResult>';
  response.writeHead(200, { 'content-type': 'application/xml', 'content-length': Buffer.byteLength(body) });
  response.end(body);
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`${(server.address() as { port: number }).port}\n`);
});
