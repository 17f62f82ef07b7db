import t from 'tap';
import { judge } from '../../../src/operations/cloud-status.js';
import { redactJson, redactLog, redactText } from '../../../src/operations/redact.js';

t.test('redactJson replaces secret fields and collects their values', async (t) => {
  const found = new Set<string>();
  const clean = redactJson(
    {
      settings: { adminCredentials: { accessKeyId: 'AKIAEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG' } },
      tls: { key: '/etc/mallee/x/tls/host-key.pem', cert: '/etc/mallee/x/tls/host.pem' },
      network: { privateSubnet: '172.31.0.0/16' },
      nested: [{ password: 'hunter2hunter2' }],
    },
    found,
  );
  t.same(clean, {
    settings: { adminCredentials: '<redacted>' },
    tls: { key: '<redacted>', cert: '/etc/mallee/x/tls/host.pem' },
    network: { privateSubnet: '172.31.0.0/16' },
    nested: [{ password: '<redacted>' }],
  });
  t.same([...found].sort(), ['AKIAEXAMPLE', 'hunter2hunter2', 'wJalrXUtnFEMI/K7MDENG']);
});

t.test('redactText removes private keys, URL passwords, secret assignments and known secrets', async (t) => {
  const text = [
    'a -----BEGIN EC PRIVATE KEY-----\nMHcCAQEE\n-----END EC PRIVATE KEY----- b',
    'db postgres://mallee:s3cret@db:5432/mallee',
    "export AWS_SECRET_ACCESS_KEY='abc123abc123'",
    'seen TOPSECRETVALUE here',
  ].join('\n');
  t.equal(
    redactText(text, ['TOPSECRETVALUE']),
    [
      'a <redacted> private key b',
      'db postgres://mallee:<redacted>@db:5432/mallee',
      "export AWS_SECRET_ACCESS_KEY='<redacted>'",
      'seen <redacted> here',
    ].join('\n'),
  );
});

t.test('redactLog redacts JSON log lines by field: a key logged as a Buffer goes too', async (t) => {
  const bytes = Array.from(Buffer.from('-----BEGIN PRIVATE KEY-----'));
  const line = JSON.stringify({
    msg: 'node stopped answering',
    err: { config: { key: { type: 'Buffer', data: bytes } } },
  });
  const clean = redactLog(`plain line\n${line}\n`, new Set());
  t.notMatch(clean, bytes.join(','));
  t.equal(JSON.parse(clean.split('\n')[1]!).err.config.key, '<redacted>');
  t.match(clean, /^plain line\n/);
});

t.test('judge: what makes a cloud unhealthy and what is only a warning', async (t) => {
  const base = {
    cloud: 'c',
    hosts: [{ name: 'h1', address: '10.0.0.1', reachable: true, starter: 'supervisor' as const, supervisorPid: 1 }],
    components: [{ name: 'clc', component: 'clc', host: 'h1', url: 'https://h1', state: 'healthy' as const }],
    zones: [{ name: 'z', reachable: true, nodes: [{ name: 'nc-h1', reachable: true }] }],
    endpoints: [{ name: 'ec2', url: 'https://h1', reachable: true, detail: 'HTTP 400' }],
    certificates: [{ name: 'ca', where: 'ca.pem', notAfter: '2030-01-01', daysLeft: 20, state: 'renew soon' as const }],
  };
  t.same(judge(base), { problems: [], warnings: ['certificate ca expires in 20 days'] });
  const sick = judge({
    ...base,
    hosts: [{ ...base.hosts[0]!, clockOffsetSeconds: 7.5, supervisorPid: undefined }],
    components: [{ ...base.components[0]!, state: 'down', lastError: 'not running (last exit: SIGKILL)' }],
  });
  t.same(sick.problems, [
    'host h1 clock is 7.5 s off',
    "host h1: the supervisor is not running (crashed daemons will not be restarted); start it and the host's " +
      'daemons with `cloudctl services start all --host h1 --cloud c`',
    'clc on h1 is down: not running (last exit: SIGKILL)',
  ]);
});
