import type { RowSpec } from './row.js';

/** RV64A: LR/SC and the AMOs, word and doubleword. aq/rl are accepted and mean nothing on one hart. */

export const AMO_LR = 0x02, AMO_SC = 0x03;

const OPS: [string, number][] = [
  ['amoadd', 0x00], ['amoswap', 0x01], ['amoxor', 0x04], ['amoor', 0x08], ['amoand', 0x0c],
  ['amomin', 0x10], ['amomax', 0x14], ['amominu', 0x18], ['amomaxu', 0x1c],
];

const f5 = (v: number): string => v.toString(2).padStart(5, '0');

function rows(suffix: 'w' | 'd', f3: string, width: 4 | 8): RowSpec[] {
  return [
    {
      name: `lr.${suffix}`, pattern: `${f5(AMO_LR)}-- 00000 ----- ${f3} ----- 0101111`, format: 'LR', ext: 'A', kind: 'atomic', width,
      sem: (s) => s.atomic(AMO_LR, width),
    },
    {
      name: `sc.${suffix}`, pattern: `${f5(AMO_SC)}-- ----- ----- ${f3} ----- 0101111`, format: 'AMO', ext: 'A', kind: 'atomic', width,
      sem: (s) => s.atomic(AMO_SC, width),
    },
    ...OPS.map(([name, op]): RowSpec => ({
      name: `${name}.${suffix}`, pattern: `${f5(op)}-- ----- ----- ${f3} ----- 0101111`, format: 'AMO', ext: 'A', kind: 'atomic', width,
      sem: (s) => s.atomic(op, width),
    })),
  ];
}

export const RV64A: RowSpec[] = [...rows('w', '010', 4), ...rows('d', '011', 8)];
