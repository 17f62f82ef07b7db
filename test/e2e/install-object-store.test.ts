import { createHash, randomBytes } from 'node:crypto';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { curl, runCli, runCommand, temporaryDir } from '../helpers/cli.js';
import { installedCloudAwsEnv } from '../helpers/daemons.js';
import { allInOneCloudYaml, allInOnePorts, installerEnv, uninstallTestCloud } from '../helpers/installer.js';
import { startS3Engine } from '../helpers/s3rver.js';

// cloud.yaml's `objectStore: { engine: s3 }` through the installer: `faststart install --all-in-one` writes the
// engine's settings into walrus's config (0600: it holds the engine's secret key) and nowhere else, walrus comes up
// healthy on the engine, and an object the aws CLI uploads lands in the engine's bucket under the prefix.
t.setTimeout(5 * 60_000);

const engine = await startS3Engine(t, 'objects');
const dir = temporaryDir('install-object-store');
const name = `os${process.pid}`;
const prefix = join(dir, 'root');
const home = join(dir, 'home');
const env = installerEnv(home);
const ports = await allInOnePorts();
const objectStoreYaml = [
  'objectStore:',
  '  engine: s3',
  `  endpoint: ${engine.endpoint}`,
  `  bucket: ${engine.bucket}`,
  `  prefix: ${name}`,
  `  accessKeyId: ${engine.accessKeyId}`,
  `  secretAccessKey: ${engine.secretAccessKey}`,
  `  caFile: ${engine.caFile}`,
  '',
].join('\n');
const configFile = join(dir, 'cloud.yaml');
writeFileSync(configFile, allInOneCloudYaml({ name, dataDir: join(dir, 'data'), ports, objectStoreYaml }));
const configDir = join(prefix, 'etc', 'mallee', name);
t.teardown(() => uninstallTestCloud(name, join(prefix, 'run', 'mallee', name), env));

const installed = await runCli(
  'faststart',
  ['install', '--all-in-one', '--config', configFile, '--yes', '--no-smoke-test', '--prefix', prefix],
  { env },
);

t.test('the installer hands the engine to walrus alone, in a 0600 config', async (t) => {
  t.equal(installed.code, 0, installed.stderr);
  const walrusConfig = join(configDir, 'walrus.json');
  t.equal(statSync(walrusConfig).mode & 0o777, 0o600);
  const settings = JSON.parse(readFileSync(walrusConfig, 'utf8')).settings as { objectStore?: Record<string, string> };
  t.match(settings.objectStore, {
    engine: 's3',
    endpoint: engine.endpoint,
    bucket: engine.bucket,
    prefix: `${name}/`,
    caFile: engine.caFile,
  });
  for (const other of ['clc', 'cc-zone-a', 'nc-local']) {
    const text = readFileSync(join(configDir, `${other}.json`), 'utf8');
    t.notOk(
      text.includes('"objectStore"') || text.includes(engine.endpoint),
      `${other}.json knows nothing of the engine`,
    );
  }
  const cloudDir = join(home, name);
  const health = await curl(`https://127.0.0.1:${ports.walrus}/healthz`, { ca: join(cloudDir, 'pki', 'ca.pem') });
  t.match(JSON.parse(health.stdout), { status: 'ok', store: `s3 ${engine.endpoint}/${engine.bucket}/${name}/` });
});

t.test('an object the aws CLI uploads lands in the engine, and reads back', async (t) => {
  const cloudDir = join(home, name);
  const awsEnv = installedCloudAwsEnv(cloudDir, join(cloudDir, 'pki', 'ca.pem'));
  const file = join(dir, 'upload.bin');
  const bytes = randomBytes(2 * 1024 * 1024 + 3);
  writeFileSync(file, bytes);
  const aws = (...args: string[]) => runCommand('aws', args, { env: awsEnv });
  const made = await aws('s3', 'mb', 's3://albums');
  t.equal(made.code, 0, made.stderr);
  // One PutObject (the CLI goes multipart from 8 MiB): one blob.
  const copied = await aws('s3', 'cp', file, 's3://albums/upload.bin');
  t.equal(copied.code, 0, copied.stderr);
  const keys = await engine.keys(`${name}/`);
  t.equal(keys.length, 1, 'one blob in the engine');
  t.match(keys[0], new RegExp(`^${name}/[0-9a-f]{32}$`));
  const back = join(dir, 'back.bin');
  const fetched = await aws('s3', 'cp', 's3://albums/upload.bin', back);
  t.equal(fetched.code, 0, fetched.stderr);
  const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');
  t.equal(sha256(readFileSync(back)), sha256(bytes), 'byte-identical');
});
