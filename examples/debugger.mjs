// A debugger script: all-stop debugging over the VM's channel. The controller sets an address breakpoint, runs to
// it, reads the registers, single-steps, reads memory, then watches a variable for writes and continues to the
// end. Breakpoints and watchpoints never patch guest memory.
import { RemoteVmm } from 'hindsight';
import { parseElf } from 'hindsight/sim';
import { clientFromEnv, guestElf } from './env.mjs';

const client = clientFromEnv();
const { symbols } = parseElf(guestElf('breakpoints.elf'));
const target = BigInt(symbols.get('target'));
const watched = BigInt(symbols.get('watched'));

const vm = await client.createVm({ guest: 'breakpoints.elf' });
const dbg = new RemoteVmm(await client.connect(vm, 'controller'), { debugger: true });
await dbg.breakpoint(target);
await dbg.run();

const stop = await dbg.waitForStop();            // {reason: 'DEBUG', why: 'address-breakpoint', pc, icount}
const regs = await dbg.registers();              // {pc, x: [x0..x31], icount}
console.log(`${stop.why} at 0x${stop.pc.toString(16)} (target) after ${stop.icount} instructions, a0 = ${regs.x[10]}`);

const stepped = await dbg.step();                // one instruction: {reason: 'DEBUG', why: 'single-step'}
const word = await dbg.readMemory(Number(stop.pc), 4);
console.log(`stepped to icount ${stepped.icount}; the word at target: ${Buffer.from(word).toString('hex')}`);

await dbg.breakpoint(target, false);
await dbg.watchpoint(watched, 8, { write: true });
await dbg.continue();
const hit = await dbg.waitForStop();             // {why: 'watchpoint', address, isWrite}
console.log(`${hit.why} at pc 0x${hit.pc.toString(16)}: a ${hit.isWrite ? 'write' : 'read'} of 0x${hit.address.toString(16)} (watched)`);

await dbg.watchpoint(watched, 8, { write: true }, false);
await dbg.continue();
// The guest's own ebreak (guest_ebreak) goes to the guest's handler: guest debug (dbg.setGuestDebug(true)) is off.
const end = await dbg.ended;
console.log(`ended: ${end.reason}, exit code ${end.exitCode}`);
await dbg.conn.close();
await client.deleteVm(vm.id);
