/**
 * The channel's messages as schemas (sim/schema): what a client sends (checked by the server, server/channel/
 * validate.ts) and what the server sends (checked by the SDK, remote/connection.ts), each declared once. The
 * protocol's TypeScript types (protocol.ts) are derived from these, or checked against them at compile time where
 * they come from the simulator (exits, answers, places, travel stops), so the two sides cannot drift apart.
 */
import { answerSchema, exitSchema } from '../sim/journal/schema.js';
import type { CheckpointStats, ExitAnswer, Place, TimelineEntry, TravelStop } from '../sim/index.js';
import {
  array, assertSameType, bool, bytes, int, isPlainObject, nullable, object, oneOf, optional, refine, str, u64, uint, unknown, variant, withDefault,
  type Infer, type Schema,
} from '../sim/schema/schema.js';

/** The most entries one `timeline` reply holds (a reply must fit a frame a client accepts). */
export const MAX_TIMELINE_LIMIT = 10_000;
/** The most bytes one read-mem, write-mem or watchpoint covers. */
export const MAX_MEMORY_REQUEST = 1 << 20;

const count = uint();

// ---- client to server ----

export const helloSchema = object({
  type: oneOf('hello'),
  protocol: int(),
  role: oneOf('controller', 'observer'),
  token: str({ max: 512 }),
});

/** Absent or nil fields do not filter. */
const maybe = <T>(s: Schema<T>) => optional(s, { nil: true });

const timelineFields = {
  reason: maybe(str({ max: 40 })),
  pc: maybe(u64()),
  address: maybe(u64()),
  len: maybe(int(1, 1 << 30)),
  fromSeq: maybe(count),
  toSeq: maybe(count),
  limit: maybe(uint(MAX_TIMELINE_LIMIT)),
  last: maybe(bool()),
};

/** A request's envelope, then its op's fields. */
const req = <S extends Record<string, Schema<unknown>>>(fields: S) => ({ type: oneOf('req'), id: count, ...fields });

/** Every request, by op: `{type: "req", id, op, ...fields}`. */
const requests = variant('op', {
  status: req({}), run: req({}), pause: req({}), step: req({}), 'get-regs': req({}), continue: req({}), 'reverse-step': req({}),
  'reverse-continue': req({}), checkpoints: req({}), present: req({}),
  'guest-debug': req({ enabled: bool() }),
  divert: req({ enabled: bool() }),
  breakpoint: req({ pc: u64(), add: bool() }),
  watchpoint: req({ addr: u64(), len: int(1, MAX_MEMORY_REQUEST), read: bool(), write: bool(), add: bool() }),
  'set-reg': req({ reg: uint(31), value: u64() }),
  // f0..f31 as raw 64-bit patterns, and fcsr (frm << 5 | fflags): on a machine with F/D.
  'set-freg': req({ reg: uint(31), value: u64() }),
  'set-fcsr': req({ value: uint(0xff) }),
  // A pc is always even (IALIGN=16, the C extension).
  'set-pc': req({ value: refine(u64(), (v) => ((v & 1n) === 0n ? null : 'must be even (instructions are 2-byte aligned)')) }),
  'read-mem': req({ addr: count, len: uint(MAX_MEMORY_REQUEST) }),
  'write-mem': req({ addr: count, data: bytes({ max: MAX_MEMORY_REQUEST }) }),
  irq: req({ level: bool() }),
  stop: req({ reason: withDefault(str({ max: 200 }), 'stopped'), exitCode: withDefault(int(), 0) }),
  // Exactly one target: a seek that named both would have to pick one silently.
  seek: req({ exit: optional(count), icount: optional(count) }),
  timeline: req(timelineFields),
}, { tagAt: 2 });

/** A request message, checked whole: envelope, op and fields. */
export const requestSchema = refine(requests, (r) => {
  if (r.op === 'seek' && (r.exit === undefined) === (r.icount === undefined)) return "a seek names exactly one of 'exit' and 'icount'";
  if (r.op === 'timeline' && r.len !== undefined && r.address === undefined) return "'len' goes with 'address'";
  return null;
});
export type RequestMessage = Infer<typeof requestSchema>;
type WithoutEnvelope<T> = T extends unknown ? Omit<T, 'type' | 'id'> : never;
/** A request's op and its fields (what a client passes to `request()`). */
export type RequestBody = WithoutEnvelope<RequestMessage>;
export type RequestOp = RequestBody['op'];

export const answerMessageSchema = object({ type: oneOf('answer'), answer: answerSchema });

// ---- server to client ----
// Replies and events are checked field by field; fields this SDK does not know pass through (open maps), so an
// older client keeps working with a newer server. Exits and answers are exact: they are the journal's.
const open = { open: true };

const vmState = oneOf('created', 'running', 'paused', 'waiting', 'halted', 'ended');
const divergenceSchema = object({
  record: count, offset: count, icount: count, field: str({ max: 200 }), expected: str({ max: 1 << 20 }), actual: str({ max: 1 << 20 }),
}, open);

export const vmEndSchema = object({
  reason: str({ max: 200 }),
  exitCode: int(),
  icount: count,
  exits: count,
  digest: optional(str({ max: 64 })),
  message: optional(str({ max: 4096 })),
  verified: optional(bool()),
  divergence: optional(divergenceSchema),
}, open);

export const placeSchema = object({ icount: count, nextSeq: count, pc: u64(), atExit: nullable(exitSchema) }, open);
assertSameType<Infer<typeof placeSchema>, Place>(true);

export const travelStopSchema = variant('kind', {
  arrived: {},
  breakpoint: { pc: u64(), address: optional(u64()), isWrite: optional(bool()), seq: optional(count) },
  watchpoint: { pc: u64(), address: optional(u64()), isWrite: optional(bool()), seq: optional(count) },
  'history-start': {},
  'history-end': { closed: bool() },
  diverged: { divergence: divergenceSchema },
  'diversion-end': { reason: str({ max: 4096 }) },
}, open);
// The simulator spells the two trigger stops as one member with kind 'breakpoint' | 'watchpoint': the same values.
assertSameType<Infer<typeof travelStopSchema>['kind'], TravelStop['kind']>(true);

const vmStatusSchema = object({
  id: str({ max: 64 }), kind: oneOf('live', 'replay'), state: vmState, icount: count, exits: count, waitingSeq: optional(count),
}, open);

/** What the server sends, by type. */
export const serverMessageSchema = variant('type', {
  welcome: { protocol: int(), role: oneOf('controller', 'observer'), vm: vmStatusSchema, waiting: optional(exitSchema) },
  exit: { exit: exitSchema, answer: optional(answerSchema) },
  answer: { answer: answerSchema },
  reply: { id: count, result: unknown() },
  error: { id: optional(count), seq: optional(count), code: str({ max: 64 }), message: str({ max: 1 << 16 }) },
  state: { state: vmState, icount: count },
  travel: { place: nullable(placeSchema), stop: optional(travelStopSchema) },
  ended: { end: vmEndSchema },
}, open);
export type ServerMessageChecked = Infer<typeof serverMessageSchema>;

// ---- replies, by op ----

const statusFields = {
  state: vmState, icount: count, exits: count, waitingSeq: optional(count), waiting: optional(exitSchema), end: optional(vmEndSchema),
  travel: optional(placeSchema),
};
/** A request's `status` result: the VM's own figures (and, while a live VM travels, where). */
export const statusResultSchema = object(statusFields, open);

/** The CSRs the guest sees, as a csrr in the guest reads them, and its counters. */
export const GUEST_CSRS = [
  'sstatus', 'sie', 'stvec', 'scounteren', 'senvcfg', 'sscratch', 'sepc', 'scause', 'stval', 'sip', 'satp', 'cycle', 'time', 'instret',
] as const;
export type GuestCsr = (typeof GUEST_CSRS)[number];

export const registersSchema = refine(object({
  pc: u64(),
  /** x0..x31 as unsigned 64-bit values. */
  x: array(u64(), { min: 32, max: 32 }),
  icount: count,
  /** The guest's privilege: 0 U (VU-mode), 1 S (VS-mode). */
  priv: int(0, 1),
  csr: object(Object.fromEntries(GUEST_CSRS.map((name) => [name, u64()])) as Record<GuestCsr, Schema<bigint>>, open),
  /** On a machine with F/D: f0..f31 as raw 64-bit patterns (a single NaN-boxed), and fcsr (frm << 5 | fflags). */
  f: optional(array(u64(), { min: 32, max: 32 })),
  fcsr: optional(uint(0xff)),
}, open), (r) => ((r.f === undefined) !== (r.fcsr === undefined) ? "'f' and 'fcsr' come together (a machine with F/D) or not at all" : null));
export type Registers = Infer<typeof registersSchema>;
/** `output`: in a diversion, what the guest wrote to its console during the move. */
export const travelReplySchema = object({ stop: travelStopSchema, place: placeSchema, output: optional(str({ max: 1 << 20 })) }, open);
export const timelineEntrySchema = object({ seq: count, icount: count, reason: str({ max: 40 }), pc: u64(), exit: exitSchema }, open);
assertSameType<Infer<typeof timelineEntrySchema>, TimelineEntry>(true);
export const checkpointStatsSchema = object({
  count, pageBytes: count, pages: count, stateBytes: count, intervalInsns: count, intervalExits: count, budgetBytes: count,
  dropped: count, overBudget: bool(),
}, open);
assertSameType<Infer<typeof checkpointStatsSchema>, CheckpointStats>(true);

/** A reply that is a travel reply when the VM travels (a replay, a live VM in its past), `other` otherwise. */
function travelOr<T>(other: Schema<T>): Schema<Infer<typeof travelReplySchema> | T> {
  return {
    ...other,
    describe: `a travel reply or ${other.describe}`,
    parse: (v) => (isPlainObject(v) && 'stop' in v ? travelReplySchema.parse(v) : other.parse(v)),
  };
}

const done = oneOf(true);

/** The result each op's reply carries. */
export const REPLY_SCHEMAS = {
  status: statusResultSchema, run: statusResultSchema, pause: statusResultSchema, stop: statusResultSchema, present: statusResultSchema,
  // A live VM's step: its status and the exit the instruction made.
  step: travelOr(object({ ...statusFields, exit: exitSchema }, open)),
  continue: travelOr(statusResultSchema),
  seek: travelReplySchema, 'reverse-step': travelReplySchema, 'reverse-continue': travelReplySchema, divert: travelReplySchema,
  'guest-debug': done, breakpoint: bool(), watchpoint: bool(), 'set-reg': done, 'set-freg': done, 'set-fcsr': done, 'set-pc': done, 'write-mem': done, irq: done,
  'get-regs': registersSchema,
  'read-mem': bytes({ max: MAX_MEMORY_REQUEST }),
  timeline: array(timelineEntrySchema, { max: MAX_TIMELINE_LIMIT }),
  checkpoints: checkpointStatsSchema,
} satisfies Record<RequestOp, Schema<unknown>>;

/** What `request(body)` resolves with, by op. */
export type ReplyResult<Op extends RequestOp> = Infer<(typeof REPLY_SCHEMAS)[Op]>;

assertSameType<Infer<typeof answerSchema>, ExitAnswer>(true);
