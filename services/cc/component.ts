import { join } from 'node:path';
import express from 'express';
import { clusterServicePath, clusterWsdlFile } from '../../src/clients/cc-client.js';
import { clusterContract } from '../../src/clients/cc-contract.js';
import { NodeControllerClient } from '../../src/clients/nc-client.js';
import { peerTlsFromConfig } from '../../src/runtime/peer-client.js';
import { probePeers } from '../../src/runtime/peer-health.js';
import type { ServiceConfig } from '../../src/runtime/service-config.js';
import type { ComponentDefinition } from '../../src/runtime/service.js';
import { mountSoapService } from '../../src/soap/soap-service.js';
import { Cluster } from './cluster.js';
import { clusterOperations } from './cluster-operations.js';

/** What the cc reads from its config's `settings`. */
export interface CcSettings {
  /** Nodes to register at start (the installer and `cloudctl local up` name them); more come by `RegisterNode`. */
  nodes?: { nodeName: string; url: string }[];
  /** How often nodes are asked for their state between requests (default 10 s). */
  pollSeconds?: number;
}

function nodesFromConfig(config: ServiceConfig, settings: CcSettings): { nodeName: string; url: string }[] {
  if (settings.nodes) return settings.nodes;
  return [config.peers?.nc ?? []].flat().map((url, index) => ({ nodeName: `node-${index + 1}`, url }));
}

/**
 * Cluster controller, one per zone: `wsdl/cc.wsdl` at `/internal/cc` (cloud-CA peers only), placing instances on the
 * zone's node controllers and reporting their state and the zone's capacity.
 */
export const ccComponent: ComponentDefinition = {
  describe: "Mallee cluster controller (cc): one per zone; places instances on the zone's nodes.",
  async mount({ internal }, { config, log }) {
    const settings = (config.settings ?? {}) as CcSettings;
    const tls = peerTlsFromConfig(config);
    const cluster = new Cluster({
      zone: config.zone ?? config.region,
      registryFile: join(config.dataDir, 'nodes.json'),
      connect: (url) => NodeControllerClient.connect(url, tls, config.name),
      log,
    });
    for (const node of nodesFromConfig(config, settings)) await cluster.registerNode(node, true);

    const router = express.Router();
    internal.use(clusterServicePath.replace(/^\/internal/, ''), router);
    mountSoapService(router, {
      wsdlFile: clusterWsdlFile(),
      service: clusterContract.service,
      port: clusterContract.port,
      faultElement: clusterContract.faultElement,
      operations: clusterOperations(cluster),
      log,
    });

    // Between requests the nodes are asked now and then, so a node that stops answering is noticed.
    const poll = setInterval(() => void cluster.refresh().catch(() => undefined), (settings.pollSeconds ?? 10) * 1000);
    poll.unref();
    return {
      health: async () => {
        const nodes = await cluster.describeNodes();
        return {
          zone: cluster.zone,
          nodes: Object.fromEntries(nodes.map((node) => [node.nodeName, node.reachable ? 'ok' : node.lastError])),
          peers: await probePeers(config, tls),
        };
      },
      close: async () => clearInterval(poll),
    };
  },
};
