import type { RowSpec } from './row.js';

/**
 * The instructions the hart's host side carries out: environment calls, sret/wfi/sfence.vma (privileged), the CSR
 * accesses (Zicsr), and fence.i (Zifencei), which only ends its block.
 */

const host = (name: string, pattern: string, format: RowSpec['format'], ext: RowSpec['ext'], privileged = false): RowSpec =>
  ({ name, pattern, format, ext, kind: 'host', privileged, sem: (s) => s.host() });

export const SYSTEM: RowSpec[] = [
  host('ecall', '0000000 00000 00000 000 00000 1110011', 'N', 'I'),
  host('ebreak', '0000000 00001 00000 000 00000 1110011', 'N', 'I'),
  host('sret', '0001000 00010 00000 000 00000 1110011', 'N', 'Priv', true),
  host('wfi', '0001000 00101 00000 000 00000 1110011', 'N', 'Priv', true),
  host('sfence.vma', '0001001 ----- ----- 000 00000 1110011', 'SFENCE', 'Priv', true),
  host('csrrw', '------- ----- ----- 001 ----- 1110011', 'CSR', 'Zicsr'),
  host('csrrs', '------- ----- ----- 010 ----- 1110011', 'CSR', 'Zicsr'),
  host('csrrc', '------- ----- ----- 011 ----- 1110011', 'CSR', 'Zicsr'),
  host('csrrwi', '------- ----- ----- 101 ----- 1110011', 'CSRI', 'Zicsr'),
  host('csrrsi', '------- ----- ----- 110 ----- 1110011', 'CSRI', 'Zicsr'),
  host('csrrci', '------- ----- ----- 111 ----- 1110011', 'CSRI', 'Zicsr'),
  { name: 'fence.i', pattern: '------- ----- ----- 001 ----- 0001111', format: 'N', ext: 'Zifencei', kind: 'fence.i', sem: () => undefined },
];
