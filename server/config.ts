/** The server's options and limits, each with a safe default. */
import { DEFAULT_BUDGET_BYTES, DEFAULT_INTERVAL_EXITS, DEFAULT_INTERVAL_INSNS, type CheckpointOptions } from '../sim/index.js';

export interface ServerLimits {
  /** VMs alive at once. */
  maxVms: number;
  /** RAM one VM may ask for. */
  maxRamMib: number;
  /** Largest WebSocket frame a client may send (bigger ones close the connection with 1009). */
  maxFrameBytes: number;
  /** Requests one connection may have in flight before it is closed as a flood. */
  maxPendingRequests: number;
  /** Consecutive errors one connection may cause before it is closed as a flood. */
  maxErrorsPerConnection: number;
  /** Largest image upload. */
  maxUploadBytes: number;
  /** An observer that falls this far behind the exit stream is dropped. */
  observerBacklogBytes: number;
}

export interface ServerOptions {
  host: string;
  /** 0 picks a free port. */
  port: number;
  /** Where recordings (and the generated server token) live. */
  dataDir: string;
  /** A folder of guest images VMs may be created from by name. */
  guestsDir: string | null;
  /** The server token (from a file or the environment). */
  token: string;
  defaultRamMib: number;
  /** Guest instructions per time slice of a running VM (between slices its worker takes messages). */
  sliceInsns: number;
  /** fdatasync every journal write (power-loss durability), not only at the end of a recording. */
  fsync?: boolean;
  /** Checkpoint spacing and memory of each recorded VM and each replay session (docs/timetravel.md). */
  checkpoints: CheckpointOptions;
  limits: ServerLimits;
}

export const DEFAULT_CHECKPOINTS: CheckpointOptions = {
  intervalInsns: DEFAULT_INTERVAL_INSNS, intervalExits: DEFAULT_INTERVAL_EXITS, budgetBytes: DEFAULT_BUDGET_BYTES,
};

export const DEFAULT_LIMITS: ServerLimits = {
  maxVms: 16,
  maxRamMib: 2048,
  maxFrameBytes: 2 * 1024 * 1024,
  maxPendingRequests: 256,
  maxErrorsPerConnection: 100,
  maxUploadBytes: 256 * 1024 * 1024,
  observerBacklogBytes: 64 * 1024 * 1024,
};

export const DEFAULT_SLICE_INSNS = 2_000_000;
