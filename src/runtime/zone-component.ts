import { peerTlsFromConfig } from './peer-client.js';
import { probePeers } from './peer-health.js';
import type { ComponentDefinition } from './service.js';

/**
 * A zone-level component (cc, sc) before its WSDL operations exist: it serves only the shared runtime's routes,
 * and its health reports its zone and whether its peers answer over mTLS.
 */
export function zoneComponent(describe: string): ComponentDefinition {
  return {
    describe,
    async mount(_routes, { config }) {
      const tls = peerTlsFromConfig(config);
      return { health: async () => ({ zone: config.zone, peers: await probePeers(config, tls) }) };
    },
  };
}
