/**
 * A protobuf wire-format encoder, just enough for Perfetto traces: varints (up to 64 bits), int64 as two's
 * complement (as protoc writes it), doubles, strings, bytes, and nested messages. A nested message is written in
 * place: `begin(field)` leaves one byte for its length, `end()` fills it in, moving the message up in the rare case
 * its length needs more than one byte. So a packet is built in one buffer, with no copy per level.
 *
 * Wire types (protobuf's encoding): 0 varint, 1 fixed64, 2 length-delimited.
 */
const utf8 = new TextEncoder();

export class ProtoWriter {
  private buf = new Uint8Array(1024);
  private view = new DataView(this.buf.buffer);
  length = 0;
  /** Where each open message's length byte is (a stack, `depth` deep). */
  private readonly open = new Int32Array(32);
  private depth = 0;

  reset(): this {
    this.length = 0;
    this.depth = 0;
    return this;
  }

  /** The bytes written so far (a view: valid until the next write or reset). */
  bytes(): Uint8Array {
    return this.buf.subarray(0, this.length);
  }

  private room(n: number): void {
    if (this.length + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.length + n) size *= 2;
    const bigger = new Uint8Array(size);
    bigger.set(this.buf.subarray(0, this.length));
    this.buf = bigger;
    this.view = new DataView(bigger.buffer);
  }

  /** A non-negative integer below 2^53 as a varint. */
  private rawVarint(n: number): void {
    this.room(10);
    const b = this.buf;
    let p = this.length;
    if (n < 0x8000_0000) {
      while (n > 0x7f) {
        b[p++] = (n & 0x7f) | 0x80;
        n >>>= 7;
      }
    } else {
      while (n > 0x7f) {
        b[p++] = (n % 128) | 0x80;
        n = Math.floor(n / 128);
      }
    }
    b[p++] = n;
    this.length = p;
  }

  /** A 64-bit value (taken mod 2^64) as a varint. */
  private rawBigVarint(v: bigint): void {
    if (v >= 0n && v <= 0x1f_ffff_ffff_ffffn) return this.rawVarint(Number(v));
    let n = BigInt.asUintN(64, v);
    this.room(10);
    while (n > 0x7fn) {
      this.buf[this.length++] = Number(n & 0x7fn) | 0x80;
      n >>= 7n;
    }
    this.buf[this.length++] = Number(n);
  }

  private tag(field: number, wireType: number): void {
    this.rawVarint(field * 8 + wireType);
  }

  /** uint32/uint64/enum/bool fields: a non-negative integer (a number below 2^53, or a bigint taken mod 2^64). */
  uint(field: number, v: number | bigint): this {
    this.tag(field, 0);
    if (typeof v === 'bigint') this.rawBigVarint(v);
    else this.rawVarint(v);
    return this;
  }

  /** int64 fields: a negative value is its 64-bit two's complement (ten bytes), as protoc encodes int64. */
  int(field: number, v: number | bigint): this {
    if (v >= 0) return this.uint(field, v);
    this.tag(field, 0);
    this.rawBigVarint(BigInt(v));
    return this;
  }

  bool(field: number, v: boolean): this {
    return this.uint(field, v ? 1 : 0);
  }

  double(field: number, v: number): this {
    this.tag(field, 1);
    this.room(8);
    this.view.setFloat64(this.length, v, true);
    this.length += 8;
    return this;
  }

  bytesField(field: number, data: Uint8Array): this {
    this.tag(field, 2);
    this.rawVarint(data.length);
    this.room(data.length);
    this.buf.set(data, this.length);
    this.length += data.length;
    return this;
  }

  string(field: number, s: string): this {
    return this.bytesField(field, utf8.encode(s));
  }

  /** Opens a nested message in field `field`; the fields written until end() are its own. */
  begin(field: number): this {
    this.tag(field, 2);
    this.room(1);
    if (this.depth === this.open.length) throw new Error('ProtoWriter: messages nested too deep');
    this.open[this.depth++] = this.length++;
    return this;
  }

  /** Closes the message begin() opened last, writing its length. */
  end(): this {
    if (this.depth === 0) throw new Error('ProtoWriter.end() without begin()');
    const at = this.open[--this.depth];
    const len = this.length - at - 1;
    if (len < 0x80) {
      this.buf[at] = len;
      return this;
    }
    let extra = 0;
    for (let n = len >>> 7; n > 0; n >>>= 7) extra++;
    this.room(extra);
    this.buf.copyWithin(at + 1 + extra, at + 1, this.length);
    const end = this.length + extra;
    this.length = at;
    this.rawVarint(len);
    this.length = end;
    return this;
  }
}
