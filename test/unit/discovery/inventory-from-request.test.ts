import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { inventoryFromRequest } from '../../../src/discovery/discover-inventory.js';

// faststart discover reads its hosts as faststart install does: cloud.yaml's SSH settings, overridden by the flags.
const dir = t.testdir();
const config = join(dir, 'cloud.yaml');
writeFileSync(
  config,
  `name: c
hosts:
  - { name: a, address: 10.0.0.5, ssh: { user: ops, key: /keys/ops, sudo: true } }
  - { name: b, address: 10.0.0.6 }
zones:
  - name: z
components:
  - { component: clc, host: a }
  - { component: walrus, host: a }
  - { component: cc, host: a, zone: z }
  - { component: nc, host: b, zone: z }
`,
);
const base = { sshPort: 22, acceptNewHostKeys: false, connectTimeoutSeconds: 5 };

t.test("--config keeps each host's own SSH settings when no flag overrides them", async (t) => {
  const hosts = inventoryFromRequest({ ...base, config });
  t.same(
    hosts.map((host) => [host.name, host.ssh.user, host.ssh.key, host.ssh.sudo]),
    [
      ['a', 'ops', '/keys/ops', true],
      ['b', 'root', undefined, false],
    ],
  );
});

t.test('--ssh-user and --ssh-key override every host of the cloud.yaml', async (t) => {
  const hosts = inventoryFromRequest({ ...base, config, sshUser: 'admin', sshKey: '/keys/admin' });
  t.same(
    hosts.map((host) => [host.ssh.user, host.ssh.key]),
    [
      ['admin', '/keys/admin'],
      ['admin', '/keys/admin'],
    ],
  );
});

t.test('--hosts: root by default, sudo for any other user', async (t) => {
  t.same(
    inventoryFromRequest({ ...base, hosts: '10.0.0.7' }).map((host) => [host.ssh.user, host.ssh.sudo]),
    [['root', false]],
  );
  t.same(
    inventoryFromRequest({ ...base, hosts: '10.0.0.7', sshUser: 'ops' }).map((host) => [host.ssh.user, host.ssh.sudo]),
    [['ops', true]],
  );
});
