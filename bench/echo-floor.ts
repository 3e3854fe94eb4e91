/**
 * The floor under the loopback benchmark: the same synchronous round trip with nothing of hindsight in it, one
 * message out and its echo back between two Node processes, over plain TCP and over WebSocket (ws, as the service
 * uses it). A service round trip cannot be faster than this on the same machine.
 */
import { spawn } from 'node:child_process';
import { connect } from 'node:net';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';
import { percentile } from './stats.js';

export interface EchoFloor {
  kind: 'tcp' | 'ws';
  roundTrips: number;
  perSecond: number;
  p50us: number;
  p99us: number;
}

const SERVER = fileURLToPath(new URL('./echo-server.js', import.meta.url));
/** About the size of an MMIO exit frame. */
const MESSAGE_BYTES = 100;

export async function measureEchoFloor(kind: 'tcp' | 'ws', roundTrips: number): Promise<EchoFloor> {
  const child = spawn(process.execPath, [SERVER, kind], { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    const port = await new Promise<number>((resolve, reject) => {
      child.stdout!.once('data', (d: Buffer) => resolve(Number(d.toString().trim())));
      child.once('exit', (code) => reject(new Error(`the echo server exited ${code}`)));
    });
    const { send, onReply, close } = await open(kind, port);
    const times = new Float64Array(roundTrips);
    const message = Buffer.alloc(MESSAGE_BYTES, 0x5a);
    const t0 = performance.now();
    await new Promise<void>((resolve) => {
      let i = 0, sentAt = performance.now();
      onReply(() => {
        const now = performance.now();
        times[i++] = now - sentAt;
        if (i === roundTrips) return resolve();
        sentAt = now;
        send(message);
      });
      send(message);
    });
    const seconds = (performance.now() - t0) / 1000;
    close();
    times.sort();
    return { kind, roundTrips, perSecond: roundTrips / seconds, p50us: percentile(times, 0.5) * 1000, p99us: percentile(times, 0.99) * 1000 };
  } finally {
    child.kill();
  }
}

async function open(kind: 'tcp' | 'ws', port: number): Promise<{ send(b: Buffer): void; onReply(fn: () => void): void; close(): void }> {
  if (kind === 'ws') {
    const ws = new WebSocket(`ws://127.0.0.1:${port}`, { perMessageDeflate: false });
    await new Promise((resolve, reject) => { ws.once('open', resolve); ws.once('error', reject); });
    return { send: (b) => ws.send(b), onReply: (fn) => ws.on('message', fn), close: () => ws.close() };
  }
  const socket = connect(port, '127.0.0.1');
  await new Promise((resolve, reject) => { socket.once('connect', resolve); socket.once('error', reject); });
  socket.setNoDelay(true);
  // A reply may arrive in pieces: count whole messages.
  let pending = 0, handler: () => void = () => {};
  socket.on('data', (d: Buffer) => {
    pending += d.length;
    while (pending >= MESSAGE_BYTES) { pending -= MESSAGE_BYTES; handler(); }
  });
  return { send: (b) => socket.write(b), onReply: (fn) => { handler = fn; }, close: () => socket.destroy() };
}
