/**
 * The far end of the echo floor (echo-floor.ts), run as its own process: a TCP or WebSocket echo server on an
 * ephemeral loopback port, which it prints. Nothing of hindsight runs here, only Node and ws.
 */
import { createServer } from 'node:net';
import { WebSocketServer } from 'ws';

const kind = process.argv[2];
if (kind === 'ws') {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false });
  wss.on('connection', (ws) => ws.on('message', (data) => ws.send(data as Buffer)));
  wss.on('listening', () => process.stdout.write(`${(wss.address() as { port: number }).port}\n`));
} else {
  const server = createServer((socket) => {
    socket.setNoDelay(true);
    socket.on('data', (data) => socket.write(data));
  });
  server.listen(0, '127.0.0.1', () => process.stdout.write(`${(server.address() as { port: number }).port}\n`));
}
