import { ByteWriter } from './bytes.js';
import { BLOCK_VOID, Op, ValType } from './opcodes.js';

/** A structured-control label: `br(label)` computes the relative depth, so emitters never count nesting. */
export interface Label {
  readonly depth: number;
}

/** Natural alignment (log2) of each memory access opcode, for the memarg. */
const ALIGN: Record<number, number> = {
  [Op.i32_load]: 2, [Op.i64_load]: 3, [Op.f32_load]: 2, [Op.f64_load]: 3,
  [Op.i32_load8_s]: 0, [Op.i32_load8_u]: 0, [Op.i32_load16_s]: 1, [Op.i32_load16_u]: 1,
  [Op.i64_load8_s]: 0, [Op.i64_load8_u]: 0, [Op.i64_load16_s]: 1, [Op.i64_load16_u]: 1,
  [Op.i64_load32_s]: 2, [Op.i64_load32_u]: 2,
  [Op.i32_store]: 2, [Op.i64_store]: 3, [Op.f32_store]: 2, [Op.f64_store]: 3,
  [Op.i32_store8]: 0, [Op.i32_store16]: 1, [Op.i64_store8]: 0, [Op.i64_store16]: 1, [Op.i64_store32]: 2,
};

/**
 * The body of one WebAssembly function: its extra locals and its instructions. Methods are named after the text
 * format; structured control returns labels.
 */
export class Code {
  readonly params: readonly ValType[];
  readonly results: readonly ValType[];
  private readonly localTypes: ValType[] = [];
  readonly body = new ByteWriter();
  private depth = 0;

  constructor(params: readonly ValType[], results: readonly ValType[]) {
    this.params = params;
    this.results = results;
  }

  /** A new local of this type; returns its index. */
  local(type: ValType): number {
    this.localTypes.push(type);
    return this.params.length + this.localTypes.length - 1;
  }

  op(code: number): this {
    this.body.byte(code);
    return this;
  }

  i32(v: number): this {
    this.body.byte(Op.i32_const);
    this.body.s32(v);
    return this;
  }

  /** An i64 constant: a safe integer, or (lo, hi) 32-bit halves. */
  i64(lo: number, hi?: number): this {
    this.body.byte(Op.i64_const);
    if (hi === undefined) {
      if (!Number.isSafeInteger(lo)) throw new RangeError(`i64 constant ${lo} is not a safe integer`);
      this.body.s64(lo % 4294967296 | 0, Math.floor(lo / 4294967296) | 0);
    } else {
      this.body.s64(lo, hi);
    }
    return this;
  }

  f64(v: number): this {
    this.body.byte(Op.f64_const);
    this.body.f64(v);
    return this;
  }

  get(l: number): this {
    this.body.byte(Op.local_get);
    this.body.u32(l);
    return this;
  }

  set(l: number): this {
    this.body.byte(Op.local_set);
    this.body.u32(l);
    return this;
  }

  tee(l: number): this {
    this.body.byte(Op.local_tee);
    this.body.u32(l);
    return this;
  }

  /** A load or store with a constant offset added to the address on the stack. */
  mem(code: number, offset: number): this {
    const align = ALIGN[code];
    if (align === undefined) throw new RangeError(`not a memory opcode: 0x${code.toString(16)}`);
    if (offset < 0 || offset > 0xffff_ffff) throw new RangeError(`memory offset ${offset} out of range`);
    this.body.byte(code);
    this.body.u32(align);
    this.body.u32(offset);
    return this;
  }

  block(): Label {
    this.body.byte(Op.block);
    this.body.byte(BLOCK_VOID);
    return { depth: ++this.depth };
  }

  loop(): Label {
    this.body.byte(Op.loop);
    this.body.byte(BLOCK_VOID);
    return { depth: ++this.depth };
  }

  /** `if` with no result, consuming the i32 condition on the stack. */
  if(): Label {
    this.body.byte(Op.if);
    this.body.byte(BLOCK_VOID);
    return { depth: ++this.depth };
  }

  /** `if` with no result, for chaining when the label is not needed. */
  then(): this {
    this.if();
    return this;
  }

  else(): this {
    this.body.byte(Op.else);
    return this;
  }

  end(): this {
    this.body.byte(Op.end);
    this.depth--;
    return this;
  }

  private rel(label: Label): number {
    const d = this.depth - label.depth;
    if (d < 0) throw new RangeError('branch to a label that is not enclosing');
    return d;
  }

  br(label: Label): this {
    this.body.byte(Op.br);
    this.body.u32(this.rel(label));
    return this;
  }

  brIf(label: Label): this {
    this.body.byte(Op.br_if);
    this.body.u32(this.rel(label));
    return this;
  }

  brTable(labels: readonly Label[], fallback: Label): this {
    this.body.byte(Op.br_table);
    this.body.u32(labels.length);
    for (const l of labels) this.body.u32(this.rel(l));
    this.body.u32(this.rel(fallback));
    return this;
  }

  call(fn: number): this {
    this.body.byte(Op.call);
    this.body.u32(fn);
    return this;
  }

  callIndirect(typeIndex: number, table = 0): this {
    this.body.byte(Op.call_indirect);
    this.body.u32(typeIndex);
    this.body.u32(table);
    return this;
  }

  ret(): this {
    this.body.byte(Op.return);
    return this;
  }

  /** A SIMD instruction (0xfd prefix, see Simd); an extract_lane takes its lane index. */
  simd(sub: number, lane?: number): this {
    this.body.byte(0xfd);
    this.body.u32(sub);
    if (lane !== undefined) this.body.byte(lane);
    return this;
  }

  /** Saturating truncation (0xfc prefix): 0 i32.trunc_sat_f32_s ... 7 i64.trunc_sat_f64_u. */
  truncSat(sub: number): this {
    this.body.byte(0xfc);
    this.body.u32(sub);
    return this;
  }

  /** The function's code entry (locals and body, size-prefixed), as the code section holds it. */
  encode(): Uint8Array {
    if (this.depth !== 0) throw new Error(`unbalanced blocks in a function body (depth ${this.depth})`);
    const out = new ByteWriter();
    const groups: [ValType, number][] = [];
    for (const t of this.localTypes) {
      const last = groups[groups.length - 1];
      if (last !== undefined && last[0] === t) last[1]++;
      else groups.push([t, 1]);
    }
    const entry = new ByteWriter();
    entry.u32(groups.length);
    for (const [t, n] of groups) {
      entry.u32(n);
      entry.byte(t);
    }
    entry.bytes(this.body.view());
    entry.byte(Op.end);
    out.u32(entry.length);
    out.bytes(entry.view());
    return out.view().slice();
  }
}
