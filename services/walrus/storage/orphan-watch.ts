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

  /** Brackets a request: one still running when the daemon stops may have published what it never recorded. */
  requestStarted(): void {
    this.running++;
  }

  requestEnded(): void {
    this.running--;
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

  /** At a stop: waits for the background removals, then says whether this run is known to have left no orphan. */
  async leftNoOrphans(): Promise<boolean> {
    while (this.removals.size > 0) await Promise.all([...this.removals]);
    return !this.orphaned && this.running === 0;
  }
}
