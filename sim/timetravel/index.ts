/** Time travel: checkpoints of a replay, seeks, reverse execution and the timeline of past exits. */
export {
  TimeTravel, type Place, type TimeTravelOptions, type TravelResult,
  type TravelStop, STEP_BACK_SCRATCH_INSNS, SCAN_SCRATCH_INSNS, type DiversionAnswerer, DIVERSION_CONTINUE_INSNS,
} from './timetravel.js';
export type { CheckpointStats } from './checkpoints.js';
export { DEFAULT_TIMELINE_LIMIT, type TimelineEntry, type TimelineFilter } from './timeline.js';
export { DEFAULT_BUDGET_BYTES, DEFAULT_INTERVAL_EXITS, DEFAULT_INTERVAL_INSNS } from './defaults.js';
export { CheckpointList, type CheckpointOptions } from './checkpoints.js';
