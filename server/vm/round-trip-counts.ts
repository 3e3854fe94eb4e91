/**
 * Exit round trips as a VM's worker reports them to the main thread: counts per histogram bucket and their sum, not
 * one number per exit.
 *
 * Why: at 8,000 exits/s the per-exit numbers, and a prom-client `observe()` for each in the main thread (about 175
 * bytes of garbage apiece), came to more than 1 MB/s of allocation there. V8 keeps the young generation at its largest
 * (16 MiB, every page touched) while a thread allocates faster than that, and nothing shrinks it once the load stops:
 * the server's memory stayed 10+ MiB above idle after its VMs were deleted (docs/architecture.md, "Under load").
 * Counted in the worker, a report is a dozen numbers however many exits there were.
 */

/** Upper bounds (seconds) of the buckets of `hindsight_exit_round_trip_seconds`; a last bucket, +Inf, follows. */
export const ROUND_TRIP_BUCKETS: readonly number[] = [0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.1, 1, 10];

/** Round trips since the last report: `counts[i]` fell in bucket i (not cumulative; the last is +Inf), `sum` in seconds. */
export interface RoundTripCounts {
  counts: number[];
  sum: number;
}

/** Counts round trips into the buckets; `take()` hands over what was counted and starts again. */
export class RoundTripCounter {
  private counts = new Array<number>(ROUND_TRIP_BUCKETS.length + 1).fill(0);
  private sum = 0;
  private total = 0;

  add(seconds: number): void {
    let i = 0;
    while (i < ROUND_TRIP_BUCKETS.length && seconds > ROUND_TRIP_BUCKETS[i]) i++;
    this.counts[i]++;
    this.sum += seconds;
    this.total++;
  }

  /** What was counted since the last take, or null if nothing was. */
  take(): RoundTripCounts | null {
    if (this.total === 0) return null;
    const taken = { counts: this.counts, sum: this.sum };
    this.counts = new Array<number>(ROUND_TRIP_BUCKETS.length + 1).fill(0);
    this.sum = 0;
    this.total = 0;
    return taken;
  }
}
