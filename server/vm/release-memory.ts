/**
 * Handing the memory of ended VM workers back to the OS.
 *
 * Each VM runs in a worker thread, and glibc's malloc gives each thread an arena of its own. When a worker ends, its
 * isolate frees what it allocated into that arena, but glibc keeps the free pages for later threads: an arena's
 * heap shrinks only from its top and only after a free larger than a threshold that grows with use. Measured with
 * bench:load (docs/architecture.md, "Under load"): after 16 VMs were deleted the arenas held 63 MB of which 5 MB were
 * in use, and the server's RSS stayed 40-90 MiB above idle. `malloc_trim(0)` releases the free pages inside every
 * arena (it brought that server from 123 to 79 MiB, its idle figure); Node cannot call it, so a small addon does
 * (server/native/native.c, built by scripts/build-native.sh). Without the addon (not Linux, no C compiler when
 * built) this does nothing and the memory stays with the allocator, reused by the next VMs' workers.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { nativeAddon } from '../native/addon.js';

const trim = nativeAddon?.trim ?? null;

/** Whether the addon is there (built for this system; its trim does nothing where the C library is not glibc). */
export const canReleaseMemory = trim !== null;

/** Hands the C allocator's free memory back to the OS now; returns whether any was (false where it cannot be). */
export function releaseFreedMemory(): boolean {
  return trim?.() === true;
}

/**
 * The allocator's trim and mmap thresholds, fixed (glibc raises both with use, to as much as 64 and 32 MiB). Measured
 * with a diagnostic of bench:load (rounds of 16 VMs for 30-45 s, smaps): the thread arenas held 6-9 MiB after the
 * VMs were deleted with glibc's moving thresholds, 3-5 MiB with these (at idle 4-6 MiB, and 1 MiB).
 */
const ALLOCATOR_THRESHOLD_BYTES = 128 * 1024;

/**
 * Fixes the C allocator's thresholds so that the arenas of ended VM workers keep little (malloc_trim cannot trim an
 * arena's free top: glibc does that on a free, past the trim threshold), and drops the top pad (glibc keeps 128 KiB
 * of touched top after each trim: 0.9 MiB over the 15 arenas of 16 ended VMs). Call once at server start, before the
 * first VM's worker; returns whether it was done. The thread caches are the other half (allocator-tunables.ts).
 */
export function tuneAllocator(): boolean {
  return nativeAddon?.tuneAllocator(ALLOCATOR_THRESHOLD_BYTES) === true;
}

let scheduled = false;
let liveWorkers = 0;
let idleTimer: NodeJS.Timeout | null = null;

/** Counts a VM worker started (workerEnded, that it ended): the idle collection waits for every one. */
export function workerStarted(): void {
  liveWorkers++;
  if (idleTimer !== null) clearTimeout(idleTimer);
  idleTimer = null;
}

/**
 * V8's gc(), without exposing it to any script: the flag is on only while one new context is made. Node offers no
 * other way to ask for a full collection (V8's LowMemoryNotification is not reachable from JavaScript).
 */
function takeGc(): (() => void) | null {
  // Started with --expose-gc: use it, and leave the flag on for the contexts still to come.
  const exposed = (globalThis as { gc?: () => void }).gc;
  if (typeof exposed === 'function') return exposed;
  try {
    setFlagsFromString('--expose-gc');
    return runInNewContext('gc') as () => void;
  } catch {
    return null;
  } finally {
    setFlagsFromString('--no-expose-gc');
  }
}
const collectGarbage = takeGc();

/**
 * When the last VM has ended: three full collections of the main thread's heap a turn apart (the weak callbacks one
 * runs free the native half of sockets and parsers, whose wrappers the next one can then collect), then a trim.
 * An idle server allocates nothing, so V8 would otherwise never collect what the load left: measured over 5 rounds
 * of 16 VMs, the old generation's committed size grew 17 -> 19.5 MiB at 16.5 MiB "used" and the server ended +8 to
 * +10% over idle; with these collections it stays at 14 MiB and the server 5-7% under its idle figure.
 */
function collectWhileIdle(rounds: number): void {
  if (liveWorkers > 0 || collectGarbage === null) return;
  collectGarbage();
  if (rounds > 1) setImmediate(() => collectWhileIdle(rounds - 1));
  else releaseFreedMemory();
}

/**
 * Called as a VM worker ends. Releases freed memory once the current burst of worker exits is over (deleting many
 * VMs at once ends their workers within a few milliseconds: one trim covers them all; a trim walks every arena, so it
 * is not done per exit), and, when no VM worker is left, collects the main heap a second later (collectWhileIdle).
 */
export function workerEnded(): void {
  liveWorkers = Math.max(0, liveWorkers - 1);
  if (liveWorkers === 0 && idleTimer === null) {
    idleTimer = setTimeout(() => { idleTimer = null; collectWhileIdle(3); }, 1000);
    idleTimer.unref();
  }
  if (!canReleaseMemory || scheduled) return;
  scheduled = true;
  setTimeout(() => {
    scheduled = false;
    releaseFreedMemory();
  }, 50).unref();
}
