import t from 'tap';
import { GroupSync } from '../../../services/walrus/storage/group-sync.js';

/** An fsync stand-in the test finishes by hand, recording how many ran. */
function manualFsync() {
  const started: (() => void)[] = [];
  return {
    started,
    fsync: () => new Promise<void>((resolve) => started.push(resolve)),
    finishNext: () => started.shift()?.(),
  };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

t.test("ten callers at once cost two fsyncs: the first caller's, and one shared by the nine behind it", async (t) => {
  const disk = manualFsync();
  let fsyncs = 0;
  const group = new GroupSync(() => {
    fsyncs++;
    return disk.fsync();
  });
  let done = 0;
  const waiting = Array.from({ length: 10 }, () => group.sync().then(() => done++));
  await tick();
  disk.finishNext();
  await tick();
  t.equal(done, 1, 'only the first caller is covered by the first fsync');
  disk.finishNext();
  await Promise.all(waiting);
  t.equal(done, 10);
  t.equal(fsyncs, 2);
});

t.test('a caller arriving during an fsync waits for the next one, which then covers every later arrival', async (t) => {
  const disk = manualFsync();
  const group = new GroupSync(disk.fsync);
  let firstDone = false;
  let laterDone = 0;
  const first = group.sync().then(() => (firstDone = true));
  await tick();
  const later = [group.sync(), group.sync(), group.sync()].map((promise) => promise.then(() => laterDone++));
  await tick();
  t.equal(disk.started.length, 1, 'the running fsync is not restarted');
  disk.finishNext();
  await first;
  await tick();
  t.ok(firstDone);
  t.equal(laterDone, 0, 'an fsync that began before their call does not count for the later callers');
  t.equal(disk.started.length, 1, 'one more fsync for all three later callers');
  disk.finishNext();
  await Promise.all(later);
  t.equal(laterDone, 3);
});

t.test('a failed fsync fails its waiters, and the next caller gets a fresh one', async (t) => {
  let calls = 0;
  const group = new GroupSync(async () => {
    calls++;
    if (calls === 1) throw new Error('EIO');
  });
  await t.rejects(group.sync(), /EIO/);
  await group.sync();
  t.equal(calls, 2);
});
