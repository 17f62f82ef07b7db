import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  AuthorizeSecurityGroupEgressCommand,
  AuthorizeSecurityGroupIngressCommand,
  CreateKeyPairCommand,
  CreateSecurityGroupCommand,
  DeleteKeyPairCommand,
  DeleteSecurityGroupCommand,
  DescribeKeyPairsCommand,
  DescribeSecurityGroupRulesCommand,
  DescribeSecurityGroupsCommand,
  DescribeTagsCommand,
  ImportKeyPairCommand,
  RevokeSecurityGroupIngressCommand,
} from '@aws-sdk/client-ec2';
import t, { type Test } from 'tap';
import { runCommand, temporaryDir } from '../helpers/cli.js';
import { startClc } from '../helpers/clc.js';

// Key pairs and security groups through the real daemon with the real SDK and the aws CLI v2: fingerprints as AWS
// computes them, private keys that OpenSSH reads, and one account neither seeing, changing nor using another's.
const clc = await startClc(t);
const [alice, bob] = await Promise.all(['alice', 'bob'].map((name) => clc.newAccount(name)));
if (!alice || !bob) throw new Error('accounts were not created');
const aliceEc2 = clc.ec2(alice);
const bobEc2 = clc.ec2(bob);
const dir = temporaryDir('ec2-key-pairs-groups');
t.teardown(() => rmSync(dir, { recursive: true, force: true }));

/** The call fails with this EC2 error code, HTTP status and message. */
async function rejectsWith(t: Test, promise: Promise<unknown>, code: string, message: string | RegExp, status = 400) {
  await t.rejects(promise, { name: code, message, $metadata: { httpStatusCode: status } }, code);
}

async function sh(t: Test, script: string): Promise<string> {
  const result = await runCommand('/bin/sh', ['-c', script], { cwd: dir });
  t.equal(result.code, 0, `${script} ${result.stderr}`);
  return result.stdout;
}

const keyPart = (line: string) => line.trim().split(' ').slice(0, 2).join(' ');

t.test('CreateKeyPair: RSA and ed25519 private keys OpenSSH reads, fingerprints as openssl prints', async (t) => {
  const rsa = await aliceEc2.send(
    new CreateKeyPairCommand({
      KeyName: 'rsa-key',
      TagSpecifications: [{ ResourceType: 'key-pair', Tags: [{ Key: 'team', Value: 'ops' }] }],
    }),
  );
  t.match(rsa, {
    KeyName: 'rsa-key',
    KeyPairId: /^key-[0-9a-f]{17}$/,
    KeyMaterial: /^-----BEGIN RSA PRIVATE KEY-----\n/,
    Tags: [{ Key: 'team', Value: 'ops' }],
  });
  writeFileSync(join(dir, 'rsa.pem'), rsa.KeyMaterial ?? '', { mode: 0o600 });
  const sha1 = await sh(t, 'openssl pkcs8 -topk8 -nocrypt -in rsa.pem -outform DER | openssl sha1 -c');
  t.equal(rsa.KeyFingerprint, sha1.trim().replace(/^.*= /, ''), 'SHA-1 of the PKCS#8 private key');

  const ed = await aliceEc2.send(new CreateKeyPairCommand({ KeyName: 'ed-key', KeyType: 'ed25519' }));
  t.match(ed.KeyMaterial, /^-----BEGIN OPENSSH PRIVATE KEY-----\n/);
  writeFileSync(join(dir, 'ed'), ed.KeyMaterial ?? '', { mode: 0o600 });
  const derived = await sh(t, 'ssh-keygen -y -f ed > ed.pub && cat ed.pub');
  const sha256 = await sh(t, 'ssh-keygen -l -E sha256 -f ed.pub');
  t.equal(ed.KeyFingerprint, `${/SHA256:(\S+)/.exec(sha256)?.[1]}=`, 'base64 SHA-256, padded as AWS pads it');

  const { KeyPairs = [] } = await aliceEc2.send(new DescribeKeyPairsCommand({ IncludePublicKey: true }));
  t.same(
    KeyPairs.map((key) => [key.KeyName, key.KeyType, key.KeyFingerprint]),
    [
      ['ed-key', 'ed25519', ed.KeyFingerprint],
      ['rsa-key', 'rsa', rsa.KeyFingerprint],
    ],
  );
  const edDescribed = KeyPairs.find((key) => key.KeyName === 'ed-key');
  t.equal(keyPart(edDescribed?.PublicKey ?? ''), keyPart(derived), 'the stored public key is the private key’s');
  t.type(edDescribed?.CreateTime, Date);
  t.same(
    (await aliceEc2.send(new DescribeKeyPairsCommand({ KeyNames: ['rsa-key'] }))).KeyPairs?.[0]?.PublicKey,
    undefined,
  );
  const byTag = await aliceEc2.send(new DescribeKeyPairsCommand({ Filters: [{ Name: 'tag:team', Values: ['ops'] }] }));
  t.same(
    byTag.KeyPairs?.map((key) => key.KeyName),
    ['rsa-key'],
  );

  await rejectsWith(
    t,
    aliceEc2.send(new CreateKeyPairCommand({ KeyName: 'rsa-key' })),
    'InvalidKeyPair.Duplicate',
    "The keypair 'rsa-key' already exists.",
  );
  await rejectsWith(
    t,
    aliceEc2.send(new DescribeKeyPairsCommand({ KeyNames: ['nope'] })),
    'InvalidKeyPair.NotFound',
    "The key pair 'nope' does not exist",
  );
  await rejectsWith(
    t,
    aliceEc2.send(new CreateKeyPairCommand({ KeyName: 'dry', DryRun: true })),
    'DryRunOperation',
    'Request would have succeeded, but DryRun flag is set.',
    412,
  );
});

t.test('ImportKeyPair: MD5 of the DER public key for RSA; bad material refused', async (t) => {
  await sh(t, "ssh-keygen -q -t rsa -b 2048 -N '' -C laptop -f imported");
  const md5 = await sh(t, 'ssh-keygen -e -m PKCS8 -f imported.pub | openssl pkey -pubin -outform DER | openssl md5 -c');
  const line = readFileSync(join(dir, 'imported.pub'));
  const imported = await aliceEc2.send(new ImportKeyPairCommand({ KeyName: 'laptop', PublicKeyMaterial: line }));
  t.match(imported, { KeyName: 'laptop', KeyPairId: /^key-[0-9a-f]{17}$/ });
  t.equal(imported.KeyFingerprint, md5.trim().replace(/^.*= /, ''));
  const described = await aliceEc2.send(
    new DescribeKeyPairsCommand({ KeyPairIds: [imported.KeyPairId ?? ''], IncludePublicKey: true }),
  );
  t.equal(described.KeyPairs?.[0]?.PublicKey, line.toString().trim());
  await rejectsWith(
    t,
    aliceEc2.send(
      new ImportKeyPairCommand({ KeyName: 'junk', PublicKeyMaterial: Buffer.from('ssh-rsa bm90IGEga2V5') }),
    ),
    'InvalidKey.Format',
    'Key is not in valid OpenSSH public key format',
  );
});

t.test('DeleteKeyPair: by name and id, silently when missing', async (t) => {
  const key = await aliceEc2.send(new CreateKeyPairCommand({ KeyName: 'short-lived', KeyType: 'ed25519' }));
  t.match(await aliceEc2.send(new DeleteKeyPairCommand({ KeyPairId: key.KeyPairId })), {
    Return: true,
    KeyPairId: key.KeyPairId,
  });
  t.match(await aliceEc2.send(new DeleteKeyPairCommand({ KeyName: 'short-lived' })), { Return: true });
  await rejectsWith(
    t,
    aliceEc2.send(new DescribeKeyPairsCommand({ KeyNames: ['short-lived'] })),
    'InvalidKeyPair.NotFound',
    "The key pair 'short-lived' does not exist",
  );
});

t.test('security groups: the default group, rules, dependencies', async (t) => {
  const { SecurityGroups: initial = [] } = await aliceEc2.send(new DescribeSecurityGroupsCommand({}));
  t.match(initial, [{ GroupName: 'default', OwnerId: alice.accountId, Description: 'default VPC security group' }]);
  const defaultId = initial[0]?.GroupId ?? '';

  const web = await aliceEc2.send(
    new CreateSecurityGroupCommand({
      GroupName: 'web',
      Description: 'web servers',
      TagSpecifications: [{ ResourceType: 'security-group', Tags: [{ Key: 'tier', Value: 'front' }] }],
    }),
  );
  t.match(web, { GroupId: /^sg-[0-9a-f]{17}$/, Tags: [{ Key: 'tier', Value: 'front' }] });
  const webId = web.GroupId ?? '';
  const { GroupId: dbId = '' } = await aliceEc2.send(
    new CreateSecurityGroupCommand({ GroupName: 'db', Description: 'databases' }),
  );
  await rejectsWith(
    t,
    aliceEc2.send(new CreateSecurityGroupCommand({ GroupName: 'web', Description: 'again' })),
    'InvalidGroup.Duplicate',
    "The security group 'web' already exists",
  );

  const authorized = await aliceEc2.send(
    new AuthorizeSecurityGroupIngressCommand({
      GroupId: webId,
      IpPermissions: [
        { IpProtocol: 'tcp', FromPort: 443, ToPort: 443, IpRanges: [{ CidrIp: '0.0.0.0/0', Description: 'https' }] },
        { IpProtocol: 'tcp', FromPort: 22, ToPort: 22, Ipv6Ranges: [{ CidrIpv6: '2001:db8::/32' }] },
      ],
    }),
  );
  t.equal(authorized.Return, true);
  t.match(authorized.SecurityGroupRules, [
    {
      SecurityGroupRuleId: /^sgr-[0-9a-f]{17}$/,
      GroupId: webId,
      IsEgress: false,
      CidrIpv4: '0.0.0.0/0',
      Description: 'https',
    },
    { IpProtocol: 'tcp', FromPort: 22, ToPort: 22, CidrIpv6: '2001:db8::/32' },
  ]);
  await aliceEc2.send(
    new AuthorizeSecurityGroupIngressCommand({
      GroupName: 'db',
      IpPermissions: [{ IpProtocol: 'tcp', FromPort: 5432, ToPort: 5432, UserIdGroupPairs: [{ GroupId: webId }] }],
    }),
  );
  await aliceEc2.send(
    new AuthorizeSecurityGroupIngressCommand({
      GroupName: 'db',
      IpProtocol: 'tcp',
      FromPort: 22,
      ToPort: 22,
      CidrIp: '10.0.0.0/8',
    }),
  );
  await rejectsWith(
    t,
    aliceEc2.send(
      new AuthorizeSecurityGroupIngressCommand({
        GroupName: 'db',
        IpProtocol: 'tcp',
        FromPort: 22,
        ToPort: 22,
        CidrIp: '10.0.0.0/8',
      }),
    ),
    'InvalidPermission.Duplicate',
    'the specified rule "peer: 10.0.0.0/8, TCP, from port: 22, to port: 22, ALLOW" already exists',
  );
  await rejectsWith(
    t,
    aliceEc2.send(
      new AuthorizeSecurityGroupEgressCommand({
        GroupId: dbId,
        IpPermissions: [{ IpProtocol: '-1', IpRanges: [{ CidrIp: '10.0.0.0/33' }] }],
      }),
    ),
    'InvalidParameterValue',
    'Value (10.0.0.0/33) for parameter cidrIp is invalid. This is not a valid CIDR block.',
  );

  const [db] = (await aliceEc2.send(new DescribeSecurityGroupsCommand({ GroupIds: [dbId] }))).SecurityGroups ?? [];
  t.same(db?.IpPermissions, [
    {
      IpProtocol: 'tcp',
      FromPort: 5432,
      ToPort: 5432,
      IpRanges: [],
      Ipv6Ranges: [],
      UserIdGroupPairs: [{ GroupId: webId, UserId: alice.accountId }],
      PrefixListIds: [],
    },
    {
      IpProtocol: 'tcp',
      FromPort: 22,
      ToPort: 22,
      IpRanges: [{ CidrIp: '10.0.0.0/8' }],
      Ipv6Ranges: [],
      UserIdGroupPairs: [],
      PrefixListIds: [],
    },
  ]);
  t.same(db?.IpPermissionsEgress, [
    { IpProtocol: '-1', IpRanges: [{ CidrIp: '0.0.0.0/0' }], Ipv6Ranges: [], UserIdGroupPairs: [], PrefixListIds: [] },
  ]);
  const filtered = await aliceEc2.send(
    new DescribeSecurityGroupsCommand({ Filters: [{ Name: 'ip-permission.group-id', Values: [webId] }] }),
  );
  t.same(
    filtered.SecurityGroups?.map((group) => group.GroupName),
    ['db'],
  );
  const byPort = await aliceEc2.send(
    new DescribeSecurityGroupsCommand({
      Filters: [
        { Name: 'ip-permission.from-port', Values: ['443'] },
        { Name: 'tag:tier', Values: ['front'] },
      ],
    }),
  );
  t.same(
    byPort.SecurityGroups?.map((group) => group.GroupId),
    [webId],
  );
  const rules = await aliceEc2.send(
    new DescribeSecurityGroupRulesCommand({ Filters: [{ Name: 'group-id', Values: [webId] }] }),
  );
  t.equal(rules.SecurityGroupRules?.length, 3, 'two inbound, one outbound');

  await rejectsWith(
    t,
    aliceEc2.send(new DeleteSecurityGroupCommand({ GroupId: webId })),
    'DependencyViolation',
    `resource ${webId} has a dependent object`,
  );
  await rejectsWith(
    t,
    aliceEc2.send(new DeleteSecurityGroupCommand({ GroupName: 'default' })),
    'CannotDelete',
    `the specified group: "${defaultId}" name: "default" cannot be deleted by a user`,
  );
  await aliceEc2.send(
    new RevokeSecurityGroupIngressCommand({
      GroupId: dbId,
      IpPermissions: [{ IpProtocol: 'tcp', FromPort: 5432, ToPort: 5432, UserIdGroupPairs: [{ GroupId: webId }] }],
    }),
  );
  await rejectsWith(
    t,
    aliceEc2.send(
      new RevokeSecurityGroupIngressCommand({
        GroupId: dbId,
        IpPermissions: [{ IpProtocol: 'tcp', FromPort: 5432, ToPort: 5432, UserIdGroupPairs: [{ GroupId: webId }] }],
      }),
    ),
    'InvalidPermission.NotFound',
    'The specified rule does not exist in this security group.',
  );
  await aliceEc2.send(new DeleteSecurityGroupCommand({ GroupId: webId }));
  await rejectsWith(
    t,
    aliceEc2.send(new DescribeSecurityGroupsCommand({ GroupIds: [webId] })),
    'InvalidGroup.NotFound',
    `The security group '${webId}' does not exist`,
  );
  const tags = await aliceEc2.send(new DescribeTagsCommand({ Filters: [{ Name: 'resource-id', Values: [webId] }] }));
  t.same(tags.Tags, [], 'its tags went with it');
});

t.test('another account neither sees, changes nor uses them', async (t) => {
  const { KeyPairs: aliceKeys = [] } = await aliceEc2.send(new DescribeKeyPairsCommand({}));
  const aliceKey = aliceKeys[0];
  t.ok(aliceKey);
  t.same((await bobEc2.send(new DescribeKeyPairsCommand({}))).KeyPairs, []);
  await rejectsWith(
    t,
    bobEc2.send(new DescribeKeyPairsCommand({ KeyPairIds: [aliceKey?.KeyPairId ?? ''] })),
    'InvalidKeyPair.NotFound',
    `The key pair '${aliceKey?.KeyPairId}' does not exist`,
  );
  t.match(await bobEc2.send(new DeleteKeyPairCommand({ KeyPairId: aliceKey?.KeyPairId })), { Return: true });
  t.match(await bobEc2.send(new DeleteKeyPairCommand({ KeyName: aliceKey?.KeyName })), { Return: true });
  const bobsKey = await bobEc2.send(new CreateKeyPairCommand({ KeyName: aliceKey?.KeyName ?? '', KeyType: 'ed25519' }));
  t.not(bobsKey.KeyPairId, aliceKey?.KeyPairId, 'the same name is bob’s own key pair');
  t.same(
    ((await aliceEc2.send(new DescribeKeyPairsCommand({}))).KeyPairs ?? []).map((key) => key.KeyPairId),
    aliceKeys.map((key) => key.KeyPairId),
    'alice’s key pairs survived',
  );

  const { SecurityGroups: aliceGroups = [] } = await aliceEc2.send(
    new DescribeSecurityGroupsCommand({ GroupNames: ['db'] }),
  );
  const dbId = aliceGroups[0]?.GroupId ?? '';
  const { SecurityGroups: bobGroups = [] } = await bobEc2.send(new DescribeSecurityGroupsCommand({}));
  t.same(
    bobGroups.map((group) => [group.GroupName, group.OwnerId]),
    [['default', bob.accountId]],
  );
  const notFound = `The security group '${dbId}' does not exist`;
  await rejectsWith(
    t,
    bobEc2.send(new DescribeSecurityGroupsCommand({ GroupIds: [dbId] })),
    'InvalidGroup.NotFound',
    notFound,
  );
  await rejectsWith(
    t,
    bobEc2.send(
      new AuthorizeSecurityGroupIngressCommand({
        GroupId: dbId,
        IpProtocol: 'tcp',
        FromPort: 1,
        ToPort: 1,
        CidrIp: '0.0.0.0/0',
      }),
    ),
    'InvalidGroup.NotFound',
    notFound,
  );
  await rejectsWith(
    t,
    bobEc2.send(
      new AuthorizeSecurityGroupIngressCommand({
        GroupName: 'default',
        IpPermissions: [{ IpProtocol: '-1', UserIdGroupPairs: [{ GroupId: dbId, UserId: alice.accountId }] }],
      }),
    ),
    'InvalidGroup.NotFound',
    notFound,
  );
  await rejectsWith(
    t,
    bobEc2.send(new DeleteSecurityGroupCommand({ GroupId: dbId })),
    'InvalidGroup.NotFound',
    notFound,
  );
  t.same(
    (await aliceEc2.send(new DescribeSecurityGroupsCommand({ GroupIds: [dbId] }))).SecurityGroups?.[0]?.IpPermissions,
    aliceGroups[0]?.IpPermissions,
    'alice’s group is unchanged',
  );
});

t.test('the aws CLI v2 creates a key pair and lists groups', async (t) => {
  const env = clc.awsEnv(alice);
  const aws = (...args: string[]) => runCommand('/usr/bin/aws', ['--endpoint-url', clc.url, 'ec2', ...args], { env });
  const created = await aws('create-key-pair', '--key-name', 'cli-key', '--key-type', 'ed25519', '--output', 'json');
  t.equal(created.code, 0, created.stderr);
  const { KeyMaterial, KeyFingerprint } = JSON.parse(created.stdout) as { KeyMaterial: string; KeyFingerprint: string };
  writeFileSync(join(dir, 'cli-key'), KeyMaterial, { mode: 0o600 });
  await sh(t, 'ssh-keygen -y -f cli-key > cli-key.pub');
  t.equal(KeyFingerprint, `${/SHA256:(\S+)/.exec(await sh(t, 'ssh-keygen -l -f cli-key.pub'))?.[1]}=`);

  const groups = await aws('describe-security-groups', '--group-names', 'default', '--output', 'json');
  t.equal(groups.code, 0, groups.stderr);
  t.match(JSON.parse(groups.stdout), { SecurityGroups: [{ GroupName: 'default', OwnerId: alice.accountId }] });
  const missing = await aws('delete-security-group', '--group-name', 'nope');
  t.not(missing.code, 0);
  t.match(missing.stderr, /InvalidGroup\.NotFound.*The security group 'nope' does not exist/);
});
