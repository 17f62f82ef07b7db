// Drives the built CLIs (run `npx tsc -p tsconfig.json` first) as a user would, in a temporary folder.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { X509Certificate } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import type { CloudFile } from '../../src/cloud/cloud-file.js';
import { PkiStore } from '../../src/pki/pki-store.js';
import { projectRoot, runCli, runCommand } from '../helpers/cli.js';

const root = projectRoot;
const run = (bin: 'faststart' | 'cloudctl', args: string[], env: NodeJS.ProcessEnv) =>
  runCli(bin, args, { env, cwd: root });

function mode(path: string): number {
  return statSync(path).mode & 0o777;
}

function writeCloud(path: string, pkiDir: string): void {
  const cloud: CloudFile = {
    name: 'lab',
    region: 'lab-1',
    zone: 'lab-1a',
    endpoints: {
      ec2: 'https://127.0.0.1:8773/services/compute',
      s3: 'https://127.0.0.1:8773/services/objectstorage',
      iam: 'https://127.0.0.1:8773/services/Euare',
      sts: 'https://127.0.0.1:8773/services/Tokens',
      admin: 'https://127.0.0.1:8773/services/admin',
    },
    credentials: { accessKeyId: 'AKIAEXAMPLE', secretAccessKey: 'secret' },
    caBundle: '',
    pkiDir,
  };
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, JSON.stringify(cloud, null, 2), { mode: 0o600 });
}

t.before(() => {
  if (!existsSync(join(root, 'dist/commands/faststart/certs.js'))) {
    throw new Error('dist/ is not built: run `npx tsc -p tsconfig.json` first');
  }
});

t.test('faststart certs and cloudctl certs', async (t) => {
  const work = mkdtempSync(join(tmpdir(), 'mallee-certs-cli-'));
  t.teardown(() => rmSync(work, { recursive: true, force: true }));
  const env: NodeJS.ProcessEnv = { ...process.env, MALLEE_HOME: join(work, 'home'), NO_COLOR: '1' };
  env.MALLEE_CLOUD = undefined; // undefined, not deleted: runCli merges process.env, and Node drops undefined entries
  const pki = join(work, 'pki');
  const hostFlags = ['--host', 'clc=10.0.0.2', '--host', 'node1=10.0.0.5,node1.lab'];

  t.test('faststart certs creates the CA and a certificate per host', async (t) => {
    const result = await run('faststart', ['certs', '--dir', pki, '--cloud-name', 'lab', ...hostFlags], env);
    t.equal(result.code, 0, result.stderr);
    t.match(result.stdout, /^CA created: Mallee cloud CA \(lab\), expires \d{4}-\d\d-\d\d/);
    t.match(result.stdout, /^clc\s+created\s+no certificate yet\s+10\.0\.0\.2,clc,localhost,127\.0\.0\.1,::1\s/m);
    t.match(result.stdout, /^node1\s+created\s+no certificate yet\s+10\.0\.0\.5,node1\.lab,node1,localhost/m);
    for (const key of ['ca-key.pem', 'hosts/clc-key.pem', 'hosts/node1-key.pem'])
      t.equal(mode(join(pki, key)), 0o600, key);
    for (const cert of ['ca.pem', 'hosts/clc.pem', 'hosts/node1.pem']) t.equal(mode(join(pki, cert)), 0o644, cert);
  });

  t.test('run again, it keeps what is good and renews what lacks an address (--json)', async (t) => {
    const caBefore = readFileSync(join(pki, 'ca.pem'), 'utf8');
    const args = ['certs', '--dir', pki, '--cloud-name', 'lab', '--host', 'clc=10.0.0.2,10.0.0.3'];
    const result = await run('faststart', [...args, '--host', 'node1=10.0.0.5', '--json'], env);
    t.equal(result.code, 0, result.stderr);
    const output = JSON.parse(result.stdout);
    t.match(output, {
      dir: pki,
      ca: { action: 'kept', certificate: { name: 'ca', kind: 'ca', subject: 'Mallee cloud CA (lab)', verifies: true } },
      hosts: [
        { hostName: 'clc', action: 'renewed', reason: 'lacks 10.0.0.3' },
        { hostName: 'node1', action: 'kept', certificate: { sans: ['10.0.0.5', 'node1.lab', 'node1'] } },
      ],
    });
    t.equal(readFileSync(join(pki, 'ca.pem'), 'utf8'), caBefore, 'the CA is never replaced');
  });

  t.test('faststart certs refuses a malformed --host', async (t) => {
    const result = await run('faststart', ['certs', '--dir', pki, '--cloud-name', 'lab', '--host', 'node1'], env);
    t.equal(result.code, 2);
    t.match(result.stderr, /Error: --host "node1" should be NAME=ADDRESS/);
    t.match(result.stderr, /Hint: /);
  });

  const cloudPath = join(work, 'cloud', 'cloud.json');
  writeCloud(cloudPath, pki);

  t.test('cloudctl certs list --json', async (t) => {
    const result = await run('cloudctl', ['certs', 'list', '--cloud', cloudPath, '--json'], env);
    t.equal(result.code, 0, result.stderr);
    const output = JSON.parse(result.stdout);
    t.match(output, { cloud: 'lab', pkiDir: pki });
    t.same(
      output.certificates.map((certificate: { name: string }) => certificate.name),
      ['ca', 'clc', 'node1'],
    );
    for (const certificate of output.certificates) {
      t.match(
        certificate,
        {
          name: String,
          kind: /^(ca|host)$/,
          path: String,
          subject: String,
          issuer: 'Mallee cloud CA (lab)',
          sans: Array,
          notBefore: String,
          notAfter: String,
          daysLeft: Number,
          fingerprint256: /^([0-9A-F]{2}:){31}[0-9A-F]{2}$/,
          verifies: true,
        },
        certificate.name,
      );
    }
    t.same(output.certificates[1].sans, ['10.0.0.2', '10.0.0.3', 'clc', 'localhost', '127.0.0.1', '::1']);
  });

  t.test('cloudctl certs list prints a table', async (t) => {
    const result = await run('cloudctl', ['certs', 'list', '--cloud', cloudPath], env);
    t.equal(result.code, 0, result.stderr);
    const [header, ...rows] = result.stdout.trimEnd().split('\n');
    t.match(header, /^NAME\s+SANS\s+EXPIRES\s+DAYS LEFT\s+VERIFIES$/);
    t.equal(rows.length, 3);
    t.match(rows[0], /^ca \(Mallee cloud CA \(lab\)\)\s+-\s+\d{4}-\d\d-\d\d\s+36\d\d\s+yes$/);
    t.match(
      rows[2],
      /^node1\s+10\.0\.0\.5,node1\.lab,node1,localhost,127\.0\.0\.1,::1\s+\d{4}-\d\d-\d\d\s+82\d\s+yes$/,
    );
    const csv = await run('cloudctl', ['certs', 'list', '--cloud', cloudPath, '--output', 'csv'], env);
    const [csvHeader, , , node1] = csv.stdout.trimEnd().split('\n');
    t.equal(csvHeader, 'NAME,SANS,EXPIRES,DAYS LEFT,VERIFIES');
    t.match(
      node1,
      /^node1,"10\.0\.0\.5,node1\.lab,node1,localhost,127\.0\.0\.1,::1",\d{4}-\d\d-\d\d,82\d,yes$/,
      'SANs quoted',
    );
  });

  t.test('cloudctl certs issue adds a host, and renews one without new addresses', async (t) => {
    const issued = await run(
      'cloudctl',
      ['certs', 'issue', 'node2', '--address', '10.0.0.6', '--address', 'node2.lab', '--cloud', cloudPath, '--json'],
      env,
    );
    t.equal(issued.code, 0, issued.stderr);
    t.match(JSON.parse(issued.stdout), {
      hostName: 'node2',
      action: 'created',
      certificate: { sans: ['10.0.0.6', 'node2.lab', 'node2', 'localhost', '127.0.0.1', '::1'], verifies: true },
    });
    t.equal(mode(join(pki, 'hosts/node2-key.pem')), 0o600);

    const renewed = await run('cloudctl', ['certs', 'issue', 'node2', '--cloud', cloudPath], env);
    t.equal(renewed.code, 0, renewed.stderr);
    t.match(renewed.stdout, /^node2\s+renewed\s+renewal asked for\s+10\.0\.0\.6,node2\.lab,node2,/m);
  });

  t.test('cloudctl certs revoke: asks first, refuses an unknown host, lists and deletes the certificate', async (t) => {
    const unasked = await run('cloudctl', ['certs', 'revoke', 'node2', '--cloud', cloudPath], env);
    t.equal(unasked.code, 2, 'no terminal to ask on and no --yes: refused');
    t.match(unasked.stderr, /Revoke the certificate of node2\? .*There is no terminal to ask on/);
    t.ok(existsSync(join(pki, 'hosts/node2.pem')), 'nothing revoked');
    const unknown = await run('cloudctl', ['certs', 'revoke', 'node9', '--yes', '--cloud', cloudPath], env);
    t.equal(unknown.code, 4);
    t.match(unknown.stderr, /holds no certificate for node9/);

    const serial = new X509Certificate(readFileSync(join(pki, 'hosts/node2.pem'))).serialNumber.toLowerCase();
    const revoked = await run('cloudctl', ['certs', 'revoke', 'node2', '--yes', '--cloud', cloudPath], env);
    t.equal(revoked.code, 0, revoked.stderr);
    t.match(revoked.stdout, `Revoked the certificate of node2 (serial ${serial}).`);
    t.match(revoked.stdout, /run `faststart install` again/, 'says how the hosts get the new list');
    t.notOk(
      existsSync(join(pki, 'hosts/node2.pem')) || existsSync(join(pki, 'hosts/node2-key.pem')),
      'cert and key gone',
    );
    const listed = PkiStore.open(pki).revokedHosts();
    t.match(listed, [{ hostName: 'node2', serialNumber: serial }], 'on the revocation list');
    const crl = await runCommand('openssl', ['crl', '-in', join(pki, 'crl.pem'), '-noout', '-text']);
    t.match(crl.stdout.toLowerCase(), `serial number: ${serial}`, 'and in the signed crl.pem');
  });

  t.test('cloudctl certs list shows revoked certificates below the table, and in --json', async (t) => {
    const [revoked] = PkiStore.open(pki).revokedHosts();
    const table = await run('cloudctl', ['certs', 'list', '--cloud', cloudPath], env);
    t.equal(table.code, 0, table.stderr);
    t.notMatch(table.stdout, /^node2\s/m, 'node2 is no longer among the certificates');
    t.match(
      table.stdout,
      /^Revoked \(every daemon refuses these\):\n {2}node2 {2}serial [0-9a-f]{32} {2}\d{4}-\d\d-\d\d$/m,
    );
    const json = JSON.parse((await run('cloudctl', ['certs', 'list', '--cloud', cloudPath, '--json'], env)).stdout);
    t.same(json.revoked, [revoked]);
    const csv = await run('cloudctl', ['certs', 'list', '--cloud', cloudPath, '--output', 'csv'], env);
    t.notMatch(csv.stdout, /Revoked/, 'csv stays one list of certificates');
  });

  t.test('a cloud named under MALLEE_HOME, with a pkiDir relative to its cloud.json', async (t) => {
    writeCloud(join(work, 'home', 'lab', 'cloud.json'), '../../pki');
    const result = await run('cloudctl', ['certs', 'list', '--cloud', 'lab', '--json'], env);
    t.equal(result.code, 0, result.stderr);
    t.equal(JSON.parse(result.stdout).certificates.length, 3, 'the CA, clc and node1 (node2 was revoked)');
  });

  t.test('a missing cloud exits 4', async (t) => {
    const missing = join(work, 'nowhere', 'cloud.json');
    const text = await run('cloudctl', ['certs', 'list', '--cloud', missing], env);
    t.equal(text.code, 4);
    t.match(text.stderr, /Error: No cloud file at .*nowhere\/cloud\.json\./);
    t.match(text.stderr, /Hint: /);
    const json = await run(
      'cloudctl',
      ['certs', 'issue', 'node3', '--address', '10.0.0.7', '--cloud', missing, '--json'],
      env,
    );
    t.equal(json.code, 4);
    t.match(JSON.parse(json.stdout), { error: { code: 'notFound', message: /No cloud file/ } });
  });

  t.test('a cloud whose pkiDir holds no CA exits 4', async (t) => {
    const emptyCloud = join(work, 'empty', 'cloud.json');
    writeCloud(emptyCloud, join(work, 'empty', 'pki'));
    const result = await run('cloudctl', ['certs', 'list', '--cloud', emptyCloud, '--json'], env);
    t.equal(result.code, 4);
    t.match(JSON.parse(result.stdout), {
      error: { code: 'notFound', message: /No cloud CA in/, hint: /faststart certs/ },
    });
  });
});
