import type { ComponentDefinition } from '../../src/runtime/service.js';
import { HypervisorConnection } from './hypervisor-connection.js';

/** Node controller: one per hypervisor host. Healthy when libvirt at its URI answers. */
export const ncComponent: ComponentDefinition = {
  describe: 'Mallee node controller (nc): runs instances on this host through libvirt.',
  async mount(_routes, { config }) {
    const connection = new HypervisorConnection(config.hypervisor ?? 'qemu:///system');
    return {
      health: async () => ({ zone: config.zone, hypervisor: await connection.describe() }),
      close: () => connection.close(),
    };
  },
};
