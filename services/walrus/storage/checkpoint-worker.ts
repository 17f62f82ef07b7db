import { parentPort, workerData } from 'node:worker_threads';
import SqliteDatabase from 'better-sqlite3';

/**
 * The metadata database's WAL checkpoints, on a thread of their own. A checkpoint copies the WAL's pages into the
 * database and fsyncs it: tens of milliseconds that, left to SQLite's automatic checkpoint, would stall the event
 * loop inside whichever commit crossed the threshold. Here a second connection does it (`PASSIVE`: it never waits for
 * or blocks the writer), whenever the main thread asks.
 */
export interface CheckpointRequest {
  kind: 'checkpoint';
}

export interface CheckpointDone {
  kind: 'checkpointed';
  /** WAL frames, and how many of them are now in the database. */
  walFrames: number;
  checkpointedFrames: number;
}

const { file } = workerData as { file: string };
const db = new SqliteDatabase(file, { fileMustExist: true });
// The same durability as the writer's connection: a checkpoint fsyncs the WAL before copying and the database after.
db.pragma('synchronous = NORMAL');
db.pragma('busy_timeout = 5000');

parentPort!.on('message', (message: CheckpointRequest) => {
  if (message.kind !== 'checkpoint') return;
  const [row] = db.pragma('wal_checkpoint(PASSIVE)') as { busy: number; log: number; checkpointed: number }[];
  const done: CheckpointDone = {
    kind: 'checkpointed',
    walFrames: row?.log ?? 0,
    checkpointedFrames: row?.checkpointed ?? 0,
  };
  parentPort!.postMessage(done);
});
