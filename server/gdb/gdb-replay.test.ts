/**
 * gdb-multiarch on a recording (`hindsight replay FILE --gdb PORT`): forwards and backwards at the instruction and
 * the source level, watchpoints going back to the writer, the ends of history, and a recording nothing changes.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { elf, hindsight, runGdb, section, startHindsight, tempDir, tryCommand, type GdbRun } from './test-helpers.js';

describe('gdb on a replay', () => {
  const journal = join(tempDir(), 'gdb-demo.hsj');
  let run: GdbRun;
  let replayExit: number | null;

  beforeAll(async () => {
    expect(hindsight(['record', elf('gdb-demo'), '-o', journal]).status).toBe(0);
    const h = startHindsight(['replay', journal, '--gdb', '0']);
    run = await runGdb(elf('gdb-demo'), await h.port, [
      'echo @@start\\n', 'info registers pc',
      'break transfer', 'continue', 'continue',
      'echo @@back-to-first-hit\\n', 'reverse-continue',
      'echo @@reverse-finish\\n', 'reverse-finish',
      'echo @@reverse-next\\n', 'reverse-next', 'reverse-next',
      'echo @@forward-again\\n', 'next', 'step',
      'echo @@regs-before\\n', 'info registers', 'echo @@\\n', 'reverse-stepi', 'echo @@after-reverse-stepi\\n', 'info registers pc', 'stepi', 'echo @@regs-after\\n', 'info registers',
      'echo @@\\n', 'delete', 'break audit', 'continue',
      'echo @@watch\\n', 'watch accounts[2].balance', 'reverse-continue', 'bt',
      'echo @@watch-earlier\\n', 'reverse-continue',
      'echo @@awatch-back\\n', 'delete', 'awatch transfers', 'reverse-continue',
      'echo @@rwatch-back\\n', 'delete', 'rwatch transfers', 'reverse-continue', 'delete',
      'echo @@history-start\\n', 'reverse-continue', 'info registers pc',
      'echo @@csrs\\n', 'info registers sstatus stvec satp priv instret',
      'echo @@monitor\\n', 'monitor when', 'monitor timeline RISC_V_NONE', 'monitor timeline MMIO', 'monitor goto exit 3', 'monitor when',
      'echo @@monitor-icount\\n', 'monitor goto icount 100', 'monitor when', 'maintenance flush register-cache', 'info registers pc',
      'monitor timeline RISCV_SBI first 2', 'monitor checkpoints', 'monitor goto icount 99999999',
      'monitor goto exit 3', 'maintenance flush register-cache',
      'echo @@writes\\n', ...tryCommand('set var transfers = 7'), ...tryCommand('set var $a0 = 1'),
      'echo @@diversion\\n', 'monitor diversion', 'set var transfers = 7', 'print transfers', 'print audit()', ...tryCommand('reverse-stepi'),
      'monitor diversion end', 'maintenance flush register-cache', 'echo @@after-diversion\\n', 'print transfers', 'monitor when',
      'echo @@history-end\\n', 'delete', 'continue',
      'echo @@done\\n',
    ]);
    replayExit = await h.exit;
  });

  afterAll(() => {});

  it('starts at the first instruction and stops at a function breakpoint, twice', () => {
    expect(section(run.output, '@@start')).toMatch(/^pc\s+0x80200000\s+0x80200000 <_start>/m);
    expect(run.output).toMatch(/Breakpoint 1, transfer \(from=[^)]*amount=amount@entry=20\) at programs\/gdb-demo\.c:31/);
  });

  it('reverse-continue goes back to the earlier breakpoint hit', () => {
    expect(section(run.output, '@@back-to-first-hit')).toMatch(/Breakpoint 1, transfer \(from=[^)]*amount=amount@entry=30\) at programs\/gdb-demo\.c:31/);
  });

  it('reverse-finish and reverse-next work at the source level', () => {
    expect(section(run.output, '@@reverse-finish')).toMatch(/in main \(\) at programs\/gdb-demo\.c:56\n56\t\ttransfer\(&accounts\[0\], &accounts\[1\], 30\);/);
    // The first goes to the start of line 56 (reverse-finish stopped at its call), the second to line 55.
    expect(section(run.output, '@@reverse-next')).toMatch(/^56\t\ttransfer\(&accounts\[0\], &accounts\[1\], 30\);\n55\t\tputs\("--- gdb-demo ---"\);/m);
    expect(section(run.output, '@@forward-again')).toMatch(/^56\t\ttransfer.*\n[\s\S]*transfer \(from=.*amount=amount@entry=30\) at programs\/gdb-demo\.c:31/m);
  });

  it('reverse-stepi then stepi comes back to the same pc and registers', () => {
    const before = section(run.output, '@@regs-before');
    const after = section(run.output, '@@regs-after');
    expect(before).toMatch(/^pc\s+0x/m);
    expect(after).toBe(before);
    const pc = (text: string) => /^pc\s+(0x[0-9a-f]+)/m.exec(text)![1];
    expect(pc(section(run.output, '@@after-reverse-stepi'))).not.toBe(pc(before));
  });

  it('a watchpoint and reverse-continue find the instruction that last wrote the value, in the writer\'s frame', () => {
    const w = section(run.output, '@@watch');
    expect(w).toMatch(/Hardware watchpoint \d+: accounts\[2\]\.balance\n\nOld value = -10\nNew value = 30\n/);
    expect(w).toMatch(/in transfer \(from=from@entry=0x[0-9a-f]+ <accounts\+32>, to=[^)]*amount=amount@entry=40\) at programs\/gdb-demo\.c:31\n31\t\tfrom->balance -= amount;/);
    expect(w).toMatch(/#1 {2}0x[0-9a-f]+ in main \(\) at programs\/gdb-demo\.c:58/);
    expect(section(run.output, '@@watch-earlier')).toMatch(/Old value = 30\nNew value = 10\n[\s\S]*amount=amount@entry=20\) at programs\/gdb-demo\.c:32/);
  });

  it('read and access watchpoints stop reverse-continue at the last read, the last access', () => {
    // Standing in the second transfer before it touches transfers: the last access is the first transfer's
    // increment (a write, shown backwards: the value after it, then the one it overwrote), the last read its load.
    expect(section(run.output, '@@awatch-back')).toMatch(/Hardware access \(read\/write\) watchpoint \d+: transfers\n\nOld value = 1\nNew value = 0\n.* in transfer \(.*amount=amount@entry=30\) at programs\/gdb-demo\.c:33\n/);
    expect(section(run.output, '@@rwatch-back')).toMatch(/Hardware read watchpoint \d+: transfers\n\nValue = 0\n.* in transfer \(.*amount=amount@entry=30\) at programs\/gdb-demo\.c:33\n/);
  });

  it('at the start of history gdb says so and stands at the first instruction', () => {
    const s = section(run.output, '@@history-start');
    expect(s).toMatch(/^No more reverse-execution history\.\n_start \(\) at runtime\/crt0\.S:10/m);
    expect(s).toMatch(/^pc\s+0x80200000/m);
  });

  it('shows the CSRs the guest sees and its privilege', () => {
    const s = section(run.output, '@@csrs');
    // FS = Dirty and SD: the FPU is on when the guest starts, as OpenSBI hands it over.
    expect(s).toMatch(/^sstatus\s+0x8000000200006000\s/m);
    expect(s).toMatch(/^stvec\s+0x80200000\s/m);
    expect(s).toMatch(/^satp\s+0x0\s/m);
    expect(s).toMatch(/^priv\s+0x1\s+prv:1 \[Supervisor\]/m);
    expect(s).toMatch(/^instret\s+0x0\s/m);
  });

  it('monitor commands say where the replay stands, list exits and go to one', () => {
    const s = section(run.output, '@@monitor');
    expect(s).toMatch(/^icount 0, next exit 0, pc 0x80200000$/m);
    expect(s).toMatch(/^error: timeline: 'RISC_V_NONE'|^no exits match$/m);
    expect(s).toMatch(/^exit +\d+ +icount +\d+ +pc 0x[0-9a-f]+ +MMIO write 4B at 0x100000 0x5555$/m);
    expect(s).toMatch(/^icount \d+, next exit 4, pc 0x[0-9a-f]+\nstanding at exit 3 \(RISCV_SBI ext 0x1 fn 0 a0 0x[0-9a-f]+\), before its recorded answer$/m);
  });

  it('monitor goto icount goes to an instruction count (past the end: the end), timeline filters, checkpoints', () => {
    const s = section(run.output, '@@monitor-icount');
    const when = /^icount 100, next exit 4, pc (0x[0-9a-f]+)$/m.exec(s);
    expect(when).not.toBeNull();
    // After a flush gdb reads the pc the goto left (`info registers pc` prints it twice, tab-separated; the monitor
    // output before it may end without its newline yet when gdb writes its own, so no line anchor).
    expect(s).toMatch(new RegExp(`pc\\s+${when![1]}\\t${when![1]} `));
    const sbi = s.split('\n').filter((l) => /^exit +\d+ +icount/.test(l));
    expect(sbi).toHaveLength(2);
    for (const line of sbi) expect(line).toMatch(/RISCV_SBI ext 0x1 fn 0 a0 0x[0-9a-f]+$/);
    expect(s).toMatch(/^\d+ checkpoints, [\d.]+ MiB of pages/m);
    expect(s).toMatch(/^icount \d+, next exit \d+, pc 0x[0-9a-f]+ \(the end of the recording\)$/m);
  });

  it('refuses to write registers or memory: the recording stays what happened', () => {
    const s = section(run.output, '@@writes');
    expect(s).toMatch(/Cannot access memory at address 0x[0-9a-f]+/);
    expect(s).toMatch(/Could not write register "a0"; remote failure reply 'E\.a replay cannot be changed/);
  });

  it('a diversion leaves the recording to write and call functions, and comes back to it unchanged', () => {
    const d = section(run.output, '@@diversion');
    expect(d).toMatch(/^diverted at icount \d+, next exit 4/m);
    expect(d).toMatch(/^\$\d+ = 7$/m);
    // audit() ran on fresh device models (at exit 3, before any transfer): its console output reaches gdb, and
    // its result comes back.
    expect(d).toMatch(/alice: 100\nbob: 50\ncarol: 10\n\$\d+ = 0$/m);
    expect(d).toMatch(/needs the recorded run, and the traveller is in a diversion/);
    expect(d).toMatch(/^back in the recording: icount \d+, next exit 4, pc 0x[0-9a-f]+\nstanding at exit 3 /m);
    const a = section(run.output, '@@after-diversion');
    // The recorded value of transfers at exit 3 (early in main): 0, whatever the diversion wrote.
    expect(a).toMatch(/^\$\d+ = 0$/m);
    expect(a).toMatch(/^standing at exit 3 /m);
  });

  it('at the end of the recording gdb says so; the session ends and the journal still verifies', () => {
    expect(section(run.output, '@@history-end')).toMatch(/^No more reverse-execution history\./m);
    expect(run.output).toMatch(/@@done\n/);
    expect(run.status).toBe(0);
    expect(replayExit).toBe(0);
    expect(hindsight(['replay', journal, '--verify']).status).toBe(0);
  });
});
