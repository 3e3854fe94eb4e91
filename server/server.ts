/**
 * The service: one HTTP server carrying the express app and, on upgrade, each VM's WebSocket channel. It never runs
 * guest code itself (each VM has a worker), so it stays responsive whatever the guests do.
 */
import { mkdirSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer } from 'ws';
import { CLOSE } from '../client-sdk/protocol.js';
import { VmChannel } from './channel/vm-channel.js';
import type { ServerOptions } from './config.js';
import { createApp } from './http/app.js';
import { ServerMetrics } from './metrics.js';
import { VmRegistry } from './vm/registry.js';

const CHANNEL_PATH = /^\/v1\/vms\/([A-Za-z0-9-]+)\/channel$/;
const HEARTBEAT_MS = 15_000;

export interface RunningServer {
  url: string;
  port: number;
  registry: VmRegistry;
  close(): Promise<void>;
}

export async function startServer(options: ServerOptions): Promise<RunningServer> {
  const metrics = new ServerMetrics();
  const registry = new VmRegistry(options, metrics);
  mkdirSync(registry.recordingsDir, { recursive: true });
  const app = createApp(options, registry, metrics);
  const http: Server = createServer(app);
  // Longer than any client's idle keep-alive (undici keeps 4 s), so a client never reuses a socket the server is
  // closing at that very moment ("other side closed").
  http.keepAliveTimeout = 65_000;
  http.headersTimeout = 66_000;
  const wss = new WebSocketServer({ noServer: true, maxPayload: options.limits.maxFrameBytes, perMessageDeflate: false });
  const channels = new Set<VmChannel>();
  const alive = new WeakSet<object>();

  http.on('upgrade', (req, socket, head) => {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    const m = CHANNEL_PATH.exec(path);
    const vm = m === null ? undefined : registry.find(m[1]);
    if (vm === undefined) {
      socket.end(`HTTP/1.1 404 Not Found\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n${JSON.stringify({ error: { code: 'VM_NOT_FOUND', message: 'no such VM channel' } })}`);
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      // TCP_NODELAY: an exit is one small frame and the guest waits for its answer.
      (socket as { setNoDelay?: (v: boolean) => void }).setNoDelay?.(true);
      alive.add(ws);
      ws.on('pong', () => alive.add(ws));
      const channel = new VmChannel(ws, vm, options.limits, metrics);
      channels.add(channel);
      ws.on('close', () => channels.delete(channel));
    });
  });

  // Dead peers (a controller whose machine vanished) are found by ping, so their VM pauses and can be taken over.
  const heartbeat = setInterval(() => {
    for (const ws of wss.clients) {
      if (!alive.has(ws)) { ws.terminate(); continue; }
      alive.delete(ws);
      ws.ping();
    }
  }, HEARTBEAT_MS);
  heartbeat.unref();

  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(options.port, options.host, () => resolve());
  });
  const port = (http.address() as AddressInfo).port;
  const host = options.host.includes(':') ? `[${options.host}]` : options.host;
  return {
    url: `http://${host}:${port}`,
    port,
    registry,
    async close() {
      clearInterval(heartbeat);
      for (const c of channels) c.close(CLOSE.GOING_AWAY, 'server shutting down');
      await registry.closeAll();
      wss.close();
      await new Promise<void>((resolve) => http.close(() => resolve()));
    },
  };
}
