/** Checkpoint spacing by default: a seek re-executes at most this many instructions, or replays this many exits. */
export const DEFAULT_INTERVAL_INSNS = 20_000_000;
export const DEFAULT_INTERVAL_EXITS = 50_000;
/** Checkpoint memory by default; past it every other checkpoint is dropped and the spacing doubles. */
export const DEFAULT_BUDGET_BYTES = 512 * 1024 * 1024;
