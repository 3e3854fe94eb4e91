import { InsnRow, ROWS } from '../isa/index.js';
import { Code, Label } from '../wasm/code.js';
import { ModuleBuilder } from '../wasm/module.js';
import { Op, ValType } from '../wasm/opcodes.js';
import { RegionStatus } from './jit.js';
import { BP_FILTER, BP_FILTER_BITS, CODE_MAP_BASE, D, S, TLB_KIND_SIZE, TLB_OFF, TLB_TAG } from './layout.js';
import { Access } from './mmu.js';
import { addRuntimeFns } from './runtime-fns.js';
import { MemoryImports, SemBase } from './sem-base.js';

const { I32, I64 } = ValType;

/**
 * How much more a block start reached by a taken backward branch (a loop closing) counts towards the compile
 * threshold than one reached otherwise. The threshold is high (jit.ts: a kernel runs a wide footprint of warm code
 * whose compiling costs more than interpreting it), and this lets a real loop compile after a few thousand turns.
 */
const LOOP_WEIGHT = 10;

/** Why run() returned (the interpreter's result; a trap handler's non-zero answer passes through). */
export const enum RunStatus {
  /** The target icount was reached. */
  Budget = 0,
  /** A trap left the guest: the hart's exit record holds it. */
  Trap = 1,
  /** Trap after trap into the guest's own handler without an instruction retiring. */
  Stalled = 2,
  /** Single-stepping: a trap was taken into the guest, which ends the step at its handler. */
  GuestTrapEndsStep = 3,
}

/**
 * The host functions the interpreter imports, in import order. All take and return i32 (an i64 parameter would
 * reach JavaScript as a BigInt).
 */
export const INTERPRETER_IMPORTS = [
  // Memory (shared with compiled blocks): see MemoryImports.
  ['load', 4], ['store', 6], ['atomic', 6],
  /** fetch(pcLo, pcHi) → RAM offset of the instruction, or -1 with a trap pending. */
  ['fetch', 2],
  /** host(row, rd, rs1, rs2, imm, len) → 0 done (advance), 1 trap pending, 2 done and the pc set by the host. */
  ['host', 6],
  /** trap() → 0 delivered into the guest (go on at the pc), else the RunStatus to return. */
  ['trap', 0],
  /** irq(): takes a pending, enabled interrupt into the guest. */
  ['irq', 0],
  /** breakpoint(pcLo, pcHi) → 1 when a debug trigger stops the hart here (the exit is recorded), else 0. */
  ['breakpoint', 2],
  /** decode(ramOff, pcLo, pcHi) → the decoded entry's address, or -1 with a fetch trap pending. */
  ['decode', 3],
  /** codePage(ramPage) → the address of the decoded-instruction slot for the page (allocating it). */
  ['codePage', 1],
  /** hot(entry, ramOff, pcLo, pcHi): a block start was entered often enough to be compiled. */
  ['hot', 4],
  /** pageClear(pcLo, pcHi) → 1 when no breakpoint lies in the pc's page (its compiled code may run). */
  ['pageClear', 2],
  /** fp(row, rd, rs1, rs2, rs3, rm, xLo, xHi): the F/D slow path (see MemoryImports). */
  ['fp', 8],
] as const;

export type InterpreterImportName = typeof INTERPRETER_IMPORTS[number][0];

/** The interpreter's Sem: operands come from the decoded entry, loaded into locals before dispatch. */
class InterpSem extends SemBase {
  constructor(
    c: Code,
    imports: MemoryImports,
    runtime: ReturnType<typeof addRuntimeFns>,
    private readonly v: { pc: number; rd: number; rs1: number; rs2: number; imm: number; len: number; ent: number; target: number; bs: number },
    private readonly labels: { jumped: Label; branched: Label; trap: Label },
    private readonly hostFn: number,
    private readonly save: () => void,
    private readonly seq: number,
  ) {
    super(c, imports, runtime);
  }

  private regAddr(reg: 'rs1' | 'rs2' | 'rd'): void {
    this.c.get(reg === 'rs1' ? this.v.rs1 : reg === 'rs2' ? this.v.rs2 : this.v.rd).i32(3).op(Op.i32_shl);
  }

  x(reg: 'rs1' | 'rs2'): Code {
    this.regAddr(reg);
    return this.c.mem(Op.i64_load, S.X);
  }

  x32(reg: 'rs1' | 'rs2'): Code {
    this.regAddr(reg);
    return this.c.mem(Op.i32_load, S.X);
  }

  setRd(value: () => void): void {
    this.regAddr('rd');
    value();
    // Store unconditionally, then put x0 back: cheaper than a branch on rd.
    this.c.mem(Op.i64_store, S.X).i32(0).i64(0).mem(Op.i64_store, S.X);
  }

  imm(): Code {
    return this.c.get(this.v.imm).op(Op.i64_extend_i32_s);
  }

  imm32(): Code {
    return this.c.get(this.v.imm);
  }

  pc(): Code {
    return this.c.get(this.v.pc);
  }

  nextPc(): Code {
    return this.c.get(this.v.pc).get(this.v.len).op(Op.i64_extend_i32_u).op(Op.i64_add);
  }

  jump(target: () => void): void {
    target();
    this.c.set(this.v.pc).br(this.labels.jumped);
  }

  branch(cond: () => void): void {
    const c = this.c;
    cond();
    c.if();
    c.get(this.v.pc).get(this.v.imm).op(Op.i64_extend_i32_s).op(Op.i64_add).set(this.v.pc);
    // A taken backward branch closes a loop: its target counts LOOP_WEIGHT executions towards compiling.
    c.get(this.v.imm).i32(31).op(Op.i32_shr_u).i32(LOOP_WEIGHT - 1).op(Op.i32_mul).i32(1).op(Op.i32_add).set(this.v.bs);
    c.else();
    this.nextPc().set(this.v.pc);
    c.i32(1).set(this.v.bs);
    c.end();
    c.br(this.labels.branched);
  }

  host(): void {
    const c = this.c;
    const st = this.tmp32(0);
    this.save();
    c.i32(this.row.id).get(this.v.rd).get(this.v.rs1).get(this.v.rs2).get(this.v.imm).get(this.v.len).call(this.hostFn).tee(st);
    c.i32(1).op(Op.i32_eq).brIf(this.labels.trap);
    // Host work may end the run sooner (a stimecmp write moves the timer's deadline into this run).
    c.i32(0).mem(Op.i64_load, S.TARGET).set(this.v.target);
    c.get(st).if();
    c.i32(0).mem(Op.i64_load, S.PC).set(this.v.pc);
    c.else();
    this.nextPc().set(this.v.pc);
    c.end();
    c.br(this.labels.jumped);
  }

  protected tlbSet(): void {
    this.c.i32(0).mem(Op.i32_load, S.TLB_SET);
  }

  protected onTrap(): void {
    this.c.br(this.labels.trap);
  }

  protected afterCodeWrite(): void {
    // The page's decoded entries were dropped: the next instruction is fetched and decoded anew.
    this.c.i32(0).set(this.seq);
  }

  protected regField(field: 'rd' | 'rs2'): void {
    this.c.get(field === 'rd' ? this.v.rd : this.v.rs2);
  }

  protected length(): void {
    this.c.get(this.v.len);
  }

  protected operand(field: 'rd' | 'rs1' | 'rs2' | 'rs3' | 'rm'): void {
    if (field === 'rs3' || field === 'rm') this.c.get(this.v.ent).mem(Op.i32_load8_u, field === 'rs3' ? D.RS3 : D.RM);
    else this.c.get(this.v[field]);
  }
}

/**
 * Builds the interpreter: one WebAssembly function, `run`, that executes instructions from the decoded-instruction
 * cache until the target icount, a trap that leaves the guest, or a single step's end. Each row of the ISA table
 * is one case of its dispatch (the row's semantics, emitted with operands from the decoded entry). At block starts
 * (after any control transfer) it calls the compiled block there when there is one and the budget allows all of
 * it, and otherwise counts the start's executions so the host can compile hot ones.
 */
function buildInterpreter(): Uint8Array {
  const m = new ModuleBuilder();
  const imp = {} as Record<InterpreterImportName, number>;
  for (const [name, arity] of INTERPRETER_IMPORTS) {
    const results = name === 'irq' || name === 'hot' ? [] : [I32];
    imp[name] = m.importFunc('env', name, Array(arity).fill(I32), results);
  }
  m.importTable('env', 'blocks', 1);
  m.importMemory('env', 'memory', 1);
  const regionType = m.type([I32], [I32]);
  const runtime = addRuntimeFns(m);

  const c = new Code([], [I32]);
  const v = {
    pc: c.local(I64), rd: c.local(I32), rs1: c.local(I32), rs2: c.local(I32), imm: c.local(I32), len: c.local(I32),
  };
  const icount = c.local(I64), target = c.local(I64);
  const off = c.local(I32), ent = c.local(I32), op = c.local(I32), bs = c.local(I32), j = c.local(I32), st = c.local(I32);
  /** 1 when the previous instruction fell through to this one in the same page: its entry follows the last. */
  const seq = c.local(I32);
  const save = (): void => {
    c.i32(0).get(v.pc).mem(Op.i64_store, S.PC);
    c.i32(0).get(icount).mem(Op.i64_store, S.ICOUNT);
  };
  const reload = (): void => {
    c.i32(0).mem(Op.i64_load, S.PC).set(v.pc);
    c.i32(0).mem(Op.i64_load, S.ICOUNT).set(icount);
  };
  const pcHalves = (): void => {
    c.get(v.pc).op(Op.i32_wrap_i64).get(v.pc).i64(32).op(Op.i64_shr_u).op(Op.i32_wrap_i64);
  };

  reload();
  c.i32(0).mem(Op.i64_load, S.TARGET).set(target);
  c.i32(1).set(bs);
  const main = c.loop();
  const next = c.block();
  const jumped = c.block();
  /** A conditional branch went to its target or fell through, and set bs (the next block start's weight) itself. */
  const branched = c.block();
  const trap = c.block();

  // The budget.
  c.get(icount).get(target).op(Op.i64_ge_u).if();
  save();
  c.i32(RunStatus.Budget).ret();
  c.end();
  // A pending interrupt or breakpoints (one load for both flags; each is only set by host work).
  c.i32(0).mem(Op.i64_load, S.IRQ_CHECK).op(Op.i64_eqz).op(Op.i32_eqz).if();
  c.i32(0).mem(Op.i32_load, S.IRQ_CHECK).if();
  save();
  c.call(imp.irq);
  reload();
  c.i32(1).set(bs).i32(0).set(seq);
  c.end();
  c.i32(0).mem(Op.i32_load, S.BREAKPOINTS).if();
  // Only an instruction whose filter bit is set can be at a breakpoint: ask the host about those alone.
  c.get(v.pc).op(Op.i32_wrap_i64).i32(1).op(Op.i32_shr_u).i32(BP_FILTER_BITS - 1).op(Op.i32_and).tee(j);
  c.i32(3).op(Op.i32_shr_u).mem(Op.i32_load8_u, BP_FILTER).get(j).i32(7).op(Op.i32_and).op(Op.i32_shr_u).i32(1).op(Op.i32_and).if();
  save();
  pcHalves();
  c.call(imp.breakpoint).then().i32(RunStatus.Trap).ret().end();
  c.end();
  c.end();
  c.end();

  // The decoded entry: right after the last one when it fell through in the same page; else fetch through the
  // fetch TLB, then the page's slot, then the halfword's entry.
  c.get(seq).op(Op.i32_eqz).if();
  c.i32(0).mem(Op.i32_load, S.TLB_SET).i32(Access.Fetch * TLB_KIND_SIZE).op(Op.i32_add);
  c.get(v.pc).i64(12).op(Op.i64_shr_u).op(Op.i32_wrap_i64).i32(1023).op(Op.i32_and).i32(4).op(Op.i32_shl).op(Op.i32_add).tee(ent);
  c.mem(Op.i64_load, TLB_TAG).get(v.pc).i64(~0xfff).op(Op.i64_and).op(Op.i64_eq).if();
  c.get(ent).mem(Op.i32_load, TLB_OFF).get(v.pc).op(Op.i32_wrap_i64).i32(0xfff).op(Op.i32_and).op(Op.i32_add).set(off);
  c.else();
  save();
  pcHalves();
  c.call(imp.fetch).tee(off).i32(0).op(Op.i32_lt_s).brIf(trap);
  c.end();
  c.get(off).i32(12).op(Op.i32_shr_u).i32(2).op(Op.i32_shl).mem(Op.i32_load, CODE_MAP_BASE).tee(ent).op(Op.i32_eqz).if();
  c.get(off).i32(12).op(Op.i32_shr_u).call(imp.codePage).set(ent);
  c.end();
  c.get(ent).get(off).i32(0xfff).op(Op.i32_and).i32(3).op(Op.i32_shl).op(Op.i32_add).set(ent);
  c.end();
  c.get(ent).mem(Op.i32_load16_u, D.ROW).tee(op).op(Op.i32_eqz).if();
  save();
  c.get(off);
  pcHalves();
  c.call(imp.decode).tee(ent).i32(0).op(Op.i32_lt_s).brIf(trap);
  c.get(ent).mem(Op.i32_load16_u, D.ROW).set(op);
  c.end();

  // At a block start: run the page's compiled code from here, or count towards compiling it.
  c.get(bs).if();
  c.get(ent).mem(Op.i32_load, D.BLOCK).tee(j).i32(0).op(Op.i32_gt_s).if();
  c.i32(1).set(st);
  c.i32(0).mem(Op.i32_load, S.BREAKPOINTS).if();
  pcHalves();
  c.call(imp.pageClear).set(st);
  c.end();
  c.get(st).if();
  save();
  c.get(j).i32(16).op(Op.i32_shr_u).get(j).i32(0xffff).op(Op.i32_and).callIndirect(regionType).tee(st);
  c.i32(RegionStatus.NotRun).op(Op.i32_ne).if();
  // Statistics: calls, and instructions retired in compiled code.
  c.i32(0).i32(0).mem(Op.i64_load, S.REGION_CALLS).i64(1).op(Op.i64_add).mem(Op.i64_store, S.REGION_CALLS);
  c.i32(0).i32(0).mem(Op.i64_load, S.COMPILED_INSNS).i32(0).mem(Op.i64_load, S.ICOUNT).get(icount).op(Op.i64_sub).op(Op.i64_add).mem(Op.i64_store, S.COMPILED_INSNS);
  reload();
  c.i32(0).set(seq);
  c.get(st).brIf(trap);
  c.br(main);
  c.end();
  c.end();
  c.else();
  c.i32(0).mem(Op.i32_load, S.HOT_THRESHOLD).if();
  c.get(ent).get(j).get(bs).op(Op.i32_sub).tee(j).mem(Op.i32_store, D.BLOCK);
  c.get(j).i32(0).mem(Op.i32_load, S.HOT_THRESHOLD).op(Op.i32_add).i32(0).op(Op.i32_le_s).if();
  save();
  c.get(ent).get(off);
  pcHalves();
  c.call(imp.hot);
  // Compiled at once (as --tier jit does): start again at this instruction, which now enters the compiled code.
  c.get(ent).mem(Op.i32_load, D.BLOCK).i32(0).op(Op.i32_gt_s).if();
  c.i32(1).set(bs).i32(0).set(seq);
  c.br(main);
  c.end();
  c.end();
  c.end();
  c.end();
  c.end();

  // Operands, then one case per row.
  c.get(ent).mem(Op.i32_load8_u, D.RD).set(v.rd);
  c.get(ent).mem(Op.i32_load8_u, D.RS1).set(v.rs1);
  c.get(ent).mem(Op.i32_load8_u, D.RS2).set(v.rs2);
  c.get(ent).mem(Op.i32_load8_u, D.LEN).set(v.len);
  c.get(ent).mem(Op.i32_load, D.IMM).set(v.imm);
  c.i32(1).set(seq);

  const sem = new InterpSem(c, { load: imp.load, store: imp.store, atomic: imp.atomic, fp: imp.fp }, runtime, { ...v, ent, target, bs }, { jumped, branched, trap }, imp.host, save, seq);
  const cases: Label[] = [];
  for (let i = ROWS.length - 1; i >= 0; i--) cases.push(c.block());
  cases.reverse();
  c.get(op).i32(1).op(Op.i32_sub).brTable(cases, cases[0]);
  for (const row of ROWS) {
    c.end(); // closes this row's block: its case follows
    emitCase(sem, row);
    c.br(next);
  }

  c.end(); // trap
  // The pc is at the instruction whose trap is pending.
  save();
  c.call(imp.trap).tee(st).then().get(st).ret().end();
  reload();
  c.i32(1).set(bs).i32(0).set(seq);
  c.br(main);
  c.end(); // branched: the pc and bs were set by the branch
  c.get(icount).i64(1).op(Op.i64_add).set(icount);
  c.i32(0).set(seq);
  c.br(main);
  c.end(); // jumped: the pc was set by the instruction
  c.get(icount).i64(1).op(Op.i64_add).set(icount);
  c.i32(1).set(bs).i32(0).set(seq);
  c.br(main);
  c.end(); // next: fall through to the following instruction; its entry follows if it is in the same page
  c.get(v.pc).get(v.len).op(Op.i64_extend_i32_u).op(Op.i64_add).set(v.pc);
  c.get(icount).i64(1).op(Op.i64_add).set(icount);
  c.i32(0).set(bs);
  c.get(seq).get(off).i32(0xfff).op(Op.i32_and).get(v.len).op(Op.i32_add).i32(0x1000).op(Op.i32_lt_u).op(Op.i32_and).set(seq);
  c.get(off).get(v.len).op(Op.i32_add).set(off);
  c.get(ent).get(v.len).i32(3).op(Op.i32_shl).op(Op.i32_add).set(ent);
  c.br(main);
  c.end(); // main
  c.op(Op.unreachable);
  m.export('run', m.func(c));
  return m.encode();
}

function emitCase(sem: InterpSem, row: InsnRow): void {
  sem.row = row;
  row.sem(sem);
}

let compiled: WebAssembly.Module | null = null;

/** The interpreter's module, compiled once per process (it is code only; each hart instantiates it). */
export function interpreterModule(): WebAssembly.Module {
  if (compiled === null) compiled = new WebAssembly.Module(buildInterpreter());
  return compiled;
}
