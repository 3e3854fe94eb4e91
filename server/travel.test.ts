/**
 * Time travel through the service, end to end: the real server in a child process, real WebSocket clients (the
 * SDK's ReplaySession and RemoteVmm), recordings made through the server itself. What a traveller sees is checked
 * against what the run showed going forwards: the live debugger's registers, a local forward replay, the journal.
 */
import { describe, expect, it } from 'vitest';
import { ProtocolError, RemoteVmm, ReplaySession, runElf, type CreatedVm, type Place, type Registers, type TravelReply, type TravelStop } from '../client-sdk/index.js';
import { parseElf, readJournal, replayJournal, Replayer, type VcpuExit } from '../sim/index.js';
import { registersOf } from './vm/machine-view.js';
import { guestImage, until, useTestServer } from './test-helpers.js';

const server = useTestServer();

/** `target` in guests/programs/breakpoints.c: a function the guest calls exactly three times. */
const image = guestImage('breakpoints');
const target = BigInt(parseElf(image).symbols.get('target')!);

/** Records breakpoints.elf through the server with the built-in device models; returns the VM and its exits. */
async function record(): Promise<{ vm: CreatedVm; exits: VcpuExit[] }> {
  const vm = await server().client.createVm({ guest: 'breakpoints.elf' });
  const exits: VcpuExit[] = [];
  const vmm = new RemoteVmm(await server().client.connect(vm, 'controller'), { onExit: (exit) => exits.push(exit) });
  await vmm.run();
  expect((await vmm.ended).exitCode).toBe(0);
  await vmm.conn.close();
  return { vm, exits };
}

/** The registers at exit `seq`, before its answer, from a forward replay in this process (no time travel). */
function registersAtExit(journalBytes: Uint8Array, seq: number): Registers {
  const replayer = new Replayer(readJournal(journalBytes));
  replayer.pauseAtExits = true;
  for (;;) {
    const step = replayer.step();
    if (step.kind === 'at-exit' && step.exit.seq === seq) return registersOf(replayer.machine);
    if (step.kind === 'done') throw new Error(`the replay ended before exit ${seq}`);
  }
}

describe('time travel in a replay session', () => {
  it('breakpoints forwards and backwards, seeks, the timeline, and the start of history', async () => {
    const { vm, exits } = await record();
    const journalBytes = await server().client.downloadRecording(vm.recording!);
    const session = await ReplaySession.start(server().client, vm.recording!);

    // The recorded run streams from where the traveller stands (here: exit 3, whose recorded answer comes with
    // it), and travel still works once the stream has reached the end.
    const streamed: { exit: VcpuExit; answered: boolean }[] = [];
    session.conn.on('exit', (exit, answer) => streamed.push({ exit, answered: answer !== undefined }));
    const notices: TravelReply[] = [];
    session.conn.on('travel', (place, stop) => notices.push({ place: place!, stop: stop! }));
    const at3 = await session.seek({ exit: 3 });
    expect(at3.place.atExit).toMatchObject({ seq: 3 });
    // Every client of the session hears of the move, with the requester's reply's place and stop.
    expect(notices).toEqual([at3]);
    await session.run();
    expect(await session.ended).toMatchObject({ verified: true, exits: exits.length });
    expect(streamed.map((s) => s.exit.seq)).toEqual(exits.slice(3).map((e) => e.seq));
    expect(streamed[0].answered).toBe(true);

    // An observer breakpoint at `target`: continue stops at its first call, then its second.
    await session.seek({ icount: 0 });
    expect(await session.breakpoint(target)).toBe(true);
    const hit1 = await session.continue();
    expect(hit1.stop).toMatchObject({ kind: 'breakpoint', pc: target });
    expect(hit1.place).toMatchObject({ pc: target, atExit: null });
    const regs1 = await session.registers();
    expect(regs1).toMatchObject({ pc: target, icount: hit1.place.icount });
    const hit2 = await session.continue();
    expect(hit2.stop).toMatchObject({ kind: 'breakpoint', pc: target });
    expect(hit2.place.icount).toBeGreaterThan(hit1.place.icount);
    // The argument register differs between the calls (target(0), target(1)).
    expect((await session.registers()).x[10]).toBe(regs1.x[10] + 1n);

    // Backwards to the previous hit: the very same place and registers.
    const back = await session.reverseContinue();
    expect(back.stop).toMatchObject({ kind: 'breakpoint', pc: target });
    expect(back.place.icount).toBe(hit1.place.icount);
    expect(await session.registers()).toEqual(regs1);

    // One instruction back and one forwards again.
    const before = await session.reverseStep();
    expect(before.place.icount).toBe(hit1.place.icount - 1);
    expect((await session.registers()).pc).not.toBe(target);
    const again = await session.step();
    expect(again.place).toMatchObject({ icount: hit1.place.icount, pc: target });
    expect(await session.registers()).toEqual(regs1);

    // The third call, then the end of the recording.
    await session.continue(); // the second hit again
    const hit3 = await session.continue();
    expect(hit3.stop).toMatchObject({ kind: 'breakpoint', pc: target });
    expect(hit3.place.icount).toBeGreaterThan(hit2.place.icount);
    expect((await session.continue()).stop).toEqual({ kind: 'history-end', closed: true });

    // Seeking back to an exit shows what a forward replay saw there, before the recorded answer.
    const n = Math.floor(exits.length / 2);
    const atN = await session.seek({ exit: n });
    expect(atN.stop).toEqual({ kind: 'arrived' });
    expect(atN.place.atExit).toMatchObject({ seq: n, reason: exits[n].reason, pc: exits[n].pc, icount: exits[n].icount });
    expect(atN.place.nextSeq).toBe(n + 1);
    expect(await session.registers()).toEqual(registersAtExit(journalBytes, n));
    await expect(session.seek({ exit: exits.length + 5 })).rejects.toMatchObject({ code: 'NO_SUCH_EXIT' });

    // The timeline, filtered by reason, holds exactly the recorded exits of that reason.
    const mmio = await session.timeline({ reason: 'MMIO' });
    const recordedMmio = exits.filter((e) => e.reason === 'MMIO');
    expect(recordedMmio.length).toBeGreaterThan(0);
    expect(mmio.map((e) => e.seq)).toEqual(recordedMmio.map((e) => e.seq));
    expect(mmio.every((e) => e.reason === 'MMIO' && e.exit.reason === 'MMIO')).toBe(true);
    const lastTwo = await session.timeline({ last: true, limit: 2 });
    expect(lastTwo.map((e) => e.seq)).toEqual([exits.length - 2, exits.length - 1]);
    expect(await session.timeline({ reason: 'RISCV_CSR' })).toEqual([]);

    // Before the first call of `target`, reverse-continue finds nothing: the start of history.
    await session.seek({ icount: hit1.place.icount - 1 });
    const start = await session.reverseContinue();
    expect(start.stop).toEqual({ kind: 'history-start' });
    expect(start.place).toMatchObject({ icount: 0, nextSeq: 0 });
    expect((await session.registers()).icount).toBe(0);

    const stats = await session.checkpoints();
    expect(stats.count).toBeGreaterThanOrEqual(1);
    expect(stats.intervalInsns).toBeGreaterThan(0);
    // Still nothing a client sends changes the recorded run.
    await expect(session.conn.request({ op: 'set-reg', reg: 5, value: 1n })).rejects.toMatchObject({ code: 'NOT_SUPPORTED' });
    await expect(session.run()).rejects.toMatchObject({ code: 'VM_ENDED' });
    await session.stop();
    await expect(session.continue()).rejects.toMatchObject({ code: 'VM_ENDED' });
    await session.close();
  });
});

describe('time travel in a live session', () => {
  it('goes back to an earlier exit, shows it, comes back to the present, and the run and its recording go on', async () => {
    const vm = await server().client.createVm({ guest: 'breakpoints.elf' });
    // An observer hears of every travel: each move with where it stopped, and each return to the present (null).
    const observer = await server().client.connect(vm, 'observer');
    const notices: (TravelReply | null)[] = [];
    observer.on('travel', (place, stop) => notices.push(place === null ? null : { place, stop: stop! }));
    const observerEnded = new Promise((resolve) => observer.once('ended', resolve));
    const dbg = new RemoteVmm(await server().client.connect(vm, 'controller'), { debugger: true });
    await expect(dbg.checkpoints()).rejects.toMatchObject({ code: 'NOT_TRAVELLING' });
    await dbg.breakpoint(target);
    await dbg.run();
    const first = await dbg.waitForStop();
    const regs1 = await dbg.registers();
    await dbg.continue();
    const second = await dbg.waitForStop();
    expect(second.seq).toBeGreaterThan(first.seq);
    const regs2 = await dbg.registers();
    expect(regs2.icount).toBeGreaterThan(regs1.icount);

    // Back to the first stop: the registers the debugger read there, then.
    const there = await dbg.seek({ exit: first.seq });
    expect(there.stop).toEqual({ kind: 'arrived' });
    expect(there.place.atExit).toMatchObject({ seq: first.seq, reason: 'DEBUG', why: 'address-breakpoint', pc: target });
    expect(await dbg.registers()).toEqual(regs1);
    const status = await dbg.conn.request<{ state: string; icount: number; waitingSeq: number; travel: { icount: number } }>({ op: 'status' });
    expect(status).toMatchObject({ state: 'waiting', icount: regs2.icount, waitingSeq: second.seq, travel: { icount: regs1.icount } });

    // Nothing may change the run while the VM shows its past.
    await expect(dbg.setRegister(5, 1n)).rejects.toMatchObject({ code: 'TRAVELLING' });
    await expect(dbg.writeMemory(0x8000_0000, Uint8Array.of(1))).rejects.toMatchObject({ code: 'TRAVELLING' });
    const refused = new Promise<ProtocolError>((resolve) => dbg.conn.once('error', resolve));
    dbg.conn.answer({ seq: second.seq, reason: 'DEBUG', action: 'resume' });
    expect(await refused).toMatchObject({ code: 'TRAVELLING', seq: second.seq });

    // The live breakpoint carried over into the past as the traveller's: nothing before the first hit, then
    // forwards to it and to the second (the recorded DEBUG exit the VM waits at now).
    const atStart = await dbg.reverseContinue();
    expect(atStart.stop).toEqual({ kind: 'history-start' });
    const fwd1 = await dbg.history.continue();
    expect(fwd1.stop).toMatchObject({ kind: 'breakpoint', pc: target, seq: first.seq });
    expect(fwd1.place.icount).toBe(regs1.icount);
    const fwd2 = await dbg.history.continue();
    expect(fwd2.stop).toMatchObject({ kind: 'breakpoint', pc: target, seq: second.seq });
    expect((await dbg.timeline({ reason: 'DEBUG' })).map((e) => e.seq)).toEqual([first.seq, second.seq]);
    expect((await dbg.checkpoints()).count).toBeGreaterThanOrEqual(1);

    // The present: exactly where the VM was, still waiting at the second stop.
    const present = await dbg.present();
    expect(present).toMatchObject({ state: 'waiting', icount: regs2.icount, waitingSeq: second.seq });
    expect(present).not.toHaveProperty('travel');
    expect(await dbg.registers()).toEqual(regs2);

    // Look back once more with reverse-step from the present, then let `run` bring the VM back and go on.
    const stepBack = await dbg.reverseStep();
    expect(stepBack.place.icount).toBe(regs2.icount - 1);
    await dbg.breakpoint(target, false); // the traveller's
    await dbg.present();
    await dbg.breakpoint(target, false); // the live run's
    await dbg.continue();
    const end = await dbg.ended;
    expect(end.exitCode).toBe(0);
    expect(dbg.console).toBe(runElf(image).console);

    // The recording is one run, bit-exact: the travels left no trace in it.
    const journal = readJournal(await server().client.downloadRecording(vm.recording!));
    expect(journal.closed).toBe(true);
    expect(journal.exits.length).toBe(dbg.exitsSeen);
    const result = replayJournal(journal);
    expect(result.divergence).toBeUndefined();
    expect(result.ok).toBe(true);
    expect(result.finalDigest).toBe(end.digest);
    await dbg.conn.close();

    await observerEnded;
    expect(notices).toEqual([there, atStart, fwd1, fwd2, null, stepBack, null]);
    await observer.close();
  });

  it('a running VM pauses at a recorded point to look back; an unrecorded one has no history', async () => {
    // bench-sha256 prints, then computes for ~195M instructions without an exit, then prints again.
    const vm = await server().client.createVm({ guest: 'bench-sha256.elf' });
    const vmm = new RemoteVmm(await server().client.connect(vm, 'controller'));
    await vmm.run();
    await until(async () => (await server().client.getVm(vm.id)).icount > 5_000_000);
    const notices: { place: Place | null; stop: TravelStop | undefined }[] = [];
    vmm.conn.on('travel', (place, stop) => notices.push({ place, stop }));
    const timeline = await vmm.timeline({ last: true, limit: 1 });
    // The VM stopped with an immediate exit, the last exit of its history so far.
    expect(timeline).toHaveLength(1);
    type Status = { state: string; icount: number; exits: number; travel: { icount: number; nextSeq: number } };
    const status = await vmm.conn.request<Status>({ op: 'status' });
    expect(status.state).toBe('paused');
    expect(status.travel).toMatchObject({ icount: status.icount, nextSeq: status.exits });
    expect(timeline[0]).toMatchObject({ seq: status.exits - 1, icount: status.icount, reason: 'INTR', exit: { cause: 'immediate_exit' } });
    // Looking back without moving: the clients hear that the VM shows its past, standing at the present's place.
    expect(notices).toEqual([{ place: expect.objectContaining({ icount: status.icount, nextSeq: status.exits }), stop: undefined }]);
    await vmm.run();
    expect(notices.at(-1)).toEqual({ place: null, stop: undefined });
    expect((await vmm.ended).exitCode).toBe(0);
    expect(vmm.console).toBe(runElf(guestImage('bench-sha256')).console);
    expect(replayJournal(readJournal(await server().client.downloadRecording(vm.recording!))).ok).toBe(true);
    await vmm.conn.close();

    const unrecorded = await server().client.createVm({ guest: 'hello.elf', record: false });
    const conn = await server().client.connect(unrecorded, 'controller');
    await expect(conn.request({ op: 'seek', exit: 0 })).rejects.toMatchObject({ code: 'NOT_SUPPORTED' });
    await conn.close();
    await server().client.deleteVm(unrecorded.id);
  });
});

describe('checkpoint spacing set on the server', () => {
  const spaced = useTestServer(['--checkpoint-insns', '1000', '--checkpoint-exits', '1000000']);

  it('a recorded VM and a replay session checkpoint as often as serve was told', async () => {
    const vm = await spaced().client.createVm({ guest: 'breakpoints.elf' });
    const vmm = new RemoteVmm(await spaced().client.connect(vm, 'controller'));
    await vmm.run();
    expect((await vmm.ended).exitCode).toBe(0);
    await vmm.timeline({ limit: 1 }); // opens the VM's past, where its own checkpoints are
    const live = await vmm.checkpoints();
    expect(live.intervalInsns).toBe(1000);
    expect(live.count).toBeGreaterThan(1); // the default spacing (5 M instructions) would take one
    await vmm.conn.close();

    const session = await ReplaySession.start(spaced().client, vm.recording!);
    await session.run();
    expect(await session.ended).toMatchObject({ verified: true });
    const replayed = await session.checkpoints();
    expect(replayed.intervalInsns).toBe(1000);
    expect(replayed.count).toBeGreaterThan(1);
    await session.conn.close();
  });
});
