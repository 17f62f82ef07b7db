import { existsSync } from 'node:fs';
import t from 'tap';
import { runCli, runCommand, temporaryDir } from '../helpers/cli.js';

// The all-in-one cloud on the real hypervisor: `local up --hypervisor qemu` starts libvirtd where nothing else has
// (no systemd here), and the node controller must reach it at qemu:///system.
const dir = temporaryDir('qemu');
t.teardown(() => runCli('cloudctl', ['local', 'down', '--dir', dir]));

t.test('local up --hypervisor qemu runs the node controller against libvirtd', async (t) => {
  const up = await runCli('cloudctl', ['local', 'up', '--dir', dir, '--hypervisor', 'qemu', '--json']);
  t.equal(up.code, 0, up.stderr);
  t.match(JSON.parse(up.stdout).libvirtd, /^(running|started)$/);

  const libvirt = await runCommand('virsh', ['-c', 'qemu:///system', 'version']);
  t.equal(libvirt.code, 0, 'libvirtd answers');

  const status = JSON.parse((await runCli('cloudctl', ['local', 'status', '--dir', dir, '--json'])).stdout);
  t.equal(status.healthy, true);
  const nc = status.daemons.find((daemon: { component: string }) => daemon.component === 'nc');
  t.match(nc.health.hypervisor, {
    uri: 'qemu:///system',
    domains: Number,
    virtualization: existsSync('/dev/kvm') ? 'kvm' : /^software emulation/,
  });
});
