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

describe('releasing the memory of ended VM workers', () => {
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
