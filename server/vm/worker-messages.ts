/**
 * What runs in a VM's worker talks in two vocabularies:
 * - between the main thread and the worker (structured-clone messages): requests the HTTP side makes, connections
 *   handed over, and the figures the main thread keeps about the VM (state, counts) so that it can answer HTTP
 *   without asking;
 * - inside the worker, between the VM (LiveVm, ReplayVm) and the hub that serves its channels: commands in, events
 *   out. The exits stream from the VM to its WebSocket clients without leaving the worker.
 */
import type { CheckpointOptions, ExitAnswer, Place, TravelStop } from '../../sim/index.js';
import type { ProtocolErrorCode, RequestBody, Role, VmEnd, VmState } from '../../client-sdk/protocol.js';
import type { ServerLimits } from '../config.js';
import type { HandedOffSocket } from '../channel/socket-handoff.js';
import type { RoundTripCounts } from './round-trip-counts.js';

export interface LiveInit {
  kind: 'live';
  id: string;
  image: Uint8Array;
  imageName: string;
  ramSize: number;
  bootargs?: string;
  /** An initial ramdisk for a Linux Image (the journal embeds it). */
  initrd?: Uint8Array;
  /** Journal file, or null for an unrecorded VM. */
  recordPath: string | null;
  /** fdatasync the journal after every write. */
  fsync?: boolean;
  digestEveryExits?: number;
  /** Guest instructions per time slice: between slices the worker takes messages. */
  sliceInsns: number;
  /** How a recorded VM checkpoints itself, for travels into its past. */
  checkpoints: CheckpointOptions;
}

export interface ReplayInit {
  kind: 'replay';
  id: string;
  journalPath: string;
  sliceInsns: number;
  checkpoints: CheckpointOptions;
}

/** What a worker starts with: its VM, and what its channels need (the VM's token, the connection limits). */
export type WorkerInit = (LiveInit | ReplayInit) & { token: string; limits: ServerLimits };

/** Requests the server makes on its own behalf (never from a client). */
export type InternalRequest = { op: 'stats' };

/** What the main thread knows about a VM without asking its worker. */
export interface VmFigures {
  state: VmState;
  icount: number;
  exits: number;
  exitsByReason: Record<string, number>;
  controller: boolean;
  observers: number;
  end: VmEnd | null;
}

export type MainToWorker =
  | { t: 'req'; rid: number; body: RequestBody | InternalRequest }
  /** A client's connection to the VM's channel, handed over right after its upgrade request. */
  | { t: 'adopt'; socket: HandedOffSocket }
  /** The VM is deleted or the server stops: close every channel with this status; replied to once they are closed. */
  | { t: 'close-channels'; rid: number; code: number; reason: string };

export type WorkerToMain =
  | { t: 'ready'; figures: VmFigures }
  /** The worker could not start (bad image, unreadable journal): the VM never existed. */
  | { t: 'failed'; code: string; message: string }
  | { t: 'reply'; rid: number; result: unknown }
  /** A request failed: a protocol code, or one of the HTTP API's. */
  | { t: 'error'; rid: number; code: string; message: string }
  /**
   * New figures: at once when the state, the end or the clients change, at most every few hundred ms for counts;
   * with the exit round trips (seconds) measured since the last figures, for /metrics.
   */
  | { t: 'figures'; figures: VmFigures; roundTrips?: RoundTripCounts }
  /** For /metrics and the log: a client attached (+1) or left (-1) in a role, or an error sent to a client. */
  | { t: 'metric'; connections?: number; role?: Role; protocolError?: ProtocolErrorCode };

/** What the hub tells its VM. */
export type VmCommand =
  | { t: 'req'; rid: number; body: RequestBody | InternalRequest }
  | { t: 'answer'; answer: ExitAnswer }
  /** The controller went away: stop at a recorded point and make the journal durable. */
  | { t: 'detach' }
  | { t: 'observers'; count: number };

/** What a VM tells its hub. */
export type VmEvent =
  /** An exit; frame is the encoded `exit` server message, ready to send to every client. */
  | { t: 'exit'; seq: number; reason: string; waiting: boolean; icount: number; frame: Uint8Array }
  /**
   * The controller's answer was accepted; frame: it encoded as the `answer` server message, for observers (null with
   * none); state: the VM's state now that no exit waits (running again, most often).
   */
  | { t: 'answered'; frame: Uint8Array | null; state: VmState }
  | { t: 'reply'; rid: number; result: unknown }
  | { t: 'error'; rid?: number; seq?: number; code: ProtocolErrorCode; message: string }
  | { t: 'state'; state: VmState; icount: number; exits: number }
  /** The traveller moved or appeared (place), or a live VM is back in its present (null). */
  | { t: 'travel'; place: Place | null; stop?: TravelStop }
  | { t: 'ended'; end: VmEnd };
