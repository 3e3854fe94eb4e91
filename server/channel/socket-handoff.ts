/**
 * Handing an accepted connection from the main thread to a VM's worker, so that the worker serves the VM's
 * WebSocket itself and an exit's round trip never wakes the main thread.
 *
 * Why: routing every exit and every answer through the main thread costs two thread wake-ups and two structured
 * clones per round trip, about half of it (docs/architecture.md, "One VM, one worker"). Node cannot transfer a
 * net.Socket to a worker, but a descriptor is process-wide: the main thread stops reading the connection right after
 * the HTTP upgrade request and gives up its socket object without closing the descriptor; the worker wraps the same
 * descriptor in a socket of its own, completes the WebSocket handshake and owns the connection from then on (it
 * alone closes it).
 *
 * This leans on Node's `_handle` of a TCP socket (its libuv handle and `fd`), which exists on every platform Node
 * runs the server on with real descriptors (Linux, macOS). The worker gets a duplicate of the descriptor (the native
 * addon's dupDescriptor), so that the main thread closes its socket, libuv handle and descriptor, the ordinary way:
 * nothing of the connection stays in the main thread. Without the addon the worker gets the descriptor itself, and
 * the main thread's libuv handle can never be closed (that would close the worker's descriptor, or later whatever
 * else got its number): it stays behind, idle and out of the event loop, about 1 KB per connection
 * (docs/architecture.md, "The main thread's copy"), its link back to the socket object cut so that the socket and what
 * it holds are collected.
 */
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { nativeAddon } from '../native/addon.js';

/** What a worker needs to take a connection over: its descriptor, the upgrade request, and bytes already read. */
export interface HandedOffSocket {
  fd: number;
  request: { method: string; url: string; headers: IncomingHttpHeaders };
  head: Uint8Array;
}

interface TcpHandle {
  fd?: number;
  readStop?: () => number;
}

/** Whether this socket can be handed over (it is a plain TCP connection with a descriptor). */
export function canHandOff(socket: Duplex): boolean {
  const handle = (socket as { _handle?: TcpHandle | null })._handle;
  return socket instanceof Socket && typeof handle?.fd === 'number' && handle.fd >= 0 && typeof handle.readStop === 'function';
}

/**
 * Gives up the main thread's hold on an upgraded connection and returns what a worker needs to adopt it: a duplicate
 * of its descriptor, the main thread's own socket being closed (or, without the native addon, the descriptor itself,
 * the socket object being destroyed without closing it). Call only after canHandOff said yes.
 */
export function releaseSocket(socket: Duplex, req: IncomingMessage, head: Buffer, dup = nativeAddon?.dupDescriptor ?? null): HandedOffSocket {
  const net = socket as Socket & { _handle: TcpHandle | null };
  const handle = net._handle!;
  // Nothing more is read here: the HTTP parser passed on what followed the request's headers as `head`, and the
  // upgrade event comes in the same turn as that read.
  handle.readStop!();
  const buffered = net.read() as Buffer | null;
  const handed = {
    request: { method: req.method ?? 'GET', url: req.url ?? '/', headers: req.headers },
    head: buffered === null ? new Uint8Array(head) : new Uint8Array(Buffer.concat([head, buffered])),
  };
  const copy = duplicate(handle.fd!, dup);
  if (copy !== null) {
    // The connection lives on in the copy: closing this socket closes only the main thread's descriptor and frees
    // its libuv handle (no shutdown, no reset: the peer sees nothing).
    net.destroy();
    return { fd: copy, ...handed };
  }
  const fd = handle.fd!;
  net._handle = null;
  // The handle stays behind (see above); it must not keep the socket, and all the socket holds, alive with it.
  for (const key of Object.getOwnPropertySymbols(handle)) delete (handle as Record<symbol, unknown>)[key];
  net.destroy();
  return { fd, ...handed };
}

/** A duplicate of the descriptor, or null without the addon (or if the process is out of descriptors). */
function duplicate(fd: number, dup: ((fd: number) => number) | null): number | null {
  if (dup === null) return null;
  try {
    return dup(fd);
  } catch {
    return null;
  }
}

/** The worker's side: a socket of its own over the handed-over descriptor. */
export function adoptSocket(fd: number): Socket {
  const socket = new Socket({ fd, readable: true, writable: true });
  // An exit is one small frame and the guest waits for its answer.
  socket.setNoDelay(true);
  return socket;
}
