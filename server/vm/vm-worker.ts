/**
 * The entry point of a VM's worker thread: one vCPU, its journal, and the WebSocket channels of its clients. The main
 * thread's event loop never runs guest code and never carries an exit, so a busy guest stalls neither the server
 * nor the other guests, and an exit's round trip wakes only this thread and the client.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { SimError } from '../../sim/index.js';
import { ChannelHost } from '../channel/channel-host.js';
import { LiveVm } from './live-vm.js';
import { ReplayVm } from './replay-vm.js';
import { VmHub } from './vm-hub.js';
import { errorCode } from './vm-request-error.js';
import type { MainToWorker, WorkerInit, WorkerToMain } from './worker-messages.js';

const port = parentPort!;
const init = workerData as WorkerInit;
const post = (message: WorkerToMain): void => port.postMessage(message);

const hub = new VmHub(init, (figures, roundTrips) => post({ t: 'figures', figures, ...(roundTrips !== null ? { roundTrips } : {}) }));
let host: ChannelHost;
try {
  const vm = init.kind === 'live' ? new LiveVm(init, hub.port) : new ReplayVm(init, hub.port);
  hub.bind(vm, vm.state);
  host = new ChannelHost(hub, init.limits, {
    connection: (delta, role) => post({ t: 'metric', connections: delta, role }),
    protocolError: (code) => post({ t: 'metric', protocolError: code }),
  });
  post({ t: 'ready', figures: hub.figures() });
  port.on('message', (message: MainToWorker) => onMessage(message));
} catch (e) {
  post({ t: 'failed', code: e instanceof SimError ? e.code : 'INTERNAL', message: e instanceof Error ? e.message : String(e) });
}

function onMessage(m: MainToWorker): void {
  switch (m.t) {
    case 'req':
      hub.request(m.body).then(
        (result) => post({ t: 'reply', rid: m.rid, result }),
        (e: unknown) => post({ t: 'error', rid: m.rid, code: errorCode(e), message: e instanceof Error ? e.message : String(e) }),
      );
      break;
    case 'adopt':
      host.adopt(m.socket);
      break;
    case 'close-channels':
      void host.closeAll(m.code, m.reason).then(() => {
        host.stop();
        post({ t: 'reply', rid: m.rid, result: true });
      });
      break;
  }
}
