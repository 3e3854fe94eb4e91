/**
 * Turns a decoded frame into a typed client message, or says precisely what is wrong with it. Nothing a client
 * sends reaches a VM without passing through here: a hostile frame costs a coded error, never a crash.
 */
import type { ExitAnswer } from '../../sim/index.js';
import {
  MAX_TIMELINE_LIMIT, REQUEST_OPS, type ClientMessage, type ProtocolErrorCode, type RequestBody, type RequestOp, type TimelineQuery,
} from '../../client-sdk/protocol.js';

export class MessageError extends Error {
  readonly code: ProtocolErrorCode;
  readonly id?: number;
  constructor(code: ProtocolErrorCode, message: string, id?: number) {
    super(message);
    this.code = code;
    this.id = id;
  }
}

type Fields = Record<string, unknown>;

const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v);

function bool(m: Fields, key: string, id?: number): boolean {
  const v = m[key];
  if (typeof v !== 'boolean') throw new MessageError('BAD_REQUEST', `'${key}' must be a boolean`, id);
  return v;
}

function uint(m: Fields, key: string, id?: number, max = Number.MAX_SAFE_INTEGER): number {
  const v = m[key];
  if (!isInt(v) || v < 0 || v > max) throw new MessageError('BAD_REQUEST', `'${key}' must be an integer in [0, ${max}]`, id);
  return v;
}

/** A 64-bit value: msgpack carries small ones as plain integers, big ones as 64-bit integers (bigint here). */
function u64(m: Fields, key: string, id?: number): bigint {
  const v = m[key];
  if (typeof v === 'bigint') {
    if (v < -(1n << 63n) || v >= 1n << 64n) throw new MessageError('BAD_REQUEST', `'${key}' does not fit in 64 bits`, id);
    return BigInt.asUintN(64, v);
  }
  if (isInt(v)) return BigInt.asUintN(64, BigInt(v));
  throw new MessageError('BAD_REQUEST', `'${key}' must be an integer`, id);
}

function bytes(m: Fields, key: string, id?: number): Uint8Array {
  const v = m[key];
  if (!(v instanceof Uint8Array)) throw new MessageError('BAD_REQUEST', `'${key}' must be binary (msgpack bin)`, id);
  return v;
}

function request(m: Fields): ClientMessage {
  const id = m.id;
  if (!isInt(id) || id < 0) throw new MessageError('BAD_REQUEST', "a request needs an integer 'id' >= 0");
  const op = m.op;
  if (typeof op !== 'string' || !(REQUEST_OPS as readonly string[]).includes(op)) {
    throw new MessageError('UNKNOWN_OP', `unknown op ${JSON.stringify(op)}`, id);
  }
  const body = requestBody(op as RequestOp, m, id);
  return { type: 'req', id, ...body };
}

function requestBody(op: RequestOp, m: Fields, id: number): RequestBody {
  switch (op) {
    case 'status': case 'run': case 'pause': case 'step': case 'get-regs':
    case 'continue': case 'reverse-step': case 'reverse-continue': case 'checkpoints': case 'present':
      return { op };
    case 'seek': {
      // Exactly one target: a seek that named both would have to pick one silently.
      if ((m.exit === undefined) === (m.icount === undefined)) {
        throw new MessageError('BAD_REQUEST', "a seek names exactly one of 'exit' and 'icount'", id);
      }
      return m.exit !== undefined ? { op, exit: uint(m, 'exit', id) } : { op, icount: uint(m, 'icount', id) };
    }
    case 'timeline': return { op, ...timelineQuery(m, id) };
    case 'guest-debug': return { op, enabled: bool(m, 'enabled', id) };
    case 'breakpoint': return { op, pc: u64(m, 'pc', id), add: bool(m, 'add', id) };
    case 'watchpoint': {
      const len = uint(m, 'len', id, 1 << 20);
      if (len === 0) throw new MessageError('BAD_REQUEST', "'len' must be at least 1", id);
      return { op, addr: u64(m, 'addr', id), len, read: bool(m, 'read', id), write: bool(m, 'write', id), add: bool(m, 'add', id) };
    }
    case 'set-reg': {
      const reg = uint(m, 'reg', id, 31);
      return { op, reg, value: u64(m, 'value', id) };
    }
    case 'set-pc': return { op, value: u64(m, 'value', id) };
    case 'read-mem': return { op, addr: uint(m, 'addr', id), len: uint(m, 'len', id, 1 << 20) };
    case 'write-mem': {
      const data = bytes(m, 'data', id);
      if (data.length > 1 << 20) throw new MessageError('BAD_REQUEST', "'data' is limited to 1 MiB per request", id);
      return { op, addr: uint(m, 'addr', id), data };
    }
    case 'irq': return { op, level: bool(m, 'level', id) };
    case 'stop': {
      const reason = m.reason ?? 'stopped';
      if (typeof reason !== 'string' || reason.length > 200) throw new MessageError('BAD_REQUEST', "'reason' must be a short string", id);
      const exitCode = m.exitCode ?? 0;
      if (!isInt(exitCode)) throw new MessageError('BAD_REQUEST', "'exitCode' must be an integer", id);
      return { op, reason, exitCode };
    }
  }
}

/** The optional filter fields of a timeline request; absent (or nil) fields are left out. */
function timelineQuery(m: Fields, id: number): TimelineQuery {
  const q: TimelineQuery = {};
  const given = (key: string) => m[key] !== undefined && m[key] !== null;
  if (given('reason')) {
    if (typeof m.reason !== 'string' || m.reason.length > 40) throw new MessageError('BAD_REQUEST', "'reason' must be an exit reason name", id);
    q.reason = m.reason;
  }
  if (given('pc')) q.pc = u64(m, 'pc', id);
  if (given('address')) q.address = u64(m, 'address', id);
  if (given('len')) {
    if (!given('address')) throw new MessageError('BAD_REQUEST', "'len' goes with 'address'", id);
    q.len = uint(m, 'len', id, 1 << 30);
    if (q.len === 0) throw new MessageError('BAD_REQUEST', "'len' must be at least 1", id);
  }
  if (given('fromSeq')) q.fromSeq = uint(m, 'fromSeq', id);
  if (given('toSeq')) q.toSeq = uint(m, 'toSeq', id);
  if (given('limit')) q.limit = uint(m, 'limit', id, MAX_TIMELINE_LIMIT);
  if (given('last')) q.last = bool(m, 'last', id);
  return q;
}

function answer(m: Fields): ClientMessage {
  const a = m.answer;
  if (typeof a !== 'object' || a === null || Array.isArray(a)) throw new MessageError('BAD_REQUEST', "an answer needs an 'answer' map");
  const f = a as Fields;
  const seq = uint(f, 'seq');
  let out: ExitAnswer;
  switch (f.reason) {
    case 'MMIO':
      out = f.data === undefined ? { seq, reason: 'MMIO' } : { seq, reason: 'MMIO', data: bytes(f, 'data') };
      break;
    case 'RISCV_SBI': {
      const ret = f.ret;
      if (!Array.isArray(ret) || ret.length !== 2) throw new MessageError('BAD_REQUEST', "'ret' must be [error, value]");
      out = { seq, reason: 'RISCV_SBI', ret: [u64({ v: ret[0] }, 'v'), u64({ v: ret[1] }, 'v')] };
      break;
    }
    case 'RISCV_CSR': out = { seq, reason: 'RISCV_CSR', retValue: u64(f, 'retValue') }; break;
    case 'DEBUG': {
      const action = f.action;
      if (action !== 'resume' && action !== 'stay' && action !== 'inject') {
        throw new MessageError('BAD_REQUEST', "'action' must be resume, stay or inject");
      }
      out = { seq, reason: 'DEBUG', action };
      break;
    }
    default:
      throw new MessageError('BAD_ANSWER', `no exit of reason ${JSON.stringify(f.reason)} takes an answer`);
  }
  return { type: 'answer', answer: out };
}

/** Validates a decoded frame (anything msgpack can hold). */
export function parseClientMessage(value: unknown): ClientMessage {
  if (typeof value !== 'object' || value === null || Object.getPrototypeOf(value) !== Object.prototype) {
    throw new MessageError('BAD_FRAME', 'a frame must be one msgpack map');
  }
  const m = value as Fields;
  switch (m.type) {
    case 'req': return request(m);
    case 'answer': return answer(m);
    case 'hello': {
      const role = m.role;
      if (role !== 'controller' && role !== 'observer') throw new MessageError('BAD_HELLO', "'role' must be controller or observer");
      if (typeof m.token !== 'string') throw new MessageError('BAD_HELLO', "hello needs the VM's 'token'");
      if (!isInt(m.protocol)) throw new MessageError('BAD_HELLO', "hello needs the 'protocol' version");
      return { type: 'hello', protocol: m.protocol, role, token: m.token };
    }
    default:
      throw new MessageError('UNKNOWN_TYPE', `unknown message type ${JSON.stringify(m.type)}`);
  }
}
