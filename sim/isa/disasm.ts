import { decode, Decoded } from './decoder.js';
import { ILLEGAL } from './table.js';

/**
 * The disassembler, driven by the same table as the decoder: a row's format says how to print its operands.
 * Output follows GNU objdump's conventions (ABI register names, the usual aliases such as li, mv, ret, beqz,
 * csrr), so that what exit logs, dumps, gdb and the web UI show reads like the toolchain's own listings; branch
 * and jump targets are absolute addresses.
 */
export const ABI_NAMES: readonly string[] = [
  'zero', 'ra', 'sp', 'gp', 'tp', 't0', 't1', 't2', 's0', 's1', 'a0', 'a1', 'a2', 'a3', 'a4', 'a5',
  'a6', 'a7', 's2', 's3', 's4', 's5', 's6', 's7', 's8', 's9', 's10', 's11', 't3', 't4', 't5', 't6',
];

export const CSR_NAMES: Readonly<Record<number, string>> = {
  0x001: 'fflags', 0x002: 'frm', 0x003: 'fcsr', 0x015: 'seed',
  0x100: 'sstatus', 0x104: 'sie', 0x105: 'stvec', 0x106: 'scounteren', 0x10a: 'senvcfg',
  0x140: 'sscratch', 0x141: 'sepc', 0x142: 'scause', 0x143: 'stval', 0x144: 'sip', 0x14d: 'stimecmp', 0x180: 'satp',
  0xc00: 'cycle', 0xc01: 'time', 0xc02: 'instret',
};

export const FP_ABI_NAMES: readonly string[] = [
  'ft0', 'ft1', 'ft2', 'ft3', 'ft4', 'ft5', 'ft6', 'ft7', 'fs0', 'fs1', 'fa0', 'fa1', 'fa2', 'fa3', 'fa4', 'fa5',
  'fa6', 'fa7', 'fs2', 'fs3', 'fs4', 'fs5', 'fs6', 'fs7', 'fs8', 'fs9', 'fs10', 'fs11', 'ft8', 'ft9', 'ft10', 'ft11',
];

const x = (r: number): string => ABI_NAMES[r];
const ROUNDING = ['rne', 'rtz', 'rdn', 'rup', 'rmm', 'rm5', 'rm6', 'dyn'];
/** Conversions that cannot round: objdump never prints their rm field. */
const EXACT_CONVERSIONS = new Set(['fcvt.d.w', 'fcvt.d.wu', 'fcvt.d.s']);

/** An F/D instruction: operands from the row's register files, then the rounding mode unless dynamic. */
function formatFp(d: Decoded): string {
  const { row } = d;
  const files = row.files ?? '';
  const name = (i: number, r: number): string => (files[i] === 'f' ? FP_ABI_NAMES[r] : ABI_NAMES[r]);
  if (row.format === 'L') return `${row.name} ${name(0, d.rd)},${d.imm}(${x(d.rs1)})`;
  if (row.format === 'S') return `${row.name} ${name(2, d.rs2)},${d.imm}(${x(d.rs1)})`;
  const regs = [name(0, d.rd), name(1, d.rs1)];
  if (row.format === 'FR' || row.format === 'FR4' || row.format === 'FRN') regs.push(name(2, d.rs2));
  if (row.format === 'FR4') regs.push(name(3, d.rs3));
  const hasRm = row.format === 'FR' || row.format === 'FR4' || row.format === 'FR1';
  if (hasRm && d.rm !== 7 && !EXACT_CONVERSIONS.has(row.name)) regs.push(ROUNDING[d.rm]);
  return `${row.name} ${regs.join(',')}`;
}

const FP_CSR_ALIASES: Readonly<Record<number, [string, string]>> = {
  0x001: ['frflags', 'fsflags'], 0x002: ['frrm', 'fsrm'], 0x003: ['frcsr', 'fscsr'],
};
const hex = (v: bigint): string => `0x${v.toString(16)}`;
const csrName = (n: number): string => CSR_NAMES[n] ?? `0x${n.toString(16)}`;
const MASK64 = (1n << 64n) - 1n;

function target(pc: bigint, imm: number): string {
  return hex((pc + BigInt(imm)) & MASK64);
}

const FENCE_BITS = (v: number): string => ['i', 'o', 'r', 'w'].filter((_, i) => (v >> (3 - i)) & 1).join('') || '0';

function ordering(rm: number): string {
  return ['', '.rl', '.aq', '.aqrl'][rm & 3];
}

/** One instruction as text. `pc` places pc-relative targets. */
export function disassemble(bits: number, pc: bigint = 0n): string {
  return formatDecoded(decode(bits), pc);
}

export function formatDecoded(d: Decoded, pc: bigint = 0n): string {
  const { row, rd, rs1, rs2, imm } = d;
  const name = row.name;
  const op = (mnemonic: string, operands = ''): string => (operands === '' ? mnemonic : `${mnemonic} ${operands}`);
  if (row === ILLEGAL) return d.bits === 0 ? 'unimp' : op(d.len === 2 ? '.short' : '.word', `0x${(d.bits >>> 0).toString(16).padStart(d.len * 2, '0')}`);
  const alias = aliasOf(d, pc);
  if (alias !== null) return alias;
  if (row.files !== undefined) return formatFp(d);
  switch (row.format) {
    case 'R': return op(name, `${x(rd)},${x(rs1)},${x(rs2)}`);
    case 'R1': return op(name, `${x(rd)},${x(rs1)}`);
    case 'I': return op(name, `${x(rd)},${x(rs1)},${imm}`);
    case 'SH6': case 'SH5': return op(name, `${x(rd)},${x(rs1)},0x${imm.toString(16)}`);
    case 'L': case 'JALR': return op(name, `${x(rd)},${imm}(${x(rs1)})`);
    case 'S': return op(name, `${x(rs2)},${imm}(${x(rs1)})`);
    case 'B': return op(name, `${x(rs1)},${x(rs2)},${target(pc, imm)}`);
    case 'U': return op(name, `${x(rd)},0x${((imm >>> 12) & 0xfffff).toString(16)}`);
    case 'J': return op(name, `${x(rd)},${target(pc, imm)}`);
    case 'CSR': return op(name, `${x(rd)},${csrName(imm)},${x(rs1)}`);
    case 'CSRI': return op(name, `${x(rd)},${csrName(imm)},${rs1}`);
    case 'AMO': return op(name + ordering(d.rm), `${x(rd)},${x(rs2)},(${x(rs1)})`);
    case 'LR': return op(name + ordering(d.rm), `${x(rd)},(${x(rs1)})`);
    case 'FENCE': return op(name, `${FENCE_BITS(d.rs2)},${FENCE_BITS(d.rs1)}`);
    case 'SFENCE': return op(name, rs2 !== 0 ? `${x(rs1)},${x(rs2)}` : rs1 !== 0 ? x(rs1) : '');
    case 'N': return name;
    default: return formatFp(d);
  }
}

const COUNTER_ALIASES: Readonly<Record<number, string>> = { 0xc00: 'rdcycle', 0xc01: 'rdtime', 0xc02: 'rdinstret' };

/** The assembler's pseudo-instructions that objdump prints in place of the base form. */
function aliasOf(d: Decoded, pc: bigint): string | null {
  const { rd, rs1, rs2, imm } = d;
  switch (d.row.name) {
    case 'addi':
      if (rd === 0 && rs1 === 0 && imm === 0) return 'nop';
      if (rs1 === 0) return `li ${x(rd)},${imm}`;
      if (imm === 0) return `mv ${x(rd)},${x(rs1)}`;
      return null;
    case 'addiw': return imm === 0 ? `sext.w ${x(rd)},${x(rs1)}` : null;
    case 'xori': return imm === -1 ? `not ${x(rd)},${x(rs1)}` : null;
    case 'andi': return imm === 255 ? `zext.b ${x(rd)},${x(rs1)}` : null;
    case 'sltiu': return imm === 1 ? `seqz ${x(rd)},${x(rs1)}` : null;
    case 'add': return rs1 === 0 ? `mv ${x(rd)},${x(rs2)}` : null;
    case 'sub': return rs1 === 0 ? `neg ${x(rd)},${x(rs2)}` : null;
    case 'subw': return rs1 === 0 ? `negw ${x(rd)},${x(rs2)}` : null;
    case 'sltu': return rs1 === 0 ? `snez ${x(rd)},${x(rs2)}` : null;
    case 'slt':
      if (rs2 === 0) return `sltz ${x(rd)},${x(rs1)}`;
      if (rs1 === 0) return `sgtz ${x(rd)},${x(rs2)}`;
      return null;
    case 'beq': return rs2 === 0 ? `beqz ${x(rs1)},${target(pc, imm)}` : null;
    case 'bne': return rs2 === 0 ? `bnez ${x(rs1)},${target(pc, imm)}` : null;
    case 'bge':
      if (rs1 === 0) return `blez ${x(rs2)},${target(pc, imm)}`;
      if (rs2 === 0) return `bgez ${x(rs1)},${target(pc, imm)}`;
      return null;
    case 'blt':
      if (rs2 === 0) return `bltz ${x(rs1)},${target(pc, imm)}`;
      if (rs1 === 0) return `bgtz ${x(rs2)},${target(pc, imm)}`;
      return null;
    case 'jal':
      if (rd === 0) return `j ${target(pc, imm)}`;
      if (rd === 1) return `jal ${target(pc, imm)}`;
      return null;
    case 'jalr':
      if (rd === 0 && rs1 === 1 && imm === 0) return 'ret';
      if (rd === 0 && imm === 0) return `jr ${x(rs1)}`;
      if (rd === 1 && imm === 0) return `jalr ${x(rs1)}`;
      return null;
    case 'fsgnj.s': case 'fsgnj.d': case 'fsgnjn.s': case 'fsgnjn.d': case 'fsgnjx.s': case 'fsgnjx.d': {
      if (rs1 !== rs2) return null;
      const [base, fmt] = [d.row.name.slice(0, -2), d.row.name.slice(-1)];
      const mnemonic = base === 'fsgnj' ? 'fmv' : base === 'fsgnjn' ? 'fneg' : 'fabs';
      return `${mnemonic}.${fmt} ${FP_ABI_NAMES[rd]},${FP_ABI_NAMES[rs1]}`;
    }
    case 'csrrs':
      if (rs1 === 0 && FP_CSR_ALIASES[d.imm] !== undefined) return `${FP_CSR_ALIASES[d.imm][0]} ${x(rd)}`;
      if (rs1 === 0 && COUNTER_ALIASES[d.imm] !== undefined) return `${COUNTER_ALIASES[d.imm]} ${x(rd)}`;
      if (rs1 === 0) return `csrr ${x(rd)},${csrName(imm)}`;
      return rd === 0 ? `csrs ${csrName(imm)},${x(rs1)}` : null;
    case 'csrrw':
      if (FP_CSR_ALIASES[d.imm] !== undefined) return `${FP_CSR_ALIASES[d.imm][1]} ${rd === 0 ? '' : `${x(rd)},`}${x(rs1)}`;
      return rd === 0 ? `csrw ${csrName(imm)},${x(rs1)}` : null;
    case 'csrrc': return rd === 0 ? `csrc ${csrName(imm)},${x(rs1)}` : null;
    case 'csrrwi':
      if (FP_CSR_ALIASES[d.imm] !== undefined && d.imm !== 0x003) return `${FP_CSR_ALIASES[d.imm][1]}i ${rd === 0 ? '' : `${x(rd)},`}${rs1}`;
      return rd === 0 ? `csrw ${csrName(imm)},${rs1}` : null;
    case 'csrrsi': return rd === 0 ? `csrs ${csrName(imm)},${rs1}` : null;
    case 'csrrci': return rd === 0 ? `csrc ${csrName(imm)},${rs1}` : null;
    case 'add.uw': return rs2 === 0 ? `zext.w ${x(rd)},${x(rs1)}` : null;
    // Zihintpause's pause is the fence hint pred=w, succ=0 with fm, rd and rs1 zero (objdump names that word only).
    case 'fence': return d.rs2 === 15 && d.rs1 === 15 ? 'fence' : d.bits === 0x0100000f ? 'pause' : null;
    default: return null;
  }
}
