/**
 * Kills: `serve` with a recording VM and an answering client, and `record` of a guest, stopped at a random moment
 * by SIGKILL, SIGINT or SIGTERM. A SIGKILLed server's journal must hold every exit the client received and every
 * answer the server acknowledged, and replay; a signalled one must exit 130/143 with every journal closed
 * (`interrupted`) and verifying. A SIGKILLed `record` must leave a journal that replays and holds what was printed
 * up to ~100 ms before the kill; a signalled one must exit 130/143 with everything printed recorded and verify.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RemoteVmm } from '../../client-sdk/index.js';
import { readJournal, replayJournal, type JournalRecord } from '../../sim/index.js';
import { CampaignReport, cases, codeOf, hasStackTrace, type FuzzContext } from '../report.js';
import { Rng } from '../rng.js';
import { startServer } from '../server.js';

const SIGNALS = ['SIGKILL', 'SIGINT', 'SIGTERM'] as const;
const STATUS: Record<string, number> = { SIGINT: 130, SIGTERM: 143 };

function endReason(bytes: Uint8Array): string | null {
  const last = readJournal(bytes).entries.at(-1)?.record as JournalRecord | undefined;
  return last?.t === 'end' ? last.reason : null;
}

async function killServe(ctx: FuzzContext, report: CampaignReport, index: number, rng: Rng): Promise<void> {
  const signal = rng.pick(SIGNALS);
  const server = await startServer(ctx.cli, ctx.guestsDir);
  try {
    const vm = await server.client.createVm({ guest: rng.pick(['mmio-loop.elf', 'console-flood.elf', 'uart-irq.elf']) });
    const conn = await server.client.connect(vm, 'controller');
    let seen = -1;
    conn.on('exit', (e) => { seen = Math.max(seen, e.seq); });
    const vmm = new RemoteVmm(conn, { input: Buffer.from('kill\n') });
    await vmm.run();
    await new Promise((r) => setTimeout(r, 100 + rng.int(1500)));
    const exited = new Promise<{ code: number | null }>((resolve) => server.child.once('exit', (code) => resolve({ code })));
    server.child.kill(signal);
    const { code } = await exited;
    const file = join(server.dataDir, 'recordings', vm.recording!);
    const bytes = readFileSync(file);
    const what = `serve ${signal} with ${vm.name}, the client had seen exit ${seen}`;
    const j = readJournal(bytes);
    const last = j.exits.at(-1)?.seq ?? -1;
    if (last < seen) report.fail('lost', index, `${what}: the journal ends at exit ${last}`, { ext: 'hsj', bytes });
    const answered = new Set(j.entries.filter((e) => e.record.t === 'answer').map((e) => (e.record as Extract<JournalRecord, { t: 'answer' }>).answer.seq));
    const waiting = new Set(j.exits.filter((e) => e.reason === 'MMIO' || e.reason === 'RISCV_SBI').map((e) => e.seq));
    for (let s = 0; s < seen; s++) if (waiting.has(s) && !answered.has(s)) {
      report.fail('lost', index, `${what}: the answer to exit ${s} is missing`, { ext: 'hsj', bytes });
      break;
    }
    const replay = replayJournal(j);
    if (replay.divergence !== undefined) report.fail('lost', index, `${what}: ${JSON.stringify(replay.divergence)}`, { ext: 'hsj', bytes });
    if (signal !== 'SIGKILL') {
      if (code !== STATUS[signal]) report.fail('crash', index, `${what}: exit status ${code}, not ${STATUS[signal]}`);
      const reason = endReason(bytes);
      if (reason === null || (reason !== 'interrupted' && vmm.exitsSeen === 0)) report.fail('lost', index, `${what}: the journal is not closed (${reason})`, { ext: 'hsj', bytes });
      if (replay.finalDigest !== replay.recordedDigest) report.fail('lost', index, `${what}: the final digest does not match`, { ext: 'hsj', bytes });
    }
    if (server.stackTrace() !== null) report.fail('stack', index, `${what}: ${server.stackTrace()}`);
    report.outcome(`serve-${signal}`);
  } catch (e) {
    report.fail(codeOf(e) === null ? 'uncoded' : 'lost', index, `serve ${signal}: ${e instanceof Error ? e.stack ?? e.message : String(e)}`);
  } finally {
    await server.stop();
  }
}

async function killRecord(ctx: FuzzContext, report: CampaignReport, index: number, rng: Rng): Promise<void> {
  const signal = rng.pick(SIGNALS);
  const guest = rng.pick(['console-flood', 'tt-long']);
  const dir = mkdtempSync(join(tmpdir(), 'hindsight-fuzz-record-'));
  const file = join(dir, 'run.hsj');
  try {
    const child = spawn(process.execPath, [ctx.cli, 'record', join(ctx.guestsDir, `${guest}.elf`), '-o', file, '--quiet', '--no-sleep'], { stdio: ['ignore', 'pipe', 'pipe'] });
    const chunks: { at: number; bytes: number }[] = [];
    let stderr = '';
    child.stdout!.on('data', (d: Buffer) => chunks.push({ at: performance.now(), bytes: d.length }));
    child.stderr!.on('data', (d: Buffer) => { stderr += d.toString(); });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    await new Promise((r) => child.stdout!.once('data', r));
    await new Promise((r) => setTimeout(r, rng.int(1500)));
    const killedAt = performance.now();
    child.kill(signal);
    const code = await exited;
    const printed = (before: number) => chunks.filter((c) => c.at <= before).reduce((n, c) => n + c.bytes, 0);
    const what = `record ${guest} ${signal}`;
    const bytes = readFileSync(file);
    const j = readJournal(bytes);
    const recorded = j.exits.filter((e) => e.reason === 'RISCV_SBI').length;
    const replay = replayJournal(j);
    if (replay.divergence !== undefined) report.fail('lost', index, `${what}: ${JSON.stringify(replay.divergence)}`, { ext: 'hsj', bytes });
    if (hasStackTrace(stderr)) report.fail('stack', index, `${what}: ${stderr}`);
    if (signal === 'SIGKILL') {
      if (recorded < printed(killedAt - 300)) report.fail('lost', index, `${what}: ${recorded} characters recorded, ${printed(killedAt - 300)} printed 300 ms before the kill`, { ext: 'hsj', bytes });
    } else {
      if (code !== STATUS[signal]) report.fail('crash', index, `${what}: exit status ${code}`);
      if (endReason(bytes) !== 'interrupted') report.fail('lost', index, `${what}: end reason ${endReason(bytes)}`, { ext: 'hsj', bytes });
      if (recorded < printed(Infinity)) report.fail('lost', index, `${what}: ${recorded} characters recorded, ${printed(Infinity)} printed`, { ext: 'hsj', bytes });
      const verify = spawnSync(process.execPath, [ctx.cli, 'replay', '--verify', file], { encoding: 'utf8', timeout: 300_000 });
      if (verify.status !== 0) report.fail('lost', index, `${what}: replay --verify exited ${verify.status}: ${verify.stderr}`, { ext: 'hsj', bytes });
    }
    report.outcome(`record-${signal}`);
  } catch (e) {
    report.fail(codeOf(e) === null ? 'uncoded' : 'lost', index, `record ${signal}: ${e instanceof Error ? e.stack ?? e.message : String(e)}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function killCampaign(ctx: FuzzContext): Promise<CampaignReport> {
  const report = new CampaignReport('kill', ctx);
  for (const index of cases(ctx, ctx.budget)) {
    const rng = Rng.forCase(ctx.seed, 'kill', index);
    report.inputs++;
    if (index % 2 === 0) await killServe(ctx, report, index, rng);
    else await killRecord(ctx, report, index, rng);
    ctx.progress(`kill: ${report.inputs} kills`);
  }
  return report;
}
