/**
 * `npm run bench:load` (node dist/bench/load.js [--rounds 5] [--vms 16] [--seconds 60] [--guest console-flood]):
 * the service under load. Each round creates N recorded VMs of an exit-heavy guest, each driven by an answering
 * SDK client, for S seconds, while a separate thread polls /healthz every 100 ms; then deletes them all. It
 * reports per round the exits served, /healthz latency (p50, p99, max) and the server's resident memory: idle
 * before the first round, at the peak, and after the VMs are deleted (the least over the following 10 s). The
 * service passes when /healthz p99 stays under 100 ms and memory comes back within 10% of idle, every round.
 * A benchmark, not a test: it prints figures (docs/architecture.md, "Under load").
 */
import { readFileSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { HindsightClient, RemoteVmm } from '../client-sdk/index.js';
import { startServer } from './loopback.js';
import { markdownTable, percentile } from './stats.js';

interface Options { rounds: number; vms: number; seconds: number; guest: string }

function options(argv: string[]): Options {
  const o: Options = { rounds: 5, vms: 16, seconds: 60, guest: 'console-flood' };
  for (let i = 0; i < argv.length; i += 2) {
    const v = argv[i + 1];
    if (argv[i] === '--rounds') o.rounds = Number(v);
    else if (argv[i] === '--vms') o.vms = Number(v);
    else if (argv[i] === '--seconds') o.seconds = Number(v);
    else if (argv[i] === '--guest') o.guest = v;
    else throw new Error(`unknown option ${argv[i]}`);
  }
  return o;
}

/** The server process's resident memory, in MiB (Linux: /proc). */
function rssMib(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m === null ? Number.NaN : Number(m[1]) / 1024;
}

/** Polls /healthz every 100 ms from its own thread (so the clients' work here does not delay it); resolves with the latencies. */
function pollHealth(url: string): { stop(): Promise<number[]> } {
  const worker = new Worker(`
    const { parentPort, workerData } = require('node:worker_threads');
    const latencies = [];
    let stopped = false;
    parentPort.on('message', () => { stopped = true; });
    (async () => {
      while (!stopped) {
        const t = performance.now();
        try { const r = await fetch(workerData + '/healthz'); await r.text(); latencies.push(r.status === 200 ? performance.now() - t : Infinity); }
        catch { latencies.push(Infinity); }
        await new Promise((r) => setTimeout(r, 100));
      }
      parentPort.postMessage(latencies);
    })();
  `, { eval: true, workerData: url });
  return {
    stop: () => new Promise((resolve) => {
      worker.once('message', (latencies: number[]) => { void worker.terminate(); resolve(latencies); });
      worker.postMessage('stop');
    }),
  };
}

interface Round { exits: number; p50: number; p99: number; max: number; peak: number; after: number }

async function round(client: HindsightClient, pid: number, o: Options, url: string): Promise<Round> {
  const vms = await Promise.all(Array.from({ length: o.vms }, () => client.createVm({ guest: `${o.guest}.elf` })));
  const health = pollHealth(url);
  const controllers = await Promise.all(vms.map(async (vm) => new RemoteVmm(await client.connect(vm, 'controller'))));
  await Promise.all(controllers.map((c) => c.run()));
  let peak = rssMib(pid);
  const sampler = setInterval(() => { peak = Math.max(peak, rssMib(pid)); }, 500);
  await new Promise((r) => setTimeout(r, o.seconds * 1000));
  const exits = controllers.reduce((n, c) => n + c.exitsSeen, 0);
  await Promise.all(vms.map((vm) => client.deleteVm(vm.id)));
  await Promise.all(controllers.map((c) => c.conn.close()));
  clearInterval(sampler);
  const latencies = (await health.stop()).sort((a, b) => a - b);
  // Memory after: the least over the next 10 s (worker threads and their heaps are let go of as they end).
  let after = rssMib(pid);
  for (let i = 0; i < 20; i++) {
    await new Promise((r) => setTimeout(r, 500));
    after = Math.min(after, rssMib(pid));
  }
  return { exits, p50: percentile(latencies, 0.5), p99: percentile(latencies, 0.99), max: latencies.at(-1)!, peak, after };
}

async function main(): Promise<void> {
  const o = options(process.argv.slice(2));
  const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
  const server = await startServer(join(root, 'dist/server/cli/main.js'), join(root, 'guests/build'), ['--max-vms', String(o.vms), '--log-level', 'warn']);
  const pid = server.pid;
  const client = new HindsightClient(server.url, server.token);
  try {
    await new Promise((r) => setTimeout(r, 1000));
    const fresh = rssMib(pid);
    // One VM created and deleted first: the worker's code is loaded and compiled once, as any first VM does.
    const warm = await client.createVm({ guest: 'hello.elf' });
    await client.deleteVm(warm.id);
    await new Promise((r) => setTimeout(r, 3000));
    const idle = rssMib(pid);
    process.stderr.write(`[bench load] server RSS fresh ${fresh.toFixed(0)} MiB, idle after a first VM ${idle.toFixed(0)} MiB\n`);
    const rows: (string | number)[][] = [];
    let pass = true;
    for (let r = 1; r <= o.rounds; r++) {
      const x = await round(client, pid, o, server.url);
      const back = (x.after - idle) / idle;
      const ok = x.p99 < 100 && back <= 0.1;
      pass &&= ok;
      process.stderr.write(`[bench load] round ${r}: ${x.exits} exits, healthz p99 ${x.p99.toFixed(1)} ms, RSS peak ${x.peak.toFixed(0)} after ${x.after.toFixed(0)} MiB\n`);
      rows.push([r, o.vms, x.exits, Math.round(x.exits / o.seconds), x.p50.toFixed(1), x.p99.toFixed(1), x.max.toFixed(1), idle.toFixed(0), x.peak.toFixed(0), x.after.toFixed(0), `${back >= 0 ? '+' : ''}${(back * 100).toFixed(1)}%`, ok ? 'yes' : 'NO']);
    }
    process.stdout.write(`${markdownTable(
      ['round', 'VMs', 'exits', 'exits/s', 'healthz p50 ms', 'p99 ms', 'max ms', 'RSS idle MiB', 'peak MiB', 'after MiB', 'after vs idle', 'pass'],
      'rrrrrrrrrrrl', rows,
    )}\n(${o.guest}, recorded, one answering SDK client per VM for ${o.seconds} s; /healthz polled every 100 ms from its own thread; RSS of the server process; fresh server ${fresh.toFixed(0)} MiB; pass: p99 < 100 ms and memory after within 10% of idle)\n${pass ? 'PASS' : 'FAIL'}\n`);
    process.exitCode = pass ? 0 : 1;
  } finally {
    await server.stop();
    rmSync(server.dir, { recursive: true, force: true });
  }
}

void main();
