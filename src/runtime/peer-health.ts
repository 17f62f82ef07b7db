import { callPeer, type PeerTls } from './peer-client.js';
import type { ServiceConfig } from './service-config.js';

/**
 * Asks each configured peer who it is over mTLS (`/internal/peer`). A peer that answers proves both sides hold
 * certificates from the same cloud CA. Reported in `/healthz`; an unreachable peer degrades, it does not fail.
 */
export async function probePeers(config: ServiceConfig, tls: PeerTls): Promise<Record<string, string>> {
  const entries = Object.entries(config.peers ?? {}).flatMap(([role, urls]) =>
    (Array.isArray(urls) ? urls : [urls]).map((url) => ({ role, url: String(url) })),
  );
  const results = await Promise.all(
    entries.map(async ({ role, url }) => {
      try {
        const answer = await callPeer(new URL('/internal/peer', url).toString(), tls, { timeoutMs: 2000 });
        return [`${role} ${url}`, answer.status === 200 ? 'ok' : `answered ${answer.status}`] as const;
      } catch (error) {
        return [`${role} ${url}`, `unreachable: ${(error as Error).message}`] as const;
      }
    }),
  );
  return Object.fromEntries(results);
}
