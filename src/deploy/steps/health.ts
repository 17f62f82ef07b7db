import { setTimeout as pause } from 'node:timers/promises';
import { callPeer } from '../../runtime/peer-client.js';
import type { HostDeployment } from '../host-deployment.js';
import type { DeployStep } from '../step.js';

export interface DaemonHealth {
  name: string;
  url: string;
  healthy: boolean;
  detail?: string;
}

/** One GET of a daemon's /healthz: healthy when it answers 200; the version is the release it runs. */
export async function probeDaemon(
  url: string,
  tls: Parameters<typeof callPeer>[1],
): Promise<{ ok: boolean; detail: string; version?: string }> {
  try {
    const answer = await callPeer(new URL('/healthz', url).toString(), tls, { timeoutMs: 5000 });
    let version: string | undefined;
    try {
      version = (JSON.parse(answer.body) as { version?: string }).version;
    } catch {
      // Not JSON: not a Mallee daemon answering, which the status says.
    }
    return {
      ok: answer.status === 200,
      detail: `healthz answered ${answer.status}: ${answer.body.slice(0, 200)}`,
      ...(version && { version }),
    };
  } catch (error) {
    return { ok: false, detail: (error as Error).message };
  }
}

/** Each daemon of the host answers /healthz over mTLS (the installer presents the cloud's admin certificate). */
export function healthStep(deployment: HostDeployment): DeployStep {
  return {
    name: 'health',
    actions: deployment.daemons.map((daemon) => ({
      kind: 'check',
      what: `GET ${daemon.url}/healthz (mTLS) until 200`,
    })),
    async apply(_operator, progress) {
      const tls = deployment.adminTls;
      if (!tls) throw new Error('no client certificate to probe health with');
      const deadline = Date.now() + deployment.healthTimeoutMs;
      let pending = deployment.daemons;
      let first = true;
      let waited = false;
      for (;;) {
        const results = await Promise.all(
          pending.map(async (daemon) => ({ daemon, ...(await probeDaemon(daemon.url, tls)) })),
        );
        pending = results.filter((result) => !result.ok).map((result) => result.daemon);
        if (pending.length === 0) return first ? 'unchanged' : 'changed';
        if (Date.now() > deadline) {
          const sick = results.find((result) => !result.ok)!;
          throw new Error(
            `${sick.daemon.name} at ${sick.daemon.url} is not healthy after ${deployment.healthTimeoutMs / 1000} s: ${sick.detail}; its log is ${deployment.layout.daemonLog(sick.daemon.name)}`,
          );
        }
        if (!waited) progress(`waiting for ${pending.map((daemon) => daemon.name).join(', ')}`);
        waited = true;
        first = false;
        await pause(250, undefined, { signal: deployment.signal });
      }
    },
  };
}
