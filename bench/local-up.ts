// How long `cloudctl local up` takes, next to a reference: starting the same number of bare Node HTTPS servers the
// same way (detached process, ready message over IPC). The gap is what Mallee's own start-up costs.
// Run: npm run build && npx tsx bench/local-up.ts [ROUNDS]
import { spawn } from 'node:child_process';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const rounds = Number(process.argv[2] ?? 5);
const cloudctl = join(import.meta.dirname, '..', 'bin', 'cloudctl.js');

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

function timeLocalUp(): number {
  const dir = mkdtempSync(join(tmpdir(), 'mallee-bench-'));
  const started = performance.now();
  execFileSync(process.execPath, [cloudctl, 'local', 'up', '--dir', dir, '--json'], { stdio: 'ignore' });
  const elapsed = performance.now() - started;
  execFileSync(process.execPath, [cloudctl, 'local', 'down', '--dir', dir], { stdio: 'ignore' });
  return elapsed;
}

const bareServer = `
const https = require('node:https');
const [cert, key] = [process.env.CERT, process.env.KEY];
const server = https.createServer({ cert, key }, (q, s) => s.end('ok')).listen(0, '127.0.0.1', () => {
  process.send({ port: server.address().port }, () => process.disconnect());
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));`;

async function timeBareServers(count: number, tls: { CERT: string; KEY: string }): Promise<number> {
  const started = performance.now();
  const pids: number[] = [];
  for (let i = 0; i < count; i++) {
    const child = spawn(process.execPath, ['-e', bareServer], {
      detached: true,
      stdio: ['ignore', 'ignore', 'ignore', 'ipc'],
      env: { ...process.env, ...tls },
    });
    await new Promise((resolve) => child.once('message', resolve));
    child.unref();
    pids.push(child.pid!);
  }
  const elapsed = performance.now() - started;
  for (const pid of pids) process.kill(pid, 'SIGTERM');
  return elapsed;
}

const probeDir = mkdtempSync(join(tmpdir(), 'mallee-bench-tls-'));
execFileSync(process.execPath, [cloudctl, 'local', 'up', '--dir', probeDir], { stdio: 'ignore' });
execFileSync(process.execPath, [cloudctl, 'local', 'down', '--dir', probeDir], { stdio: 'ignore' });
const tls = {
  CERT: readFileSync(join(probeDir, 'run/tls/host.pem'), 'utf8'),
  KEY: readFileSync(join(probeDir, 'run/tls/host-key.pem'), 'utf8'),
};

const mallee: number[] = [];
const reference: number[] = [];
for (let round = 0; round < rounds; round++) {
  mallee.push(timeLocalUp());
  reference.push(await timeBareServers(5, tls));
}
console.log(`rounds: ${rounds}, interleaved`);
console.log(
  `cloudctl local up (5 daemons, CA, health checks)   median ${(median(mallee) / 1000).toFixed(2)} s   min ${(Math.min(...mallee) / 1000).toFixed(2)} s`,
);
console.log(
  `reference: 5 bare node https servers, sequential    median ${(median(reference) / 1000).toFixed(2)} s   min ${(Math.min(...reference) / 1000).toFixed(2)} s`,
);
