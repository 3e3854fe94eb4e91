// Replaying on the server: run a guest (every VM is recorded), then start a replay session of its recording and
// stream it: the exits come with their recorded answers, and the end says whether the replay was bit-exact.
import { RemoteVmm } from 'hindsight';
import { clientFromEnv } from './env.mjs';

const client = clientFromEnv();
const vm = await client.createVm({ guest: 'hello.elf' });
const vmm = new RemoteVmm(await client.connect(vm, 'controller'));
await vmm.run();
await vmm.ended;
await vmm.conn.close();

const replay = await client.startReplay(vm.recording);
const conn = await client.connect(replay, 'controller');
const reasons = new Map();
conn.on('exit', (exit) => reasons.set(exit.reason, (reasons.get(exit.reason) ?? 0) + 1));
const ended = new Promise((resolve) => conn.once('ended', resolve));
await conn.request({ op: 'run' });
const end = await ended;
console.log(`replayed ${vm.recording}: ${end.verified ? 'bit-exact' : `diverged: ${JSON.stringify(end.divergence)}`}`);
console.log(`exits: ${[...reasons].map(([r, n]) => `${n} ${r}`).join(', ')}`);
await conn.close();
await client.deleteVm(replay.id);
await client.deleteVm(vm.id);
