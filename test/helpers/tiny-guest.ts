import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
// The tiny guest moved into src/ so `faststart install` can build it for its smoke test; tests import it from here.
export { buildTinyGuest, guestBootedMarker, guestReadyMarker, type TinyGuest } from '../../src/images/tiny-guest.js';

/**
 * Whether guests can use KVM here: the CPU offers vmx or svm, and qemu runs them as libvirt-qemu, which must be able to open /dev/kvm (a /dev/kvm
 * left at 0600 root, as on a machine without udev, means software emulation). Asked as that user, not inferred.
 */
export function kvmUsableByQemu(): boolean {
  if (!/^flags\s*:.*\b(vmx|svm)\b/m.test(readFileSync('/proc/cpuinfo', 'utf8'))) return false;
  return (
    spawnSync('runuser', ['-u', 'libvirt-qemu', '--', 'test', '-r', '/dev/kvm', '-a', '-w', '/dev/kvm']).status === 0
  );
}
