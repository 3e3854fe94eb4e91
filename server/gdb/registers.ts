/**
 * The registers gdb sees and how they are numbered: the target description (qXfer:features:read:target.xml) with
 * gdb's RISC-V features, and the mapping from a register number in `p`/`P`/`g` packets to a guest value.
 *
 * Numbering follows gdb's own for RISC-V (gdb/arch/riscv.h), so a number means the same thing in our packets and in
 * gdb's `maint print remote-registers`: x0..x31 are 0..31, the pc 32, the FPU's f0..f31 33..64, a CSR is 65 + its
 * CSR number (sstatus 0x100 is 321), and the virtual `priv` register is 65 + 4096 = 4161.
 */

/** The guest's registers at one place, as the target adapters read them. */
export interface GuestRegisters {
  /** x0..x31. */
  x: bigint[];
  pc: bigint;
  /** The guest's privilege as gdb's `priv` encodes it: 0 U, 1 S (the guest's VU/VS modes). */
  priv: number;
  /** The CSRs the guest sees, by name; a CSR left out reads as unavailable. */
  csr: Partial<Record<CsrName, bigint>>;
  // F/D (issue 17): f0..f31 go here (`f?: bigint[]`) with fflags/frm/fcsr in `csr`; FPU_REGISTERS below then
  // describes them, and the org.gnu.gdb.riscv.fpu feature appears in the target description.
}

/** The supervisor CSRs a VS-mode guest sees (really the vs* set), and the counters it may read. */
export const CSR_NUMBERS = {
  sstatus: 0x100, sie: 0x104, stvec: 0x105, scounteren: 0x106, senvcfg: 0x10a, sscratch: 0x140, sepc: 0x141,
  scause: 0x142, stval: 0x143, sip: 0x144, satp: 0x180, cycle: 0xc00, time: 0xc01, instret: 0xc02,
} as const;
export type CsrName = keyof typeof CSR_NUMBERS;

export const PC_REGNUM = 32;
export const FIRST_CSR_REGNUM = 65;
export const PRIV_REGNUM = FIRST_CSR_REGNUM + 4096;
/** What a `g` packet holds: x0..x31 and the pc. The rest gdb reads one at a time with `p`. */
export const G_PACKET_REGISTERS = 33;
export const XLEN_BYTES = 8;

interface RegisterDef {
  name: string;
  regnum: number;
  type: 'int' | 'code_ptr' | 'data_ptr';
  feature: string;
  group?: string;
  read(r: GuestRegisters): bigint | undefined;
}

const ABI_NAMES = [
  'zero', 'ra', 'sp', 'gp', 'tp', 't0', 't1', 't2', 'fp', 's1', 'a0', 'a1', 'a2', 'a3', 'a4', 'a5',
  'a6', 'a7', 's2', 's3', 's4', 's5', 's6', 's7', 's8', 's9', 's10', 's11', 't3', 't4', 't5', 't6',
];

const CPU = 'org.gnu.gdb.riscv.cpu';
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

/**
 * The FPU (org.gnu.gdb.riscv.fpu: f0..f31 at 33..64, fflags/frm/fcsr at 66..68) is the one place F/D registers go
 * once the hart has them (issue 17): their definitions here, their values in GuestRegisters.
 */
const FPU_REGISTERS: RegisterDef[] = [];

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

/** A register's value, or undefined when it is unavailable here (gdb shows `<unavailable>`). */
export function registerValue(regs: GuestRegisters, regnum: number): bigint | undefined {
  return BY_REGNUM.get(regnum)?.read(regs);
}

/** The target description gdb asks for with qXfer:features:read:target.xml. */
export function targetDescription(): string {
  const features = new Map<string, RegisterDef[]>();
  for (const r of REGISTERS) features.set(r.feature, [...(features.get(r.feature) ?? []), r]);
  const body = [...features].map(([name, regs]) => {
    const lines = regs.map((r) => {
      const group = r.group !== undefined ? ` group="${r.group}"` : '';
      // gdb must not restore CSRs and priv around an inferior call: they are not writable through P.
      const saved = r.feature === CPU ? '' : ' save-restore="no"';
      return `    <reg name="${r.name}" bitsize="${XLEN_BYTES * 8}" type="${r.type}" regnum="${r.regnum}"${group}${saved}/>`;
    });
    return `  <feature name="${name}">\n${lines.join('\n')}\n  </feature>`;
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
