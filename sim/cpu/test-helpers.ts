/**
 * Shared helpers for the hart tests (TinyEMU/Spike style: raw instruction words in RAM, registers set, an exact
 * number of instructions run, then the architectural state checked). No test framework in here: the tests assert.
 *
 * Instruction words are written as the hart fetches them: a word whose low two bits are 11 is a 32-bit instruction
 * (4 bytes), anything else is a compressed one (2 bytes).
 */
import { GuestRam } from '../memory.js';
import { Hart, TierOptions } from './hart.js';
import { HypervisorTrap } from './trap.js';

export const RAM_BASE = 0x8000_0000;
export const BASE = BigInt(RAM_BASE);
/** 8 MiB: room for code, data, page tables and a 2 MiB-aligned superpage. */
export const RAM_SIZE = 8 << 20;

// ABI register numbers.
export const zero = 0, ra = 1, sp = 2, gp = 3, tp = 4, t0 = 5, t1 = 6, t2 = 7, s0 = 8, s1 = 9;
export const a0 = 10, a1 = 11, a2 = 12, a3 = 13, a4 = 14, a5 = 15, a6 = 16, a7 = 17;
export const s2 = 18, s3 = 19, s4 = 20, s5 = 21, s6 = 22, s7 = 23, s8 = 24, s9 = 25, s10 = 26, s11 = 27;
export const t3 = 28, t4 = 29, t5 = 30, t6 = 31;

export const INT64_MIN = -(1n << 63n);
export const INT64_MAX = (1n << 63n) - 1n;
export const INT32_MIN = -(1n << 31n);
export const INT32_MAX = (1n << 31n) - 1n;
export const MASK64 = (1n << 64n) - 1n;

/** The 64-bit pattern of v (two's complement), as registers hold it. */
export const u64 = (v: bigint): bigint => BigInt.asUintN(64, v);
/** The signed value of a 64-bit pattern. */
export const s64 = (v: bigint): bigint => BigInt.asIntN(64, v);
/** A 32-bit result sign-extended to 64 bits (the W instructions), as a register pattern. */
export const sext32 = (v: bigint): bigint => u64(BigInt.asIntN(32, v));

/** (lo, hi) int32 halves as one unsigned 64-bit value. */
export const join = (lo: number, hi: number): bigint => (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0);

export interface Machine {
  hart: Hart;
  ram: GuestRam;
}

/** A fresh hart in S-mode, Bare translation, pc = 0x8000_0000, over zeroed RAM. */
export function setup(ramSize = RAM_SIZE, tier?: TierOptions): Machine {
  const ram = new GuestRam(RAM_BASE, ramSize);
  const hart = new Hart(ram, tier);
  hart.pc = BASE;
  return { hart, ram };
}

/** Encodes instruction words (2 bytes for compressed ones, 4 otherwise). */
export function encode(words: readonly number[]): Uint8Array {
  const bytes: number[] = [];
  for (const w of words) {
    const n = (w & 3) === 3 ? 4 : 2;
    for (let i = 0; i < n; i++) bytes.push((w >>> (8 * i)) & 0xff);
  }
  return Uint8Array.from(bytes);
}

/** Places instruction words at a guest-physical address; returns the address after the last one. */
export function place(ram: GuestRam, addr: number, words: readonly number[]): number {
  const bytes = encode(words);
  ram.write(addr, bytes);
  return addr + bytes.length;
}

/** A fresh machine with `words` at 0x8000_0000 and the given registers set. */
export function load(words: readonly number[], regs: Readonly<Record<number, bigint>> = {}, ramSize = RAM_SIZE, tier?: TierOptions): Machine {
  const m = setup(ramSize, tier);
  place(m.ram, RAM_BASE, words);
  setRegs(m.hart, regs);
  return m;
}

export function setRegs(hart: Hart, regs: Readonly<Record<number, bigint>>): void {
  for (const [r, v] of Object.entries(regs)) hart.setReg(Number(r), u64(v));
}

/** All 32 registers (x0 included), as unsigned 64-bit patterns. */
export function regs(hart: Hart): bigint[] {
  const out: bigint[] = [];
  for (let i = 0; i < 32; i++) out.push(hart.getReg(i));
  return out;
}

/** The expected register file: `before` with the given registers replaced (values normalised to 64-bit patterns). */
export function withRegs(before: readonly bigint[], changes: Readonly<Record<number, bigint>>): bigint[] {
  const out = before.slice();
  for (const [r, v] of Object.entries(changes)) if (Number(r) !== 0) out[Number(r)] = u64(v);
  return out;
}

/** Registers as `xN=0x…` strings, so a failing comparison names the register and shows hex. */
export function dump(values: readonly bigint[]): string[] {
  return values.map((v, i) => `x${i}=0x${v.toString(16)}`);
}

/** Switches privilege the way the hypervisor layer may (sets the MMU context too). */
export function setPriv(hart: Hart, priv: number): void {
  hart.priv = priv;
  hart.syncMmu();
}

// ---- Memory -------------------------------------------------------------------------------------------------

/** Reads `size` bytes (1, 2, 4, 8) little-endian at a guest-physical address, unsigned. */
export function peek(ram: GuestRam, addr: number, size: number): bigint {
  const b = ram.read(addr, size);
  let v = 0n;
  for (let i = size - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[i]);
  return v;
}

/** Writes the low `size` bytes of v little-endian at a guest-physical address. */
export function poke(ram: GuestRam, addr: number, size: number, v: bigint): void {
  const b = new Uint8Array(size);
  let x = BigInt.asUintN(64, v);
  for (let i = 0; i < size; i++) {
    b[i] = Number(x & 0xffn);
    x >>= 8n;
  }
  ram.write(addr, b);
}

// ---- Trap and CSR views ------------------------------------------------------------------------------------------

export const exitPc = (e: HypervisorTrap): bigint => join(e.sepcLo, e.sepcHi);
export const exitTval = (e: HypervisorTrap): bigint => join(e.stvalLo, e.stvalHi);

export const sepc = (h: Hart): bigint => join(h.csr.sepcLo, h.csr.sepcHi);
export const scause = (h: Hart): bigint => join(h.csr.scauseLo, h.csr.scauseHi);
export const stval = (h: Hart): bigint => join(h.csr.stvalLo, h.csr.stvalHi);
export const stvec = (h: Hart): bigint => join(h.csr.stvecLo, h.csr.stvecHi);
export const sscratch = (h: Hart): bigint => join(h.csr.sscratchLo, h.csr.sscratchHi);
export const satp = (h: Hart): bigint => join(h.csr.satpLo, h.csr.satpHi);

export function setStvec(h: Hart, v: bigint): void {
  h.csr.stvecLo = Number(v & 0xffff_ffffn) | 0;
  h.csr.stvecHi = Number((v >> 32n) & 0xffff_ffffn) | 0;
}

export function setSepc(h: Hart, v: bigint): void {
  h.csr.sepcLo = Number(v & 0xffff_ffffn) | 0;
  h.csr.sepcHi = Number((v >> 32n) & 0xffff_ffffn) | 0;
}

/** scause of an interrupt. */
export const interruptCause = (irq: number): bigint => (1n << 63n) | BigInt(irq);

// ---- Page tables ---------------------------------------------------------------------------------------------

export const PTE_V = 1, PTE_R = 2, PTE_W = 4, PTE_X = 8, PTE_U = 16, PTE_G = 32, PTE_A = 64, PTE_D = 128;
export const SATP_SV39 = 8n, SATP_SV48 = 9n;

/**
 * Builds Sv39/Sv48 page tables in guest RAM, allocating table pages from a pool. `map` writes a leaf at the level
 * asked (0 = 4 KiB, 1 = 2 MiB, 2 = 1 GiB, 3 = 512 GiB in Sv48), creating the intermediate tables.
 */
export class PageTables {
  readonly levels: number;
  readonly root: number;
  private next: number;

  constructor(private readonly ram: GuestRam, readonly mode: 'sv39' | 'sv48', pool: number) {
    this.levels = mode === 'sv39' ? 3 : 4;
    this.next = pool;
    this.root = this.alloc();
  }

  private alloc(): number {
    const page = this.next;
    this.next += 0x1000;
    this.ram.write(page, new Uint8Array(0x1000));
    return page;
  }

  /** The satp value selecting these tables (ASID 0). */
  get satp(): bigint {
    return ((this.mode === 'sv39' ? SATP_SV39 : SATP_SV48) << 60n) | BigInt(this.root >>> 12);
  }

  /** Guest-physical address of the PTE for `va` at `level`, creating the tables above it. */
  pteAddr(va: bigint, level: number): number {
    let table = this.root;
    for (let l = this.levels - 1; l > level; l--) {
      const addr = table + Number((va >> BigInt(12 + 9 * l)) & 511n) * 8;
      let pte = peek(this.ram, addr, 8);
      if ((pte & BigInt(PTE_V)) === 0n) {
        const t = this.alloc();
        pte = (BigInt(t >>> 12) << 10n) | BigInt(PTE_V);
        poke(this.ram, addr, 8, pte);
      }
      table = Number((pte >> 10n) & ((1n << 44n) - 1n)) * 4096;
    }
    return table + Number((va >> BigInt(12 + 9 * level)) & 511n) * 8;
  }

  /** Maps `va` to the guest-physical `pa` with a leaf at `level`; returns the PTE's address. */
  map(va: bigint, pa: number | bigint, flags: number, level = 0): number {
    if (BigInt(pa) < 0n) throw new RangeError(`negative physical address ${pa}`);
    const addr = this.pteAddr(va, level);
    poke(this.ram, addr, 8, ((BigInt(pa) >> 12n) << 10n) | BigInt(flags));
    return addr;
  }

  /** Writes a raw PTE value for `va` at `level`. */
  setPte(va: bigint, level: number, pte: bigint): number {
    const addr = this.pteAddr(va, level);
    poke(this.ram, addr, 8, pte);
    return addr;
  }

  pte(addr: number): bigint {
    return peek(this.ram, addr, 8);
  }
}

/** Installs satp directly (as the hypervisor layer would on entry) and resynchronises the MMU. */
export function setSatp(h: Hart, v: bigint): void {
  h.csr.satpLo = Number(v & 0xffff_ffffn) | 0;
  h.csr.satpHi = Number((v >> 32n) & 0xffff_ffffn) | 0;
  h.syncMmu();
}
