import type { ProtocolErrorCode } from '../../client-sdk/protocol.js';
import type { SimError } from '../../sim/index.js';

/** A request to a VM (or about VMs) that failed, with a stable code: a protocol code or one of the HTTP API's. */
export class VmRequestError extends Error {
  constructor(readonly code: ProtocolErrorCode | string, message: string) {
    super(message);
  }
}

/** The stable code of a failed request: its own, or INTERNAL for an error nobody coded. */
export function errorCode(e: unknown): ProtocolErrorCode | string {
  return e instanceof VmRequestError ? e.code : 'INTERNAL';
}

/** A SimError's message without the `CODE: ` it starts with, for an error that goes out under another code. */
export function withoutCode(e: SimError): string {
  return e.message.startsWith(`${e.code}: `) ? e.message.slice(e.code.length + 2) : e.message;
}
