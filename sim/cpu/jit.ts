import { compilable, Decoded, insnLength } from '../isa/index.js';
import type { GuestRam } from '../memory.js';
import { Code, Label } from '../wasm/code.js';
import { ModuleBuilder } from '../wasm/module.js';
import { Op, ValType } from '../wasm/opcodes.js';
import type { CodeCache, CodeDropListener } from './code-cache.js';
import { SSTATUS_FS } from './csr.js';
import { D, MAX_BLOCKS, RAM_OFFSET, S } from './layout.js';
import { addRuntimeFns, importRuntimeFns, runtimeExports } from './runtime-fns.js';
import { MemoryImports, SemBase } from './sem-base.js';

const { I32, I64 } = ValType;

/**
 * Which tiers run the guest:
 * - `interp`: the interpreter only;
 * - `jit`: code is compiled the first time a block starts (for testing the compiler on everything);
 * - `auto` (default): the interpreter, and hot code compiled in batches.
 * The tier never changes what the guest or the journal sees: same exits, same digests.
 */
export type Tier = 'interp' | 'jit' | 'auto';

export interface TierOptions {
  tier?: Tier;
  /** Executions of a block start before its page is compiled (auto). */
  hotThreshold?: number;
  /** Hot pages compiled together in one WebAssembly module (auto). */
  batch?: number;
  /** Bytes of compiled WebAssembly kept before everything compiled is dropped and hot code compiled anew. */
  codeCacheBytes?: number;
  /** Guest instructions a queued entry point waits at most before its batch is compiled anyway. */
  maxQueueWait?: number;
}

export const TIERS: readonly Tier[] = ['interp', 'jit', 'auto'];

const DEFAULTS = { hotThreshold: 100_000, batch: 32, codeCacheBytes: 64 << 20, maxQueueWait: 10_000_000 };
/**
 * The jit tier: every block start is queued the first time it is reached and compiled at the next run (or at once,
 * and run compiled that very time, with batch 1: one module per block, which V8 cannot afford for a whole program).
 */
const EAGER = { hotThreshold: 1, batch: 64, maxQueueWait: 0 };
/** Limits of one compiled page: basic blocks, and instructions in all. */
const MAX_REGION_BLOCKS = 32;
const MAX_REGION_INSNS = 384;
/** Longest basic block, in instructions. */
const MAX_BLOCK_INSNS = 128;
/** A block word meaning "queued already": far below any count that would ask again. */
const QUEUED = -0x4000_0000;

/** Status a compiled page returns to the interpreter. */
export const enum RegionStatus {
  /** Instructions ran; pc and icount are stored. */
  Ran = 0,
  /** A trap is pending at the stored pc. */
  Trap = 1,
  /** Nothing ran (the budget does not cover the entry's basic block): interpret it. */
  NotRun = 2,
}

/** The tier named by HINDSIGHT_TIER, when set (so a whole test suite can be run under one tier). */
function tierFromEnvironment(): Tier | undefined {
  const t = process.env.HINDSIGHT_TIER;
  if (t === undefined || t === '') return undefined;
  if (!(TIERS as readonly string[]).includes(t)) throw new Error(`HINDSIGHT_TIER must be one of ${TIERS.join(', ')}, not '${t}'`);
  return t as Tier;
}

/** What the compiler asks of the hart: its memory host functions. */
export interface CompilerHost {
  hostLoad(lo: number, hi: number, f3: number, htinst: number): number;
  hostStore(lo: number, hi: number, log2: number, vlo: number, vhi: number, htinst: number): number;
  hostAtomic(lo: number, hi: number, f3: number, funct5: number, vlo: number, vhi: number): number;
  hostFp(row: number, rd: number, rs1: number, rs2: number, rs3: number, rm: number, xlo: number, xhi: number): number;
}

/** One instruction of a basic block. */
interface BlockInsn {
  d: Decoded;
  /** Byte offset within the page. */
  off: number;
}

/** A basic block of a compiled page: straight-line code from `start` to a control transfer or a stop. */
interface BasicBlock {
  start: number;
  insns: BlockInsn[];
  /**
   * How it ends: a branch or a jump (its last instruction), `next` (it runs into the instruction at `next`: a page
   * end, a block too long, an instruction the compiler leaves to the interpreter).
   */
  next: number;
}

/** Statistics of the compiled tier (--stats and the benchmarks print them). */
export interface JitStats {
  /** Compiled regions, and their entry points. */
  regions: number;
  entries: number;
  modules: number;
  /** Bytes of WebAssembly of the compiled pages still live. */
  codeBytes: number;
  compiledInsns: number;
  flushes: number;
}

interface Region {
  page: number;
  /** The page offsets that are entry points (block starts the interpreter saw). */
  entries: number[];
  /** Every basic block's start, in the function's order (an entry point is an index into it). */
  starts: number[];
  tableIndex: number;
  bytes: number;
}

/**
 * The compiled tier, after v86: a hot page's code becomes one WebAssembly function, and pages are compiled in
 * batches (one module per batch: 18,000 small functions in one module compile in ~0.1 s, where a module each costs
 * ~0.1 ms apiece). The function holds every basic block reachable in the page from the block starts the
 * interpreter saw there, and a dispatch loop over them, so that loops and branches within the page run without
 * leaving it, with the guest's registers in WebAssembly locals. Control leaving the page, indirect jumps,
 * instructions left to the host (CSRs, ecall, ...), traps and the end of the budget return to the interpreter.
 *
 * Compiled code is keyed by physical address (the page of RAM) through the decoded entries of its entry points,
 * and is position-independent: the page's virtual base comes from the pc at entry, so one physical page mapped at
 * two virtual addresses shares it. The count stays exact: a basic block runs only when the budget covers all of it.
 */
export class BlockCompiler implements CodeDropListener {
  readonly threshold: number;
  private readonly batch: number;
  private readonly maxQueueWait: number;
  private readonly codeCacheBytes: number;
  private readonly ram: GuestRam;
  private readonly code: CodeCache;
  private readonly table: WebAssembly.Table;
  private readonly imports: Record<string, WebAssembly.ImportValue>;
  private readonly i32: Int32Array;
  /** Hot entry points waiting, by page (with the page's generation when queued). */
  private queue: { page: number; off: number; generation: number }[] = [];
  private queuedAt = 0;
  private lastIcount = 0;
  /** The compiled regions of each RAM page. */
  private readonly pageRegions = new Map<number, Region[]>();
  /** Per page, where each basic block start of its regions is found: the region and the block's index. */
  private readonly pageStarts = new Map<number, Map<number, [Region, number]>>();
  private freeIndexes: number[] = [];
  private nextIndex = 1;
  readonly stats: JitStats = { regions: 0, entries: 0, modules: 0, codeBytes: 0, compiledInsns: 0, flushes: 0 };

  private constructor(opts: Required<Omit<TierOptions, 'tier'>>, ram: GuestRam, code: CodeCache, table: WebAssembly.Table, host: CompilerHost) {
    this.threshold = opts.hotThreshold;
    this.batch = opts.batch;
    this.maxQueueWait = opts.maxQueueWait;
    this.codeCacheBytes = opts.codeCacheBytes;
    this.ram = ram;
    this.code = code;
    this.table = table;
    this.i32 = new Int32Array(ram.memory.buffer, 0, RAM_OFFSET >>> 2);
    this.imports = {
      memory: ram.memory,
      load: (lo: number, hi: number, f3: number, htinst: number) => host.hostLoad(lo, hi, f3, htinst),
      store: (lo: number, hi: number, log2: number, vlo: number, vhi: number, htinst: number) => host.hostStore(lo, hi, log2, vlo, vhi, htinst),
      atomic: (lo: number, hi: number, f3: number, f5: number, vlo: number, vhi: number) => host.hostAtomic(lo, hi, f3, f5, vlo, vhi),
      fp: (row: number, rd: number, rs1: number, rs2: number, rs3: number, rm: number, xlo: number, xhi: number) =>
        host.hostFp(row, rd, rs1, rs2, rs3, rm, xlo, xhi),
      ...runtimeExports(),
    };
    code.onDrop(this);
  }

  /** The compiler for these options, or null when the hart only interprets. */
  static create(opts: TierOptions, ram: GuestRam, code: CodeCache, table: WebAssembly.Table, host: CompilerHost): BlockCompiler | null {
    const tier = opts.tier ?? tierFromEnvironment() ?? 'auto';
    if (tier === 'interp') return null;
    const base = tier === 'jit' ? { ...DEFAULTS, ...EAGER } : DEFAULTS;
    return new BlockCompiler({
      hotThreshold: opts.hotThreshold ?? base.hotThreshold,
      batch: opts.batch ?? base.batch,
      codeCacheBytes: opts.codeCacheBytes ?? base.codeCacheBytes,
      maxQueueWait: opts.maxQueueWait ?? base.maxQueueWait,
    }, ram, code, table, host);
  }

  /**
   * The interpreter entered this block start often enough: a new entry point of a compiled region that already
   * holds a basic block there, or else queued, to be the root of a new region when the batch is compiled.
   */
  hot(ent: number, ramOff: number, _pcLo: number, _pcHi: number): void {
    const page = ramOff >>> 12, off = ramOff & 0xfff;
    if (this.link(ent, page, off)) return;
    this.i32[(ent + D.BLOCK) >>> 2] = QUEUED;
    if (this.queue.length === 0) this.queuedAt = this.lastIcount;
    this.queue.push({ page, off, generation: this.code.generation[page] });
    if (this.queue.length >= this.batch) this.compileQueue();
  }

  /** Points an entry at a compiled region of its page that has a basic block starting there, if one has. */
  private link(ent: number, page: number, off: number): boolean {
    const found = this.pageStarts.get(page)?.get(off);
    if (found === undefined) return false;
    const [r, k] = found;
    r.entries.push(off);
    this.stats.entries++;
    this.i32[(ent + D.BLOCK) >>> 2] = r.tableIndex | (k << 16);
    return true;
  }

  /** Before a run: a batch that waited long enough is compiled even if it is not full. */
  beforeRun(icount: number): void {
    this.lastIcount = icount;
    if (this.queue.length > 0 && icount - this.queuedAt >= this.maxQueueWait) this.compileQueue();
  }

  pageDropped(ramPage: number): void {
    for (const r of this.pageRegions.get(ramPage) ?? []) this.freeRegion(r, false);
    this.pageRegions.delete(ramPage);
    this.pageStarts.delete(ramPage);
  }

  private freeRegion(r: Region, resetEntries: boolean): void {
    // Its entry points must stop naming its table index: the index is reused by the next region compiled.
    if (resetEntries) {
      for (const e of r.entries) {
        const ent = this.code.entryAddress((r.page << 12) + e);
        if (ent !== 0 && (this.i32[(ent + D.BLOCK) >>> 2] & 0xffff) === r.tableIndex) this.i32[(ent + D.BLOCK) >>> 2] = 0;
      }
    }
    this.table.set(r.tableIndex, null);
    this.freeIndexes.push(r.tableIndex);
    this.stats.regions--;
    this.stats.entries -= r.entries.length;
    this.stats.codeBytes -= r.bytes;
  }

  /** Drops everything compiled (the code cache is full): hot code is compiled again as it runs. */
  flush(): void {
    for (const list of this.pageRegions.values()) for (const r of list) this.freeRegion(r, false);
    this.pageRegions.clear();
    this.pageStarts.clear();
    this.code.resetBlockWords();
    this.stats.flushes++;
  }

  private allocIndex(): number {
    const j = this.freeIndexes.pop() ?? this.nextIndex++;
    if (j >= MAX_BLOCKS) return -1;
    if (j >= this.table.length) this.table.grow(Math.max(1024, this.table.length));
    return j;
  }

  /** Compiles a region for each queued entry point (one module for the batch) and installs them. */
  compileQueue(): void {
    const queue = this.queue;
    this.queue = [];
    if (this.stats.codeBytes > this.codeCacheBytes) this.flush();
    const regions: { page: number; root: number; blocks: BasicBlock[] }[] = [];
    for (const q of queue) {
      // Code dropped since it was queued (overwritten, or its slot recycled): nothing to install it in.
      const ent = this.code.entryAddress((q.page << 12) + q.off);
      if (this.code.generation[q.page] !== q.generation || ent === 0) continue;
      if (this.link(ent, q.page, q.off)) continue;
      // A root this batch already covers becomes an entry point of that region once it is installed.
      if (regions.some((r) => r.page === q.page && r.blocks.some((b) => b.start === q.off))) continue;
      const blocks = formRegion(this.ram, this.code, q.page, q.off);
      // A root the compiler cannot take (a CSR access, say) stays queued-marked: the interpreter runs it.
      if (blocks.length > 0) regions.push({ page: q.page, root: q.off, blocks });
    }
    if (regions.length === 0) return;
    const m = new ModuleBuilder();
    const imp: MemoryImports = {
      load: m.importFunc('env', 'load', [I32, I32, I32, I32], [I32]),
      store: m.importFunc('env', 'store', [I32, I32, I32, I32, I32, I32], [I32]),
      atomic: m.importFunc('env', 'atomic', [I32, I32, I32, I32, I32, I32], [I32]),
      fp: m.importFunc('env', 'fp', [I32, I32, I32, I32, I32, I32, I32, I32], [I32]),
    };
    m.importMemory('env', 'memory', 1);
    const runtime = importRuntimeFns(m);
    regions.forEach((r, i) => m.export(`r${i}`, m.func(compileRegion(r.blocks, imp, runtime))));
    const bytes = m.encode();
    const instance = new WebAssembly.Instance(new WebAssembly.Module(bytes), { env: this.imports });
    this.stats.modules++;
    const share = bytes.length / regions.length;
    for (const [i, r] of regions.entries()) {
      const j = this.allocIndex();
      if (j < 0) break;
      this.table.set(j, instance.exports[`r${i}`] as WebAssembly.ExportValue);
      const region: Region = { page: r.page, entries: [], starts: r.blocks.map((b) => b.start), tableIndex: j, bytes: share };
      let list = this.pageRegions.get(r.page);
      if (list === undefined) this.pageRegions.set(r.page, (list = []));
      list.push(region);
      let starts = this.pageStarts.get(r.page);
      if (starts === undefined) this.pageStarts.set(r.page, (starts = new Map()));
      region.starts.forEach((off, k) => { if (!starts!.has(off)) starts!.set(off, [region, k]); });
      this.stats.regions++;
      this.stats.codeBytes += share;
      for (const b of r.blocks) {
        this.stats.compiledInsns += b.insns.length;
        const last = b.insns[b.insns.length - 1];
        this.code.markCode((r.page << 12) + b.start, last.off + last.d.len - b.start);
      }
      this.link(this.code.entryAddress((r.page << 12) + r.root), r.page, r.root);
    }
    // Queued roots covered by a region of this batch.
    for (const q of queue) {
      const ent = this.code.entryAddress((q.page << 12) + q.off);
      if (ent !== 0 && this.code.generation[q.page] === q.generation && this.i32[(ent + D.BLOCK) >>> 2] === QUEUED) this.link(ent, q.page, q.off);
    }
  }
}

/** An instruction that ends a basic block in a compiled page. */
function endsBasicBlock(d: Decoded): boolean {
  return d.row.kind === 'branch' || d.row.kind === 'jump';
}

/**
 * The basic blocks of a page reachable from its entry points: each runs to a branch or jump (or stops before an
 * instruction the compiler leaves to the interpreter, or at the page end); fall-through and branch targets within
 * the page are followed, as far as code that has run (code never run, error paths say, stays with the
 * interpreter: compiling it would cost more than it saves).
 */
function formRegion(ram: GuestRam, code: CodeCache, page: number, root: number): BasicBlock[] {
  const u16 = ram.u16;
  const base = page << 12;
  const blocks: BasicBlock[] = [];
  const seen = new Set<number>();
  const work = [root];
  let total = 0;
  while (work.length > 0 && blocks.length < MAX_REGION_BLOCKS && total < MAX_REGION_INSNS) {
    const start = work.shift()!;
    if (seen.has(start)) continue;
    seen.add(start);
    if (!code.hasRun(base + start)) continue;
    const insns: BlockInsn[] = [];
    let off = start;
    while (insns.length < MAX_BLOCK_INSNS && off < 0x1000) {
      const lo16 = u16[(base + off) >>> 1];
      const len = insnLength(lo16);
      // An instruction whose second half is on the next page stays with the interpreter.
      if (len === 4 && off === 0xffe) break;
      const d = code.decode(len === 4 ? lo16 | (u16[(base + off + 2) >>> 1] << 16) : lo16);
      if (!compilable(d.row) || !code.hasRun(base + off)) break;
      insns.push({ d, off });
      off += len;
      if (endsBasicBlock(d)) break;
    }
    if (insns.length === 0) continue;
    total += insns.length;
    blocks.push({ start, insns, next: off });
    const last = insns[insns.length - 1];
    const within = (t: number): boolean => t >= 0 && t < 0x1000;
    if (last.d.row.kind === 'branch') {
      if (within(last.off + last.d.imm)) work.push(last.off + last.d.imm);
      if (within(off)) work.push(off);
    } else if (last.d.row.name === 'jal') {
      if (within(last.off + last.d.imm)) work.push(last.off + last.d.imm);
    } else if (last.d.row.kind !== 'jump' && within(off)) {
      work.push(off);
    }
  }
  return blocks;
}

/** The compiler's Sem: operands are constants, registers live in locals, and control goes between basic blocks. */
class RegionSem extends SemBase {
  insn!: BlockInsn;
  /** Index of the instruction in its basic block. */
  index = 0;
  readonly regs: number[] = [];
  readonly written = new Set<number>();
  /** The page's virtual base address, this pass's icount, the run's target. */
  readonly vbase: number;
  readonly icount: number;
  readonly icountAtEntry: number;
  readonly target: number;
  readonly exitPc: number;
  readonly exitN: number;
  readonly status: number;
  readonly tlb: number;
  readonly current: number;
  /**
   * The FPU's mode, read once when the region is entered (only when it holds F/D instructions): FS on, inexact
   * raised, frm = rne, frm = rtz. Nothing compiled can turn FS off, clear a flag or change frm (CSR accesses stay
   * with the interpreter); the slow path only raises flags, so a stale 0 costs a slow path, never a wrong answer.
   */
  readonly fpOn: number;
  readonly fpNx: number;
  readonly fpDynRne: number;
  readonly fpDynRtz: number;
  exitLabel!: Label;
  dispatchLabel!: Label;
  /** The basic block being emitted, the labels whose ends start each block's code, its own loop if it loops. */
  block = 0;
  blockLabels: Label[] = [];
  selfLoop: Label | null = null;
  /** Page offset of each basic block's start, to its index. */
  blockIndex = new Map<number, number>();

  constructor(c: Code, imports: MemoryImports, runtime: ReturnType<typeof addRuntimeFns>, used: Set<number>) {
    super(c, imports, runtime);
    for (const r of used) this.regs[r] = c.local(I64);
    this.vbase = c.local(I64);
    this.icount = c.local(I64);
    this.icountAtEntry = c.local(I64);
    this.target = c.local(I64);
    this.exitPc = c.local(I64);
    this.exitN = c.local(I32);
    this.status = c.local(I32);
    this.tlb = c.local(I32);
    this.current = 0; // the function's parameter: the basic block to start at
    this.fpOn = c.local(I32);
    this.fpNx = c.local(I32);
    this.fpDynRne = c.local(I32);
    this.fpDynRtz = c.local(I32);
  }

  /** Reads the FPU's mode into the locals (the region's prologue). */
  loadFpMode(): void {
    const c = this.c;
    c.i32(0).mem(Op.i32_load, S.SSTATUS).i32(SSTATUS_FS).op(Op.i32_and).set(this.fpOn);
    // fcsr's frm and NX, read once (fpDynRtz holds it until it is derived last).
    c.i32(0).mem(Op.i32_load, S.FCSR).i32(0xe1).op(Op.i32_and).tee(this.fpDynRtz).i32(1).op(Op.i32_and).set(this.fpNx);
    c.get(this.fpDynRtz).i32(0x01).op(Op.i32_eq).set(this.fpDynRne);
    c.get(this.fpDynRtz).i32(0x21).op(Op.i32_eq).set(this.fpDynRtz);
  }

  protected override fsOn(): void {
    this.c.get(this.fpOn);
  }

  override fastMode(mode: number): void {
    const rm = this.insn.d.rm;
    if (rm === mode) this.c.get(this.fpNx);
    else if (rm === 7 && mode === 0) this.c.get(this.fpDynRne);
    else if (rm === 7 && mode === 1) this.c.get(this.fpDynRtz);
    else this.c.i32(0);
  }

  x(reg: 'rs1' | 'rs2'): Code {
    const r = reg === 'rs1' ? this.insn.d.rs1 : this.insn.d.rs2;
    return r === 0 ? this.c.i64(0) : this.c.get(this.regs[r]);
  }

  x32(reg: 'rs1' | 'rs2'): Code {
    const r = reg === 'rs1' ? this.insn.d.rs1 : this.insn.d.rs2;
    return r === 0 ? this.c.i32(0) : this.c.get(this.regs[r]).op(Op.i32_wrap_i64);
  }

  setRd(value: () => void): void {
    value();
    const rd = this.insn.d.rd;
    if (rd === 0) {
      this.c.op(Op.drop);
      return;
    }
    this.c.set(this.regs[rd]);
    this.written.add(rd);
  }

  imm(): Code {
    return this.c.i64(this.insn.d.imm);
  }

  imm32(): Code {
    return this.c.i32(this.insn.d.imm);
  }

  /** Pushes the virtual address of a page offset (it may lie past the page: a target elsewhere). */
  at(pageOff: number): Code {
    this.c.get(this.vbase);
    return pageOff === 0 ? this.c : this.c.i64(pageOff).op(Op.i64_add);
  }

  pc(): Code {
    return this.at(this.insn.off);
  }

  nextPc(): Code {
    return this.at(this.insn.off + this.insn.d.len);
  }

  /** Leaves the page: the pc that `pc` pushes, `retired` instructions of this basic block retired. */
  leave(pc: () => void, retired: number, status: RegionStatus): void {
    pc();
    this.c.set(this.exitPc).i32(retired).set(this.exitN).i32(status).set(this.status).br(this.exitLabel);
  }

  /** Goes on at a page offset: inside the function when a basic block starts there, else back to the host. */
  goTo(pageOff: number, retired: number): void {
    const k = this.blockIndex.get(pageOff);
    if (k === undefined) {
      this.leave(() => this.at(pageOff), retired, RegionStatus.Ran);
      return;
    }
    this.c.get(this.icount).i64(retired).op(Op.i64_add).set(this.icount);
    if (k === this.block && this.selfLoop !== null) {
      // Back to this block's own start: a plain loop, which TurboFan keeps registers across.
      this.c.br(this.selfLoop);
    } else if (k > this.block) {
      // Forward: the block's code follows the end of its label, which encloses this one's.
      this.c.br(this.blockLabels[k]);
    } else {
      this.c.i32(k).set(this.current).br(this.dispatchLabel);
    }
  }

  jump(target: () => void): void {
    if (this.insn.d.row.name === 'jal') {
      // A direct jump: its target is known.
      target();
      this.c.op(Op.drop);
      this.goTo(this.insn.off + this.insn.d.imm, this.index + 1);
      return;
    }
    this.leave(target, this.index + 1, RegionStatus.Ran);
  }

  branch(cond: () => void): void {
    const c = this.c;
    cond();
    c.if();
    this.goTo(this.insn.off + this.insn.d.imm, this.index + 1);
    c.end();
    this.goTo(this.insn.off + this.insn.d.len, this.index + 1);
  }

  host(): void {
    throw new Error(`${this.row.name} is not compiled`);
  }

  protected tlbSet(): void {
    this.c.get(this.tlb);
  }

  protected onTrap(): void {
    this.leave(() => this.pc(), this.index, RegionStatus.Trap);
  }

  protected afterCodeWrite(): void {
    // The page's code was dropped (this function with it): back to the host, which decodes anew.
    this.leave(() => this.nextPc(), this.index + 1, RegionStatus.Ran);
  }

  protected regField(field: 'rd' | 'rs2'): void {
    this.c.i32(field === 'rd' ? this.insn.d.rd : this.insn.d.rs2);
  }

  protected length(): void {
    this.c.i32(this.insn.d.len);
  }

  protected operand(field: 'rd' | 'rs1' | 'rs2' | 'rs3' | 'rm'): void {
    this.c.i32(this.insn.d[field]);
  }
}

/**
 * One page as a WebAssembly function `(basic block index) -> RegionStatus`: a dispatch loop over its basic blocks.
 * Each basic block first checks that the budget covers all of it, else leaves at its start.
 */
function compileRegion(blocks: BasicBlock[], imports: MemoryImports, runtime: ReturnType<typeof addRuntimeFns>): Code {
  const c = new Code([I32], [I32]);
  const used = new Set<number>();
  for (const b of blocks) for (const i of b.insns) for (const r of [i.d.rd, i.d.rs1, i.d.rs2]) if (r !== 0) used.add(r);
  const sem = new RegionSem(c, imports, runtime, used);
  blocks.forEach((b, k) => sem.blockIndex.set(b.start, k));

  c.i32(0).mem(Op.i64_load, S.PC).i64(~0xfff).op(Op.i64_and).set(sem.vbase);
  c.i32(0).mem(Op.i64_load, S.ICOUNT).tee(sem.icount).set(sem.icountAtEntry);
  c.i32(0).mem(Op.i64_load, S.TARGET).set(sem.target);
  c.i32(0).mem(Op.i32_load, S.TLB_SET).set(sem.tlb);
  for (const r of used) c.i32(0).mem(Op.i64_load, S.X + 8 * r).set(sem.regs[r]);
  if (blocks.some((b) => b.insns.some((i) => i.d.row.fs === true))) sem.loadFpMode();

  sem.exitLabel = c.block();
  sem.dispatchLabel = c.loop();
  const cases: Label[] = [];
  for (let k = blocks.length - 1; k >= 0; k--) cases.push(c.block());
  cases.reverse();
  c.get(sem.current).brTable(cases, cases[0]);
  sem.blockLabels = cases;
  blocks.forEach((b, k) => {
    c.end(); // block k's case follows
    sem.block = k;
    const last = b.insns[b.insns.length - 1];
    const loops = last.d.row.kind === 'branch' && last.off + last.d.imm === b.start;
    sem.selfLoop = loops ? c.loop() : null;
    // The budget must cover the whole basic block; otherwise leave at its start (NotRun when nothing ran yet).
    c.get(sem.target).get(sem.icount).op(Op.i64_sub).i64(b.insns.length).op(Op.i64_lt_s).if();
    sem.at(b.start).set(sem.exitPc);
    c.i32(0).set(sem.exitN);
    c.get(sem.icount).get(sem.icountAtEntry).op(Op.i64_eq).i32(RegionStatus.NotRun).op(Op.i32_mul).set(sem.status);
    c.br(sem.exitLabel).end();
    b.insns.forEach((insn, i) => {
      sem.insn = insn;
      sem.index = i;
      sem.row = insn.d.row;
      insn.d.row.sem(sem);
    });
    if (!endsBasicBlock(last.d)) sem.goTo(b.next, b.insns.length);
    if (loops) c.end();
  });
  c.end(); // dispatch loop
  c.end(); // exit
  for (const r of sem.written) c.i32(0).get(sem.regs[r]).mem(Op.i64_store, S.X + 8 * r);
  c.i32(0).get(sem.exitPc).mem(Op.i64_store, S.PC);
  c.i32(0).get(sem.icount).get(sem.exitN).op(Op.i64_extend_i32_u).op(Op.i64_add).mem(Op.i64_store, S.ICOUNT);
  c.get(sem.status);
  return c;
}
