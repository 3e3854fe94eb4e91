/**
 * What survives when `serve` or `record` is stopped from outside (finding 3 of issue 14): SIGKILL loses nothing a
 * client saw; SIGINT and SIGTERM close every journal with an end record saying so and exit 130 / 143; a local
 * recording killed outright has everything but its last ~100 ms.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { RemoteVmm } from '../client-sdk/index.js';
import { readJournal, replayJournal, type JournalRecord } from '../sim/index.js';
import { CLI, GUESTS, startTestServer, type TestServer } from './test-helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'hindsight-durable-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function endOf(file: string): Extract<JournalRecord, { t: 'end' }> | undefined {
  const j = readJournal(readFileSync(file));
  const last = j.entries.at(-1)?.record;
  return last?.t === 'end' ? last : undefined;
}

function exited(child: ReturnType<typeof spawn>): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  // Already gone (the guest may end before the signal is sent): 'exit' will not come again.
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve({ code: child.exitCode, signal: child.signalCode });
  return new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
}

/** A VM of `server` driven by a controller that notes the highest exit seq it has received. */
async function drivenVm(server: TestServer, guest: string): Promise<{ recording: string; seen: () => number; vmm: RemoteVmm }> {
  const vm = await server.client.createVm({ guest });
  const conn = await server.client.connect(vm, 'controller');
  let seen = -1;
  conn.on('exit', (exit) => { seen = Math.max(seen, exit.seq); });
  const vmm = new RemoteVmm(conn);
  await vmm.run();
  return { recording: join(server.dataDir, 'recordings', vm.recording!), seen: () => seen, vmm };
}

describe('serve stopped from outside', () => {
  it('SIGKILL loses no exit a client received, nor an answer the server acknowledged (3 kills)', async () => {
    let x = 0x1234567;
    for (let round = 0; round < 3; round++) {
      x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0;
      const server = await startTestServer();
      try {
        const { recording, seen } = await drivenVm(server, 'mmio-loop.elf');
        await new Promise((r) => setTimeout(r, 200 + (x % 1200)));
        const gone = exited(server.child);
        server.child.kill('SIGKILL');
        await gone;
        const lastSeen = seen();
        expect(lastSeen, `round ${round}: the client saw no exit before the kill`).toBeGreaterThan(0);
        const j = readJournal(readFileSync(recording));
        expect(j.closed).toBe(false);
        // Every exit the client received is in the journal, and every answer to an exit before the last one it saw
        // (the server acknowledged those by sending the next exit).
        const exits = j.exits.map((e) => e.seq);
        expect(exits.at(-1) ?? -1, `round ${round}: journal ends at exit ${exits.at(-1) ?? '(none)'}, the client saw ${lastSeen}`).toBeGreaterThanOrEqual(lastSeen);
        const answered = new Set(j.entries.filter((e) => e.record.t === 'answer').map((e) => (e.record as Extract<JournalRecord, { t: 'answer' }>).answer.seq));
        for (let seq = 0; seq < lastSeen; seq++) expect(answered.has(seq), `round ${round}: answer to exit ${seq}`).toBe(true);
        expect(replayJournal(j).divergence).toBeUndefined();
      } finally {
        await server.stop();
      }
    }
  });

  it('SIGTERM and SIGINT end every VM with an end record saying it was interrupted, and exit 143 / 130', async () => {
    for (const [signal, status] of [['SIGTERM', 143], ['SIGINT', 130]] as const) {
      const server = await startTestServer();
      try {
        const running = await drivenVm(server, 'mmio-loop.elf');
        const idle = await server.client.createVm({ guest: 'hello.elf' });
        await new Promise((r) => setTimeout(r, 300));
        const gone = exited(server.child);
        server.child.kill(signal);
        expect(await gone).toEqual({ code: status, signal: null });
        for (const file of [running.recording, join(server.dataDir, 'recordings', idle.recording!)]) {
          expect(endOf(file), `${signal}: ${file}`).toMatchObject({ reason: 'interrupted' });
          const j = readJournal(readFileSync(file));
          const r = replayJournal(j);
          expect(r.divergence).toBeUndefined();
          expect(r.finalDigest).toBe(r.recordedDigest);
        }
        expect(readJournal(readFileSync(running.recording)).exits.at(-1)!.seq).toBeGreaterThanOrEqual(running.seen());
      } finally {
        await server.stop();
      }
    }
  });
});

describe('record stopped from outside', () => {
  /**
   * `hindsight record` of a guest that prints one character per SBI exit (console-flood: a flood; tt-long: a line
   * every few tens of ms, computing in between), stopped with `signal` `ms` after its first output.
   */
  async function recordAndStop(guest: string, name: string, signal: NodeJS.Signals, ms: number, extra: string[] = []) {
    const file = join(dir, `${name}.hsj`);
    const child = spawn(process.execPath, [CLI, 'record', join(GUESTS, `${guest}.elf`), '-o', file, '--force', '--quiet', '--no-sleep', ...extra], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    // The console as the user saw it, with when each piece arrived.
    const chunks: { at: number; bytes: number }[] = [];
    child.stdout!.on('data', (d: Buffer) => chunks.push({ at: performance.now(), bytes: d.length }));
    // From the guest's first output on (a loaded machine starts node slowly).
    await new Promise((r) => child.stdout!.once('data', r));
    await new Promise((r) => setTimeout(r, ms));
    const killedAt = performance.now();
    const gone = exited(child);
    child.kill(signal);
    const end = await gone;
    const printed = (before: number) => chunks.filter((c) => c.at <= before).reduce((n, c) => n + c.bytes, 0);
    return { file, end, printed, killedAt };
  }

  const consoleExits = (file: string) => readJournal(readFileSync(file)).exits.filter((e) => e.reason === 'RISCV_SBI').length;

  it('SIGINT and SIGTERM stop at a recorded point, close the journal (interrupted) with every character printed, exit 130 / 143', async () => {
    for (const [signal, status] of [['SIGINT', 130], ['SIGTERM', 143]] as const) {
      const { file, end, printed } = await recordAndStop('console-flood', `interrupted-${signal}`, signal, 800);
      expect(end).toEqual({ code: status, signal: null });
      expect(endOf(file)).toMatchObject({ reason: 'interrupted' });
      // console-flood prints one character per SBI call: every one the user saw is in the journal.
      expect(consoleExits(file)).toBeGreaterThanOrEqual(printed(Infinity));
      const verify = spawnSync(process.execPath, [CLI, 'replay', '--verify', file], { encoding: 'utf8' });
      expect(verify.status, verify.stderr).toBe(0);
    }
  });

  it('SIGKILL: the journal holds the run up to about 100 ms before the kill, however few records it makes (4 kills)', async () => {
    for (const ms of [300, 700, 1100, 1500]) {
      // tt-long's records fill a write batch only every second or so: only the flush on host time saves them. The
      // interpreter alone runs it for several seconds (compiled, its 1.1e9 instructions can end before the kill).
      const { file, end, printed, killedAt } = await recordAndStop('tt-long', `killed-${ms}`, 'SIGKILL', ms, ['--tier', 'interp']);
      expect(end.signal).toBe('SIGKILL');
      const j = readJournal(readFileSync(file));
      expect(j.closed).toBe(false);
      expect(replayJournal(j).divergence).toBeUndefined();
      // What was on the screen 300 ms before the kill is recorded (slices end every 100 ms of host time at most,
      // and their records are written then; the rest is the pipe's and the scheduler's delay).
      expect(consoleExits(file), `killed after ${ms} ms`).toBeGreaterThanOrEqual(printed(killedAt - 300));
    }
  });
});
