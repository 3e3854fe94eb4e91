import { decode, transformedInsn } from '../isa/index.js';

/** A load or store decoded from a trapping instruction, as kvm_riscv_vcpu_mmio_load/store decode it. */
export interface MmioAccess {
  isWrite: boolean;
  len: 1 | 2 | 4 | 8;
  /** Loads: whether the value is sign-extended (LB, LH, LW) — see completeMmioLoad. */
  signed: boolean;
  /** rd for loads, rs2 for stores. */
  reg: number;
  /** Length of the trapping instruction, to step over it. */
  insnLen: 2 | 4;
}

/**
 * Decodes a transformed instruction (htinst). Bit 1 tells a 32-bit original (1) from a compressed one (0); the
 * width and signedness come from funct3. Returns null for anything that is not a plain load or store (AMOs,
 * LR/SC, garbage): the kernel fails those with -EOPNOTSUPP, which becomes an internal-error exit here.
 */
export function decodeMmioInsn(htinst: number): MmioAccess | null {
  const opcode = htinst & 0x7f & ~2;
  const insnLen = (htinst & 2) !== 0 ? 4 : 2;
  const f3 = (htinst >>> 12) & 7;
  if (opcode === 0x01) {
    if (f3 === 7) return null;
    return { isWrite: false, len: (1 << (f3 & 3)) as 1 | 2 | 4 | 8, signed: f3 < 3, reg: (htinst >>> 7) & 31, insnLen };
  }
  if (opcode === 0x21) {
    if (f3 > 3) return null;
    return { isWrite: true, len: (1 << f3) as 1 | 2 | 4 | 8, signed: false, reg: (htinst >>> 20) & 31, insnLen };
  }
  return null;
}

/** When the hardware gave no htinst, the kernel reads the instruction from guest memory and transforms it. */
export function transformFromBits(bits: number): number {
  return transformedInsn(decode(bits));
}

/**
 * The value an MMIO load writes to rd. The ISA sign-extends LB/LH/LW and zero-extends LBU/LHU/LWU; Linux's
 * kvm_riscv_vcpu_mmio_return zero-extends every width narrower than 64 bits (it casts data through an unsigned
 * type), so a guest would see 0x80 instead of 0xffff...ff80 for an LB. hindsight follows the ISA.
 */
export function mmioLoadValue(access: MmioAccess, data: Uint8Array): { lo: number; hi: number } {
  let lo = 0, hi = 0;
  for (let i = 0; i < access.len; i++) {
    if (i < 4) lo |= data[i] << (8 * i);
    else hi |= data[i] << (8 * (i - 4));
  }
  if (access.len < 4) {
    const shift = 32 - 8 * access.len;
    lo = access.signed ? (lo << shift) >> shift : lo & ((1 << (8 * access.len)) - 1);
  }
  if (access.len <= 4) hi = access.signed ? lo >> 31 : 0;
  return { lo: lo | 0, hi: hi | 0 };
}
