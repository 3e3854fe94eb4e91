/**
 * MMIO round trips answered by a remote SDK client over loopback: the real server (`hindsight serve` in a child
 * process), the mmio-loop guest (50,000 MMIO reads, each an exit the client answers from its device models), one VM
 * and then several at once. Prints exits per second and round-trip latency percentiles. A benchmark, not a test.
 */
import { measureEchoFloor, type EchoFloor } from './echo-floor.js';
import { markdownTable, percentile } from './stats.js';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HindsightClient, RemoteVmm } from '../client-sdk/index.js';

/** Round trips of each echo floor (no hindsight in them, for comparison). */
const FLOOR_ROUND_TRIPS = 50_000;

export interface LoopbackRow {
  vms: number;
  exits: number;
  seconds: number;
  exitsPerSecond: number;
  p50us: number;
  p99us: number;
  /** The client's own time per exit: from the exit's arrival to its answer sent (p50). */
  turnaroundP50us: number;
  recorded: boolean;
}

export interface LoopbackReport {
  rows: LoopbackRow[];
  floors: EchoFloor[];
}

/** `hindsight serve` in a child process on a free port, with its own data folder (and `extra` options). */
export async function startServer(cli: string, guestsDir: string, extra: string[] = []): Promise<{ url: string; token: string; stop(): Promise<void>; dir: string; pid: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'hindsight-loopback-'));
  const token = 'loopback-bench-token-0123456789';
  writeFileSync(join(dir, 'token'), token);
  const child = spawn(process.execPath, [cli, 'serve', '--port', '0', '--data', dir, '--token-file', join(dir, 'token'), '--guests', guestsDir, ...extra], { stdio: ['ignore', 'pipe', 'inherit'] });
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /listening on (\S+)/.exec(out);
      if (m) resolve(m[1]);
    });
    child.once('exit', (code) => reject(new Error(`server exited ${code}`)));
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return { url, token, dir, pid: child.pid!, stop: () => { child.kill('SIGTERM'); return exited; } };
}

/** Runs `vms` mmio-loop guests at once, each with its own controller; returns the combined figures. */
async function round(client: HindsightClient, vms: number, record: boolean): Promise<LoopbackRow> {
  const created = await Promise.all(Array.from({ length: vms }, () => client.createVm({ guest: 'mmio-loop.elf', record })));
  const latencies: number[] = [];
  const turnarounds: number[] = [];
  const controllers = await Promise.all(created.map(async (vm) => {
    const conn = await client.connect(vm, 'controller');
    let sentAt = -1, gotAt = -1;
    // Registered before the RemoteVmm's own listener, so it sees each exit first.
    conn.on('exit', () => {
      gotAt = performance.now();
      if (sentAt >= 0) latencies.push(gotAt - sentAt);
      sentAt = -1;
    });
    const vmm = new RemoteVmm(conn, {
      onExit: (_exit, answer) => {
        if (answer === undefined) return;
        sentAt = performance.now();
        turnarounds.push(sentAt - gotAt);
      },
    });
    return vmm;
  }));
  const t0 = performance.now();
  await Promise.all(controllers.map((c) => c.run()));
  const ends = await Promise.all(controllers.map((c) => c.ended));
  const seconds = (performance.now() - t0) / 1000;
  for (const [i, end] of ends.entries()) {
    if (end.exitCode !== 0) throw new Error(`VM ${created[i].id} ended with ${JSON.stringify(end)}`);
  }
  await Promise.all(controllers.map((c) => c.conn.close()));
  await Promise.all(created.map((vm) => client.deleteVm(vm.id)));
  const exits = ends.reduce((n, e) => n + e.exits, 0);
  const sorted = Float64Array.from(latencies).sort();
  const turns = Float64Array.from(turnarounds).sort();
  return {
    vms, exits, seconds, exitsPerSecond: exits / seconds, p50us: percentile(sorted, 0.5) * 1000, p99us: percentile(sorted, 0.99) * 1000,
    turnaroundP50us: percentile(turns, 0.5) * 1000, recorded: record,
  };
}

export async function runLoopbackBench(opts: { cli: string; guestsDir: string; vmCounts: number[] }): Promise<LoopbackReport> {
  readFileSync(join(opts.guestsDir, 'mmio-loop.elf'));
  const server = await startServer(opts.cli, opts.guestsDir);
  const client = new HindsightClient(server.url, server.token);
  const rows: LoopbackRow[] = [];
  try {
    await round(client, 1, true); // warm-up: JIT on both sides
    for (const vms of opts.vmCounts) rows.push(await round(client, vms, true));
    rows.push(await round(client, 1, false));
  } finally {
    server.stop();
    rmSync(server.dir, { recursive: true, force: true });
  }
  const floors = [await measureEchoFloor('tcp', FLOOR_ROUND_TRIPS), await measureEchoFloor('ws', FLOOR_ROUND_TRIPS)];
  return { rows, floors };
}

export function formatLoopbackBench(report: LoopbackReport): string {
  const header = ['VMs at once', 'recorded', 'exits', 'seconds', 'exits/s (all VMs)', 'round trip p50', 'round trip p99', 'client turnaround p50'];
  const service = markdownTable(header, 'rlrrrrrr', report.rows.map((r) => [
    r.vms, r.recorded ? 'yes' : 'no', r.exits, r.seconds.toFixed(2), Math.round(r.exitsPerSecond), `${r.p50us.toFixed(0)} µs`, `${r.p99us.toFixed(0)} µs`,
    `${r.turnaroundP50us.toFixed(0)} µs`,
  ]));
  const floors = markdownTable(['echo between two Node processes', 'round trips', 'per second', 'p50', 'p99'], 'lrrrr', report.floors.map((f) => [
    f.kind === 'ws' ? 'WebSocket (ws)' : 'TCP', f.roundTrips, Math.round(f.perSecond), `${f.p50us.toFixed(0)} µs`, `${f.p99us.toFixed(0)} µs`,
  ]));
  return `${service}\n\n${floors}`;
}
