import { createHash } from 'node:crypto';
import { Worker } from 'node:worker_threads';
import type { Md5Reply, Md5Request } from './md5-worker.js';

/** The MD5 of bytes as they stream past. `update` returns a promise only when the caller should wait before more. */
export interface RunningMd5 {
  update(chunk: Buffer): Promise<void> | undefined;
  /** Hex digest of everything given to `update`. */
  digest(): Promise<string>;
  /** The bytes will not be finished (a failed upload): forget them. */
  abandon(): void;
}

/** Bodies announced at least this large are hashed on the MD5 thread; smaller ones on the event loop. */
export const offThreadMd5From = 1024 * 1024;
/** Bytes sent to the thread at once (one copy into a buffer that is then moved, not copied, to it). */
const batchBytes = 1024 * 1024;
/** Bytes of one upload sent but not yet hashed beyond which its sender waits: memory stays bounded. */
const maxPendingBytes = 4 * 1024 * 1024;

/**
 * A running MD5: on the MD5 thread for a body announced at `offThreadMd5From` bytes or more (when the thread can run),
 * else in this thread.
 */
export function runningMd5(announcedBytes?: number): RunningMd5 {
  if (announcedBytes !== undefined && announcedBytes >= offThreadMd5From) {
    const thread = md5Thread();
    if (thread) return thread.hasher();
  }
  const hash = createHash('md5');
  return {
    update: (chunk) => void hash.update(chunk),
    digest: async () => hash.digest('hex'),
    abandon: () => undefined,
  };
}

interface Upload {
  pendingBytes: number;
  /** Resolves the sender waiting for the thread to catch up. */
  caughtUp?: () => void;
  digested?: { resolve: (hex: string) => void; reject: (error: Error) => void };
}

/** The one MD5 thread of this process, shared by every large upload; started on first use. */
class Md5Thread {
  private readonly worker: Worker;
  private readonly uploads = new Map<number, Upload>();
  private nextId = 1;
  private failure?: Error;

  constructor(onGone: () => void) {
    this.worker = new Worker(new URL('./md5-worker.js', import.meta.url));
    this.worker.unref();
    this.worker.on('message', (reply: Md5Reply) => this.heard(reply));
    const fail = (error: Error) => {
      this.failure ??= error;
      onGone();
      for (const upload of this.uploads.values()) {
        upload.digested?.reject(this.failure);
        upload.caughtUp?.();
      }
      this.uploads.clear();
    };
    this.worker.on('error', fail);
    this.worker.on('exit', (code) => fail(new Error(`the MD5 thread exited (code ${code})`)));
  }

  private heard(reply: Md5Reply): void {
    const upload = this.uploads.get(reply.id);
    if (!upload) return;
    if (reply.kind === 'updated') {
      upload.pendingBytes -= reply.size;
      if (upload.pendingBytes <= maxPendingBytes && upload.caughtUp) {
        const resume = upload.caughtUp;
        upload.caughtUp = undefined;
        resume();
      }
    } else {
      this.forget(reply.id);
      upload.digested?.resolve(reply.hex);
    }
  }

  private send(request: Md5Request, transfer: ArrayBuffer[] = []): void {
    this.worker.postMessage(request, transfer);
  }

  /** The thread keeps the process alive only while it has work. */
  private forget(id: number): void {
    this.uploads.delete(id);
    if (this.uploads.size === 0) this.worker.unref();
  }

  hasher(): RunningMd5 {
    const id = this.nextId++;
    const upload: Upload = { pendingBytes: 0 };
    this.uploads.set(id, upload);
    this.worker.ref();
    let batch: Buffer[] = [];
    let batched = 0;
    const sendBatch = () => {
      if (batched === 0) return;
      const bytes = new ArrayBuffer(batched);
      const view = Buffer.from(bytes);
      let at = 0;
      for (const chunk of batch) at += chunk.copy(view, at);
      upload.pendingBytes += batched;
      this.send({ id, kind: 'update', bytes }, [bytes]);
      batch = [];
      batched = 0;
    };
    return {
      update: (chunk) => {
        if (this.failure) throw this.failure;
        batch.push(chunk);
        batched += chunk.length;
        if (batched < batchBytes) return undefined;
        sendBatch();
        if (upload.pendingBytes <= maxPendingBytes) return undefined;
        return new Promise<void>((resolve) => (upload.caughtUp = resolve));
      },
      digest: () => {
        if (this.failure) return Promise.reject(this.failure);
        sendBatch();
        return new Promise<string>((resolve, reject) => {
          upload.digested = { resolve, reject };
          this.send({ id, kind: 'digest' });
        });
      },
      abandon: () => {
        if (!this.uploads.has(id)) return;
        this.forget(id);
        if (!this.failure) this.send({ id, kind: 'drop' });
      },
    };
  }
}

let shared: Md5Thread | undefined;

/** The MD5 thread, or undefined when one cannot be started (the caller hashes in this thread). */
function md5Thread(): Md5Thread | undefined {
  try {
    shared ??= new Md5Thread(() => (shared = undefined));
    return shared;
  } catch {
    return undefined;
  }
}
