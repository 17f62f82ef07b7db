/**
 * Group commit for an fsync: many callers that each need "everything I wrote so far is on disk" share one fsync
 * instead of each paying for their own. A caller's `sync()` resolves only after an fsync that *started after the
 * call* has finished (an fsync already running may have begun before the caller's write, so it does not count);
 * every caller that arrives while one runs is covered by the next one, which starts as soon as it ends.
 */
export class GroupSync {
  private requested = 0;
  private completed = 0;
  private running?: Promise<void>;

  constructor(private readonly fsync: () => Promise<void>) {}

  async sync(): Promise<void> {
    const wanted = ++this.requested;
    while (this.completed < wanted) {
      if (!this.running) {
        const covers = this.requested;
        this.running = this.fsync()
          .then(() => {
            this.completed = Math.max(this.completed, covers);
          })
          .finally(() => {
            this.running = undefined;
          });
      }
      await this.running;
    }
  }
}
