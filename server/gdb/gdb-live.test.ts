/**
 * gdb-multiarch on a live machine (`hindsight record FILE --gdb PORT`): it waits at its first instruction, gdb
 * breaks, reads registers and memory, goes back into the VM's past and forwards to its present, writes memory,
 * interrupts a spinning guest with Ctrl-C; the guest's own ebreak never reaches gdb. Everything gdb did is in the
 * journal, which replays with --verify. `run --gdb` (nothing recorded): hardware breakpoints, read and access
 * watchpoints, no reverse commands, kill.
 */
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { elf, hindsight, runGdb, section, startHindsight, tempDir, tryCommand, type GdbRun } from './test-helpers.js';

describe('gdb on a live machine', () => {
  const dir = tempDir();
  const journal = join(dir, 'live.hsj');
  let run: GdbRun;
  let status: number | null;
  let console: string;

  beforeAll(async () => {
    const h = startHindsight(['record', elf('gdb-demo'), '-o', journal, '--gdb', '0']);
    run = await runGdb(elf('gdb-demo'), await h.port, [
      'echo @@start\\n', 'info registers pc',
      'break transfer', 'continue',
      'echo @@regs\\n', 'info registers a0 a1 a2', 'x/2gx &accounts[1]', 'print accounts[1]',
      'echo @@@\\n', 'continue', 'continue',
      'echo @@past\\n', 'reverse-continue',
      'echo @@present\\n', 'continue', 'print amount',
      'echo @@spin\\n', 'delete', 'set var wait_for_debugger = 1', 'continue',
      'echo @@interrupted\\n', 'print spins > 0', 'bt 1',
      'echo @@release\\n', 'set var wait_for_debugger = 0', 'continue',
      'echo @@done\\n',
    ], { interruptAfter: '@@spin\n', interruptDelayMs: 1000 });
    status = await h.exit;
    console = h.stdout();
  });

  it('waits at the first instruction, stops at a breakpoint and shows registers and memory', () => {
    expect(section(run.output, '@@start')).toMatch(/^pc\s+0x80200000\s+0x80200000 <_start>/m);
    const r = section(run.output, '@@regs');
    expect(r).toMatch(/^a0\s+0x80201000\s/m);
    expect(r).toMatch(/^a2\s+0x1e\s+30$/m);
    expect(r).toMatch(/^0x80201010 <accounts\+16>:\t0x[0-9a-f]{16}\t0x0000000000000032$/m);
    expect(r).toMatch(/= \{name = 0x[0-9a-f]+ "bob", balance = 50\}/);
  });

  it('goes back into the recorded past and forwards again to the present', () => {
    expect(section(run.output, '@@past')).toMatch(/Breakpoint 1, transfer \(.*amount=amount@entry=20\)/);
    expect(section(run.output, '@@present')).toMatch(/Breakpoint 1, transfer \(.*amount=amount@entry=40\)[\s\S]*= 40$/m);
  });

  it('Ctrl-C stops a spinning guest; a memory write releases it and it runs to its end', () => {
    expect(section(run.output, '@@spin')).toMatch(/^Program received signal SIGINT, Interrupt\.\n.*in wait_here \(\) at programs\/gdb-demo\.c:\d+/m);
    expect(section(run.output, '@@interrupted')).toMatch(/^\$\d+ = 1\n#0 .* wait_here \(\) at programs\/gdb-demo\.c:\d+/m);
    expect(section(run.output, '@@release')).toMatch(/\[Inferior 1 \(Remote target\) exited normally\]/);
    expect(run.output).toMatch(/@@done\n/);
    expect(console).toMatch(/carol: -10\n3 transfers, 1 account\(s\) below zero\n/);
    expect(status).toBe(0);
  });

  it('the journal holds what gdb did and replays bit-exactly', () => {
    const r = hindsight(['replay', journal, '--verify']);
    expect(r.status).toBe(0);
    // The guest spun only because gdb wrote wait_for_debugger: replayed from the journal, it spins as long (a run
    // on its own is about 2,500 instructions).
    const icount = Number(/replayed \d+ of \d+ exits, (\d+) instructions; closed recording/.exec(r.stderr)?.[1]);
    expect(icount).toBeGreaterThan(1_000_000);
  });

  it("the guest's own ebreak goes to its handler, not to gdb", async () => {
    const j = join(dir, 'ebreak.hsj');
    const h = startHindsight(['record', elf('breakpoints'), '-o', j, '--gdb', '0']);
    const g = await runGdb(elf('breakpoints'), await h.port, ['break target', 'continue', 'delete', 'continue']);
    expect(await h.exit).toBe(0);
    expect(g.output).toMatch(/Breakpoint 1, target \(i=i@entry=0\)/);
    expect(g.output).not.toMatch(/SIGTRAP/);
    expect(g.output).toMatch(/exited normally/);
    expect(h.stdout()).toMatch(/after ebreak: guest handler saw 1 breakpoint\(s\)\nbreakpoints: done/);
    expect(hindsight(['replay', j, '--verify']).status).toBe(0);
  });

  it('run --gdb (nothing recorded): hbreak, rwatch and awatch stop it, reverse commands are not offered, kill ends it', async () => {
    const h = startHindsight(['run', elf('gdb-demo'), '--gdb', '0']);
    const g = await runGdb(elf('gdb-demo'), await h.port, [
      'hbreak transfer', 'continue', 'echo @@hbreak\\n', 'info registers a2', 'x/2gx &accounts[0]',
      'echo @@rwatch\\n', 'delete', 'rwatch transfers', 'continue',
      'echo @@awatch\\n', 'delete', 'awatch transfers', 'continue',
      'echo @@reverse\\n', ...tryCommand('reverse-stepi'),
      'echo @@kill\\n', 'kill',
    ]);
    expect(section(g.output, '@@hbreak')).toMatch(/^a2\s+0x1e\s+30$/m);
    expect(section(g.output, '@@hbreak')).toMatch(/^0x80201000 <accounts>:\t0x[0-9a-f]{16}\t0x0000000000000064$/m);
    expect(g.output).toMatch(/Hardware assisted breakpoint 1 at 0x[0-9a-f]+: file programs\/gdb-demo\.c, line 31\.\n\nBreakpoint 1, transfer \(.*amount=amount@entry=30\)/);
    // transfers++ loads, then stores: the read watchpoint stops at the load, the access one at the store.
    expect(section(g.output, '@@rwatch')).toMatch(/Hardware read watchpoint \d+: transfers\n\nValue = 0\n.* in transfer \(.*\) at programs\/gdb-demo\.c:33\n/);
    expect(section(g.output, '@@awatch')).toMatch(/Hardware access \(read\/write\) watchpoint \d+: transfers\n\nOld value = 0\nNew value = 1\n/);
    expect(section(g.output, '@@reverse')).toMatch(/^error: Target remote does not support this command\.$/m);
    expect(section(g.output, '@@kill')).toMatch(/\[Inferior 1 \(Remote target\) killed\]/);
    expect(await h.exit).toBe(1);
    expect(h.stderr()).toMatch(/\[hindsight\] killed, exit code 1, \d+ instructions, \d+ exits \(gdb killed\)/);
  });

  it('SIGTERM to hindsight ends a spinning run with its journal closed (143) and closes gdb\'s connection', async () => {
    const j = join(dir, 'term.hsj');
    const h = startHindsight(['record', elf('gdb-demo'), '-o', j, '--gdb', '0']);
    const g = await runGdb(elf('gdb-demo'), await h.port, [
      'break wait_here', 'continue', 'delete', 'set var wait_for_debugger = 1', 'echo @@spin\\n', 'continue', 'echo @@after\\n',
    ],
      { interruptAfter: '@@spin\n', interruptDelayMs: 700, signalAfter: { process: h.proc, signal: 'SIGTERM' } });
    expect(await h.exit).toBe(143);
    expect(g.output).toMatch(/Remote connection closed/);
    expect(g.output).not.toMatch(/@@after/);
    expect(h.stderr()).toMatch(/\[hindsight\] interrupted.*exit code 143/);
    const r = hindsight(['replay', j, '--verify', '--json']);
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ verified: true, closed: true });
  });

  it('SIGINT while the machine waits for gdb ends it at its first instruction (130)', async () => {
    const j = join(dir, 'int.hsj');
    const h = startHindsight(['record', elf('gdb-demo'), '-o', j, '--gdb', '0']);
    await h.port;
    h.proc.kill('SIGINT');
    expect(await h.exit).toBe(130);
    expect(h.stderr()).toMatch(/\[hindsight\] interrupted.*exit code 130, 0 instructions/);
    expect(hindsight(['replay', j, '--verify']).status).toBe(0);
  });
});
