import type { Extension, RowSpec } from './row.js';
import type { Sem } from './sem.js';

/**
 * F and D: single- and double-precision floating point. Every row needs the FPU on (sstatus.FS != Off).
 *
 * The operand files of each row are in `files` (rd, rs1, rs2, rs3: f or x). Arithmetic, conversions and compares
 * run through Sem.fp: a fast path inline where the host's double arithmetic gives the exact answer, else the
 * exact slow path (sim/fpu) on the host. Loads, stores and moves are bit copies.
 */

type Fmt = { sfx: 's' | 'd'; bits: string; ext: Extension };
const FMTS: Fmt[] = [{ sfx: 's', bits: '00', ext: 'F' }, { sfx: 'd', bits: '01', ext: 'D' }];

const fp = (s: Sem): void => s.fp();

function rowsOf({ sfx, bits: fm, ext }: Fmt): RowSpec[] {
  const single = sfx === 's';
  const width = single ? 4 : 8;
  const f3 = single ? '010' : '011';
  const r = (name: string, pattern: string, format: RowSpec['format'], files: string): RowSpec =>
    ({ name: `${name}.${sfx}`, pattern, format, ext, kind: 'alu', fs: true, files, sem: fp });
  const arith = (name: string, funct5: string): RowSpec => r(name, `${funct5} ${fm} ----- ----- --- ----- 1010011`, 'FR', 'fff');
  const fused = (name: string, opcode: string): RowSpec => r(name, `----- ${fm} ----- ----- --- ----- ${opcode}`, 'FR4', 'ffff');
  const fixed = (name: string, funct5: string, funct3: string, files: string): RowSpec =>
    r(name, `${funct5} ${fm} ----- ----- ${funct3} ----- 1010011`, 'FRN', files);
  const cvt = (name: string, funct5: string, rs2: string, files: string): RowSpec =>
    r(name, `${funct5} ${fm} ${rs2} ----- --- ----- 1010011`, 'FR1', files);
  const ints = ['w', 'wu', 'l', 'lu'];
  return [
    {
      name: single ? 'flw' : 'fld', pattern: `------- ----- ----- ${f3} ----- 0000111`, format: 'L', ext, kind: 'load',
      width, fs: true, files: 'fx', sem: (s) => s.fpLoad(width),
    },
    {
      name: single ? 'fsw' : 'fsd', pattern: `------- ----- ----- ${f3} ----- 0100111`, format: 'S', ext, kind: 'store',
      width, fs: true, files: 'xxf', sem: (s) => s.fpStore(width),
    },
    fused('fmadd', '1000011'), fused('fmsub', '1000111'), fused('fnmsub', '1001011'), fused('fnmadd', '1001111'),
    arith('fadd', '00000'), arith('fsub', '00001'), arith('fmul', '00010'), arith('fdiv', '00011'),
    cvt('fsqrt', '01011', '00000', 'ff'),
    fixed('fsgnj', '00100', '000', 'fff'), fixed('fsgnjn', '00100', '001', 'fff'), fixed('fsgnjx', '00100', '010', 'fff'),
    fixed('fmin', '00101', '000', 'fff'), fixed('fmax', '00101', '001', 'fff'),
    fixed('feq', '10100', '010', 'xff'), fixed('flt', '10100', '001', 'xff'), fixed('fle', '10100', '000', 'xff'),
    r('fclass', `11100 ${fm} 00000 ----- 001 ----- 1010011`, 'FR1N', 'xf'),
    ...ints.map((t, i) => ({ ...cvt('fcvt', '11000', i.toString(2).padStart(5, '0'), 'xf'), name: `fcvt.${t}.${sfx}` })),
    ...ints.map((t, i) => ({ ...cvt('fcvt', '11010', i.toString(2).padStart(5, '0'), 'fx'), name: `fcvt.${sfx}.${t}` })),
    {
      ...r('fmv', `11100 ${fm} 00000 ----- 000 ----- 1010011`, 'FR1N', 'xf'), name: single ? 'fmv.x.w' : 'fmv.x.d',
    },
    {
      ...r('fmv', `11110 ${fm} 00000 ----- 000 ----- 1010011`, 'FR1N', 'fx'), name: single ? 'fmv.w.x' : 'fmv.d.x',
    },
  ];
}

export const RV64FD: RowSpec[] = [
  ...rowsOf(FMTS[0]),
  ...rowsOf(FMTS[1]),
  // Conversions between the formats: fcvt.s.d narrows (rounds), fcvt.d.s widens (exact).
  { name: 'fcvt.s.d', pattern: '01000 00 00001 ----- --- ----- 1010011', format: 'FR1', ext: 'D', kind: 'alu', fs: true, files: 'ff', sem: fp },
  { name: 'fcvt.d.s', pattern: '01000 01 00000 ----- --- ----- 1010011', format: 'FR1', ext: 'D', kind: 'alu', fs: true, files: 'ff', sem: fp },
];
