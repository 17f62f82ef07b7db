import t from 'tap';
import { formatInstall } from '../../../src/deploy/format-install.js';
import type { HostReport } from '../../../src/deploy/deploy.js';
import type { InstallResult } from '../../../src/deploy/install.js';

// The last screen says what happens to each host's daemons after a reboot: hosts under systemd come back by
// themselves; under Mallee's supervisor, sysvinit hosts through the init script, the others only by a command.
const host = (name: string, starter: HostReport['starter'], startsAtBoot: boolean): HostReport => ({
  name,
  address: `10.0.0.${name.slice(1)}`,
  starter,
  startsAtBoot,
  steps: [],
});
const result = (hosts: HostReport[]): InstallResult => ({
  cloud: 'prod',
  dryRun: false,
  bundle: 'abc',
  hosts,
  daemons: [],
  phases: [],
  seconds: 1,
});

t.test('every host under systemd: no reboot line', async (t) => {
  t.notMatch(formatInstall(result([host('h1', 'systemd', true)])), 'After a reboot');
});

t.test('sysvinit hosts and hosts whose init runs no boot scripts are named apart', async (t) => {
  const screen = formatInstall(
    result([
      host('h1', 'supervisor', true),
      host('h2', 'systemd', true),
      host('h3', 'supervisor', false),
      host('h4', 'supervisor', true),
    ]),
  );
  t.match(
    screen,
    "After a reboot: on h1, h4 (sysvinit) init starts Mallee's supervisor and every daemon with /etc/init.d/mallee-prod.",
  );
  t.match(
    screen,
    'After a reboot: on h3 (neither systemd nor sysvinit is PID 1) nothing starts Mallee at boot; ' +
      '`cloudctl services start all --cloud prod` (or `service mallee-prod start` there) brings every daemon back',
  );
  t.notMatch(screen, /on [^\n]*h2/, 'the systemd host is not named');
});
