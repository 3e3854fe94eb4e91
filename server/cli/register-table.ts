/**
 * Registers for people, as gdb's `info registers` shows them: one per line, by ABI name (zero, ra, sp, ...), with
 * the symbol beside any value that points into the guest's code (pc, ra, sepc, stvec, ...). A machine with F/D
 * adds f0..f31 by ABI name (ft0, fs0, fa0, ...) with their raw bits and the value they hold, then fflags, frm and fcsr.
 */
import { fflagsText, FP_ABI_NAMES, fpValue, frmText } from './fp-value.js';
import type { RegisterDump } from './register-dump.js';
import { formatAddress, type Symbols } from './symbols.js';

export const ABI_NAMES = [
  'zero', 'ra', 'sp', 'gp', 'tp', 't0', 't1', 't2', 's0', 's1', 'a0', 'a1', 'a2', 'a3', 'a4', 'a5', 'a6', 'a7',
  's2', 's3', 's4', 's5', 's6', 's7', 's8', 's9', 's10', 's11', 't3', 't4', 't5', 't6',
] as const;

/** `x10` → `a0`; a name already ABI (or anything else) is returned as is. */
export function abiName(reg: number): string {
  return ABI_NAMES[reg] ?? `x${reg}`;
}

export function formatRegisters(pc: string, dump: RegisterDump, symbols: Symbols | null): string {
  const row = (name: string, value: string) => `${name.padEnd(10)}${formatAddress(BigInt(value), symbols)}`;
  return [
    row('pc', pc),
    ...dump.x.map((v, i) => row(abiName(i), v)),
    `${'priv'.padEnd(10)}${dump.priv}`,
    ...Object.entries(dump.csr).map(([name, v]) => row(name, v)),
    ...floatRows(dump),
  ].join('\n');
}

/** `fa0       0xffffffff3fc00000  float 1.5`, ..., `frm       0x0  RNE (...)`: nothing without an FPU. */
function floatRows(dump: RegisterDump): string[] {
  if (dump.f === undefined || dump.fcsr === undefined) return [];
  const fcsr = Number(dump.fcsr);
  const row = (name: string, value: string, meaning: string) => `${name.padEnd(10)}${value}  ${meaning}`;
  return [
    ...dump.f.map((v, i) => row(FP_ABI_NAMES[i], v, fpValue(BigInt(v)))),
    row('fflags', `0x${(fcsr & 0x1f).toString(16)}`, fflagsText(fcsr & 0x1f)),
    row('frm', `0x${(fcsr >> 5).toString(16)}`, frmText(fcsr >> 5)),
    row('fcsr', dump.fcsr, `${fflagsText(fcsr & 0x1f)} FRM:${fcsr >> 5}`),
  ];
}
