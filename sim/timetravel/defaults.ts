/**
 * Checkpoint spacing by default: a seek re-executes at most this many instructions, or replays this many exits.
 * 5 M instructions: on tt-long (10^9 instructions, 48 MiB rewritten five times) 20 M took 480 MiB and seeks of up
 * to 0.25 s, 5 M took 519 MiB and seeks of up to 65 ms (npm run bench:timetravel).
 */
export const DEFAULT_INTERVAL_INSNS = 5_000_000;
export const DEFAULT_INTERVAL_EXITS = 50_000;
/** Checkpoint memory by default; past it every other checkpoint is dropped and the spacing doubles. */
export const DEFAULT_BUDGET_BYTES = 512 * 1024 * 1024;
