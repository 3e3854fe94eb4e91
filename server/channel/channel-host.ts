/**
 * The WebSocket side of one VM's worker: it takes over connections the main thread hands it (socket-handoff.ts),
 * completes their WebSocket handshake, serves each as a VmChannel, pings them to find dead peers, and closes them
 * when the VM goes away.
 */
import { closeSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import type { ServerLimits } from '../config.js';
import { adoptSocket, type HandedOffSocket } from './socket-handoff.js';
import { VmChannel, type ChannelMetrics, type ChannelVm } from './vm-channel.js';

const HEARTBEAT_MS = 15_000;
/** How long closing waits for clients to answer the close frame before their connections are cut. */
const CLOSE_GRACE_MS = 1_000;

export class ChannelHost {
  private readonly wss: WebSocketServer;
  private readonly channels = new Map<WebSocket, VmChannel>();
  private readonly alive = new WeakSet<WebSocket>();
  private readonly heartbeat: NodeJS.Timeout;

  constructor(private readonly vm: ChannelVm, private readonly limits: ServerLimits, private readonly metrics: ChannelMetrics) {
    this.wss = new WebSocketServer({ noServer: true, maxPayload: limits.maxFrameBytes, perMessageDeflate: false });
    // Dead peers (a controller whose machine vanished) are found by ping, so their VM pauses and can be taken over.
    let lastBeat = performance.now();
    this.heartbeat = setInterval(() => {
      const now = performance.now();
      // A beat this late means the worker was busy (a long travel request): pongs that came meanwhile are still
      // unread, since timers run before sockets are read. Ping again instead of judging anyone.
      const late = now - lastBeat > HEARTBEAT_MS * 1.5;
      lastBeat = now;
      for (const ws of this.channels.keys()) {
        if (!late && !this.alive.has(ws)) { ws.terminate(); continue; }
        this.alive.delete(ws);
        ws.ping();
      }
    }, HEARTBEAT_MS);
    this.heartbeat.unref();
  }

  adopt(handed: HandedOffSocket): void {
    let socket: Socket;
    try {
      socket = adoptSocket(handed.fd);
    } catch {
      // Not a socket we can wrap (it cannot happen with a descriptor the main thread handed over; if it did, the
      // descriptor is this worker's to close).
      try { closeSync(handed.fd); } catch { /* already gone */ }
      return;
    }
    // A client may reset at any moment, in the handshake too: that closes its connection and nothing else. ws adds
    // its own listeners; this one stays for whatever happens between theirs.
    socket.on('error', () => socket.destroy());
    // The handshake needs only the request line and headers; ws reads no more of the request than these.
    const req = handed.request as unknown as IncomingMessage;
    try {
      this.wss.handleUpgrade(req, socket, Buffer.from(handed.head), (ws) => {
        this.alive.add(ws);
        ws.on('pong', () => this.alive.add(ws));
        this.channels.set(ws, new VmChannel(ws, this.vm, this.limits, this.metrics));
        ws.on('close', () => this.channels.delete(ws));
      });
    } catch {
      socket.destroy();
    }
  }

  /** Closes every channel with this status; resolves once their connections are gone (or cut after a grace). */
  async closeAll(code: number, reason: string): Promise<void> {
    const sockets = [...this.channels.keys()];
    const closed = sockets.map((ws) => new Promise<void>((resolve) => ws.once('close', () => resolve())));
    for (const channel of this.channels.values()) channel.close(code, reason);
    const grace = new Promise<void>((resolve) => setTimeout(resolve, CLOSE_GRACE_MS).unref());
    await Promise.race([Promise.all(closed), grace]);
    for (const ws of sockets) ws.terminate();
  }

  stop(): void {
    clearInterval(this.heartbeat);
  }
}
