import { join } from 'node:path';
import express from 'express';
import { nodeServicePath } from '../../src/clients/nc-client.js';
import { nodeContract } from '../../src/clients/nc-contract.js';
import { malleePackage } from '../../src/runtime/package-root.js';
import { peerTlsFromConfig } from '../../src/runtime/peer-client.js';
import type { ComponentDefinition } from '../../src/runtime/service.js';
import { mountSoapService } from '../../src/soap/soap-service.js';
import { HypervisorConnection } from './hypervisor-connection.js';
import { InstanceManager, type NcSettings } from './instance-manager.js';
import { nodeOperations } from './soap-operations.js';

/**
 * Node controller: one per hypervisor host. Serves `wsdl/nc.wsdl` at `/internal/nc` (cloud-CA peers only) and runs
 * instances through libvirt; healthy when libvirt at its URI answers.
 */
export const ncComponent: ComponentDefinition = {
  describe: 'Mallee node controller (nc): runs instances on this host through libvirt.',
  async mount({ internal }, { config, log }) {
    const connection = new HypervisorConnection(config.hypervisor ?? 'qemu:///system');
    const manager = new InstanceManager({
      connection,
      dataDir: config.dataDir,
      nodeName: config.name,
      settings: (config.settings ?? {}) as NcSettings,
      log,
      tls: peerTlsFromConfig(config),
    });
    // libvirt may not answer yet (libvirtd starting): the node still serves, reports itself unhealthy, and reads
    // libvirt on every request anyway.
    await manager.recover().then(
      (instances) => log.info({ instances: instances.length }, 'instances found in libvirt'),
      (error: Error) => log.warn({ err: error }, 'cannot read libvirt yet'),
    );
    const router = express.Router();
    internal.use(nodeServicePath.replace(/^\/internal/, ''), router);
    mountSoapService(router, {
      wsdlFile: join(malleePackage().root, 'wsdl', 'nc.wsdl'),
      service: nodeContract.service,
      port: nodeContract.port,
      faultElement: nodeContract.faultElement,
      operations: nodeOperations(manager),
      log,
    });
    return {
      health: async () => ({ zone: config.zone, hypervisor: await connection.describe() }),
      close: async () => {
        await manager.settle();
        await connection.close();
      },
    };
  },
};
