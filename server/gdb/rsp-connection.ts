/**
 * One gdb on one byte stream (a TCP socket): acknowledgements while in ack mode (a good packet gets `+`, a bad
 * checksum `-`; a `-` from gdb has the last reply sent again), the switch to no-ack mode after QStartNoAckMode, and
 * replies framed with run-length encoding. Packets and Ctrl-C go to the handlers; sending never waits for an ack:
 * gdb sends nothing new until it has a reply, and retransmits what it did not get right.
 */
import type { Duplex } from 'node:stream';
import { escapeBinary, frame, RspParser, runLengthEncode } from './rsp-packet.js';

export interface RspHandlers {
  packet(data: Buffer): void;
  interrupt(): void;
  close(): void;
}

export class RspConnection {
  private readonly parser: RspParser;
  private ackMode = true;
  /** The last packet sent, for a `-` to have it sent again (ack mode only). */
  private lastSent: Buffer | null = null;
  private closed = false;
  /** Every packet in and out, for `--gdb-log` and tests. */
  log: ((direction: 'in' | 'out', text: string) => void) | null = null;

  constructor(private readonly stream: Duplex, private readonly handlers: RspHandlers, maxPacket?: number) {
    this.parser = new RspParser(maxPacket);
    stream.on('data', (chunk: Buffer) => this.receive(chunk));
    stream.on('close', () => this.onClose());
    stream.on('error', () => this.onClose());
  }

  /** Stops acknowledging (and expecting acknowledgements) from now on: the reply to QStartNoAckMode has been sent. */
  enterNoAckMode(): void {
    this.ackMode = false;
    this.lastSent = null;
  }

  get noAck(): boolean {
    return !this.ackMode;
  }

  /** Sends one packet; `binary` data (qXfer replies) is escaped first. */
  send(data: string | Uint8Array, options: { binary?: boolean } = {}): void {
    if (this.closed) return;
    const bytes = typeof data === 'string' ? Buffer.from(data, 'latin1') : Buffer.from(data);
    const packet = frame(runLengthEncode(options.binary === true ? escapeBinary(bytes) : bytes));
    this.log?.('out', bytes.toString('latin1'));
    if (this.ackMode) this.lastSent = packet;
    this.stream.write(packet);
  }

  close(): void {
    if (this.closed) return;
    this.stream.end();
    this.onClose();
  }

  private receive(chunk: Buffer): void {
    for (const e of this.parser.push(chunk)) {
      if (this.closed) return;
      switch (e.kind) {
        case 'packet':
          if (this.ackMode) this.stream.write('+');
          this.log?.('in', e.data.toString('latin1'));
          this.handlers.packet(e.data);
          break;
        case 'bad-checksum':
          this.log?.('in', `(bad checksum ${e.expected.toString(16)}, computed ${e.actual.toString(16)}) ${e.data.toString('latin1')}`);
          if (this.ackMode) this.stream.write('-');
          break;
        case 'nack':
          if (this.ackMode && this.lastSent !== null) this.stream.write(this.lastSent);
          break;
        case 'ack':
          this.lastSent = null;
          break;
        case 'interrupt':
          this.log?.('in', '^C');
          this.handlers.interrupt();
          break;
      }
    }
  }

  private onClose(): void {
    if (this.closed) return;
    this.closed = true;
    this.handlers.close();
  }
}
