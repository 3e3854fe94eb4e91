/**
 * The main thread's part in a channel connection: the HTTP upgrade request. It either hands the connection to the
 * VM's worker (socket-handoff.ts) or refuses it with a complete HTTP response and closes it cleanly.
 *
 * Why so careful: Node gives the 'upgrade' listener a bare socket, with the HTTP server's own 'error' listener
 * already removed. A client that resets the connection before it reads the refusal (a client connecting to a VM
 * just deleted does exactly that) makes the write or the read fail; an 'error' event nobody listens to ends the
 * process, every VM with it. So the first thing done to such a socket is to listen for its errors, and nothing in
 * here may throw (a request target such as `//` is not a URL `new URL()` accepts).
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { canHandOff } from './socket-handoff.js';

const CHANNEL_PATH = /^\/v1\/vms\/([A-Za-z0-9-]{1,64})\/channel$/;
/** How long a refused client gets to read the reply and close its side before the connection is cut. */
const REFUSAL_LINGER_MS = 5_000;

/** The VM a channel belongs to, as the upgrade needs it. */
export interface UpgradeTarget {
  readonly alive: boolean;
  adopt(req: IncomingMessage, socket: Duplex, head: Buffer): void;
}

/** The VM id a request target names as a channel (`/v1/vms/ID/channel`, any query ignored), or null. */
export function channelVmId(target: string | undefined): string | null {
  const raw = target ?? '';
  const q = raw.indexOf('?');
  const m = CHANNEL_PATH.exec(q < 0 ? raw : raw.slice(0, q));
  return m === null ? null : m[1];
}

/**
 * Answers an upgrade request: hands the connection to its VM's worker, or refuses it. `find` looks the VM up.
 * Never throws; every error of the socket is handled from here on.
 */
export function handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer, find: (id: string) => UpgradeTarget | undefined): void {
  // Before anything else: a reset (read or write ECONNRESET, EPIPE) must only ever close this one connection.
  socket.on('error', () => socket.destroy());
  try {
    const id = channelVmId(req.url);
    const vm = id === null ? undefined : find(id);
    if (vm === undefined || !vm.alive) return refuseUpgrade(socket, 404, 'VM_NOT_FOUND', 'no such VM channel');
    if (!canHandOff(socket)) return refuseUpgrade(socket, 500, 'INTERNAL', 'this connection cannot be handed to the VM');
    // The VM's worker completes the handshake and serves the channel itself (socket-handoff.ts).
    vm.adopt(req, socket, head);
  } catch (e) {
    refuseUpgrade(socket, 500, 'INTERNAL', e instanceof Error ? e.message : String(e));
  }
}

const REASONS: Record<number, string> = { 400: 'Bad Request', 404: 'Not Found', 500: 'Internal Server Error' };

/**
 * An upgrade request answered with an HTTP error instead: a complete response (its length said, so a client knows
 * it has all of it) with the JSON error body every route gives, then a clean close. What the client still sends is
 * read and dropped, so that closing does not turn into a reset that could cut the reply short.
 */
export function refuseUpgrade(socket: Duplex, status: number, code: string, message: string): void {
  if (socket.destroyed || !socket.writable) {
    socket.destroy();
    return;
  }
  const body = JSON.stringify({ error: { code, message } });
  socket.on('data', () => {});
  socket.once('end', () => socket.destroy());
  const linger = setTimeout(() => socket.destroy(), REFUSAL_LINGER_MS);
  linger.unref();
  socket.once('close', () => clearTimeout(linger));
  socket.end(
    `HTTP/1.1 ${status} ${REASONS[status] ?? 'Error'}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n`
    + `Connection: close\r\n\r\n${body}`,
  );
}
