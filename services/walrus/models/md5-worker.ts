import { createHash, type Hash } from 'node:crypto';
import { parentPort } from 'node:worker_threads';

/**
 * The MD5s of large uploads, on a thread of their own: MD5 (an object's ETag) costs about as much CPU as everything
 * else Walrus does with a byte, so hashing here lets the event loop receive and write the next megabytes meanwhile.
 * Each upload is one `id`; its batches arrive in order and each is acknowledged, so the sender can bound how many
 * bytes wait here.
 */
export type Md5Request =
  { id: number; kind: 'update'; bytes: ArrayBuffer } | { id: number; kind: 'digest' } | { id: number; kind: 'drop' };

export type Md5Reply = { id: number; kind: 'updated'; size: number } | { id: number; kind: 'digest'; hex: string };

const hashes = new Map<number, Hash>();

parentPort!.on('message', (request: Md5Request) => {
  const { id } = request;
  let hash = hashes.get(id);
  if (request.kind === 'drop') {
    hashes.delete(id);
    return;
  }
  if (!hash) {
    hash = createHash('md5');
    hashes.set(id, hash);
  }
  if (request.kind === 'update') {
    hash.update(new Uint8Array(request.bytes));
    parentPort!.postMessage({ id, kind: 'updated', size: request.bytes.byteLength } satisfies Md5Reply);
  } else {
    hashes.delete(id);
    parentPort!.postMessage({ id, kind: 'digest', hex: hash.digest('hex') } satisfies Md5Reply);
  }
});
