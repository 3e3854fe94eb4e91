/**
 * Tokens: the server's (needed to create and manage VMs) and one per VM (needed to attach to its channel).
 * Compared in constant time over their digests, so neither length nor content leaks through timing.
 */
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export function newToken(): string {
  return randomBytes(24).toString('base64url');
}

export function tokensEqual(given: string, expected: string): boolean {
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b) && given.length === expected.length;
}

/** The token of an `Authorization: Bearer <token>` header, or null. */
export function bearer(header: string | undefined): string | null {
  if (header === undefined) return null;
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return m === null ? null : m[1];
}

/**
 * A VM's observer token: derived from its token (HMAC), so it can be handed to someone who may watch the VM (the
 * web UI, holding the server token) without letting them control it. The channel accepts it for the observer role
 * only.
 */
export function observerToken(vmToken: string): string {
  return createHmac('sha256', vmToken).update('hindsight observer').digest('base64url');
}
