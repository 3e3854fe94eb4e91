import type { Format } from './formats.js';
import type { Sem } from './sem.js';

/**
 * What an instruction does to control flow and memory, from which the tiers derive everything they need:
 * - alu: registers only;
 * - branch: a conditional pc-relative transfer (a block's side exit);
 * - jump: an unconditional transfer (ends a block);
 * - load / store: a memory access of `width` bytes (a guest page fault on it may become an MMIO exit);
 * - atomic: LR, SC or an AMO;
 * - fence: an ordering no-op on one hart;
 * - fence.i: ends a block, so the next instruction is fetched anew (stores to code are caught as they happen);
 * - host: carried out by the hart's host side (CSRs, sret, wfi, ecall, ebreak, sfence.vma); ends a block;
 * - illegal: raises an illegal-instruction exception.
 */
export type Kind = 'alu' | 'branch' | 'jump' | 'load' | 'store' | 'atomic' | 'fence' | 'fence.i' | 'host' | 'illegal';

export type Extension = 'I' | 'M' | 'A' | 'F' | 'D' | 'Zicsr' | 'Zifencei' | 'Zba' | 'Zbb' | 'Zbs' | 'Priv';

export interface RowSpec {
  /** The mnemonic, as objdump prints it when no alias applies. */
  name: string;
  /** 32 characters of 0, 1 or - (a field bit), most significant first; spaces are ignored. */
  pattern: string;
  format: Format;
  ext: Extension;
  kind: Kind;
  /** Memory access width in bytes (load, store, atomic). */
  width?: 1 | 2 | 4 | 8;
  /** Loads: sign-extended (LB, LH, LW). */
  signed?: boolean;
  /** Only for S-mode: illegal in U-mode (sret, wfi, sfence.vma). */
  privileged?: boolean;
  /** Needs the FPU to be on (sstatus.FS != Off). */
  fs?: boolean;
  /** The register file of rd, rs1, rs2, rs3 in that order ('f' or 'x'; F and D rows), e.g. 'xff' for feq. */
  files?: string;
  sem: (s: Sem) => void;
}

/** A row of the ISA table: its spec, with the mask/match pair its pattern stands for and its index in the table. */
export interface InsnRow extends Readonly<RowSpec> {
  readonly mask: number;
  readonly match: number;
  readonly id: number;
}

/** The mask and match of a pattern string. */
export function parsePattern(pattern: string): { mask: number; match: number } {
  const bits = pattern.replace(/\s+/g, '');
  if (!/^[01-]{32}$/.test(bits)) throw new Error(`bad instruction pattern '${pattern}'`);
  let mask = 0, match = 0;
  for (let i = 0; i < 32; i++) {
    const bit = 1 << (31 - i);
    if (bits[i] !== '-') {
      mask |= bit;
      if (bits[i] === '1') match |= bit;
    }
  }
  return { mask: mask | 0, match: match | 0 };
}

/** Whether an instruction of this kind is the last of its block. */
export function endsBlock(row: InsnRow): boolean {
  return row.kind === 'jump' || row.kind === 'host' || row.kind === 'fence.i' || row.kind === 'illegal';
}

/** Whether the compiling tier takes the instruction (host work and illegal words stay with the interpreter). */
export function compilable(row: InsnRow): boolean {
  return row.kind !== 'host' && row.kind !== 'illegal';
}
