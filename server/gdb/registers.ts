/**
 * The registers gdb sees and how they are numbered: the target description (qXfer:features:read:target.xml) with
 * gdb's RISC-V features, and the mapping from a register number in `p`/`P`/`g` packets to a guest value.
 *
 * Numbering follows gdb's own for RISC-V (gdb/arch/riscv.h), so a number means the same thing in our packets and in
 * gdb's `maint print remote-registers`: x0..x31 are 0..31, the pc 32, the FPU's f0..f31 33..64, a CSR is 65 + its
 * CSR number (sstatus 0x100 is 321, fflags 0x001 is 66), and the virtual `priv` register is 65 + 4096 = 4161.
 *
 * A machine with F/D adds org.gnu.gdb.riscv.fpu as gdb's own 64bit-fpu.xml lays it out (and QEMU serves it): f0..f31
 * named ft0.. as objdump names them, each a union of a single (the low 32 bits) and a double, since gdb cannot know
 * which one the register holds; then fflags, frm and fcsr, 32 bits wide, at their CSR numbers.
 */
import type { RequestBody } from '../../client-sdk/index.js';
import { FP_ABI_NAMES } from '../cli/fp-value.js';

/** The guest's registers at one place, as the target adapters read them. */
export interface GuestRegisters {
  /** x0..x31. */
  x: bigint[];
  pc: bigint;
  /** The guest's privilege as gdb's `priv` encodes it: 0 U, 1 S (the guest's VU/VS modes). */
  priv: number;
  /** The CSRs the guest sees, by name; a CSR left out reads as unavailable. */
  csr: Partial<Record<CsrName, bigint>>;
  /** f0..f31 as raw 64-bit patterns, on a machine with F/D. */
  f?: bigint[];
  /** frm << 5 | fflags, on a machine with F/D. */
  fcsr?: number;
}

/** The supervisor CSRs a VS-mode guest sees (really the vs* set), and the counters it may read. */
export const CSR_NUMBERS = {
  sstatus: 0x100, sie: 0x104, stvec: 0x105, scounteren: 0x106, senvcfg: 0x10a, sscratch: 0x140, sepc: 0x141,
  scause: 0x142, stval: 0x143, sip: 0x144, satp: 0x180, cycle: 0xc00, time: 0xc01, instret: 0xc02,
} as const;
export type CsrName = keyof typeof CSR_NUMBERS;

export const PC_REGNUM = 32;
export const FIRST_FPR_REGNUM = 33;
export const FIRST_CSR_REGNUM = 65;
const FFLAGS_REGNUM = FIRST_CSR_REGNUM + 0x001, FRM_REGNUM = FIRST_CSR_REGNUM + 0x002, FCSR_REGNUM = FIRST_CSR_REGNUM + 0x003;
export const PRIV_REGNUM = FIRST_CSR_REGNUM + 4096;
/** What a `g` packet holds: x0..x31 and the pc. The rest gdb reads one at a time with `p`. */
export const G_PACKET_REGISTERS = 33;
export const XLEN_BYTES = 8;

interface RegisterDef {
  name: string;
  regnum: number;
  type: 'int' | 'code_ptr' | 'data_ptr' | 'riscv_double';
  /** Bytes in a p/P packet: XLEN unless said otherwise (fflags, frm and fcsr are 32 bits, as in gdb's own XML). */
  bytes?: number;
  feature: string;
  group?: string;
  read(r: GuestRegisters): bigint | undefined;
}

const ABI_NAMES = [
  'zero', 'ra', 'sp', 'gp', 'tp', 't0', 't1', 't2', 'fp', 's1', 'a0', 'a1', 'a2', 'a3', 'a4', 'a5',
  'a6', 'a7', 's2', 's3', 's4', 's5', 's6', 's7', 's8', 's9', 's10', 's11', 't3', 't4', 't5', 't6',
];

const CPU = 'org.gnu.gdb.riscv.cpu';
const FPU = 'org.gnu.gdb.riscv.fpu';
const CSR = 'org.gnu.gdb.riscv.csr';
const VIRTUAL = 'org.gnu.gdb.riscv.virtual';

const CPU_REGISTERS: RegisterDef[] = [
  ...ABI_NAMES.map((name, i): RegisterDef => ({
    name, regnum: i, feature: CPU,
    type: i === 1 ? 'code_ptr' : i >= 2 && i <= 4 ? 'data_ptr' : 'int',
    read: (r) => r.x[i],
  })),
  { name: 'pc', regnum: PC_REGNUM, type: 'code_ptr', feature: CPU, read: (r) => r.pc },
];

const fcsrField = (r: GuestRegisters, shift: number, mask: number) => (r.fcsr === undefined ? undefined : BigInt((r.fcsr >> shift) & mask));

/** org.gnu.gdb.riscv.fpu: f0..f31 at 33..64, fflags/frm/fcsr at 66..68 (65 + their CSR numbers). */
const FPU_REGISTERS: RegisterDef[] = [
  ...FP_ABI_NAMES.map((name, i): RegisterDef => ({
    name, regnum: FIRST_FPR_REGNUM + i, type: 'riscv_double', feature: FPU, group: 'float', read: (r) => r.f?.[i],
  })),
  { name: 'fflags', regnum: FFLAGS_REGNUM, type: 'int', bytes: 4, feature: FPU, group: 'float', read: (r) => fcsrField(r, 0, 0x1f) },
  { name: 'frm', regnum: FRM_REGNUM, type: 'int', bytes: 4, feature: FPU, group: 'float', read: (r) => fcsrField(r, 5, 7) },
  { name: 'fcsr', regnum: FCSR_REGNUM, type: 'int', bytes: 4, feature: FPU, group: 'float', read: (r) => fcsrField(r, 0, 0xff) },
];

const CSR_REGISTERS: RegisterDef[] = (Object.keys(CSR_NUMBERS) as CsrName[]).map((name) => ({
  name, regnum: FIRST_CSR_REGNUM + CSR_NUMBERS[name], type: 'int', feature: CSR, group: 'csr', read: (r) => r.csr[name],
}));

const VIRTUAL_REGISTERS: RegisterDef[] = [
  { name: 'priv', regnum: PRIV_REGNUM, type: 'int', feature: VIRTUAL, group: 'system', read: (r) => BigInt(r.priv) },
];

const REGISTERS: RegisterDef[] = [...CPU_REGISTERS, ...FPU_REGISTERS, ...CSR_REGISTERS, ...VIRTUAL_REGISTERS];
const BY_REGNUM = new Map(REGISTERS.map((r) => [r.regnum, r]));

/** Whether gdb's number names a register of ours. */
export function isRegister(regnum: number): boolean {
  return BY_REGNUM.has(regnum);
}

/** How many bytes the register takes in a p or P packet. */
export function registerBytes(regnum: number): number {
  return BY_REGNUM.get(regnum)?.bytes ?? XLEN_BYTES;
}

/** Whether gdb may write the register (P): x1..x31, the pc and the FPU's; x0 takes writes and drops them. */
export function isWritableRegister(regnum: number): boolean {
  return regnum <= PC_REGNUM || BY_REGNUM.get(regnum)?.feature === FPU;
}

/**
 * The request that writes gdb's register `regnum` (x1..x31, the pc, f0..f31, fflags, frm, fcsr), or null for one
 * that cannot be written. fflags and frm are fields of fcsr: the rest of it keeps its value in `regs`.
 */
export function writeRequest(regs: GuestRegisters, regnum: number, value: bigint): RequestBody | null {
  if (regnum >= 1 && regnum < PC_REGNUM) return { op: 'set-reg', reg: regnum, value };
  if (regnum === PC_REGNUM) return { op: 'set-pc', value };
  if (regnum >= FIRST_FPR_REGNUM && regnum < FIRST_FPR_REGNUM + 32) return { op: 'set-freg', reg: regnum - FIRST_FPR_REGNUM, value };
  const fcsr = regs.fcsr ?? 0, v = Number(value & 0xffn);
  switch (regnum) {
    case FFLAGS_REGNUM: return { op: 'set-fcsr', value: (fcsr & ~0x1f) | (v & 0x1f) };
    case FRM_REGNUM: return { op: 'set-fcsr', value: (fcsr & 0x1f) | ((v & 7) << 5) };
    case FCSR_REGNUM: return { op: 'set-fcsr', value: v };
    default: return null;
  }
}

/** A register's value, or undefined when it is unavailable here (gdb shows `<unavailable>`). */
export function registerValue(regs: GuestRegisters, regnum: number): bigint | undefined {
  return BY_REGNUM.get(regnum)?.read(regs);
}

/** gdb's type for an f register when FLEN is 64: it shows both readings, `{float = 1.5, double = 5.3e-315}`. */
const FPU_TYPES = [
  '    <union id="riscv_double">',
  '      <field name="float" type="ieee_single"/>',
  '      <field name="double" type="ieee_double"/>',
  '    </union>',
];

/** The target description gdb asks for with qXfer:features:read:target.xml; the FPU feature only for a machine with F/D. */
export function targetDescription(hasFpu: boolean): string {
  const features = new Map<string, RegisterDef[]>();
  for (const r of REGISTERS) {
    if (r.feature === FPU && !hasFpu) continue;
    features.set(r.feature, [...(features.get(r.feature) ?? []), r]);
  }
  const body = [...features].map(([name, regs]) => {
    const lines = regs.map((r) => {
      const group = r.group !== undefined ? ` group="${r.group}"` : '';
      // gdb must not restore CSRs and priv around an inferior call: they are not writable through P.
      const saved = r.feature === CPU || r.feature === FPU ? '' : ' save-restore="no"';
      return `    <reg name="${r.name}" bitsize="${(r.bytes ?? XLEN_BYTES) * 8}" type="${r.type}" regnum="${r.regnum}"${group}${saved}/>`;
    });
    const types = name === FPU ? FPU_TYPES : [];
    return `  <feature name="${name}">\n${[...types, ...lines].join('\n')}\n  </feature>`;
  });
  return [
    '<?xml version="1.0"?>',
    '<!DOCTYPE target SYSTEM "gdb-target.dtd">',
    '<target version="1.0">',
    '  <architecture>riscv:rv64</architecture>',
    ...body,
    '</target>',
    '',
  ].join('\n');
}
