/**
 * The entry point of a VM's worker thread: it lowers the thread's CPU priority (thread-priority.ts) before anything
 * else, since loading and compiling the VM's code (vm-worker.ts and all it imports) is most of a new VM's CPU, then
 * loads the worker itself.
 */
import { lowerThisThreadsPriority } from './thread-priority.js';

lowerThisThreadsPriority();
await import('./vm-worker.js');
