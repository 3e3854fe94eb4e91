import { describe, expect, it } from 'vitest';
import { compareWithQemu, firstDifference, splitBySeed } from './compare.js';
import { parseDump } from './dump.js';
import { guestConsole } from './qemu.js';
import { Rng } from './rng.js';
import { END_MARKER, START_MARKER } from './runtime.js';

const consoleOf = (...cases: [number, string][]) =>
  `${START_MARKER}\n${cases.map(([s, body]) => `seed ${s}\n${body}`).join('')}${END_MARKER}\n`;

describe('difftest console handling', () => {
  it('strips the OpenSBI banner and folds CRLF', () => {
    const raw = `OpenSBI v1.1\r\nPlatform Name : riscv-virtio,qemu\r\n\r\n${START_MARKER}\r\nseed 1\r\nra  0000000000000001\r\n${END_MARKER}\r\n`;
    expect(guestConsole(raw)).toBe(`${START_MARKER}\nseed 1\nra  0000000000000001\n${END_MARKER}\n`);
    expect(guestConsole('no marker here\n')).toBe('');
  });

  it('splits per seed and reports stray lines', () => {
    const s = splitBySeed(`${START_MARKER}\nstray\nseed 7\na 1\nseed 9\nb 2\n${END_MARKER}\n`);
    expect(s.order).toEqual([7, 9]);
    expect(s.cases.get(7)).toBe('seed 7\na 1\n');
    expect(s.cases.get(9)).toBe('seed 9\nb 2\n');
    expect(s.stray).toEqual(['stray']);
    expect(s.started && s.ended).toBe(true);
  });

  it('names the seed and the first differing line', () => {
    expect(firstDifference('a\nb\nc\n', 'a\nb\nc\n')).toBeNull();
    expect(firstDifference('a\nb\nc\n', 'a\nX\nc\n')).toEqual({ line: 2, expected: 'b', actual: 'X' });
    expect(firstDifference('a\nb\n', 'a\n')).toMatchObject({ line: 2, expected: 'b' });

    const qemu = splitBySeed(consoleOf([1, 'x 1\n'], [2, 'x 2\n'], [3, 'x 3\n']));
    const hsConsole = consoleOf([1, 'x 1\n'], [2, 'x 22\n']);
    const ok = { console: hsConsole, exitCode: 0, stop: 'finisher' };
    const report = compareWithQemu([1, 2, 3], qemu, ok, hsConsole, (s) => `rerun ${s}`);
    expect(report).toHaveLength(2);
    expect(report[0]).toContain('seed 2: first difference at line 2: QEMU "x 2" / hindsight "x 22" (re-run: rerun 2)');
    expect(report[1]).toContain('seed 3');
    const stopped = { console: '', exitCode: 3, stop: 'max-insns', message: 'budget' };
    expect(compareWithQemu([1], qemu, stopped, consoleOf([1, 'x 1\n']), String)).toEqual([
      'hindsight stopped with max-insns, exit 3: budget (QEMU: test finisher, exit 0)',
    ]);
  });

  it('parses a dump', () => {
    const d = parseDump(
      'seed 5\nra  0000000000000001\ngp  0000000080300800\nsepc 0000000000001234\ntraps 0000000000000001\n' +
        'trap 0000000000000002 000000000000006b 0000000080400010\ndata 00000000000000aa\npte 00000000200000cf\n',
    );
    expect(d.regs.get('ra')).toBe(1n);
    expect(d.csrs.get('sepc')).toBe(0x1234n);
    expect(d.traps).toEqual([{ cause: 2n, tval: 0x6bn, epc: 0x80400010n }]);
    expect(d.trapCount).toBe(1);
    expect(d.ptes).toEqual([0x200000cfn]);
  });
});

describe('difftest rng', () => {
  it('is deterministic and neighbouring seeds do not share streams', () => {
    const take = (seed: number, n: number) => {
      const r = new Rng(seed);
      return Array.from({ length: n }, () => r.u64());
    };
    expect(take(42, 5)).toEqual(take(42, 5));
    const a = take(1, 50);
    const b = take(2, 50);
    // seed*gamma seeding would make b[i] === a[i + 1]
    expect(b.slice(0, 49)).not.toEqual(a.slice(1));
    expect(new Set([...a, ...b]).size).toBe(100);
  });
});
