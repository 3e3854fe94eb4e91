/**
 * gdb-multiarch on VMs of `hindsight serve` through `hindsight gdb` (the bridge: RSP to gdb, the WebSocket protocol
 * to the server): a live VM under gdb as under `run --gdb`, its journal verified afterwards; a replay VM of the
 * server travelled backwards.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { useTestServer } from '../test-helpers.js';
import { elf, hindsight, runGdb, section, startHindsight } from './test-helpers.js';

const server = useTestServer();

describe('gdb through the bridge to hindsight serve', () => {
  it('debugs a live VM: breaks, reads, Ctrl-C, goes back and on; the journal replays with --verify', async () => {
    const vm = await server().client.createVm({ guest: 'gdb-demo.elf' });
    const bridge = startHindsight(['gdb', '--url', server().url, '--vm', vm.id, '--port', '0'], { HINDSIGHT_VM_TOKEN: vm.token });
    const run = await runGdb(elf('gdb-demo'), await bridge.port, [
      'break transfer', 'continue', 'continue',
      'echo @@regs\\n', 'info registers a2', 'print accounts[1].balance',
      'echo @@past\\n', 'reverse-continue',
      'echo @@spin\\n', 'continue', 'delete', 'set var wait_for_debugger = 1', 'continue',
      'echo @@release\\n', 'set var wait_for_debugger = 0', 'continue',
    ], { interruptAfter: '@@spin\n', interruptDelayMs: 1500 });
    expect(await bridge.exit).toBe(0);
    expect(section(run.output, '@@regs')).toMatch(/^a2\s+0x14\s+20$/m);
    expect(section(run.output, '@@regs')).toMatch(/^\$1 = 80$/m);
    expect(section(run.output, '@@past')).toMatch(/Breakpoint 1, transfer \(.*amount=amount@entry=30\)/);
    expect(section(run.output, '@@spin')).toMatch(/Breakpoint 1, transfer \(.*amount=amount@entry=20\)[\s\S]*Program received signal SIGINT, Interrupt\.\n.*wait_here/);
    expect(section(run.output, '@@release')).toMatch(/exited normally/);
    expect(bridge.stdout()).toMatch(/carol: -10\n/);
    const summary = await server().client.getVm(vm.id);
    expect(summary.end).toMatchObject({ reason: 'finisher', exitCode: 0 });
    expect(hindsight(['replay', join(server().dataDir, 'recordings', vm.recording!), '--verify']).status).toBe(0);
  });

  it('travels in a replay VM of the server', async () => {
    const vm = await server().client.createVm({ guest: 'gdb-demo.elf' });
    // Record it through the bridge without stopping anywhere.
    const first = startHindsight(['gdb', '--url', server().url, '--vm', vm.id, '--port', '0', '--token', vm.token]);
    await runGdb(elf('gdb-demo'), await first.port, ['continue']);
    expect(await first.exit).toBe(0);
    const replay = await server().client.startReplay(vm.recording!);
    const bridge = startHindsight(['gdb', '--url', server().url, '--vm', replay.id, '--port', '0', '--token', replay.token]);
    const run = await runGdb(elf('gdb-demo'), await bridge.port, [
      'break audit', 'continue', 'watch accounts[2].balance', 'reverse-continue',
      'echo @@writes\\n', 'set var $a0 = 5',
    ]);
    expect(run.output).toMatch(/Old value = -10\nNew value = 30\n.*in transfer \(.*amount=amount@entry=40\) at programs\/gdb-demo\.c:31/);
    expect(section(run.output, '@@writes')).toMatch(/Could not write register "a0"; remote failure reply 'E\.a replay cannot be changed/);
  });
});
