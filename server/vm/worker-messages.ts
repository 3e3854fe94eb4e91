/**
 * What the main thread and a VM's worker thread say to each other (structured-clone messages). The main thread
 * only routes: it validates client frames, then hands requests and answers to the worker that owns the vCPU.
 */
import type { ExitAnswer, StatRow } from '../../sim/index.js';
import type { ProtocolErrorCode, RequestBody, VmEnd, VmState } from '../../client-sdk/protocol.js';

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
  digestEveryExits?: number;
  /** Guest instructions per time slice: between slices the worker takes messages. */
  sliceInsns: number;
}

export interface ReplayInit {
  kind: 'replay';
  id: string;
  journalPath: string;
  sliceInsns: number;
}

export type WorkerInit = LiveInit | ReplayInit;

/** Requests the main thread makes on its own behalf (never from a client). */
export type InternalRequest = { op: 'stats' };

export type ToWorker =
  | { t: 'req'; rid: number; body: RequestBody | InternalRequest }
  | { t: 'answer'; answer: ExitAnswer }
  /** The controller went away: stop at a recorded point and make the journal durable. */
  | { t: 'detach' }
  | { t: 'observers'; count: number };

export interface VmStats {
  icount: number;
  exits: number;
  rows: StatRow[];
}

export type FromWorker =
  /** An exit; frame is the encoded `exit` server message, ready to send to every client. */
  | { t: 'exit'; seq: number; reason: string; waiting: boolean; icount: number; frame: Uint8Array }
  /** An accepted answer, encoded as the `answer` server message (only while observers are attached). */
  | { t: 'answered'; frame: Uint8Array }
  | { t: 'reply'; rid: number; result: unknown }
  | { t: 'error'; rid?: number; seq?: number; code: ProtocolErrorCode; message: string }
  | { t: 'state'; state: VmState; icount: number; exits: number }
  | { t: 'ended'; end: VmEnd }
  /** The worker could not start (bad image, unreadable journal): the VM never existed. */
  | { t: 'failed'; code: string; message: string }
  | { t: 'ready'; state: VmState };
