// A live VM looks back: with recording on, seek, reverseStep, reverseContinue and timeline pause the VM and show
// its past; present() comes back to the live machine, untouched, and the run goes on recording. An observer on
// the same VM hears of each travel, so it knows whether what it reads is the present's or the past's.
import { RemoteVmm } from 'hindsight';
import { parseElf } from 'hindsight/sim';
import { clientFromEnv, guestElf } from './env.mjs';

const client = clientFromEnv();
const target = BigInt(parseElf(guestElf('breakpoints.elf')).symbols.get('target'));

const vm = await client.createVm({ guest: 'breakpoints.elf' });
const watcher = await client.connect(vm, 'observer');
watcher.on('travel', (place, stop) => {
  if (place === null) console.log('observer: back in the present');
  else console.log(`observer: the past, icount ${place.icount}, exit ${place.atExit?.seq ?? '-'}`, stop?.kind ?? '(looking)');
});

const dbg = new RemoteVmm(await client.connect(vm, 'controller'), { debugger: true });
await dbg.breakpoint(target);
await dbg.run();
const first = await dbg.waitForStop();
const a0First = (await dbg.registers()).x[10];
await dbg.continue();
const second = await dbg.waitForStop();                       // the second call
console.log(`stops at icount ${first.icount} and ${second.icount}`);

await dbg.seek({ exit: first.seq });                          // the VM shows the first stop again
const then = await dbg.registers();                           // ...exactly as they were then
console.log(`back at the first call: a0 = ${then.x[10]} (was ${a0First})`);
await dbg.present();                                          // back at the second stop, still waiting

await dbg.breakpoint(target, false);
await dbg.continue();
const end = await dbg.ended;
console.log(`ended: ${end.reason}, exit code ${end.exitCode}`);
await dbg.conn.close();
await watcher.close();
await client.deleteVm(vm.id);
