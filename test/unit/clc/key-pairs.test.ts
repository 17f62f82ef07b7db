import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Kysely } from 'kysely';
import t, { type Test } from 'tap';
import type { Database } from '../../../src/db/schema.js';
import { keyPairHandlers } from '../../../services/clc/handlers/ec2/key-pairs.js';
import { publicKeyOf } from '../../../services/clc/models/key-pairs.js';
import { listTagDescriptions } from '../../../services/clc/models/resources.js';
import { runCommand, temporaryDir } from '../../helpers/cli.js';
import { backends } from '../db/backends.js';
import { expectServiceError, rootContext } from '../../helpers/clc-models.js';

const dir = temporaryDir('key-pairs');
t.teardown(() => rmSync(dir, { recursive: true, force: true }));

const accountContext = (db: Kysely<Database>, name: string) => rootContext(db, name);

const { CreateKeyPair, ImportKeyPair, DescribeKeyPairs, DeleteKeyPair } = keyPairHandlers;

const notFound = (name: string) => ({
  code: 'InvalidKeyPair.NotFound',
  message: `The key pair '${name}' does not exist`,
});

async function sshKeygenPublic(t: Test, privateKey: string): Promise<string> {
  const path = join(dir, `private-${Math.random().toString(16).slice(2)}`);
  writeFileSync(path, privateKey, { mode: 0o600 });
  const result = await runCommand('ssh-keygen', ['-y', '-f', path]);
  t.equal(result.code, 0, result.stderr);
  return result.stdout.trim().split(' ').slice(0, 2).join(' ');
}

for (const backend of await backends(t)) {
  t.test(backend.name, async (t) => {
    t.test('CreateKeyPair: RSA by default, the private key once, the public key kept', async (t) => {
      const db = await backend.fresh(t);
      const context = await accountContext(db, 'alice');
      const created = await CreateKeyPair({ KeyName: 'web' }, context);
      t.match(created, {
        KeyName: 'web',
        KeyPairId: /^key-[0-9a-f]{17}$/,
        KeyFingerprint: /^([0-9a-f]{2}:){19}[0-9a-f]{2}$/,
        KeyMaterial: /^-----BEGIN RSA PRIVATE KEY-----\n/,
      });
      t.equal(created.Tags, undefined, 'no tags, no Tags member');

      const described = await DescribeKeyPairs({}, context);
      t.equal(described.KeyPairs?.length, 1);
      const [key] = described.KeyPairs ?? [];
      t.match(key, {
        KeyPairId: created.KeyPairId,
        KeyName: 'web',
        KeyType: 'rsa',
        KeyFingerprint: created.KeyFingerprint,
        Tags: [],
      });
      t.type(key?.CreateTime, Date);
      t.notOk(key && 'KeyMaterial' in key, 'the private key is never shown again');
      t.notOk(key && 'PublicKey' in key, 'the public key only when asked for');

      const withPublic = await DescribeKeyPairs({ IncludePublicKey: true }, context);
      const publicKey = withPublic.KeyPairs?.[0]?.PublicKey ?? '';
      t.match(publicKey, /^ssh-rsa AAAA\S+ web$/);
      t.equal(await publicKeyOf(db, context.caller.accountId, 'web'), publicKey);
      t.equal(
        await sshKeygenPublic(t, created.KeyMaterial ?? ''),
        publicKey.replace(/ web$/, ''),
        'the private key handed out belongs to the public key stored',
      );
    });

    t.test('CreateKeyPair: ed25519, with tags', async (t) => {
      const db = await backend.fresh(t);
      const context = await accountContext(db, 'alice');
      const created = await CreateKeyPair(
        {
          KeyName: 'deploy key',
          KeyType: 'ed25519',
          KeyFormat: 'pem',
          TagSpecifications: [{ ResourceType: 'key-pair', Tags: [{ Key: 'team', Value: 'ops' }] }],
        },
        context,
      );
      t.match(created, {
        KeyFingerprint: /^[A-Za-z0-9+/]{43}=$/,
        KeyMaterial: /^-----BEGIN OPENSSH PRIVATE KEY-----\n/,
        Tags: [{ Key: 'team', Value: 'ops' }],
      });
      const publicKey = await publicKeyOf(db, context.caller.accountId, 'deploy key');
      t.match(publicKey, /^ssh-ed25519 AAAA\S+ deploy key$/);
      t.equal(await sshKeygenPublic(t, created.KeyMaterial ?? ''), publicKey.replace(/ deploy key$/, ''));
      const tagged = await DescribeKeyPairs({ Filters: [{ Name: 'tag:team', Values: ['ops'] }] }, context);
      t.same(
        tagged.KeyPairs?.map((key) => [key.KeyName, key.KeyType]),
        [['deploy key', 'ed25519']],
      );
      await expectServiceError(
        t,
        CreateKeyPair(
          { KeyName: 'other', TagSpecifications: [{ ResourceType: 'instance', Tags: [{ Key: 'a', Value: 'b' }] }] },
          context,
        ),
        { code: 'InvalidParameterValue', message: /'instance' is not a valid taggable resource type/ },
      );
      await expectServiceError(t, DescribeKeyPairs({ KeyNames: ['other'] }, context), notFound('other'));
    });

    t.test('names: duplicates, length, character set; types and formats', async (t) => {
      const db = await backend.fresh(t);
      const context = await accountContext(db, 'alice');
      await CreateKeyPair({ KeyName: 'web' }, context);
      const duplicate = { code: 'InvalidKeyPair.Duplicate', message: "The keypair 'web' already exists." };
      await expectServiceError(t, CreateKeyPair({ KeyName: 'web', KeyType: 'ed25519' }, context), duplicate);
      const { stdout: line } = await runCommand('/bin/sh', [
        '-c',
        `ssh-keygen -q -t ed25519 -N '' -f ${dir}/dup-${backend.name} && cat ${dir}/dup-${backend.name}.pub`,
      ]);
      await expectServiceError(
        t,
        ImportKeyPair({ KeyName: 'web', PublicKeyMaterial: Buffer.from(line) }, context),
        duplicate,
      );
      t.ok(await CreateKeyPair({ KeyName: 'WEB', KeyType: 'ed25519' }, context), 'names are case-sensitive');

      const longest = 'k'.repeat(255);
      t.equal((await CreateKeyPair({ KeyName: longest, KeyType: 'ed25519' }, context)).KeyName, longest);
      await expectServiceError(t, CreateKeyPair({ KeyName: `${longest}k` }, context), {
        code: 'InvalidParameterValue',
        message: /for parameter KeyName is invalid\. Length exceeds maximum of 255 characters\./,
      });
      await expectServiceError(t, CreateKeyPair({ KeyName: 'clé' }, context), {
        code: 'InvalidParameterValue',
        message: 'Value (clé) for parameter KeyName is invalid. Character sets beyond ASCII are not supported.',
      });
      await expectServiceError(t, CreateKeyPair({ KeyName: '' }, context), {
        code: 'MissingParameter',
        message: 'The request must contain the parameter KeyName',
      });
      await expectServiceError(t, CreateKeyPair({ KeyName: 'dsa', KeyType: 'dsa' }, context), {
        code: 'InvalidParameterValue',
        message: 'Value (dsa) for parameter KeyType is invalid. Valid values: rsa, ed25519.',
      });
      await expectServiceError(t, CreateKeyPair({ KeyName: 'putty', KeyFormat: 'ppk' }, context), {
        code: 'InvalidParameterValue',
        message: /^Value \(ppk\) for parameter KeyFormat is invalid\. This cloud creates key pairs as pem only/,
      });
      t.same(
        (await DescribeKeyPairs({}, context)).KeyPairs?.map((key) => key.KeyName),
        ['WEB', longest, 'web'],
        'in name order, nothing half-created',
      );
    });

    t.test('ImportKeyPair: fingerprints as AWS computes them; bad material refused', async (t) => {
      const db = await backend.fresh(t);
      const context = await accountContext(db, 'alice');
      const path = join(dir, `import-${backend.name}`);
      const keygen = await runCommand('/bin/sh', [
        '-c',
        `ssh-keygen -q -t rsa -b 2048 -N '' -C laptop -f ${path} && ` +
          `ssh-keygen -e -m PKCS8 -f ${path}.pub | openssl pkey -pubin -outform DER | openssl md5 -c`,
      ]);
      const md5 = keygen.stdout.trim().replace(/^.*= /, '');
      const line = readFileSync(`${path}.pub`, 'utf8');
      const imported = await ImportKeyPair(
        {
          KeyName: 'laptop',
          PublicKeyMaterial: Buffer.from(line),
          TagSpecifications: [{ ResourceType: 'key-pair', Tags: [{ Key: 'owner', Value: 'alice' }] }],
        },
        context,
      );
      t.match(imported, { KeyName: 'laptop', KeyPairId: /^key-[0-9a-f]{17}$/, Tags: [{ Key: 'owner' }] });
      t.equal(imported.KeyFingerprint, md5, 'MD5 of the DER public key');
      t.notOk('KeyMaterial' in imported);
      t.equal(await publicKeyOf(db, context.caller.accountId, 'laptop'), line.trim());
      const [described] = (await DescribeKeyPairs({ KeyPairIds: [imported.KeyPairId ?? ''] }, context)).KeyPairs ?? [];
      t.match(described, { KeyName: 'laptop', KeyType: 'rsa', KeyFingerprint: md5 });

      await expectServiceError(
        t,
        ImportKeyPair({ KeyName: 'bad', PublicKeyMaterial: Buffer.from('ssh-rsa AAAAnotakey') }, context),
        { code: 'InvalidKey.Format', message: 'Key is not in valid OpenSSH public key format' },
      );
      await expectServiceError(
        t,
        ImportKeyPair({ KeyName: 'bad', PublicKeyMaterial: new Uint8Array([1, 2, 3]) }, context),
        {
          code: 'InvalidKey.Format',
          message: 'Key is not in valid OpenSSH public key format',
        },
      );
      await expectServiceError(t, DescribeKeyPairs({ KeyNames: ['bad'] }, context), notFound('bad'));
    });

    t.test('DescribeKeyPairs: names, ids and filters', async (t) => {
      const db = await backend.fresh(t);
      const context = await accountContext(db, 'alice');
      const a = await CreateKeyPair({ KeyName: 'web-1', KeyType: 'ed25519' }, context);
      const b = await CreateKeyPair({ KeyName: 'web-2' }, context);
      await CreateKeyPair({ KeyName: 'db', KeyType: 'ed25519' }, context);
      const names = async (input: Parameters<typeof DescribeKeyPairs>[0]) =>
        ((await DescribeKeyPairs(input, context)).KeyPairs ?? []).map((key) => key.KeyName);

      t.same(await names({ KeyNames: ['web-2', 'db'] }), ['db', 'web-2']);
      t.same(await names({ KeyPairIds: [a.KeyPairId ?? ''] }), ['web-1']);
      t.same(await names({ Filters: [{ Name: 'key-name', Values: ['web-*'] }] }), ['web-1', 'web-2']);
      t.same(await names({ Filters: [{ Name: 'key-type', Values: ['ed25519'] }] }), ['db', 'web-1']);
      t.same(await names({ Filters: [{ Name: 'fingerprint', Values: [b.KeyFingerprint ?? ''] }] }), ['web-2']);
      t.same(await names({ Filters: [{ Name: 'key-pair-id', Values: [a.KeyPairId ?? '', b.KeyPairId ?? ''] }] }), [
        'web-1',
        'web-2',
      ]);
      t.same(
        await names({
          Filters: [
            { Name: 'key-name', Values: ['web-*'] },
            { Name: 'key-type', Values: ['rsa'] },
          ],
        }),
        ['web-2'],
        'filters combine with AND',
      );
      await expectServiceError(t, DescribeKeyPairs({ KeyNames: ['web-1', 'nope'] }, context), notFound('nope'));
      await expectServiceError(
        t,
        DescribeKeyPairs({ KeyPairIds: ['key-0123456789abcdef0'] }, context),
        notFound('key-0123456789abcdef0'),
      );
      await expectServiceError(t, DescribeKeyPairs({ Filters: [{ Name: 'owner-id', Values: ['x'] }] }, context), {
        code: 'InvalidParameterValue',
        message: "The filter 'owner-id' is invalid",
      });
    });

    t.test('DeleteKeyPair: by name or id, and silently when missing', async (t) => {
      const db = await backend.fresh(t);
      const context = await accountContext(db, 'alice');
      const a = await CreateKeyPair(
        {
          KeyName: 'a',
          KeyType: 'ed25519',
          TagSpecifications: [{ ResourceType: 'key-pair', Tags: [{ Key: 'k', Value: 'v' }] }],
        },
        context,
      );
      const b = await CreateKeyPair({ KeyName: 'b', KeyType: 'ed25519' }, context);
      t.same(await DeleteKeyPair({ KeyName: 'a' }, context), { Return: true, KeyPairId: a.KeyPairId });
      await expectServiceError(t, DescribeKeyPairs({ KeyNames: ['a'] }, context), notFound('a'));
      await expectServiceError(t, publicKeyOf(db, context.caller.accountId, 'a'), notFound('a'));
      t.same(await listTagDescriptions(db, context.caller.accountId), [], 'its tags went with it');
      t.same(await DeleteKeyPair({ KeyName: 'a' }, context), { Return: true }, 'again: no error');
      t.same(await DeleteKeyPair({ KeyPairId: b.KeyPairId ?? '' }, context), { Return: true, KeyPairId: b.KeyPairId });
      t.same((await DescribeKeyPairs({}, context)).KeyPairs, []);
      t.ok(await CreateKeyPair({ KeyName: 'a', KeyType: 'ed25519' }, context), 'the name is free again');
      await expectServiceError(t, DeleteKeyPair({}, context), {
        code: 'MissingParameter',
        message: 'The request must contain the parameter KeyName',
      });
    });

    t.test('accounts do not see, delete or use each other’s key pairs', async (t) => {
      const db = await backend.fresh(t);
      const alice = await accountContext(db, 'alice');
      const bob = await accountContext(db, 'bob');
      const key = await CreateKeyPair({ KeyName: 'shared-name', KeyType: 'ed25519' }, alice);
      t.same((await DescribeKeyPairs({}, bob)).KeyPairs, []);
      await expectServiceError(
        t,
        DescribeKeyPairs({ KeyPairIds: [key.KeyPairId ?? ''] }, bob),
        notFound(key.KeyPairId ?? ''),
      );
      await expectServiceError(t, publicKeyOf(db, bob.caller.accountId, 'shared-name'), notFound('shared-name'));
      t.same(await DeleteKeyPair({ KeyPairId: key.KeyPairId ?? '' }, bob), { Return: true });
      t.same(await DeleteKeyPair({ KeyName: 'shared-name' }, bob), { Return: true });
      const bobs = await CreateKeyPair({ KeyName: 'shared-name', KeyType: 'ed25519' }, bob);
      t.not(bobs.KeyPairId, key.KeyPairId, 'the same name in another account is another key pair');
      t.same(
        (await DescribeKeyPairs({}, alice)).KeyPairs?.map((k) => k.KeyPairId),
        [key.KeyPairId],
        "alice's key survived bob's deletes",
      );
    });

    t.test('two creates of one name at once: one wins', async (t) => {
      const db = await backend.fresh(t);
      const context = await accountContext(db, 'alice');
      const results = await Promise.allSettled(
        [1, 2, 3].map(() => CreateKeyPair({ KeyName: 'race', KeyType: 'ed25519' }, context)),
      );
      t.equal(results.filter((result) => result.status === 'fulfilled').length, 1);
      for (const result of results) {
        if (result.status === 'rejected') t.match(result.reason, { code: 'InvalidKeyPair.Duplicate' });
      }
      t.equal((await DescribeKeyPairs({}, context)).KeyPairs?.length, 1);
    });
  });
}
