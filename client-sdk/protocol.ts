/**
 * The VM channel protocol (docs/protocol.md): what a client and the server say to each other over one VM's
 * WebSocket. Binary frames, each one msgpack map with a `type`. Shared by the server and the SDK so the two
 * cannot drift apart.
 */
import { Packr } from 'msgpackr';
import type { CheckpointStats, ExitAnswer, Place, TimelineEntry, TimelineFilter, TravelStop, VcpuExit } from '../sim/index.js';

export const PROTOCOL_VERSION = 1;

export type Role = 'controller' | 'observer';

/** Where a VM is: running guest code, paused (by request or with no controller), or finished for good. */
export type VmState = 'created' | 'running' | 'paused' | 'waiting' | 'halted' | 'ended';

/** Stable error codes carried by `error` messages (and HTTP error bodies). */
export type ProtocolErrorCode =
  | 'BAD_FRAME' // not a binary msgpack map with a string `type`
  | 'BAD_HELLO' // the first message was not a valid hello
  | 'UNSUPPORTED_PROTOCOL'
  | 'UNAUTHORIZED'
  | 'UNKNOWN_TYPE'
  | 'UNKNOWN_OP'
  | 'BAD_REQUEST' // a field is missing or has the wrong type
  | 'NOT_CONTROLLER' // an observer asked for something only the controller may do
  | 'CONTROLLER_PRESENT' // a second controller tried to attach
  | 'WRONG_SEQ' // an answer for an exit that is not the one waiting
  | 'NO_PENDING_EXIT'
  | 'BAD_ANSWER' // an answer the waiting exit cannot take (wrong kind, wrong data length)
  | 'EXIT_PENDING' // the request needs the vCPU stopped with no exit waiting
  | 'VM_ENDED'
  | 'VM_NOT_FOUND'
  | 'BAD_ADDRESS' // a memory request outside guest RAM
  | 'TOO_MANY_PENDING' // more requests in flight than the server allows
  | 'FRAME_TOO_LARGE'
  | 'NOT_SUPPORTED' // the request does not apply to this kind of VM (e.g. writing registers in a replay)
  | 'NO_SUCH_EXIT' // a seek to an exit the recording does not hold
  | 'TRAVELLING' // a live VM shows its past: nothing may change the run until `present`
  | 'NOT_TRAVELLING' // a request about the travelled history while a live VM shows its present
  | 'INTERNAL';

/**
 * A request's operation and its arguments: the type comes from the request schemas (protocol-schema.ts), which the
 * server checks every request against.
 */
export type { RequestBody, RequestOp } from './protocol-schema.js';
import type { RequestBody, RequestOp } from './protocol-schema.js';
import { MAX_TIMELINE_LIMIT } from './protocol-schema.js';
export { MAX_TIMELINE_LIMIT };

export const REQUEST_OPS: readonly RequestOp[] = [
  'status', 'run', 'pause', 'step', 'guest-debug', 'breakpoint', 'watchpoint', 'get-regs', 'set-reg', 'set-freg', 'set-fcsr', 'set-pc',
  'read-mem', 'write-mem', 'irq', 'stop', 'seek', 'continue', 'reverse-step', 'reverse-continue', 'timeline', 'checkpoints',
  'present', 'divert',
];

/**
 * Which past exits a `timeline` request lists: sim's TimelineFilter (reason, pc, address + len, fromSeq, toSeq,
 * limit — default 1000, at most MAX_TIMELINE_LIMIT — and last); every field given must match.
 */
export type TimelineQuery = TimelineFilter;

/** Where a time traveller stands and why it stopped there: the reply of every request that moves it. */
export interface TravelReply {
  stop: TravelStop;
  place: Place;
  /** In a diversion: what the guest wrote to its console during the move. */
  output?: string;
}

export type { CheckpointStats, Place, TimelineEntry, TravelStop };

/** Requests an observer may make: they only look. */
export const OBSERVER_OPS: ReadonlySet<RequestOp> = new Set(['status', 'get-regs', 'read-mem']);

export type ClientMessage =
  | { type: 'hello'; protocol: number; role: Role; token: string }
  | ({ type: 'req'; id: number } & RequestBody)
  | { type: 'answer'; answer: ExitAnswer };

export interface VmStatus {
  id: string;
  kind: 'live' | 'replay';
  state: VmState;
  icount: number;
  exits: number;
  /** The exit waiting for its answer, if any. */
  waitingSeq?: number;
}

/** What the HTTP API says about a VM. */
export interface VmSummary {
  id: string;
  kind: 'live' | 'replay';
  name: string;
  state: VmState;
  icount: number;
  exits: number;
  exitsByReason: Record<string, number>;
  recording: string | null;
  controller: boolean;
  observers: number;
  createdAt: string;
  end?: VmEnd;
}

/** A journal in the server's recordings folder. */
export interface RecordingInfo {
  name: string;
  bytes: number;
  modified: string;
  /** The VM recording into it right now, if any. */
  vm?: string;
}

/** The registers where a VM (or its traveller) stands: the type comes from its schema (protocol-schema.ts). */
export type { GuestCsr, Registers } from './protocol-schema.js';

/** How a VM ended: the reason, the guest's exit code when it has one, and the final state digest of the journal. */
export interface VmEnd {
  reason: string;
  exitCode: number;
  icount: number;
  exits: number;
  digest?: string;
  message?: string;
  /** For a replay: whether every exit and the final digest matched, and where it first did not. */
  verified?: boolean;
  divergence?: { record: number; offset: number; icount: number; field: string; expected: string; actual: string };
}

export type ServerMessage =
  | { type: 'welcome'; protocol: number; role: Role; vm: VmStatus; waiting?: VcpuExit }
  /** An exit; in a replay (and to observers) it carries the answer it was given. */
  | { type: 'exit'; exit: VcpuExit; answer?: ExitAnswer }
  /** To observers: the controller's answer to an exit. */
  | { type: 'answer'; answer: ExitAnswer }
  | { type: 'reply'; id: number; result: unknown }
  | { type: 'error'; id?: number; seq?: number; code: ProtocolErrorCode; message: string }
  | { type: 'state'; state: VmState; icount: number }
  /**
   * To every client: the VM's time traveller moved (place and why it stopped there), started showing the past
   * (place only), or a live VM came back to its present (place null).
   */
  | { type: 'travel'; place: Place | null; stop?: TravelStop }
  | { type: 'ended'; end: VmEnd };

/** WebSocket close codes the server uses (RFC 6455 ones where they fit, 4xxx for the application's own). */
export const CLOSE = {
  NORMAL: 1000,
  GOING_AWAY: 1001,
  PROTOCOL_ERROR: 1002,
  UNSUPPORTED_DATA: 1003,
  POLICY: 1008,
  TOO_BIG: 1009,
  INTERNAL: 1011,
  UNAUTHORIZED: 4001,
  VM_NOT_FOUND: 4004,
  CONTROLLER_PRESENT: 4009,
  VM_DELETED: 4010,
  FLOOD: 4029,
} as const;

/** bigints stay bigints (registers, pcs), byte arrays stay byte arrays, maps decode as plain objects. */
const packr = new Packr({ useRecords: false, int64AsType: 'bigint', mapsAsObjects: true });

export function encodeMessage(message: ServerMessage | ClientMessage): Uint8Array {
  // pack() returns a view of the packer's buffer that its next call may reuse: copy it out.
  return new Uint8Array(packr.pack(message));
}

/** Decodes one frame; throws on bytes that are not one msgpack value. */
export function decodeMessage(bytes: Uint8Array): unknown {
  return packr.unpack(bytes);
}
