/**
 * Whether this run of Walrus may leave blobs that no metadata refers to (orphans), which only a sweep of every blob at
 * the next start would find. Orphans come from a run that ends in the middle of things (a crash, a stop whose grace
 * period ran out with requests still working) or from a request that failed between publishing a blob and recording
 * it, or between letting go of one and removing it. A stop after none of that is clean: the next start then has
 * nothing to look for, and need not list a shelf of millions of blobs (or read every object's row) before serving.
 */
export class OrphanWatch {
  private running = 0;
  private readonly removals = new Set<Promise<void>>();
  private orphaned = false;
  /** Told when the last running request ends, while a stop waits for it. */
  private idle?: () => void;

  /** Brackets a request: one still running when the daemon stops may have published what it never recorded. */
  requestStarted(): void {
    this.running++;
  }

  requestEnded(): void {
    this.running--;
    if (this.running === 0) this.idle?.();
  }

  /** A removal of blobs already let go of, running in the background: one that fails leaves orphans. */
  track(removal: Promise<void>): void {
    const tracked = removal.catch(() => {
      this.orphaned = true;
    });
    this.removals.add(tracked);
    void tracked.finally(() => this.removals.delete(tracked));
  }

  /** Something failed where a blob may have been published and not recorded (an internal error, a full disk). */
  mayHaveOrphaned(): void {
    this.orphaned = true;
  }

  /**
   * At a stop, once the server has closed: waits up to `settleMs` for requests still finishing (an answer can be out
   * while its request still closes the file it streamed from), then for the background removals, and says whether
   * this run is known to have left no orphan.
   */
  async leftNoOrphans(settleMs = 2000): Promise<boolean> {
    if (this.running > 0) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, settleMs);
        this.idle = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.idle = undefined;
    }
    while (this.removals.size > 0) await Promise.all([...this.removals]);
    return !this.orphaned && this.running === 0;
  }
}
