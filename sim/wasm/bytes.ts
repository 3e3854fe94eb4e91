/**
 * A growable byte buffer with the encodings WebAssembly's binary format uses: unsigned and signed LEB128 (the
 * signed 64-bit form from two 32-bit halves, so that no BigInt is needed to emit an i64 constant).
 */
export class ByteWriter {
  private buf = new Uint8Array(256);
  length = 0;

  private room(n: number): void {
    if (this.length + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.length + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.length));
    this.buf = next;
  }

  byte(b: number): void {
    this.room(1);
    this.buf[this.length++] = b;
  }

  bytes(bs: ArrayLike<number>): void {
    this.room(bs.length);
    this.buf.set(bs, this.length);
    this.length += bs.length;
  }

  /** Unsigned LEB128 of a non-negative integer below 2^32. */
  u32(v: number): void {
    v >>>= 0;
    do {
      let b = v & 0x7f;
      v >>>= 7;
      if (v !== 0) b |= 0x80;
      this.byte(b);
    } while (v !== 0);
  }

  /** Signed LEB128 of a 32-bit integer. */
  s32(v: number): void {
    v |= 0;
    for (;;) {
      const b = v & 0x7f;
      v >>= 7;
      if ((v === 0 && (b & 0x40) === 0) || (v === -1 && (b & 0x40) !== 0)) {
        this.byte(b);
        return;
      }
      this.byte(b | 0x80);
    }
  }

  /** Signed LEB128 of the 64-bit integer (hi << 32) | lo. */
  s64(lo: number, hi: number): void {
    lo >>>= 0;
    hi |= 0;
    for (;;) {
      const b = lo & 0x7f;
      // Shift the 64-bit pair right by 7, arithmetically.
      lo = ((lo >>> 7) | (hi << 25)) >>> 0;
      hi >>= 7;
      const done = (hi === 0 && lo === 0 && (b & 0x40) === 0) || (hi === -1 && lo === 0xffff_ffff && (b & 0x40) !== 0);
      if (done) {
        this.byte(b);
        return;
      }
      this.byte(b | 0x80);
    }
  }

  f64(v: number): void {
    const tmp = new DataView(new ArrayBuffer(8));
    tmp.setFloat64(0, v, true);
    for (let i = 0; i < 8; i++) this.byte(tmp.getUint8(i));
  }

  name(s: string): void {
    const utf8 = new TextEncoder().encode(s);
    this.u32(utf8.length);
    this.bytes(utf8);
  }

  /** The bytes written so far (a view: copy it before writing more). */
  view(): Uint8Array {
    return this.buf.subarray(0, this.length);
  }
}
