/**
 * msgpack, as the VM channel speaks it (docs/protocol.md): maps with string keys, integers (64-bit ones as BigInt),
 * strings, byte strings (Uint8Array), arrays, booleans, nil, floats. Small enough to keep here rather than ship a
 * library to the browser.
 */
const utf8Decoder = new TextDecoder();
const utf8Encoder = new TextEncoder();

export type Value = null | boolean | number | bigint | string | Uint8Array | Value[] | { [key: string]: Value };

export function decode(bytes: Uint8Array): Value {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let p = 0;
  const str = (n: number) => {
    const s = utf8Decoder.decode(bytes.subarray(p, p + n));
    p += n;
    return s;
  };
  const bin = (n: number) => {
    const b = bytes.slice(p, p + n);
    p += n;
    return b;
  };
  const array = (n: number): Value[] => {
    const a: Value[] = [];
    for (let i = 0; i < n; i++) a.push(value());
    return a;
  };
  const map = (n: number): { [key: string]: Value } => {
    const m: { [key: string]: Value } = {};
    for (let i = 0; i < n; i++) {
      const k = value();
      m[String(k)] = value();
    }
    return m;
  };
  const value = (): Value => {
    if (p >= bytes.length) throw new RangeError('msgpack: truncated');
    const t = bytes[p++];
    if (t <= 0x7f) return t;
    if (t >= 0xe0) return t - 0x100;
    if ((t & 0xf0) === 0x80) return map(t & 0x0f);
    if ((t & 0xf0) === 0x90) return array(t & 0x0f);
    if ((t & 0xe0) === 0xa0) return str(t & 0x1f);
    let v: Value;
    switch (t) {
      case 0xc0: return null;
      case 0xc2: return false;
      case 0xc3: return true;
      case 0xc4: { const n = bytes[p++]; return bin(n); }
      case 0xc5: { const n = view.getUint16(p); p += 2; return bin(n); }
      case 0xc6: { const n = view.getUint32(p); p += 4; return bin(n); }
      case 0xca: v = view.getFloat32(p); p += 4; return v;
      case 0xcb: v = view.getFloat64(p); p += 8; return v;
      case 0xcc: return bytes[p++];
      case 0xcd: v = view.getUint16(p); p += 2; return v;
      case 0xce: v = view.getUint32(p); p += 4; return v;
      case 0xcf: v = view.getBigUint64(p); p += 8; return v;
      case 0xd0: v = view.getInt8(p); p += 1; return v;
      case 0xd1: v = view.getInt16(p); p += 2; return v;
      case 0xd2: v = view.getInt32(p); p += 4; return v;
      case 0xd3: v = view.getBigInt64(p); p += 8; return v;
      case 0xd9: { const n = bytes[p++]; return str(n); }
      case 0xda: { const n = view.getUint16(p); p += 2; return str(n); }
      case 0xdb: { const n = view.getUint32(p); p += 4; return str(n); }
      case 0xdc: { const n = view.getUint16(p); p += 2; return array(n); }
      case 0xdd: { const n = view.getUint32(p); p += 4; return array(n); }
      case 0xde: { const n = view.getUint16(p); p += 2; return map(n); }
      case 0xdf: { const n = view.getUint32(p); p += 4; return map(n); }
      default: throw new RangeError(`msgpack: type 0x${t.toString(16)} is not used by the protocol`);
    }
  };
  return value();
}

export function encode(v: Value): Uint8Array {
  const out: number[] = [];
  const u32 = (n: number) => out.push(n >>> 24, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff);
  const big = (n: bigint) => {
    for (let s = 56n; s >= 0n; s -= 8n) out.push(Number((n >> s) & 0xffn));
  };
  const bytes = (b: Uint8Array) => { for (const x of b) out.push(x); };
  const write = (x: Value): void => {
    if (x === null || x === undefined) out.push(0xc0);
    else if (x === false) out.push(0xc2);
    else if (x === true) out.push(0xc3);
    else if (typeof x === 'number') {
      if (Number.isInteger(x) && x >= 0 && x < 0x80) out.push(x);
      else if (Number.isInteger(x) && x < 0 && x >= -32) out.push(x & 0xff);
      else if (Number.isInteger(x) && x >= 0 && x <= 0xffff_ffff) { out.push(0xce); u32(x); }
      else if (Number.isSafeInteger(x)) write(BigInt(x));
      else {
        const b = new Uint8Array(8);
        new DataView(b.buffer).setFloat64(0, x);
        out.push(0xcb);
        bytes(b);
      }
    } else if (typeof x === 'bigint') {
      if (x >= 0n) { out.push(0xcf); big(BigInt.asUintN(64, x)); } else { out.push(0xd3); big(BigInt.asUintN(64, x)); }
    } else if (typeof x === 'string') {
      const b = utf8Encoder.encode(x);
      if (b.length < 32) out.push(0xa0 | b.length);
      else { out.push(0xdb); u32(b.length); }
      bytes(b);
    } else if (x instanceof Uint8Array) {
      out.push(0xc6);
      u32(x.length);
      bytes(x);
    } else if (Array.isArray(x)) {
      out.push(0xdd);
      u32(x.length);
      x.forEach(write);
    } else {
      const entries = Object.entries(x).filter(([, e]) => e !== undefined);
      out.push(0xdf);
      u32(entries.length);
      for (const [k, e] of entries) { write(k); write(e); }
    }
  };
  write(v);
  return Uint8Array.from(out);
}
