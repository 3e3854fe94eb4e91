/**
 * The entry point of a VM's worker thread: one vCPU, its journal, and nothing else. The main thread's event loop
 * never runs guest code, so a busy guest stalls neither the server nor the other guests.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { SimError } from '../../sim/index.js';
import { LiveVm } from './live-vm.js';
import { ReplayVm } from './replay-vm.js';
import type { FromWorker, ToWorker, WorkerInit } from './worker-messages.js';

const port = parentPort!;
const init = workerData as WorkerInit;
// Exit frames are moved, not copied, to the main thread.
const post = (message: FromWorker): void => {
  if (message.t === 'exit' || message.t === 'answered') port.postMessage(message, [message.frame.buffer as ArrayBuffer]);
  else port.postMessage(message);
};

let vm: LiveVm | ReplayVm;
try {
  const workerPort = { post, defer: (fn: () => void) => setImmediate(fn) };
  vm = init.kind === 'live' ? new LiveVm(init, workerPort) : new ReplayVm(init, workerPort);
  post({ t: 'ready', state: vm.state });
  port.on('message', (message: ToWorker) => vm.handle(message));
} catch (e) {
  post({ t: 'failed', code: e instanceof SimError ? e.code : 'INTERNAL', message: e instanceof Error ? e.message : String(e) });
}
