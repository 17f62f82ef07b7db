import { parseArgs } from 'node:util';
import { Supervisor } from './supervisor.js';

// `node supervisor-main.js --config /etc/mallee/CLOUD/supervisor.json`, started detached by `faststart install`.
const { values } = parseArgs({ options: { config: { type: 'string' } } });
if (!values.config) {
  process.stderr.write('usage: supervisor-main.js --config FILE\nRuns and restarts the Mallee daemons of one host.\n');
  process.exit(2);
}
const supervisor = new Supervisor(values.config);
supervisor.start();
process.stdout.write(`${new Date().toISOString()} supervisor ${process.pid} started from ${values.config}\n`);
