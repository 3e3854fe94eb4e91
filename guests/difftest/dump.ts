/**
 * Parse one case's dump (see runtime.ts dt_dump) into registers, CSRs, the trap log, checksums and PTEs.
 */

import { ABI_NAMES } from './runtime.js';

export interface Trap {
  cause: bigint;
  tval: bigint;
  epc: bigint;
}

export interface Dump {
  /** x0..x31 by ABI name ('zero' is absent) */
  regs: Map<string, bigint>;
  csrs: Map<string, bigint>;
  traps: Trap[];
  trapCount: number;
  data: bigint[];
  pages: bigint[];
  /** l0[0..8], then l1[1] (megapage) and l1[2] (misaligned megapage) */
  ptes: bigint[];
}

const CSR_NAMES = new Set(['sscratch', 'sepc', 'scause', 'stval', 'sstatus', 'satp']);

export function parseDump(section: string): Dump {
  const d: Dump = { regs: new Map(), csrs: new Map(), traps: [], trapCount: 0, data: [], pages: [], ptes: [] };
  const regNames = new Set<string>(ABI_NAMES);
  for (const line of section.split('\n')) {
    const parts = line.trim().split(/\s+/);
    const [key, ...vals] = parts;
    if (!key) continue;
    const hex = vals.map((v) => BigInt('0x' + v));
    if (key === 'trap' && hex.length === 3) {
      d.traps.push({ cause: hex[0] as bigint, tval: hex[1] as bigint, epc: hex[2] as bigint });
    } else if (key === 'traps') d.trapCount = Number(hex[0]);
    else if (key === 'data') d.data.push(hex[0] as bigint);
    else if (key === 'page') d.pages.push(hex[0] as bigint);
    else if (key === 'pte') d.ptes.push(hex[0] as bigint);
    else if (CSR_NAMES.has(key)) d.csrs.set(key, hex[0] as bigint);
    else if (regNames.has(key)) d.regs.set(key, hex[0] as bigint);
  }
  return d;
}

export function reg(d: Dump, name: string): bigint {
  const v = d.regs.get(name);
  if (v === undefined) throw new Error(`register ${name} not in dump`);
  return v;
}
