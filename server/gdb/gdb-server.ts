/**
 * A TCP port gdb connects to (`target remote :PORT`), serving one gdb at a time over a target. It listens on
 * loopback only: the stub reads and writes guest memory for whoever connects.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { GdbStub, type StubEnd, type StubOptions } from './stub.js';
import type { GdbTarget } from './target.js';

export class GdbServer {
  private readonly server: Server;
  private session: Promise<StubEnd> | null = null;
  private waiting: ((socket: Socket | null) => void) | null = null;
  private active: Socket | null = null;
  private closing = false;

  private constructor(server: Server, readonly port: number, readonly host: string) {
    this.server = server;
    server.on('connection', (socket) => this.connected(socket));
  }

  static listen(port: number, host = '127.0.0.1'): Promise<GdbServer> {
    const server = createServer({ noDelay: true });
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        const address = server.address();
        resolve(new GdbServer(server, typeof address === 'object' && address !== null ? address.port : port, host));
      });
    });
  }

  /** Waits for gdb to connect, serves it on `target`, and resolves with how the session ended. */
  serve(target: GdbTarget, options: StubOptions = {}): Promise<StubEnd> {
    if (this.session !== null) throw new Error('a gdb session is already being served');
    this.session = new Promise<Socket | null>((resolve) => { this.waiting = resolve; })
      .then((socket) => (socket === null ? 'disconnected' : new GdbStub(socket, target, options).ended))
      .finally(() => { this.session = null; this.active = null; });
    return this.session;
  }

  /** Ends the session being served (or the wait for gdb): its connection is closed under gdb. */
  disconnect(): void {
    this.closing = true;
    this.active?.destroy();
    const w = this.waiting;
    this.waiting = null;
    w?.(null);
  }

  private connected(socket: Socket): void {
    const w = this.waiting;
    if (w === null || this.closing) {
      // One gdb at a time, as QEMU's gdbstub: a second one is turned away.
      socket.destroy();
      return;
    }
    this.waiting = null;
    socket.setNoDelay(true);
    this.active = socket;
    w(socket);
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}
