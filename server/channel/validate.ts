/**
 * Turns a decoded frame into a typed client message, or says precisely what is wrong with it. Nothing a client
 * sends reaches a VM without passing through here: a hostile frame costs a coded error, never a crash. The checks
 * are the protocol's schemas (client-sdk/protocol-schema.ts); this file only gives each kind of mistake its code.
 */
import { SchemaError, isPlainObject, shown } from '../../sim/schema/schema.js';
import { answerMessageSchema, helloSchema, requestSchema } from '../../client-sdk/protocol-schema.js';
import type { ClientMessage, ProtocolErrorCode } from '../../client-sdk/protocol.js';

export class MessageError extends Error {
  readonly code: ProtocolErrorCode;
  readonly id?: number;
  readonly seq?: number;
  constructor(code: ProtocolErrorCode, message: string, where: { id?: number; seq?: number } = {}) {
    super(message);
    this.code = code;
    if (where.id !== undefined) this.id = where.id;
    if (where.seq !== undefined) this.seq = where.seq;
  }
}

const isId = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;

/** A schema's complaint as a message error with this code (and `unknownTag` ones with theirs). */
function refused(e: unknown, code: ProtocolErrorCode, unknownTagCode: ProtocolErrorCode, where: { id?: number; seq?: number }): MessageError {
  if (!(e instanceof SchemaError)) throw e;
  return new MessageError(e.unknownTag ? unknownTagCode : code, e.message, where);
}

function request(m: Record<string, unknown>): ClientMessage {
  const id = m.id;
  if (!isId(id)) throw new MessageError('BAD_REQUEST', "a request needs an integer 'id' >= 0");
  try {
    return requestSchema.parse(m);
  } catch (e) {
    throw refused(e, 'BAD_REQUEST', 'UNKNOWN_OP', { id });
  }
}

function answer(m: Record<string, unknown>): ClientMessage {
  const a = m.answer;
  // The seq is echoed in the refusal when it can be read, so the client knows which answer it was.
  const seq = isPlainObject(a) && isId(a.seq) ? a.seq : undefined;
  try {
    return answerMessageSchema.parse(m);
  } catch (e) {
    throw refused(e, 'BAD_REQUEST', 'BAD_ANSWER', seq === undefined ? {} : { seq });
  }
}

/** Validates a decoded frame (anything msgpack can hold). */
export function parseClientMessage(value: unknown): ClientMessage {
  if (!isPlainObject(value)) throw new MessageError('BAD_FRAME', 'a frame must be one msgpack map');
  switch (value.type) {
    case 'req': return request(value);
    case 'answer': return answer(value);
    case 'hello':
      try {
        return helloSchema.parse(value);
      } catch (e) {
        throw refused(e, 'BAD_HELLO', 'BAD_HELLO', {});
      }
    default:
      throw new MessageError('UNKNOWN_TYPE', `unknown message type ${shown(value.type)}`);
  }
}
