// Loaded into a daemon with NODE_OPTIONS=--import (where --cpu-prof is not allowed): runs V8's sampling profiler
// for the process's whole life and writes CPU.PID.cpuprofile into CPU_PROFILE_DIR when it exits (a SIGKILL loses it).
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { join } from 'node:path';

const dir = process.env.CPU_PROFILE_DIR;
if (dir) {
  const session = new Session();
  session.connect();
  session.post('Profiler.enable');
  session.post('Profiler.setSamplingInterval', { interval: 1000 });
  session.post('Profiler.start');
  process.on('exit', () => {
    // A session in the same thread answers synchronously, so the profile is written before the process ends.
    session.post('Profiler.stop', (error, result) => {
      if (!error) writeFileSync(join(dir, `CPU.${process.pid}.cpuprofile`), JSON.stringify(result.profile));
    });
  });
}
