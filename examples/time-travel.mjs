// A time-travel debugger script. A replay session is a time traveller: breakpoints set now (observer triggers:
// they never change the recorded run) stop `continue` going forwards and `reverse-continue` going backwards, and
// `seek` goes straight to any exit or instruction count. Here: where was `target` called from the last time
// before the guest's final exit?
import { ReplaySession, RemoteVmm } from 'hindsight';
import { parseElf } from 'hindsight/sim';
import { clientFromEnv, guestElf } from './env.mjs';

const client = clientFromEnv();
const target = BigInt(parseElf(guestElf('breakpoints.elf')).symbols.get('target'));

// A recording of breakpoints.elf to travel in.
const vm = await client.createVm({ guest: 'breakpoints.elf' });
const vmm = new RemoteVmm(await client.connect(vm, 'controller'));
await vmm.run();
await vmm.ended;
await vmm.conn.close();

const session = await ReplaySession.start(client, vm.recording);
// The last exits of the run, without replaying anything: the timeline reads the journal.
const tail = await session.timeline({ last: true, limit: 5 });
const final = tail.at(-1);                                    // {seq, icount, reason, pc, exit}

await session.seek({ exit: final.seq });                      // stand at it, before its recorded answer
await session.breakpoint(target);
const hit = await session.reverseContinue();                  // {stop: {kind: 'breakpoint', pc}, place: {icount, nextSeq, pc, atExit}}
if (hit.stop.kind === 'history-start') throw new Error('target never ran');
const regs = await session.registers();
console.log(`last call of target at icount ${hit.place.icount}: a0 = ${regs.x[10]}, return address 0x${regs.x[1].toString(16)}`);

const back = await session.reverseStep();                     // one instruction earlier: the call itself
console.log(`called from 0x${back.place.pc.toString(16)}`);
await session.step();                                         // and forward again

for (const e of await session.timeline({ reason: 'RISCV_SBI', fromSeq: hit.place.nextSeq, limit: 3 })) {
  console.log(`exit ${e.seq}: ${e.reason} at icount ${e.icount}`);
}
await session.stop();
await session.close();
await client.deleteVm(session.vm.id);
await client.deleteVm(vm.id);
