import t from 'tap';
import { probeHost } from '../../../src/deploy/host-deployment.js';
import type { Operator } from '../../../src/operators/operator.js';

// What the probe's one command prints on each kind of host decides how daemons start and whether anything starts
// them after a reboot. The command itself runs for real on every install (test/e2e); here, its reading.
const answering = (stdout: string) =>
  ({
    hostName: 'h1',
    check: async () => ({ exitCode: 0, stdout, stderr: '' }),
  }) as unknown as Operator;

t.test('systemd as PID 1: units, which start at boot', async (t) => {
  t.same(await probeHost(answering('systemd\napt-get\nupdate-rc.d\n')), {
    systemd: true,
    initScripts: false,
    packageManager: 'apt-get',
  });
});

t.test("sysvinit with runlevels (Devuan, Debian's sysvinit-core): the init script runs at boot", async (t) => {
  t.same(await probeHost(answering('init\ninittab\napt-get\nupdate-rc.d\n')), {
    systemd: false,
    initScripts: true,
    packageManager: 'apt-get',
  });
  t.match(await probeHost(answering('init\ninittab\ndnf\nchkconfig\n')), { initScripts: true, packageManager: 'dnf' });
});

t.test('a container, or an init without runlevel tools: nothing runs the script at boot', async (t) => {
  t.match(await probeHost(answering('process_api\napt-get\nupdate-rc.d\n')), { systemd: false, initScripts: false });
  t.match(await probeHost(answering('sshd\n')), { initScripts: false, packageManager: undefined });
  t.match(await probeHost(answering('init\ninittab\n')), { initScripts: false }, 'busybox: no update-rc.d');
  t.match(await probeHost(answering('init\napt-get\nupdate-rc.d\n')), { initScripts: false }, 'no inittab');
});
