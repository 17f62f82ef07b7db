import { generateKeyPairSync } from 'node:crypto';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { generateKeyPair, readPublicKey, type ImportedPublicKey } from '../../../services/clc/models/key-material.js';
import { runCommand, temporaryDir } from '../../helpers/cli.js';

/**
 * Every fingerprint is checked against what OpenSSH and OpenSSL print for the same key, the commands AWS's own
 * guide gives for verifying a key pair; a private key EC2 creates must be one `ssh-keygen` reads and derives the
 * stored public key from.
 */

const dir = temporaryDir('key-material');
t.teardown(() => rmSync(dir, { recursive: true, force: true }));

async function sh(t: Test, script: string): Promise<string> {
  const result = await runCommand('/bin/sh', ['-c', script], { cwd: dir });
  if (result.code !== 0) t.fail(`${script}: ${result.stderr}`);
  return result.stdout;
}

function file(name: string, content: string | Buffer): string {
  const path = join(dir, name);
  writeFileSync(path, content, { mode: 0o600 });
  return path;
}

/** `MD5(stdin)= aa:bb:...` -> `aa:bb:...` */
const digestOf = (output: string) => output.trim().replace(/^.*= /, '');

/** `256 SHA256:abc... comment (ED25519)` -> `abc...=` (AWS pads the base64; OpenSSH drops the `=`). */
const sha256Of = (output: string) => `${/SHA256:(\S+)/.exec(output)?.[1] ?? 'none'}=`;

/** The key part of an authorized_keys line, without the comment. */
const keyPart = (line: string) => line.trim().split(' ').slice(0, 2).join(' ');

t.test('a created RSA key pair', async (t) => {
  const key = generateKeyPair('rsa', 'web server');
  t.equal(key.keyType, 'rsa');
  t.match(key.privateKey, /^-----BEGIN RSA PRIVATE KEY-----\n[\s\S]+\n-----END RSA PRIVATE KEY-----\n$/);
  t.match(key.publicKey, /^ssh-rsa AAAAB3NzaC1yc2E[A-Za-z0-9+/=]+ web server$/);
  const privatePath = file('created-rsa.pem', key.privateKey);
  const publicPath = file('created-rsa.pub', `${key.publicKey}\n`);

  const derived = await sh(t, `ssh-keygen -y -f ${privatePath}`);
  t.equal(keyPart(derived), keyPart(key.publicKey), 'the private key matches the stored public key');
  t.match(await sh(t, `ssh-keygen -l -f ${publicPath}`), /^2048 SHA256:/, '2048 bits');

  const sha1 = await sh(t, `openssl pkcs8 -topk8 -nocrypt -in ${privatePath} -outform DER | openssl sha1 -c`);
  t.match(key.fingerprint, /^([0-9a-f]{2}:){19}[0-9a-f]{2}$/);
  t.equal(key.fingerprint, digestOf(sha1), 'SHA-1 of the PKCS#8 DER private key');
});

t.test('a created ed25519 key pair', async (t) => {
  const key = generateKeyPair('ed25519', 'deploy');
  t.equal(key.keyType, 'ed25519');
  t.match(key.privateKey, /^-----BEGIN OPENSSH PRIVATE KEY-----\n[\s\S]+\n-----END OPENSSH PRIVATE KEY-----\n$/);
  for (const line of key.privateKey.trim().split('\n').slice(1, -1)) t.ok(line.length <= 70, 'lines of 70');
  t.match(key.publicKey, /^ssh-ed25519 AAAAC3NzaC1lZDI1NTE5[A-Za-z0-9+/=]+ deploy$/);
  const privatePath = file('created-ed25519', key.privateKey);
  const publicPath = file('created-ed25519.pub', `${key.publicKey}\n`);

  t.equal(
    (await sh(t, `ssh-keygen -y -f ${privatePath}`)).trim(),
    key.publicKey,
    'ssh-keygen reads the private key, its comment included, and derives the stored public key',
  );
  t.equal(key.fingerprint, sha256Of(await sh(t, `ssh-keygen -l -E sha256 -f ${publicPath}`)));
  t.match(key.fingerprint, /^[A-Za-z0-9+/]{43}=$/);

  // The private key really signs: ssh-keygen signs with it and verifies against the public key.
  file('allowed', `deploy ${key.publicKey}\n`);
  file('message', 'hello');
  await sh(t, `ssh-keygen -q -Y sign -n file -f ${privatePath} message`);
  const verified = await sh(t, `ssh-keygen -Y verify -f allowed -I deploy -n file -s message.sig < message`);
  t.match(verified, /Good "file" signature for deploy/);
});

t.test('two created keys differ', async (t) => {
  const [a, b] = [generateKeyPair('ed25519', 'x'), generateKeyPair('ed25519', 'x')];
  t.not(a.publicKey, b.publicKey);
  t.not(a.fingerprint, b.fingerprint);
});

t.test('imported RSA keys in every format EC2 reads', async (t) => {
  for (const bits of [2048, 4096]) {
    const path = join(dir, `imported-rsa-${bits}`);
    await sh(t, `ssh-keygen -q -t rsa -b ${bits} -N '' -C 'alice@laptop' -f ${path}`);
    const line = readFileSync(`${path}.pub`, 'utf8');
    const md5 = digestOf(
      await sh(t, `ssh-keygen -e -m PKCS8 -f ${path}.pub | openssl pkey -pubin -outform DER | openssl md5 -c`),
    );
    const expected: ImportedPublicKey = { keyType: 'rsa', publicKey: line.trim(), fingerprint: md5 };
    t.same(readPublicKey(Buffer.from(line)), expected, `${bits}: OpenSSH line; MD5 of the DER public key`);
    t.not(
      md5,
      (await sh(t, `ssh-keygen -l -E md5 -f ${path}.pub`)).split(' ')[1]?.replace(/^MD5:/, ''),
      'not the MD5 of the SSH blob',
    );

    const withoutComment = { ...expected, publicKey: keyPart(line) };
    const spkiPem = await sh(t, `ssh-keygen -e -m PKCS8 -f ${path}.pub`);
    t.same(readPublicKey(Buffer.from(spkiPem)), withoutComment, 'PEM SubjectPublicKeyInfo');
    const pkcs1Pem = await sh(t, `ssh-keygen -e -m PEM -f ${path}.pub`);
    t.same(readPublicKey(Buffer.from(pkcs1Pem)), withoutComment, 'PEM PKCS#1');
    await sh(t, `ssh-keygen -e -m PKCS8 -f ${path}.pub | openssl pkey -pubin -outform DER -out ${path}.der`);
    const der = readFileSync(`${path}.der`);
    t.same(readPublicKey(der), withoutComment, 'DER SubjectPublicKeyInfo');
    t.same(readPublicKey(Buffer.from(der.toString('base64'))), withoutComment, 'DER, base64-encoded once more');
    const rfc4716 = await sh(t, `ssh-keygen -e -f ${path}.pub`);
    t.same(
      readPublicKey(Buffer.from(rfc4716)),
      {
        ...expected,
        publicKey: `${keyPart(line)} ${bits}-bit RSA, converted by ${/by (\S+) from/.exec(rfc4716)?.[1]} from OpenSSH`,
      },
      'RFC 4716, with its comment header',
    );
  }
});

t.test('imported ed25519 keys', async (t) => {
  const path = join(dir, 'imported-ed25519');
  await sh(t, `ssh-keygen -q -t ed25519 -N '' -C 'bob' -f ${path}`);
  const line = readFileSync(`${path}.pub`, 'utf8').trim();
  const fingerprint = sha256Of(await sh(t, `ssh-keygen -l -E sha256 -f ${path}.pub`));
  t.same(readPublicKey(Buffer.from(`${line}\n`)), { keyType: 'ed25519', publicKey: line, fingerprint });
  const rfc4716 = await sh(t, `ssh-keygen -e -f ${path}.pub`);
  t.equal(readPublicKey(Buffer.from(rfc4716)).fingerprint, fingerprint, 'RFC 4716');

  // OpenSSH cannot write an ed25519 SubjectPublicKeyInfo; OpenSSL can, and its last 32 bytes are the key.
  await sh(t, `openssl genpkey -algorithm ed25519 -out ${path}-openssl.pem`);
  await sh(t, `openssl pkey -in ${path}-openssl.pem -pubout -outform DER -out ${path}-openssl.der`);
  const der = readFileSync(`${path}-openssl.der`);
  const imported = readPublicKey(der);
  const blob = Buffer.from(imported.publicKey.split(' ')[1] ?? '', 'base64');
  t.same(blob.subarray(-32), der.subarray(-32), 'the same public key');
  file('openssl-ed25519.pub', `${imported.publicKey}\n`);
  t.equal(imported.fingerprint, sha256Of(await sh(t, 'ssh-keygen -l -E sha256 -f openssl-ed25519.pub')));
});

t.test('material EC2 refuses', async (t) => {
  const refused = (what: string, material: string | Buffer, message = /not in valid OpenSSH public key format/) =>
    t.throws(() => readPublicKey(Buffer.from(material)), { name: 'KeyFormatError', message }, what);
  const ecdsa = join(dir, 'ecdsa');
  await sh(t, `ssh-keygen -q -t ecdsa -N '' -f ${ecdsa}`);
  refused('an ECDSA key', readFileSync(`${ecdsa}.pub`));
  refused('garbage', 'hello world');
  refused('nothing', '');
  const rsaLine = readPublicKey(Buffer.from(generateKeyPair('rsa', '').publicKey)).publicKey;
  const blob = rsaLine.split(' ')[1] ?? '';
  refused('a truncated blob', `ssh-rsa ${Buffer.from(blob, 'base64').subarray(0, 100).toString('base64')}`);
  refused('trailing bytes', `ssh-rsa ${Buffer.concat([Buffer.from(blob, 'base64'), Buffer.of(0)]).toString('base64')}`);
  refused('a label that is not the blob type', `ssh-ed25519 ${blob}`);
  const small = generateKeyPairSync('rsa', { modulusLength: 768 }).publicKey.export({ type: 'spki', format: 'pem' });
  refused('RSA below 1024 bits', small, /Invalid RSA key length 768/);
  const p256 = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ type: 'spki', format: 'der' });
  refused('an EC SubjectPublicKeyInfo', p256);
});
