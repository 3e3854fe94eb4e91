/**
 * The service: one HTTP server carrying the express app and, on upgrade, each VM's WebSocket channel, which it hands
 * to the VM's worker. It never runs guest code nor carries exits itself (each VM's worker does both), so it stays
 * responsive whatever the guests do.
 */
import { mkdirSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { canHandOff } from './channel/socket-handoff.js';
import type { ServerOptions } from './config.js';
import { createApp } from './http/app.js';
import { ServerMetrics } from './metrics.js';
import { VmRegistry } from './vm/registry.js';

const CHANNEL_PATH = /^\/v1\/vms\/([A-Za-z0-9-]+)\/channel$/;

/** An upgrade request answered with an HTTP error instead, its body the JSON error every route gives. */
function refuseUpgrade(socket: Duplex, status: string, code: string, message: string): void {
  socket.end(`HTTP/1.1 ${status}\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n${JSON.stringify({ error: { code, message } })}`);
}

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

  http.on('upgrade', (req, socket, head) => {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    const m = CHANNEL_PATH.exec(path);
    const vm = m === null ? undefined : registry.find(m[1]);
    if (vm === undefined || !vm.alive) return refuseUpgrade(socket, '404 Not Found', 'VM_NOT_FOUND', 'no such VM channel');
    if (!canHandOff(socket)) return refuseUpgrade(socket, '500 Internal Server Error', 'INTERNAL', 'this connection cannot be handed to the VM');
    // The VM's worker completes the handshake and serves the channel itself (socket-handoff.ts).
    vm.adopt(req, socket, head);
  });

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
      await registry.closeAll();
      await new Promise<void>((resolve) => http.close(() => resolve()));
    },
  };
}
