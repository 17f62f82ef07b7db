import t from 'tap';
import { OrphanWatch } from '../../../services/walrus/storage/orphan-watch.js';

t.test('a run with nothing left unfinished left no orphans', async (t) => {
  const watch = new OrphanWatch();
  watch.requestStarted();
  watch.requestEnded();
  t.equal(await watch.leftNoOrphans(), true);
});

t.test('a request still running at the stop may have published what it never recorded', async (t) => {
  const watch = new OrphanWatch();
  watch.requestStarted();
  t.equal(await watch.leftNoOrphans(20), false);
});

t.test('a request that ends while the stop waits for it leaves the run clean', async (t) => {
  const watch = new OrphanWatch();
  watch.requestStarted();
  const answer = watch.leftNoOrphans(60_000);
  await Promise.resolve();
  watch.requestEnded();
  t.equal(await answer, true, 'answered as the request ends, not after the wait');
});

t.test('a stop waits for background removals: one that fails leaves orphans, one that succeeds does not', async (t) => {
  const watch = new OrphanWatch();
  let finish!: () => void;
  watch.track(new Promise<void>((resolve) => (finish = resolve)));
  let answered = false;
  const answer = watch.leftNoOrphans().then((clean) => {
    answered = true;
    return clean;
  });
  await Promise.resolve();
  t.equal(answered, false, 'not before the removal ends');
  finish();
  t.equal(await answer, true);

  watch.track(Promise.reject(new Error('the engine is down')));
  t.equal(await watch.leftNoOrphans(), false);
});

t.test('an error where a blob may have been published marks the run', async (t) => {
  const watch = new OrphanWatch();
  watch.mayHaveOrphaned();
  t.equal(await watch.leftNoOrphans(), false);
});
