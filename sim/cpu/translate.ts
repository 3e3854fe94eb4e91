import { Insn, transformedInsn } from './decode.js';

/**
 * The translator: a basic block of decoded instructions becomes the source of one JavaScript function, which V8
 * compiles and optimizes like any hot code. This is the only implementation of the instructions' semantics: a
 * single step is a block of length one.
 *
 * Conventions inside a block function:
 * - `R` is the register file, an Int32Array with x[i] in R[2i] (low half) and R[2i+1] (high half).
 * - The function returns how many instructions it retired and leaves the next pc in h.pcLo/h.pcHi. A trap stops
 *   it at the trapping instruction (not retired) with the trap pending on the hart.
 * - Memory accesses try the TLB inline (tag compare folds the alignment check in) and fall back to the MMU.
 * - Blocks end at jumps, system instructions, CSR accesses and page ends; conditional branches leave through a
 *   side exit when taken and continue when not (superblocks), so loops run without returning to the dispatcher.
 */

/** The names a block function sees, in order; the factory built from them is called once per block. */
export const BLOCK_PARAMS = ['h', 'R', 'M', 'X', 'I', 'O', 'u8', 'i8', 'u16', 'i16', 'i32', 'tRl', 'tRh', 'tRo', 'tWl', 'tWh', 'tWo'];

export interface PcPair { lo: number; hi: number }

export function addToPc(pc: PcPair, delta: number): PcPair {
  const lo = (pc.lo + delta) | 0;
  const carry = delta >= 0 ? ((lo >>> 0) < (pc.lo >>> 0) ? 1 : 0) : ((lo >>> 0) > (pc.lo >>> 0) ? -1 : 0);
  return { lo, hi: (pc.hi + carry) | 0 };
}

const lo = (r: number): string => (r === 0 ? '0' : `R[${2 * r}]`);
const hi = (r: number): string => (r === 0 ? '0' : `R[${2 * r + 1}]`);

/** Writes t (low) and u (high) to rd; x0 is never written. */
const setTU = (rd: number): string => (rd === 0 ? '' : `R[${2 * rd}]=t;R[${2 * rd + 1}]=u;`);
/** Writes a sign-extended 32-bit result held in t. */
const setW = (rd: number): string => (rd === 0 ? '' : `R[${2 * rd}]=t;R[${2 * rd + 1}]=t>>31;`);
const setConst = (rd: number, l: number, h: number): string => (rd === 0 ? '' : `R[${2 * rd}]=${l | 0};R[${2 * rd + 1}]=${h | 0};`);

/** Effective address of base register + immediate into l (low) and hh (high). */
function address(rs1: number, imm: number): string {
  const immHi = imm < 0 ? -1 : 0;
  if (rs1 === 0) return `l=${imm | 0};hh=${immHi};`;
  if (imm === 0) return `l=${lo(rs1)};hh=${hi(rs1)};`;
  return `c=${lo(rs1)};l=(c+${imm | 0})|0;hh=(${hi(rs1)}+${immHi}+((l>>>0)<(c>>>0)?1:0))|0;`;
}

/** Code for a 64-bit shift of (a, ah) by the amount in c, into t/u. */
function shift64(kind: 'sll' | 'srl' | 'sra', a: string, ah: string): string {
  switch (kind) {
    case 'sll':
      return `if(c===0){t=${a};u=${ah};}else if(c<32){u=(${ah}<<c)|(${a}>>>(32-c));t=${a}<<c;}else{u=${a}<<(c-32);t=0;}`;
    case 'srl':
      return `if(c===0){t=${a};u=${ah};}else if(c<32){t=(${a}>>>c)|(${ah}<<(32-c));u=(${ah}>>>c)|0;}else{t=(${ah}>>>(c-32))|0;u=0;}`;
    case 'sra':
      return `if(c===0){t=${a};u=${ah};}else if(c<32){t=(${a}>>>c)|(${ah}<<(32-c));u=${ah}>>c;}else{t=${ah}>>(c-32);u=${ah}>>31;}`;
  }
}

/** The same with a constant amount, resolved at translation time. */
function shiftConst(kind: 'sll' | 'srl' | 'sra', a: string, ah: string, s: number): string {
  if (s === 0) return `t=${a};u=${ah};`;
  if (kind === 'sll') return s < 32 ? `u=(${ah}<<${s})|(${a}>>>${32 - s});t=${a}<<${s};` : `u=${a}<<${s - 32};t=0;`;
  if (kind === 'srl') return s < 32 ? `t=(${a}>>>${s})|(${ah}<<${32 - s});u=(${ah}>>>${s})|0;` : `t=(${ah}>>>${s - 32})|0;u=0;`;
  return s < 32 ? `t=(${a}>>>${s})|(${ah}<<${32 - s});u=${ah}>>${s};` : `t=${ah}>>${s - 32};u=${ah}>>31;`;
}

const ult = (a: string, b: string): string => `((${a})>>>0)<((${b})>>>0)`;
/** Signed 64-bit a < b. */
const slt64 = (a: string, ah: string, b: string, bh: string): string => `(${ah}<${bh}||(${ah}===${bh}&&${ult(a, b)}))`;
const sltu64 = (a: string, ah: string, b: string, bh: string): string => `(${ult(ah, bh)}||(${ah}===${bh}&&${ult(a, b)}))`;

const LOAD_TAG_MASK = [-4096, -4095, -4093, -4089, -4096, -4095, -4093];

function branchCond(insn: Insn): string {
  const a = lo(insn.rs1), ah = hi(insn.rs1), b = lo(insn.rs2), bh = hi(insn.rs2);
  switch (insn.op) {
    case 'beq': return `${a}===${b}&&${ah}===${bh}`;
    case 'bne': return `${a}!==${b}||${ah}!==${bh}`;
    case 'blt': return slt64(a, ah, b, bh);
    case 'bge': return `!${slt64(a, ah, b, bh)}`;
    case 'bltu': return sltu64(a, ah, b, bh);
    default: return `!${sltu64(a, ah, b, bh)}`;
  }
}

export function isBranch(insn: Insn): boolean {
  return insn.op === 'beq' || insn.op === 'bne' || insn.op === 'blt' || insn.op === 'bge' || insn.op === 'bltu' || insn.op === 'bgeu';
}

/** Whether the instruction must be the last of its block. */
export function endsBlock(insn: Insn): boolean {
  switch (insn.op) {
    case 'jal': case 'jalr': case 'ecall': case 'ebreak': case 'sret': case 'wfi': case 'sfence.vma':
    case 'fence.i': case 'csr': case 'illegal':
      return true;
    default:
      return false;
  }
}

/**
 * Source for one instruction. `k` is its index in the block (= instructions retired before it), `j` its index in
 * the block's instruction array X (for helpers that need the decoded record), pc its address.
 */
export function translateInsn(insn: Insn, k: number, j: number, pc: PcPair): string {
  const { rd, rs1, rs2, imm } = insn;
  const next = addToPc(pc, insn.len);
  const a = lo(rs1), ah = hi(rs1), b = lo(rs2), bh = hi(rs2);
  const immHi = imm < 0 ? -1 : 0;
  const at = `${pc.lo},${pc.hi}`;
  const exitTo = (p: PcPair, n: number): string => `h.pcLo=${p.lo};h.pcHi=${p.hi};return ${n};`;
  const fault = `return h.memFault(${k},${at},${transformedInsn(insn) | 0});`;
  if (rd === 0 && isPureAlu(insn)) return '';
  switch (insn.op) {
    case 'lui': return setConst(rd, imm, imm >> 31);
    case 'auipc': {
      const v = addToPc(pc, imm);
      return setConst(rd, v.lo, v.hi);
    }
    case 'addi':
      if (rs1 === 0) return setConst(rd, imm, immHi);
      if (imm === 0) return `t=${a};u=${ah};${setTU(rd)}`;
      return `c=${a};t=(c+${imm})|0;u=(${ah}+${immHi}+((t>>>0)<(c>>>0)?1:0))|0;${setTU(rd)}`;
    case 'slti': return `t=${slt64(a, ah, String(imm), String(immHi))}?1:0;u=0;${setTU(rd)}`;
    case 'sltiu': return `t=${sltu64(a, ah, String(imm), String(immHi))}?1:0;u=0;${setTU(rd)}`;
    case 'xori': return `t=${a}^${imm};u=${ah}^${immHi};${setTU(rd)}`;
    case 'ori': return `t=${a}|${imm};u=${ah}|${immHi};${setTU(rd)}`;
    case 'andi': return `t=${a}&${imm};u=${ah}&${immHi};${setTU(rd)}`;
    case 'slli': return shiftConst('sll', a, ah, imm) + setTU(rd);
    case 'srli': return shiftConst('srl', a, ah, imm) + setTU(rd);
    case 'srai': return shiftConst('sra', a, ah, imm) + setTU(rd);
    case 'addiw': return `t=(${a}+${imm})|0;${setW(rd)}`;
    case 'slliw': return `t=${a}<<${imm};${setW(rd)}`;
    case 'srliw': return `t=(${a}>>>${imm})|0;${setW(rd)}`;
    case 'sraiw': return `t=${a}>>${imm};${setW(rd)}`;
    case 'add':
      return `c=${a};t=(c+${b})|0;u=(${ah}+${bh}+((t>>>0)<(c>>>0)?1:0))|0;${setTU(rd)}`;
    case 'sub':
      return `c=${a};o=${b};t=(c-o)|0;u=(${ah}-${bh}-((c>>>0)<(o>>>0)?1:0))|0;${setTU(rd)}`;
    case 'sll': return `c=${b}&63;${shift64('sll', a, ah)}${setTU(rd)}`;
    case 'srl': return `c=${b}&63;${shift64('srl', a, ah)}${setTU(rd)}`;
    case 'sra': return `c=${b}&63;${shift64('sra', a, ah)}${setTU(rd)}`;
    case 'slt': return `t=${slt64(a, ah, b, bh)}?1:0;u=0;${setTU(rd)}`;
    case 'sltu': return `t=${sltu64(a, ah, b, bh)}?1:0;u=0;${setTU(rd)}`;
    case 'xor': return `t=${a}^${b};u=${ah}^${bh};${setTU(rd)}`;
    case 'or': return `t=${a}|${b};u=${ah}|${bh};${setTU(rd)}`;
    case 'and': return `t=${a}&${b};u=${ah}&${bh};${setTU(rd)}`;
    case 'addw': return `t=(${a}+${b})|0;${setW(rd)}`;
    case 'subw': return `t=(${a}-${b})|0;${setW(rd)}`;
    case 'sllw': return `t=${a}<<(${b}&31);${setW(rd)}`;
    case 'srlw': return `t=(${a}>>>(${b}&31))|0;${setW(rd)}`;
    case 'sraw': return `t=${a}>>(${b}&31);${setW(rd)}`;
    case 'mul': case 'mulh': case 'mulhsu': case 'mulhu': case 'div': case 'divu': case 'rem': case 'remu': {
      const fn = insn.op === 'rem' ? 'remS' : insn.op;
      return `t=I.${fn}(${a},${ah},${b},${bh});u=O.hi;${setTU(rd)}`;
    }
    case 'mulw': return `t=Math.imul(${a},${b});${setW(rd)}`;
    case 'divw': case 'divuw': case 'remw': case 'remuw': return `t=I.${insn.op}(${a},${b});${setW(rd)}`;
    case 'beq': case 'bne': case 'blt': case 'bge': case 'bltu': case 'bgeu': {
      const target = addToPc(pc, imm);
      return `if(${branchCond(insn)}){${exitTo(target, k + 1)}}`;
    }
    case 'jal': {
      const target = addToPc(pc, imm);
      return setConst(rd, next.lo, next.hi) + exitTo(target, k + 1);
    }
    case 'jalr':
      // Read the base before writing rd: they may be the same register.
      return `${address(rs1, imm)}${setConst(rd, next.lo, next.hi)}h.pcLo=l&-2;h.pcHi=hh;return ${k + 1};`;
    case 'load': {
      const f3 = insn.funct3;
      const mask = LOAD_TAG_MASK[f3];
      const read = loadFromRam(f3);
      const write = rd === 0 ? '' : `R[${2 * rd}]=t;R[${2 * rd + 1}]=u;`;
      return `${address(rs1, imm)}i=(l>>>12)&1023;` +
        `if(tRl[i]===(l&${mask})&&tRh[i]===hh){o=tRo[i]+(l&4095);${read}}` +
        `else{if(!M.load(l,hh,${f3})){${fault}}t=M.vlo;u=M.vhi;}${write}`;
    }
    case 'store': {
      const f3 = insn.funct3;
      const mask = LOAD_TAG_MASK[f3];
      return `${address(rs1, imm)}i=(l>>>12)&1023;` +
        `if(tWl[i]===(l&${mask})&&tWh[i]===hh){o=tWo[i]+(l&4095);${storeToRam(f3, b, bh)}}` +
        `else{c=M.store(l,hh,${f3},${b},${bh});if(c!==0){if(c===1){${fault}}${exitTo(next, k + 1)}}}`;
    }
    case 'lr':
      return `${address(rs1, 0)}if(!M.loadReserved(l,hh,${insn.funct3})){${fault}}` +
        (rd === 0 ? '' : `R[${2 * rd}]=M.vlo;R[${2 * rd + 1}]=M.vhi;`);
    case 'sc':
    case 'amo': {
      const call = insn.op === 'sc'
        ? `M.storeConditional(l,hh,${insn.funct3},${b},${bh})`
        : `M.amo(l,hh,${insn.funct3},${insn.funct5},${b},${bh})`;
      const write = rd === 0 ? '' : `R[${2 * rd}]=M.vlo;R[${2 * rd + 1}]=M.vhi;`;
      return `${address(rs1, 0)}c=${call};if(c===1){${fault}}${write}if(c===2){${exitTo(next, k + 1)}}`;
    }
    case 'fence': return '';
    case 'fence.i': return exitTo(next, k + 1);
    case 'ecall': return `return h.ecall(${k},${at});`;
    case 'ebreak': return `return h.ebreak(${k},${at});`;
    case 'sret': return `return h.sret(${k},${at});`;
    case 'wfi': return `return h.wfi(${k},${at},X[${j}]);`;
    case 'sfence.vma': return `return h.sfenceVma(${k},${at},X[${j}]);`;
    case 'csr': return `return h.csrInsn(${k},${at},X[${j}]);`;
    case 'illegal': return `return h.illegal(${k},${at},${insn.bits | 0});`;
  }
}

function isPureAlu(insn: Insn): boolean {
  switch (insn.op) {
    case 'load': case 'store': case 'lr': case 'sc': case 'amo': case 'jal': case 'jalr': case 'ecall': case 'ebreak':
    case 'sret': case 'wfi': case 'sfence.vma': case 'csr': case 'illegal': case 'fence': case 'fence.i':
    case 'beq': case 'bne': case 'blt': case 'bge': case 'bltu': case 'bgeu':
      return false;
    default:
      return true;
  }
}

function loadFromRam(f3: number): string {
  switch (f3) {
    case 0: return 't=i8[o];u=t>>31;';
    case 1: return 't=i16[o>>1];u=t>>31;';
    case 2: return 't=i32[o>>2];u=t>>31;';
    case 3: return 't=i32[o>>2];u=i32[(o>>2)+1];';
    case 4: return 't=u8[o];u=0;';
    case 5: return 't=u16[o>>1];u=0;';
    default: return 't=i32[o>>2];u=0;';
  }
}

function storeToRam(f3: number, b: string, bh: string): string {
  switch (f3) {
    case 0: return `u8[o]=${b};`;
    case 1: return `u16[o>>1]=${b};`;
    case 2: return `i32[o>>2]=${b};`;
    default: return `i32[o>>2]=${b};i32[(o>>2)+1]=${bh};`;
  }
}

/** Source of a whole block function body. */
export function translateBlock(insns: Insn[], startPc: PcPair): string {
  let body = 'let t=0,u=0,c=0,l=0,hh=0,i=0,o=0;\n';
  let pc = startPc;
  for (let k = 0; k < insns.length; k++) {
    body += translateInsn(insns[k], k, k, pc) + '\n';
    pc = addToPc(pc, insns[k].len);
  }
  const last = insns[insns.length - 1];
  if (!endsBlock(last)) body += `h.pcLo=${pc.lo};h.pcHi=${pc.hi};return ${insns.length};\n`;
  return body;
}
