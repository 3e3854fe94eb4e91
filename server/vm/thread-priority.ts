/**
 * VM worker threads run at a lower CPU priority than the server's main thread.
 *
 * Why: the main thread answers HTTP (`/healthz`, creating and deleting VMs, channel upgrades, `/metrics`) and needs
 * little CPU, but it needs it at once; the VMs' threads want every core there is. At equal priority the kernel's
 * scheduler makes the main thread wait behind them, and it waits longest when 16 VMs start at once and each loads
 * and compiles the worker's code: /healthz took 300-600 ms then (docs/architecture.md, "Under load"). With the VM
 * threads at nice +5, whenever the main thread has work it runs first; the VMs share what it leaves, the same total.
 *
 * On Linux a thread's nice value is its own (setpriority with who = 0 sets the calling thread's); elsewhere it is the
 * whole process's, so this does nothing there. Threads a worker creates inherit its value: the server starts libuv's
 * thread pool from the main thread first (server.ts), so that the pool does not run at a VM's priority.
 */
import { getPriority, setPriority } from 'node:os';

/** How much lower than the main thread a VM's thread runs (nice 0 -> 5: about a third of the weight). */
export const VM_THREAD_NICE_INCREMENT = 5;

/** Lowers the calling thread's priority by `increment` (nice, at most 19); returns the new value, or null if it could not. */
export function lowerThisThreadsPriority(increment = VM_THREAD_NICE_INCREMENT): number | null {
  if (process.platform !== 'linux') return null;
  try {
    const nice = Math.min(19, getPriority(0) + increment);
    setPriority(0, nice);
    return nice;
  } catch {
    return null;
  }
}
