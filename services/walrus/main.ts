// Every upload ends in fsyncs, which run on libuv's thread pool (4 threads by default): with more threads, concurrent
// uploads' fsyncs overlap instead of queueing. The pool starts on first use, so this must come before any import
// that could use it.
process.env.UV_THREADPOOL_SIZE ??= '16';
const { runDaemon } = await import('../../src/runtime/daemon.js');
const { walrusComponent } = await import('./component.js');

await runDaemon(walrusComponent);
