import { once } from 'node:events';
import type { Writable } from 'node:stream';

const CHUNK = 1 << 20;
const encoder = new TextEncoder();

/**
 * Where a trace goes: bytes gathered into 1 MiB chunks handed to a stream (a file, stdout), waiting for the stream
 * to drain when it is behind. Memory stays at a chunk or two whatever the trace's size.
 */
export class ChunkedOutput {
  private buf = Buffer.allocUnsafe(CHUNK);
  private used = 0;
  /** Bytes handed to the stream so far. */
  written = 0;

  constructor(private readonly stream: Writable) {}

  write(bytes: Uint8Array): void {
    if (this.used + bytes.length > this.buf.length) {
      this.handOver();
      if (bytes.length > this.buf.length) this.buf = Buffer.allocUnsafe(bytes.length);
    }
    this.buf.set(bytes, this.used);
    this.used += bytes.length;
  }

  text(s: string): void {
    // Most lines are short ASCII: encode straight into the chunk when it has room for the worst case.
    if (this.used + s.length * 3 <= this.buf.length) {
      this.used += encoder.encodeInto(s, this.buf.subarray(this.used)).written;
      return;
    }
    this.write(encoder.encode(s));
  }

  /** Whether the stream asked to be waited for: call drain() before writing much more. */
  private behind = false;

  get full(): boolean {
    return this.behind;
  }

  async drain(): Promise<void> {
    if (!this.behind) return;
    await once(this.stream, 'drain');
    this.behind = false;
  }

  private handOver(): void {
    if (this.used === 0) return;
    const chunk = this.buf.subarray(0, this.used);
    this.written += this.used;
    // The stream keeps the chunk until it is written: the next one goes into a fresh buffer.
    if (!this.stream.write(chunk)) this.behind = true;
    this.buf = Buffer.allocUnsafe(Math.max(CHUNK, this.buf.length));
    this.used = 0;
  }

  /** Hands over what is left and waits until the stream has taken everything. */
  async finish(endStream: boolean): Promise<void> {
    this.handOver();
    if (endStream) {
      await new Promise<void>((resolve, reject) => {
        this.stream.once('error', reject);
        this.stream.end(() => resolve());
      });
    } else if (this.behind) {
      await this.drain();
    }
  }
}
