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

/**
 * Releases freed memory once the current burst of worker exits is over (deleting many VMs at once ends their
 * workers within a few milliseconds: one trim covers them all). A trim walks every arena, so it is not done per exit.
 */
export function releaseFreedMemorySoon(): void {
  if (!canReleaseMemory || scheduled) return;
  scheduled = true;
  setTimeout(() => {
    scheduled = false;
    releaseFreedMemory();
  }, 50).unref();
}
