import { chmodSync, chownSync, existsSync, statSync } from 'node:fs';
import { execa } from 'execa';
import { CliError } from '../cli/cli-error.js';

const systemUri = 'qemu:///system';

async function libvirtAnswers(): Promise<boolean> {
  const result = await execa('virsh', ['-c', systemUri, 'version'], { reject: false, timeout: 10_000 });
  return result.exitCode === 0;
}

/**
 * Makes sure libvirtd answers at qemu:///system. Where systemd is not PID 1 nothing else starts it, so this starts
 * virtlogd (domains cannot start without it) and libvirtd as daemons and waits for libvirtd to answer.
 * Returns whether it had to start them.
 */
export async function ensureLibvirtd(timeoutMs = 60_000): Promise<'running' | 'started'> {
  const hasVirsh = await execa('virsh', ['--version'], { reject: false });
  if (hasVirsh.exitCode !== 0) {
    throw new CliError(
      'notFound',
      'libvirt is not installed: --hypervisor qemu needs libvirtd, virsh and qemu.',
      'Run ./install.sh, or apt-get install libvirt-daemon-system libvirt-clients qemu-system-x86 qemu-utils.',
    );
  }
  await giveKvmDeviceToItsGroup();
  if (await libvirtAnswers()) return 'running';
  for (const daemon of ['virtlogd', 'libvirtd']) {
    if ((await execa('pgrep', ['-x', daemon], { reject: false })).exitCode === 0) continue;
    const started = await execa(daemon, ['-d'], { reject: false });
    if (started.exitCode !== 0) {
      throw new CliError('unhealthy', `${daemon} -d failed: ${started.stderr || started.stdout}`.trim());
    }
  }
  // libvirtd has no readiness signal when daemonised: ask it until it answers (its first start probes qemu, ~5 s).
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await libvirtAnswers()) return 'started';
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new CliError('unhealthy', `libvirtd was started but did not answer at ${systemUri} in ${timeoutMs / 1000} s.`);
}

/**
 * What udev does on a Debian host (`KERNEL=="kvm", GROUP="kvm", MODE="0660"`), for hosts where udev does not run: a
 * /dev/kvm left at 0600 root makes libvirt probe qemu again on nearly every call (its cached capabilities say KVM, the
 * qemu user cannot open the device), which costs seconds per call. Only as root, and only when a kvm group exists.
 */
async function giveKvmDeviceToItsGroup(): Promise<void> {
  if (process.getuid?.() !== 0 || !existsSync('/dev/kvm')) return;
  const group = await execa('getent', ['group', 'kvm'], { reject: false });
  const gid = Number(group.stdout.split(':')[2]);
  if (group.exitCode !== 0 || !Number.isInteger(gid)) return;
  const device = statSync('/dev/kvm');
  if (device.gid === gid && (device.mode & 0o660) === 0o660) return;
  chownSync('/dev/kvm', device.uid, gid);
  chmodSync('/dev/kvm', (device.mode & 0o7777) | 0o660);
}
