import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const glibc = process.platform === 'linux'
  && typeof (process.report.getReport() as { header?: { glibcVersionRuntime?: string } }).header?.glibcVersionRuntime === 'string';

/**
 * In a process of its own (so that nothing else runs in it): a worker thread allocates 64 MiB in 32 KiB buffers (below
 * glibc's mmap threshold, so they come from the thread's arena) and ends; then the resident anonymous memory is read,
 * freed memory released, and read again.
 */
const SCRIPT = `
import { Worker } from 'node:worker_threads';
import { readFileSync } from 'node:fs';
import { canReleaseMemory, releaseFreedMemory } from ${JSON.stringify(join(root, 'dist/server/vm/release-memory.js'))};
const anonMib = () => Number(/RssAnon:\\s+(\\d+)/.exec(readFileSync('/proc/self/status', 'utf8'))[1]) / 1024;
const before = anonMib();
const worker = new Worker('const k = []; for (let i = 0; i < 2048; i++) k.push(Buffer.alloc(32768, 1)); globalThis.k = k;', { eval: true });
await new Promise((resolve) => worker.once('exit', resolve));
const ended = anonMib();
const released = releaseFreedMemory();
const after = anonMib();
console.log(JSON.stringify({ canReleaseMemory, before, ended, released, after }));
`;

/**
 * A worker thread frees a 16 MiB buffer (glibc serves it with mmap, and raises its mmap and trim thresholds to its
 * size and twice that), then fills and frees 24 MiB of 256 KiB buffers, which now come from its arena and end up
 * as the arena's free top; it ends, and the freed memory is released (malloc_trim). With `tune` the thresholds were
 * fixed first (tuneAllocator).
 */
const TOP_SCRIPT = `
import { Worker } from 'node:worker_threads';
import { readFileSync } from 'node:fs';
import { releaseFreedMemory, tuneAllocator } from ${JSON.stringify(join(root, 'dist/server/vm/release-memory.js'))};
const anonMib = () => Number(/RssAnon:\\s+(\\d+)/.exec(readFileSync('/proc/self/status', 'utf8'))[1]) / 1024;
const tuned = process.argv.includes('tune') ? tuneAllocator() : null;
const before = anonMib();
const worker = new Worker(\`
  let big = Buffer.alloc(16 << 20, 1); big = null; gc();
  let small = []; for (let i = 0; i < 96; i++) small.push(Buffer.alloc(256 << 10, 1));
  small = null; gc();
\`, { eval: true });
await new Promise((resolve) => worker.once('exit', resolve));
releaseFreedMemory();
console.log(JSON.stringify({ tuned, keptMib: anonMib() - before }));
`;

function runTop(tune: boolean): { tuned: boolean | null; keptMib: number } {
  const run = spawnSync(process.execPath, ['--expose-gc', '--input-type=module', '-e', TOP_SCRIPT, ...(tune ? ['tune'] : [])], { encoding: 'utf8' });
  expect(run.stderr).toBe('');
  return JSON.parse(run.stdout) as { tuned: boolean | null; keptMib: number };
}

/**
 * In a process of its own that allocates nothing more: garbage only a WeakRef points to, then VM workers counted
 * started and ended (`busy` leaves one running). V8 collects an idle process's garbage only when asked.
 */
const IDLE_SCRIPT = `
import { runInNewContext } from 'node:vm';
import { workerEnded, workerStarted } from ${JSON.stringify(join(root, 'dist/server/vm/release-memory.js'))};
let garbage = { items: Array.from({ length: 100000 }, (_, i) => ({ i })) };
const ref = new WeakRef(garbage);
garbage = null;
workerStarted();
if (process.argv.includes('busy')) workerStarted();
workerEnded();
await new Promise((resolve) => setTimeout(resolve, 1500));
console.log(JSON.stringify({ collected: ref.deref() === undefined, gcHere: typeof globalThis.gc, gcInNewContext: runInNewContext('typeof gc') }));
`;

function runIdle(busy: boolean): { collected: boolean; gcHere: string; gcInNewContext: string } {
  const run = spawnSync(process.execPath, ['--input-type=module', '-e', IDLE_SCRIPT, ...(busy ? ['busy'] : [])], { encoding: 'utf8' });
  expect(run.stderr).toBe('');
  return JSON.parse(run.stdout);
}

describe('releasing the memory of ended VM workers', () => {
  it('the main heap is collected a second after the last VM worker ends, not while one runs, and gc() stays hidden', () => {
    const idle = runIdle(false);
    expect(idle.collected).toBe(true);
    expect(runIdle(true).collected).toBe(false);
    expect(idle.gcHere).toBe('undefined');
    expect(idle.gcInNewContext).toBe('undefined');
  });

  it.runIf(glibc)('an ended worker\'s arena keeps its free top past malloc_trim, unless the allocator\'s thresholds are fixed', () => {
    // glibc as it comes: the 24 MiB top stays resident (malloc_trim does not trim a thread arena's top).
    const plain = runTop(false);
    expect(plain.tuned).toBe(null);
    expect(plain.keptMib).toBeGreaterThan(16);
    // Fixed at 128 KiB: the 256 KiB buffers are mapped and unmapped one by one; nothing is kept.
    const tuned = runTop(true);
    expect(tuned.tuned).toBe(true);
    expect(tuned.keptMib).toBeLessThan(6);
  });

  it.runIf(glibc)('on Linux with glibc the addon is built, and it hands back what an ended worker thread freed', () => {
    const run = spawnSync(process.execPath, ['--input-type=module', '-e', SCRIPT], { encoding: 'utf8' });
    expect(run.stderr).toBe('');
    const r = JSON.parse(run.stdout) as { canReleaseMemory: boolean; before: number; ended: number; released: boolean; after: number };
    expect(r.canReleaseMemory).toBe(true);
    // What the test is about: glibc keeps the ended thread's 64 MiB ...
    expect(r.ended - r.before).toBeGreaterThan(48);
    // ... until it is released.
    expect(r.released).toBe(true);
    expect(r.ended - r.after).toBeGreaterThan(48);
  });
});
