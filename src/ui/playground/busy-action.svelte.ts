// The playground's one-click actions (score, compare, rank) share their state: a button disabled
// while the model works, and the last failure shown as text. Kept here so the three views differ
// only in what they ask the model.

export class BusyAction {
  busy = $state(false);
  error = $state<string | undefined>();

  /** Runs `work`, holding `busy` until it settles and keeping its error message (not throwing it). */
  async run(work: () => Promise<void>): Promise<void> {
    this.busy = true;
    this.error = undefined;
    try {
      await work();
    } catch (e) {
      this.error = e instanceof Error ? e.message : String(e);
    } finally {
      this.busy = false;
    }
  }
}
