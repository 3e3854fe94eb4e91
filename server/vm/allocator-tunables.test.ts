/**
 * `serve` turns glibc's per-thread malloc caches off by starting itself again with GLIBC_TUNABLES set: the same
 * process (pid), its output still reaching the same place, the user's own tunables kept, and no restart when the
 * user already chose a tcache size.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { withAllocatorTunables } from './allocator-tunables.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const dataDir = mkdtempSync(join(tmpdir(), 'hindsight-tunables-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

/** Starts `serve`, waits for its "listening" line on stdout, reads its environment from /proc, stops it. */
async function serveEnvironment(env: NodeJS.ProcessEnv): Promise<{ environ: string; status: number | null; stdout: string }> {
  const child = spawn(process.execPath, [join(root, 'dist/server/cli/main.js'), 'serve', '--port', '0', '--data', dataDir, '--log-level', 'warn'], { env, stdio: ['ignore', 'pipe', 'inherit'] });
  let stdout = '';
  await new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (d: Buffer) => { stdout += d.toString(); if (stdout.includes('listening on')) resolve(); });
    child.once('exit', (code) => reject(new Error(`serve exited (${code}) before listening: ${stdout}`)));
  });
  // The bytes of the environment the process started with; glibc may cut GLIBC_TUNABLES there at each ':' as it
  // parses it, so each setting is looked for on its own.
  const environ = readFileSync(`/proc/${child.pid}/environ`, 'utf8');
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  child.kill('SIGTERM');
  return { environ, status: await exited, stdout };
}

describe('allocator tunables', () => {
  it('adds the cache setting after the user\'s own tunables, and nothing when the user set it', () => {
    expect(withAllocatorTunables(undefined)).toBe('glibc.malloc.tcache_count=0');
    expect(withAllocatorTunables('')).toBe('glibc.malloc.tcache_count=0');
    expect(withAllocatorTunables('glibc.malloc.arena_max=4')).toBe('glibc.malloc.arena_max=4:glibc.malloc.tcache_count=0');
    expect(withAllocatorTunables('glibc.malloc.tcache_count=7')).toBeNull();
    expect(withAllocatorTunables('glibc.malloc.arena_max=2:glibc.malloc.tcache_count=3')).toBeNull();
  });

  it.runIf(process.platform === 'linux')('serve runs as the same process with the caches off, its output and exit status as before', async () => {
    const seen = await serveEnvironment({ ...process.env, GLIBC_TUNABLES: 'glibc.malloc.arena_max=8' });
    expect(seen.environ).toContain('GLIBC_TUNABLES=glibc.malloc.arena_max=8');
    expect(seen.environ).toContain('glibc.malloc.tcache_count=0');
    expect(seen.stdout).toMatch(/^hindsight: listening on http:\/\/127\.0\.0\.1:\d+\n/);
    expect(seen.status).toBe(143);
  });

  it.runIf(process.platform === 'linux')('a tcache size the user chose is kept: serve does not start again', async () => {
    const seen = await serveEnvironment({ ...process.env, GLIBC_TUNABLES: 'glibc.malloc.tcache_count=7' });
    expect(seen.environ).toContain('GLIBC_TUNABLES=glibc.malloc.tcache_count=7');
    expect(seen.environ).not.toContain('tcache_count=0');
    expect(seen.status).toBe(143);
  });
});
