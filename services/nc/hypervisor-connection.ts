import { existsSync, readFileSync, statSync } from 'node:fs';
import { arch } from 'node:os';
import { Hypervisor, type Domain } from '@unraid/libvirt';
import { execa } from 'execa';
import { ServiceError } from '../../src/aws/service-error.js';

export type Virtualization = 'kvm' | 'qemu' | 'test';

/**
 * The node controller's link to libvirt. Opened lazily and reopened after a failure, so an nc started before
 * libvirtd reports itself unhealthy with the reason and recovers by itself once libvirtd answers. The connection
 * stays open for the daemon's lifetime: `test:///default` keeps its simulated domains only while it is open.
 */
export class HypervisorConnection {
  private hypervisor: Hypervisor | undefined;
  private virtualizationFound: Virtualization | undefined;

  constructor(readonly uri: string) {}

  /** Whether the driver lives in this process (`test:///...`): its domains exist only while this connection does. */
  get inProcess(): boolean {
    return /^test:\/\//.test(this.uri);
  }

  /** libvirt's simulated driver, wherever it runs (`test:///`, `test+unix:///`): it cannot hot-plug devices. */
  get simulated(): boolean {
    return /^test[:+]/.test(this.uri);
  }

  async open(): Promise<Hypervisor> {
    if (this.hypervisor) return this.hypervisor;
    const hypervisor = new Hypervisor({ uri: this.uri });
    try {
      await hypervisor.connectOpen();
    } catch (error) {
      // A ServiceError, so the reason reaches the cc (and the instance's state reason) instead of a bare InternalError.
      throw new ServiceError(
        'HypervisorUnavailable',
        `cannot reach libvirt at ${this.uri}: ${(error as Error).message}` +
          (this.uri.startsWith('qemu:')
            ? ' (is libvirtd running? without systemd start `virtlogd -d` and `libvirtd -d`)'
            : ''),
        503,
      );
    }
    this.hypervisor = hypervisor;
    return hypervisor;
  }

  /** The domain named `name`, or undefined when libvirt has none. */
  async lookup(name: string): Promise<Domain | undefined> {
    const hypervisor = await this.open();
    try {
      return await hypervisor.domainLookupByName(name);
    } catch (error) {
      // The binding reports every error with code -1: the message is all there is to tell "no such domain".
      if (/not found|no domain/i.test((error as Error).message)) return undefined;
      throw error;
    }
  }

  /**
   * How guests run here, from what libvirt reports: `kvm` when its capabilities offer a kvm domain for this
   * architecture, `qemu` (software emulation) otherwise, `test` for the simulated driver.
   */
  async virtualization(): Promise<Virtualization> {
    if (this.virtualizationFound) return this.virtualizationFound;
    if (this.simulated) return (this.virtualizationFound = 'test');
    const capabilities = await this.virsh(['capabilities'], { reject: false });
    let found: Virtualization;
    if (capabilities.exitCode === 0) {
      const hostArch = arch() === 'x64' ? 'x86_64' : arch() === 'arm64' ? 'aarch64' : arch();
      const guest = capabilities.stdout
        .split('<guest>')
        .find((section) => section.includes(`<arch name='${hostArch}'>`));
      found = guest?.includes("<domain type='kvm'") && (await this.kvmDeviceUsable()) ? 'kvm' : 'qemu';
    } else {
      found = existsSync('/dev/kvm') && (await this.kvmDeviceUsable()) ? 'kvm' : 'qemu';
    }
    return (this.virtualizationFound = found);
  }

  /**
   * libvirt offers a kvm domain as soon as /dev/kvm exists, yet guests run as qemu's own user (qemu.conf `user`,
   * libvirt-qemu on Debian), which opens the device only when udev gave it to the kvm group: a /dev/kvm left at
   * 0600 root fails every start with "Could not access KVM kernel module". Such a host runs guests under software
   * emulation instead. Checked for local URIs only; a remote libvirt is trusted.
   */
  private async kvmDeviceUsable(): Promise<boolean> {
    if (!/^qemu:\/\/\//.test(this.uri)) return true;
    // A /dev/kvm without vmx or svm in the CPU flags (a nested sandbox) opens, yet guests never start under it.
    if (!/^flags\s*:.*\b(vmx|svm)\b/m.test(readFileSync('/proc/cpuinfo', 'utf8'))) return false;
    let device;
    try {
      device = statSync('/dev/kvm');
    } catch {
      return false;
    }
    const user = qemuUser();
    if (user === 'root') return true;
    const ids = await execa('id', ['-u', user], { reject: false });
    const groups = await execa('id', ['-G', user], { reject: false });
    if (ids.exitCode !== 0 || groups.exitCode !== 0) return (device.mode & 0o006) === 0o006;
    const grants = (mask: number) => (device.mode & mask) === mask;
    return (
      (Number(ids.stdout.trim()) === device.uid && grants(0o600)) ||
      (groups.stdout.trim().split(/\s+/).map(Number).includes(device.gid) && grants(0o060)) ||
      grants(0o006)
    );
  }

  /**
   * `virsh -c URI ...`: for what the binding does not cover (capabilities, device hot-plug). Not for `test:///`,
   * where virsh would open a simulated driver of its own that does not see this one's domains.
   */
  virsh(args: readonly string[], options: { reject?: boolean } = {}) {
    return execa('virsh', ['-q', '-c', this.uri, ...args], { reject: options.reject ?? true, timeout: 60_000 });
  }

  /** What `/healthz` reports about the hypervisor; throws when libvirt does not answer. */
  async describe(): Promise<Record<string, unknown>> {
    const hypervisor = await this.open();
    try {
      const domains = await hypervisor.connectListAllDomains();
      return {
        uri: this.uri,
        hostname: await hypervisor.connectGetHostname(),
        domains: domains.length,
        virtualization: (await this.virtualization()) === 'kvm' ? 'kvm' : 'software emulation',
      };
    } catch (error) {
      // A simulated driver's state lives in this connection: never drop it.
      if (!this.inProcess) {
        this.hypervisor = undefined;
        await hypervisor.connectClose().catch(() => undefined);
      }
      throw error;
    }
  }

  async close(): Promise<void> {
    await this.hypervisor?.connectClose();
    this.hypervisor = undefined;
  }
}

/** The user qemu runs guests as under qemu:///system: qemu.conf's `user`, else the distribution's default. */
function qemuUser(): string {
  try {
    const configured = /^\s*user\s*=\s*"([^"]+)"/m.exec(readFileSync('/etc/libvirt/qemu.conf', 'utf8'))?.[1];
    if (configured) return configured.replace(/^\+/, '');
  } catch {
    // No qemu.conf: the packaged default.
  }
  return existsSync('/etc/debian_version') ? 'libvirt-qemu' : 'qemu';
}
