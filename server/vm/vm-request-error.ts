import type { ProtocolErrorCode } from '../../client-sdk/protocol.js';

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
