/**
 * gdb-multiarch and the F/D registers (org.gnu.gdb.riscv.fpu). guests/fp-regs loads every f register with a chosen
 * pattern (doubles, NaN-boxed singles, NaNs with payloads, subnormals, patterns not properly boxed) and fcsr with frm
 * RUP and DZ|NX, then stops at fp_filled: gdb shows them as QEMU shows the same ELF's, writes them on a live machine
 * (journaled: the recording replays bit-exactly) and is refused on a replay. A machine without F/D has no FPU feature.
 */
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { elf, hindsight, qemuTarget, runGdb, section, startHindsight, tempDir, tryCommand, type GdbRun } from './test-helpers.js';

const PROGRAM = elf('fp-regs');
/** The lines of `info registers float` that show f registers (ft0 .. ft11, by ABI name). */
const fLines = (text: string) => text.split('\n').filter((l) => /^f[tsa]\d+\s/.test(l));

describe('gdb and the F/D registers', () => {
  const journal = join(tempDir(), 'fp.hsj');
  let live: GdbRun;
  let liveConsole: string;
  let liveStatus: number | null;

  beforeAll(async () => {
    const h = startHindsight(['record', PROGRAM, '-o', journal, '--gdb', '0']);
    live = await runGdb(PROGRAM, await h.port, [
      'break fp_filled', 'continue',
      'echo @@float\\n', 'info registers float',
      'echo @@print\\n', 'p $fa0', 'p $ft0', 'p/x $fcsr', 'p $frm',
      'echo @@write\\n', 'set $fa0.double = 2.5', 'set $frm = 1', 'set $ft11 = $ft0', 'p $fa0', 'info registers fcsr',
      'echo @@end\\n', 'delete', 'continue',
    ]);
    liveStatus = await h.exit;
    liveConsole = h.stdout();
  });

  it('info registers float shows f0..f31 as gdb\'s float/double union with their raw bits, then fflags, frm and fcsr', () => {
    const s = section(live.output, '@@float');
    expect(fLines(s)).toHaveLength(32);
    expect(s).toMatch(/^ft0 +\{float = 0, double = 1\}\t\(raw 0x3ff0000000000000\)$/m);
    expect(s).toMatch(/^fs0 +\{float = 1\.5, double = -nan\(0xfffff3fc00000\)\}\t\(raw 0xffffffff3fc00000\)$/m);
    expect(s).toMatch(/^ft4 +\{.*double = nan\(0x4000000000abc\)\}\t\(raw 0x7ff4000000000abc\)$/m);
    expect(s).toMatch(/^fflags +0x9\tNV:0 DZ:1 OF:0 UF:0 NX:1$/m);
    expect(s).toMatch(/^frm +0x3\tFRM:3 \[RUP/m);
    expect(s).toMatch(/^fcsr +0x69\t/m);
    expect(section(live.output, '@@print')).toMatch(/^\$1 = \{float = nan\(0x400000\), double = -nan\(0xfffff7fc00000\)\}\n\$2 = \{float = 0, double = 1\}\n\$3 = 0x69\n\$4 = 3$/m);
  });

  it('shows the f registers QEMU shows for the same ELF at the same breakpoint', async () => {
    const qemu = await runGdb(PROGRAM, qemuTarget(PROGRAM), ['break fp_filled', 'continue', 'echo @@float\\n', 'info registers float', 'kill']);
    expect(fLines(section(qemu.output, '@@float'))).toEqual(fLines(section(live.output, '@@float')));
  });

  it('writes f registers and fcsr fields on a live machine; the guest sees them and the recording replays', () => {
    const s = section(live.output, '@@write');
    expect(s).toMatch(/^\$5 = \{float = 0, double = 2\.5\}$/m);
    expect(s).toMatch(/^fcsr +0x29\tNV:0 DZ:1 OF:0 UF:0 NX:1 FRM:1 \[RTZ/m);
    expect(liveConsole).toContain([
      'f10: 0x4004000000000000 (loaded 0xffffffff7fc00000)', 'f31: 0x3ff0000000000000 (loaded 0x7ff0000000000001)',
      'fcsr: 0x29 (set 0x69)', 'fp-regs: 3 register(s) changed at fp_filled',
    ].join('\n'));
    expect(section(live.output, '@@end')).toMatch(/exited normally/);
    expect(liveStatus).toBe(0);
    expect(hindsight(['replay', journal, '--verify']).status).toBe(0);
  });

  it('on a replay shows what the recording had there and refuses writes, except in a diversion', async () => {
    const h = startHindsight(['replay', journal, '--gdb', '0']);
    const g = await runGdb(PROGRAM, await h.port, [
      'break fp_filled', 'continue', 'echo @@float\\n', 'info registers float',
      'echo @@writes\\n', ...tryCommand('set $fa1.double = 1'), ...tryCommand('set $fflags = 0'), 'p $fa1', 'p/x $fcsr',
      'echo @@diversion\\n', 'monitor diversion', 'set $fa1.double = 1', 'set $frm = 4', 'p $fa1', 'p/x $fcsr',
      'monitor diversion end', 'maintenance flush register-cache', 'echo @@back\\n', 'p $fa1', 'p/x $fcsr',
    ]);
    expect(await h.exit).toBe(0);
    expect(fLines(section(g.output, '@@float'))).toEqual(fLines(section(live.output, '@@float')));
    const w = section(g.output, '@@writes');
    expect(w).toMatch(/Could not write register "fa1"; remote failure reply 'E\.a replay cannot be changed/);
    expect(w).toMatch(/Could not write register "fflags"; remote failure reply 'E\.a replay cannot be changed/);
    expect(w).toMatch(/^\$1 = \{float = 0\.100000001, double = -nan\(0xfffff3dcccccd\)\}\n\$2 = 0x69$/m);
    // A diversion may change them; back in the recording they are the recorded ones again.
    expect(section(g.output, '@@diversion')).toMatch(/^\$3 = \{float = 0, double = 1\}\n\$4 = 0x89$/m);
    expect(section(g.output, '@@back')).toMatch(/^\$5 = \{float = 0\.100000001, double = -nan\(0xfffff3dcccccd\)\}\n\$6 = 0x69$/m);
  });

  it('a machine without F/D (an rv64imac recording) offers no FPU registers', async () => {
    const old = join(import.meta.dirname, '..', '..', 'recordings', 'uart-race.hsj');
    const h = startHindsight(['replay', old, '--gdb', '0']);
    const g = await runGdb(elf('scenario-uart-race'), await h.port, [
      'echo @@fpu\\n', ...tryCommand('info registers fa0'), 'info registers float', 'echo @@\\n', 'info registers sstatus',
    ]);
    expect(await h.exit).toBe(0);
    const s = section(g.output, '@@fpu');
    expect(s).toMatch(/^error: Invalid register `fa0'$/m);
    expect(fLines(s)).toEqual([]);
    expect(g.output).toMatch(/^sstatus +0x/m);
  });
});
