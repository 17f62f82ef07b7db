import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import {
  CreateBucketCommand,
  GetObjectCommand,
  HeadObjectCommand,
  PutObjectCommand,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import t from 'tap';
import { requestIdleMessage } from '../../src/runtime/service.js';
import { startWalrus } from '../helpers/walrus.js';

// Slow clients against a Walrus whose idle limit is one second: a request has no deadline as a whole (a large upload
// over a slow link takes what it takes), only silence while its body is due ends one, with S3's RequestTimeout.
const cloud = await startWalrus(t, {}, { requestIdleSeconds: 1 });
const s3 = cloud.s3();
await s3.send(new CreateBucketCommand({ Bucket: 'slow' }));

/** A body of `pieces` random KiB, each sent `gapMs` after the one before (a slow link), or stopping after `stopAfter`. */
function tricklingBody(pieces: number, gapMs: number, stopAfter = pieces) {
  const hash = createHash('md5');
  let sent = 0;
  const body = new Readable({
    read() {
      if (sent === stopAfter) {
        if (stopAfter === pieces) this.push(null);
        return; // A client gone silent: never another byte, never the end.
      }
      setTimeout(() => {
        const piece = randomBytes(1024);
        hash.update(piece);
        sent++;
        this.push(piece);
      }, gapMs);
    },
  });
  return { body, md5: () => hash.digest('hex') };
}

t.test('an upload that trickles for several times the idle limit is stored whole', async (t) => {
  const { body, md5 } = tricklingBody(12, 400);
  const started = Date.now();
  const put = await s3.send(
    new PutObjectCommand({ Bucket: 'slow', Key: 'trickled', Body: body, ContentLength: 12 * 1024 }),
  );
  t.ok(Date.now() - started > 4000, 'the upload took over four idle limits');
  t.equal(put.ETag, `"${md5()}"`, 'every byte arrived');
  const head = await s3.send(new HeadObjectCommand({ Bucket: 'slow', Key: 'trickled' }));
  t.equal(head.ContentLength, 12 * 1024);
});

t.test('a client that goes silent mid-body gets RequestTimeout, and nothing is stored', async (t) => {
  const { body } = tricklingBody(64, 10, 4);
  const error = await s3
    .send(new PutObjectCommand({ Bucket: 'slow', Key: 'stalled', Body: body, ContentLength: 64 * 1024 }))
    .then(
      () => undefined,
      (caught: unknown) => caught,
    );
  t.ok(error instanceof S3ServiceException, `an S3 error: ${String(error)}`);
  t.match(error, { name: 'RequestTimeout', message: requestIdleMessage, $metadata: { httpStatusCode: 400 } });
  await t.rejects(s3.send(new HeadObjectCommand({ Bucket: 'slow', Key: 'stalled' })), { name: 'NotFound' });
});

t.test('a download read slowly is not cut: silence after the request is in is the client reading', async (t) => {
  const bytes = randomBytes(24 * 1024 * 1024);
  await s3.send(new PutObjectCommand({ Bucket: 'slow', Key: 'big', Body: bytes }));
  const got = await s3.send(new GetObjectCommand({ Bucket: 'slow', Key: 'big' }));
  const stream = got.Body as Readable;
  const hash = createHash('sha256');
  let read = 0;
  let paused = false;
  for await (const chunk of stream) {
    hash.update(chunk as Buffer);
    read += (chunk as Buffer).length;
    if (!paused && read > 1024 * 1024) {
      paused = true;
      // The client stops reading for three idle limits: the server's writes back up and its socket goes quiet.
      await new Promise((resolve) => setTimeout(resolve, 3000));
    }
  }
  t.equal(read, bytes.length, 'every byte arrived');
  t.equal(hash.digest('hex'), createHash('sha256').update(bytes).digest('hex'));
});
