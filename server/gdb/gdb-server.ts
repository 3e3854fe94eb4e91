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
  private waiting: ((socket: Socket) => void) | null = null;

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
    this.session = new Promise<Socket>((resolve) => { this.waiting = resolve; })
      .then((socket) => new GdbStub(socket, target, options).ended)
      .finally(() => { this.session = null; });
    return this.session;
  }

  private connected(socket: Socket): void {
    const w = this.waiting;
    if (w === null) {
      // One gdb at a time, as QEMU's gdbstub: a second one is turned away.
      socket.destroy();
      return;
    }
    this.waiting = null;
    socket.setNoDelay(true);
    w(socket);
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}
