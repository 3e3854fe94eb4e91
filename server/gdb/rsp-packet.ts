/**
 * The GDB remote serial protocol's framing (gdb's "Overview" of the remote protocol): `$data#cs` packets whose
 * checksum is the sum of the data bytes modulo 256, `+`/`-` acknowledgements, the bare 0x03 byte gdb sends for
 * Ctrl-C, `}`-escaping of binary data, and run-length encoding of replies. Nothing here knows what a packet means.
 */

/** What the byte stream from gdb carries, in order. */
export type RspEvent =
  | { kind: 'packet'; data: Buffer }
  /** A packet whose checksum did not match (gdb retransmits it after a `-`). */
  | { kind: 'bad-checksum'; data: Buffer; expected: number; actual: number }
  | { kind: 'ack' }
  | { kind: 'nack' }
  /** The 0x03 byte outside a packet: gdb's Ctrl-C. */
  | { kind: 'interrupt' };

const DOLLAR = 0x24, HASH = 0x23, PLUS = 0x2b, MINUS = 0x2d, ESCAPE = 0x7d, STAR = 0x2a, CTRL_C = 0x03;

export function checksum(data: Uint8Array): number {
  let sum = 0;
  for (const b of data) sum = (sum + b) & 0xff;
  return sum;
}

/**
 * Splits the bytes gdb sends into events. Packets may arrive in any number of pieces; bytes between packets that
 * are not acknowledgements or Ctrl-C are ignored (as gdbserver does), and a `$` inside a packet starts it again.
 */
export class RspParser {
  private state: 'idle' | 'data' | 'check1' | 'check2' = 'idle';
  private data: number[] = [];
  private check = 0;

  /** `maxPacket`: a packet growing past this many bytes is dropped, so a stream with no `#` cannot exhaust memory. */
  constructor(private readonly maxPacket = 1 << 20) {}

  push(chunk: Uint8Array): RspEvent[] {
    const out: RspEvent[] = [];
    for (const b of chunk) {
      switch (this.state) {
        case 'idle':
          if (b === DOLLAR) this.start();
          else if (b === PLUS) out.push({ kind: 'ack' });
          else if (b === MINUS) out.push({ kind: 'nack' });
          else if (b === CTRL_C) out.push({ kind: 'interrupt' });
          break;
        case 'data':
          if (b === HASH) this.state = 'check1';
          else if (b === DOLLAR) this.start();
          else if (this.data.length >= this.maxPacket) this.state = 'idle';
          else this.data.push(b);
          break;
        case 'check1': {
          const v = hexDigit(b);
          if (v < 0) { this.resync(b); break; }
          this.check = v << 4;
          this.state = 'check2';
          break;
        }
        case 'check2': {
          const v = hexDigit(b);
          if (v < 0) { this.resync(b); break; }
          const data = Buffer.from(this.data);
          const expected = this.check | v, actual = checksum(data);
          out.push(expected === actual ? { kind: 'packet', data } : { kind: 'bad-checksum', data, expected, actual });
          this.data = [];
          this.state = 'idle';
          break;
        }
      }
    }
    return out;
  }

  private start(): void {
    this.data = [];
    this.state = 'data';
  }

  /** A checksum that is not hex: the packet is lost; a `$` there starts the next one. */
  private resync(b: number): void {
    if (b === DOLLAR) this.start();
    else this.state = 'idle';
  }
}

function hexDigit(b: number): number {
  if (b >= 0x30 && b <= 0x39) return b - 0x30;
  if (b >= 0x61 && b <= 0x66) return b - 0x61 + 10;
  if (b >= 0x41 && b <= 0x46) return b - 0x41 + 10;
  return -1;
}

/** `}`-escapes the bytes the framing reserves (`$`, `#`, `}`, and `*` because replies may be run-length encoded). */
export function escapeBinary(data: Uint8Array): Buffer {
  const out: number[] = [];
  for (const b of data) {
    if (b === DOLLAR || b === HASH || b === ESCAPE || b === STAR) out.push(ESCAPE, b ^ 0x20);
    else out.push(b);
  }
  return Buffer.from(out);
}

/** Undoes escapeBinary: the binary data of an `X` packet. A trailing lone `}` is an error (null). */
export function unescapeBinary(data: Uint8Array): Buffer | null {
  const out = Buffer.alloc(data.length);
  let n = 0;
  for (let i = 0; i < data.length; i++) {
    if (data[i] !== ESCAPE) { out[n++] = data[i]; continue; }
    if (++i >= data.length) return null;
    out[n++] = data[i] ^ 0x20;
  }
  return out.subarray(0, n);
}

/**
 * Run-length encodes packet data as gdb decodes replies: a run of one character becomes the character, `*`, and
 * the number of extra repeats plus 29. Counts whose character would be `#` or `$` (or `+`/`-`, which an ack-mode
 * reader could mistake) are avoided by encoding a shorter run; runs too short to gain are left alone.
 */
export function runLengthEncode(data: Uint8Array): Buffer {
  const out: number[] = [];
  for (let i = 0; i < data.length;) {
    const c = data[i];
    let run = 1;
    while (i + run < data.length && data[i + run] === c) run++;
    let extra = Math.min(run - 1, 126 - 29);
    while (extra >= 3 && isReservedCount(extra + 29)) extra--;
    out.push(c);
    if (extra >= 3) {
      out.push(STAR, extra + 29);
      i += extra + 1;
    } else {
      i += 1;
    }
  }
  return Buffer.from(out);
}

function isReservedCount(ch: number): boolean {
  return ch === HASH || ch === DOLLAR || ch === PLUS || ch === MINUS;
}

/** A complete packet on the wire: `$`, the data, `#`, the checksum in two lowercase hex digits. */
export function frame(data: Uint8Array): Buffer {
  return Buffer.concat([Buffer.from('$'), data, Buffer.from(`#${checksum(data).toString(16).padStart(2, '0')}`)]);
}

// ---- Hex, as the protocol writes numbers and bytes. ----

export function bytesToHex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}

/** Hex pairs to bytes; null when the text is not whole hex pairs. */
export function hexToBytes(text: string): Buffer | null {
  if (text.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(text)) return null;
  return Buffer.from(text, 'hex');
}

/** An unsigned hex number as gdb writes addresses and lengths; null when it is not one. */
export function parseHex(text: string): bigint | null {
  return /^[0-9a-fA-F]{1,16}$/.test(text) ? BigInt(`0x${text}`) : null;
}

/** A register value in target byte order (little endian), `bytes` wide. */
export function leHex(value: bigint, bytes: number): string {
  let v = BigInt.asUintN(bytes * 8, value);
  let s = '';
  for (let i = 0; i < bytes; i++) {
    s += Number(v & 0xffn).toString(16).padStart(2, '0');
    v >>= 8n;
  }
  return s;
}

/** Little-endian hex bytes to a number; null when the text is not `bytes` whole bytes of hex. */
export function parseLeHex(text: string, bytes: number): bigint | null {
  const b = hexToBytes(text);
  if (b === null || b.length !== bytes) return null;
  let v = 0n;
  for (let i = bytes - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[i]);
  return v;
}

export function textToHex(text: string): string {
  return Buffer.from(text, 'utf8').toString('hex');
}

export function hexToText(hex: string): string | null {
  const b = hexToBytes(hex);
  return b === null ? null : b.toString('utf8');
}
