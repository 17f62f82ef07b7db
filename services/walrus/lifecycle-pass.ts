import { setImmediate as yieldToRequests } from 'node:timers/promises';
import type { Logger } from 'pino';
import { dropBlobs, type StoreContext } from './handlers/context.js';
import { deleteOne } from './handlers/objects.js';
import {
  currentExpired,
  noncurrentExpired,
  ruleMatches,
  uploadAbandoned,
  type LifecycleRule,
} from './models/lifecycle.js';
import { isLocked } from './models/object-lock.js';
import type { BucketRecord } from './storage/metadata-store.js';

export interface LifecyclePassCounts {
  buckets: number;
  /** Current versions expired: deleted, or covered by a delete marker in a versioned bucket. */
  expired: number;
  noncurrentExpired: number;
  deleteMarkersRemoved: number;
  uploadsAborted: number;
  /** Keys whose rules could not be carried out (logged); the next pass tries them again. */
  failed: number;
}

/** Keys read per step; between steps the pass lets requests run. */
const keysPerStep = 500;

/** Key prefixes that cover every rule's, none inside another (a rule for every key makes it just ''). */
function coveringPrefixes(rules: readonly LifecycleRule[]): string[] {
  const prefixes = [...new Set(rules.map((rule) => rule.filter.prefix))].sort();
  return prefixes.filter((prefix, index) => !prefixes.slice(0, index).some((outer) => prefix.startsWith(outer)));
}

/** Applies the bucket's rules to one key's versions (newest first), as of `now`. */
async function applyToKey(
  context: StoreContext,
  bucket: BucketRecord,
  rules: readonly LifecycleRule[],
  key: string,
  now: number,
  counts: LifecyclePassCounts,
): Promise<void> {
  const versions = context.meta.versionsOfKey(bucket.name, key);
  const latest = versions[0];
  if (!latest) return;
  // Noncurrent versions first, from the list as it stood: a version made noncurrent by this pass is not yet due.
  for (let index = 1; index < versions.length; index++) {
    const version = versions[index]!;
    const replacedAt = versions[index - 1]!.lastModified;
    // A version Object Lock keeps stays, whatever the rules say.
    const due =
      !isLocked(version, now) &&
      rules.some(
        (rule) =>
          noncurrentExpired(rule, version, replacedAt, now) &&
          index - 1 >= (rule.noncurrentExpiration?.newerNoncurrentVersions ?? 0),
      );
    if (due) {
      await deleteOne(context, bucket, key, version.versionId);
      counts.noncurrentExpired++;
    }
  }
  if (rules.some((rule) => currentExpired(rule, latest, now))) {
    await deleteOne(context, bucket, key, undefined);
    counts.expired++;
  } else if (
    latest.isDeleteMarker &&
    context.meta.versionsOfKey(bucket.name, key).length === 1 &&
    rules.some((rule) => rule.enabled && rule.expiration?.expiredObjectDeleteMarker && ruleMatches(rule, latest))
  ) {
    await deleteOne(context, bucket, key, latest.versionId);
    counts.deleteMarkersRemoved++;
  }
}

/**
 * One pass of every bucket's lifecycle rules as of `now`: expired objects and versions deleted as a DeleteObject
 * would (so a versioned bucket keeps a delete marker), lone delete markers removed where a rule says so, abandoned
 * multipart uploads aborted. Changes are committed and on disk before it returns.
 */
export async function runLifecyclePass(context: StoreContext, now = Date.now()): Promise<LifecyclePassCounts> {
  const counts: LifecyclePassCounts = {
    buckets: 0,
    expired: 0,
    noncurrentExpired: 0,
    deleteMarkersRemoved: 0,
    uploadsAborted: 0,
    failed: 0,
  };
  // The pass changes the stores as a request would: a stop meanwhile is not a clean one.
  context.orphans.requestStarted();
  try {
    for (const bucket of context.meta.bucketsWithLifecycle()) {
      const rules = (bucket.lifecycle ?? []).filter((rule) => rule.enabled);
      if (rules.length === 0) continue;
      counts.buckets++;
      for (const prefix of coveringPrefixes(rules)) {
        let afterKey: string | undefined;
        for (;;) {
          const page = context.meta.listVersions(bucket.name, { prefix, afterKey, limit: keysPerStep });
          const keys = [...new Set(page.map((version) => version.key))];
          for (const key of keys) {
            // One key that fails holds up no other.
            await applyToKey(context, bucket, rules, key, now, counts).catch((error: unknown) => {
              counts.failed++;
              context.log?.warn({ err: error, bucket: bucket.name, key }, 'lifecycle rules not carried out for a key');
            });
          }
          if (page.length < keysPerStep) break;
          afterKey = keys.at(-1);
          await yieldToRequests();
        }
      }
      for (const rule of rules) {
        if (rule.abortIncompleteUploadDays === undefined) continue;
        for (const upload of context.meta.listUploads(bucket.name, { prefix: rule.filter.prefix })) {
          if (!uploadAbandoned(rule, upload, now)) continue;
          dropBlobs(context, context.meta.deleteUpload(upload.uploadId));
          counts.uploadsAborted++;
        }
      }
    }
    await context.meta.flush();
  } finally {
    context.orphans.requestEnded();
  }
  return counts;
}

/**
 * Runs the lifecycle pass once soon after start and then every `intervalSeconds`, never two at once. A pass that
 * fails is logged and tried again at the next interval.
 */
export class LifecycleSchedule {
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private stopped = false;

  constructor(
    private readonly context: StoreContext,
    private readonly log: Pick<Logger, 'info' | 'error'>,
    private readonly intervalSeconds: number,
  ) {}

  start(): void {
    this.schedule(0);
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.running = this.runOnce().finally(() => {
        this.running = undefined;
        this.schedule(this.intervalSeconds * 1000);
      });
    }, delayMs);
    this.timer.unref();
  }

  private async runOnce(): Promise<void> {
    const started = performance.now();
    try {
      const counts = await runLifecyclePass(this.context);
      this.log.info({ ...counts, milliseconds: Math.round(performance.now() - started) }, 'lifecycle pass done');
    } catch (error) {
      this.log.error({ err: error }, 'lifecycle pass failed; the next one tries again');
    }
  }

  /** Stops scheduling and waits for a pass under way. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
  }
}
