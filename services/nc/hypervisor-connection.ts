import { existsSync } from 'node:fs';
import { Hypervisor } from '@unraid/libvirt';

/**
 * The node controller's link to libvirt. Opened lazily and reopened after a failure, so an nc started before
 * libvirtd reports itself unhealthy with the reason and recovers by itself once libvirtd answers.
 */
export class HypervisorConnection {
  private hypervisor: Hypervisor | undefined;

  constructor(readonly uri: string) {}

  async open(): Promise<Hypervisor> {
    if (this.hypervisor) return this.hypervisor;
    const hypervisor = new Hypervisor({ uri: this.uri });
    try {
      await hypervisor.connectOpen();
    } catch (error) {
      throw new Error(
        `cannot reach libvirt at ${this.uri}: ${(error as Error).message}` +
          (this.uri.startsWith('qemu:')
            ? ' (is libvirtd running? without systemd start `virtlogd -d` and `libvirtd -d`)'
            : ''),
      );
    }
    this.hypervisor = hypervisor;
    return hypervisor;
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
        virtualization: existsSync('/dev/kvm') ? 'kvm' : 'software emulation (no /dev/kvm)',
      };
    } catch (error) {
      this.hypervisor = undefined;
      await hypervisor.connectClose().catch(() => undefined);
      throw error;
    }
  }

  async close(): Promise<void> {
    await this.hypervisor?.connectClose();
    this.hypervisor = undefined;
  }
}
