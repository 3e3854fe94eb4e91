// A remote device model: the guest's MMIO exits come here and are answered from device models. RemoteVmm brings
// the built-in ones (UART 16550 on the PLIC, the sifive,test finisher, the SBI console, seed); this adds one of
// our own, a 32-bit counter in the window guests/programs/mmio-loop.c reads. Then it downloads the recording and
// replays it here, bit-exactly, with no device at all.
import { RemoteVmm } from 'hindsight';
import { readJournal, replayJournal } from 'hindsight/sim';
import { clientFromEnv } from './env.mjs';

const client = clientFromEnv();
let reads = 0;
const counter = {
  name: 'counter',
  read: (_offset, len) => {
    const out = new Uint8Array(len);
    new DataView(out.buffer).setUint32(0, reads++, true);
    return out;
  },
  write: () => {},
};

const vm = await client.createVm({ guest: 'mmio-loop.elf' });        // or { image: bytes } to upload an ELF
let guestSaid = '';
const vmm = new RemoteVmm(await client.connect(vm, 'controller'), { onConsole: (bytes) => { guestSaid += Buffer.from(bytes).toString(); } });
// The built-in pattern device owns that window; a user model must not overlap one, so this answers the range
// itself (return undefined to fall back to the built-ins). For a free address: vmm.map(base, size, device).
vmm.on('MMIO', (exit) => {
  if (exit.physAddr < 0x1000_8000 || exit.physAddr >= 0x1000_9000) return undefined;
  return exit.isWrite
    ? { seq: exit.seq, reason: 'MMIO' }
    : { seq: exit.seq, reason: 'MMIO', data: counter.read(exit.physAddr - 0x1000_8000, exit.len) };
});
await vmm.run();
const end = await vmm.ended;                     // {reason: 'finisher', exitCode, icount, exits, digest}
process.stdout.write(guestSaid);
// The guest sums what it loads: 0 + 1 + ... + (reads - 1) from the counter. (It exits 1: it checks the sum against
// the built-in pattern device's constant, which the counter replaced.)
const sum = BigInt(`0x${/sum 0x([0-9a-f]+)/.exec(guestSaid)?.[1] ?? '0'}`);
console.log(`ended: ${end.reason}, ${end.icount} instructions; ${reads} reads answered, and the guest's sum is the counter's: ${sum === BigInt(reads * (reads - 1) / 2)}`);
await vmm.conn.close();

// Everything the device answered is in the journal: download it and replay it anywhere.
const journal = readJournal(await client.downloadRecording(vm.recording));
const replay = replayJournal(journal);
console.log(`replayed here: ${replay.ok && replay.finalDigest === end.digest ? 'bit-exact' : 'DIVERGED'} (${replay.exits} exits)`);
await client.deleteVm(vm.id);
