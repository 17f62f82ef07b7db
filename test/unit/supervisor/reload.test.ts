// Mallee's supervisor (the compiled one hosts run, as a real process) reloading its config on SIGHUP: a daemon taken
// out of the config and put back while it is still stopping (what `cloudctl services restart` does) runs again.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { projectRoot, temporaryDir } from '../../helpers/cli.js';

const dir = temporaryDir('supervisor-reload');
const runDir = join(dir, 'run');
const configFile = join(dir, 'supervisor.json');
// A daemon that takes its time to stop: 400 ms between SIGTERM (which it notes in a file) and its exit, as a real one
// finishing its requests.
const daemonScript = join(dir, 'slow-daemon.cjs');
const readyNote = join(dir, 'ready');
const termNote = join(dir, 'got-sigterm');
writeFileSync(
  daemonScript,
  [
    `const { writeFileSync } = require('node:fs');`,
    `process.on('SIGTERM', () => { writeFileSync(${JSON.stringify(termNote)}, ''); setTimeout(() => process.exit(0), 400); });`,
    `writeFileSync(${JSON.stringify(readyNote)}, String(process.pid));`,
    `setInterval(() => undefined, 1000);`,
  ].join('\n'),
);
const daemon = {
  name: 'slow',
  argv: [process.execPath, daemonScript, '--config', join(dir, 'slow.json')],
  log: join(dir, 'slow.log'),
  revision: 'r1',
};
const writeConfig = (daemons: (typeof daemon)[]) =>
  writeFileSync(configFile, JSON.stringify({ cloud: 'reloadtest', runDir, daemons }, null, 2));

interface State {
  daemons: Record<string, { pid?: number }>;
}
const state = (): State | undefined => {
  const file = join(runDir, 'supervisor-state.json');
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as State) : undefined;
};
const alive = (pid: number) =>
  existsSync(`/proc/${pid}`) && !/^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, 'utf8'));

/** Polls until `condition` gives a value (the supervisor acts on its own time); fails after `seconds`. */
async function until<T>(what: string, condition: () => T | undefined, seconds = 10): Promise<T> {
  const deadline = Date.now() + seconds * 1000;
  for (;;) {
    const value = condition();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${seconds} s`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

t.test('a daemon dropped and put back by two quick SIGHUPs runs again, as a new process', async (t) => {
  writeConfig([daemon]);
  const supervisor = spawn(
    process.execPath,
    [join(projectRoot, 'dist', 'src', 'supervisor', 'supervisor-main.js'), '--config', configFile],
    { stdio: 'ignore' },
  );
  t.teardown(() => {
    supervisor.kill('SIGTERM');
  });
  const first = await until('the daemon starts', () => state()?.daemons.slow?.pid);
  await until('it is ready', () => (existsSync(readyNote) ? true : undefined));
  t.equal(readFileSync(readyNote, 'utf8'), String(first), 'the process the state names');

  writeConfig([]);
  supervisor.kill('SIGHUP');
  // The first reload is stopping the daemon (400 ms): the config gets it back before that is over.
  await until('the daemon is told to stop', () => (existsSync(termNote) ? true : undefined));
  t.ok(alive(first), 'still stopping');
  writeConfig([daemon]);
  supervisor.kill('SIGHUP');

  const second = await until('the daemon runs again', () => {
    const pid = state()?.daemons.slow?.pid;
    return pid !== undefined && pid !== first && alive(pid) ? pid : undefined;
  });
  t.not(second, first, 'a new process');
  t.notOk(alive(first), 'the old one is gone');
});
