/**
 * The service: one HTTP server carrying the express app and, on upgrade, each VM's WebSocket channel, which it hands
 * to the VM's worker. It never runs guest code nor carries exits itself (each VM's worker does both), so it stays
 * responsive whatever the guests do.
 */
import { mkdirSync } from 'node:fs';
import { access } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { handleUpgrade } from './channel/upgrade.js';
import type { ServerOptions } from './config.js';
import { createApp } from './http/app.js';
import { declaredLength } from './http/body.js';
import { silentLogger, type Logger } from './log.js';
import { ServerMetrics } from './metrics.js';
import { ADDON_BUILT_AT, nativeAddon } from './native/addon.js';
import { VmRegistry } from './vm/registry.js';
import { tuneAllocator } from './vm/release-memory.js';

export interface RunningServer {
  url: string;
  port: number;
  registry: VmRegistry;
  /** Ends every VM (its journal closed with this reason), closes their channels and the server's connections. */
  close(reason?: string): Promise<void>;
}

export async function startServer(options: ServerOptions, log: Logger = silentLogger): Promise<RunningServer> {
  const metrics = new ServerMetrics();
  const registry = new VmRegistry(options, metrics, log);
  metrics.watch(() => registry.list().map((vm) => vm.summary()));
  mkdirSync(registry.recordingsDir, { recursive: true });
  tuneAllocator();
  // The first asynchronous file operation starts libuv's thread pool, whose threads take the priority of the thread
  // that starts it: the main thread's, not a VM worker's (vm/thread-priority.ts).
  await access(registry.recordingsDir);
  if (nativeAddon === null && process.platform === 'linux') {
    log.warn({ addon: ADDON_BUILT_AT }, 'native addon not built: the memory of deleted VMs stays with the C allocator, and each channel connection leaves a handle behind (scripts/build-native.sh)');
  }
  const app = createApp(options, registry, metrics, log);
  const http: Server = createServer(app);
  // Longer than any client's idle keep-alive (undici keeps 4 s), so a client never reuses a socket the server is
  // closing at that very moment ("other side closed").
  http.keepAliveTimeout = 65_000;
  http.headersTimeout = 66_000;

  http.on('upgrade', (req, socket, head) => handleUpgrade(req, socket, head, (id) => registry.find(id)));
  // `Expect: 100-continue`: a body larger than any route takes is refused on its headers, before the client sends it.
  http.on('checkContinue', (req, res) => {
    let declared: number | null = null;
    try {
      declared = declaredLength(req);
    } catch {
      // Node's parser has refused a malformed Content-Length already; the route refuses anything else.
    }
    if ((declared ?? 0) > options.limits.maxUploadBytes) {
      const body = JSON.stringify({ error: { code: 'PAYLOAD_TOO_LARGE', message: `this server takes bodies of at most ${options.limits.maxUploadBytes} bytes` } });
      res.writeHead(413, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body), Connection: 'close' });
      res.end(body);
      return;
    }
    res.writeContinue();
    app(req, res);
  });

  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(options.port, options.host, () => {
      http.off('error', reject);
      resolve();
    });
  });
  // Once listening, an error of the server itself (accept() out of descriptors: EMFILE) is said and survived: the
  // connections already open go on, and accepting resumes when descriptors come back.
  http.on('error', (e) => log.error({ err: e }, 'server error'));
  const port = (http.address() as AddressInfo).port;
  const host = options.host.includes(':') ? `[${options.host}]` : options.host;
  return {
    url: `http://${host}:${port}`,
    port,
    registry,
    async close(reason = 'stopped') {
      // No new connections; then every VM ends (its journal closed) and its clients are told; then the connections
      // still open are cut (an upload in progress, an idle keep-alive), so that closing never waits on a client.
      const closed = new Promise<void>((resolve) => http.close(() => resolve()));
      await registry.closeAll(reason);
      http.closeAllConnections();
      await closed;
    },
  };
}
