/**
 * glibc's per-thread malloc caches, turned off for `serve`.
 *
 * Each thread keeps a small cache of the chunks it freed (tcache: up to 7 per size class), whichever arena they came
 * from. The main thread and V8's compile threads free chunks that VM workers allocated, so after the workers end,
 * chunks of their arenas stay "in use" in those caches, each pinning a page of an arena that is otherwise free.
 * Measured after 16 VMs were deleted (a walk of the arenas' chunks through /proc/PID/mem and pagemap): 689 cached
 * chunks (283 KiB) held 453 pages (1.8 MiB) that nothing else used, and the arenas' resident memory went from
 * 5.4-6.5 MiB to 3.2-3.5 MiB with the caches off (docs/architecture.md, "Under load"). glibc reads this setting
 * only from the environment the process starts with, so `serve` starts itself once more with it (execve: the same
 * process id, arguments and descriptors). A GLIBC_TUNABLES that already sets it is left as it is: that is how to
 * keep the caches (`GLIBC_TUNABLES=glibc.malloc.tcache_count=7`).
 */
import { nativeAddon } from '../native/addon.js';

const TCACHE_COUNT = 'glibc.malloc.tcache_count';

/** GLIBC_TUNABLES with the caches turned off after the caller's own tunables, or null when it already sets them. */
export function withAllocatorTunables(current: string | undefined): string | null {
  const names = (current ?? '').split(':').map((t) => t.split('=')[0]);
  if (names.includes(TCACHE_COUNT)) return null;
  return current === undefined || current === '' ? `${TCACHE_COUNT}=0` : `${current}:${TCACHE_COUNT}=0`;
}

/**
 * Starts this process again with the allocator tunables in its environment, unless they are there already or it
 * cannot (no addon, not glibc). Returns only then: null, or why the execve failed. Call before anything else has begun.
 */
export function restartWithAllocatorTunables(): string | null {
  const tunables = withAllocatorTunables(process.env.GLIBC_TUNABLES);
  if (nativeAddon === null || !nativeAddon.glibc || tunables === null) return null;
  const env = Object.entries({ ...process.env, GLIBC_TUNABLES: tunables }).map(([k, v]) => `${k}=${v ?? ''}`);
  try {
    nativeAddon.exec(process.execPath, [process.argv0, ...process.execArgv, ...process.argv.slice(1)], env);
  } catch (e) {
    return (e as Error).message;
  }
  return 'execve returned';
}
