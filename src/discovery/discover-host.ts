import type { HostConfig } from '../config/types.js';
import type { Operator } from '../operators/operator.js';
import { discoveryScript, splitSections } from './discovery-script.js';
import type { HostFacts } from './host-facts.js';
import { clockOffsetSeconds, factsFromSections } from './parse-host-output.js';

const scriptTimeoutMs = 60_000;
/** Like NTP: a few samples, and the one with the shortest round trip has the least delay error. */
const clockSamples = 3;

async function measureClockOffset(operator: Operator): Promise<number | undefined> {
  let best: { roundTripMs: number; offset: number | undefined } | undefined;
  for (let sample = 0; sample < clockSamples; sample++) {
    const before = Date.now();
    const result = await operator.run('date +%s.%N', { timeoutMs: 10_000 });
    const after = Date.now();
    if (result.exitCode !== 0) continue;
    const roundTripMs = after - before;
    if (!best || roundTripMs < best.roundTripMs) {
      best = { roundTripMs, offset: clockOffsetSeconds(before, result.stdout, after) };
    }
  }
  return best?.offset;
}

/** What one host is: one script run over the operator, parsed here, plus a clock comparison. */
export async function discoverHost(operator: Operator, options: { dataDir: string }): Promise<HostFacts> {
  const clockOffset = await measureClockOffset(operator);
  const result = await operator.run(discoveryScript(options.dataDir), { timeoutMs: scriptTimeoutMs });
  const facts = factsFromSections({ name: operator.hostName, address: operator.address }, splitSections(result.stdout));
  return { ...facts, clockOffsetSeconds: clockOffset };
}

function describeError(error: unknown): string {
  const { message, hint } = error as { message?: string; hint?: string };
  return [message ?? String(error), hint].filter(Boolean).join(' ');
}

/**
 * Every host at once. One bad host never spoils the rest: a host that cannot be reached (or refuses its key, or
 * fails half-way) comes back as `reachable: false` with the reason and what to do about it.
 */
export async function discoverHosts(
  hosts: HostConfig[],
  open: (host: HostConfig) => Promise<Operator>,
): Promise<HostFacts[]> {
  return Promise.all(
    hosts.map(async (host): Promise<HostFacts> => {
      let operator: Operator | undefined;
      try {
        operator = await open(host);
        return await discoverHost(operator, { dataDir: host.dataDir });
      } catch (error) {
        return { name: host.name, address: host.address, reachable: false, error: describeError(error) };
      } finally {
        await operator?.close().catch(() => undefined);
      }
    }),
  );
}
