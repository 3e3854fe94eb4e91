/**
 * The handoff of an upgraded connection (socket-handoff.ts), in one thread: an HTTP server releases each upgrade
 * request's connection, and the "worker" side adopts the descriptor it got and echoes what the client sends. The
 * point: what the main thread keeps of a handed-off connection once it is over (nothing, with the native addon; a
 * libuv handle per connection, forever, without it).
 */
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { Worker } from 'node:worker_threads';
import { afterEach, describe, expect, it } from 'vitest';
import { nativeAddon } from '../native/addon.js';
import { releaseSocket } from './socket-handoff.js';

/** TCP connections (not listening servers) this thread holds a libuv handle for. */
const tcpHandles = () => process.getActiveResourcesInfo().filter((r) => r === 'TCPSocketWrap').length;

/**
 * The VM worker's side, as channel-host.ts does it with adoptSocket: a socket of its own over each descriptor it is
 * sent, answering 101 and echoing. A thread of its own, as in the server (in one thread, two libuv handles over one
 * descriptor would share its poll registration).
 */
const ECHO_WORKER = `
  const { parentPort } = require('node:worker_threads');
  const { Socket } = require('node:net');
  parentPort.on('message', ({ fd, head }) => {
    const own = new Socket({ fd, readable: true, writable: true });
    own.on('error', () => own.destroy());
    own.on('end', () => own.end());
    own.on('close', () => parentPort.postMessage('closed'));
    own.write('HTTP/1.1 101 Switching Protocols\\r\\nUpgrade: echo\\r\\nConnection: Upgrade\\r\\n\\r\\n');
    if (head.length > 0) own.write(head);
    own.on('data', (d) => own.write(d));
  });
`;

let server: Server | undefined;
let worker: Worker | undefined;
afterEach(async () => {
  server?.close();
  await worker?.terminate();
});

/** A server whose upgrades are released (with the addon's dupDescriptor, or none) and handed to a worker. */
async function handoffServer(dup: ((fd: number) => number) | null): Promise<{ port: number; closed: () => number }> {
  let closed = 0;
  const w = worker = new Worker(ECHO_WORKER, { eval: true });
  w.on('message', () => { closed++; });
  server = createServer();
  server.on('upgrade', (req, socket, head: Buffer) => {
    const handed = releaseSocket(socket, req, head, dup);
    w.postMessage({ fd: handed.fd, head: handed.head });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { port: (server.address() as AddressInfo).port, closed: () => closed };
}

/** One client: upgrade with 'hello' in the request's packet, then 'again' after the handoff; resolves with what came back. */
async function echoTwice(port: number): Promise<string> {
  const client = connect(port, '127.0.0.1');
  let got = '';
  client.on('data', (d: Buffer) => { got += d.toString('latin1'); });
  client.write('GET /x HTTP/1.1\r\nHost: h\r\nUpgrade: echo\r\nConnection: Upgrade\r\n\r\nhello');
  while (!got.endsWith('hello')) await once(client, 'data');
  // By now the main thread has closed its socket (or kept its handle): the connection must still carry data.
  await new Promise((r) => setTimeout(r, 20));
  client.write('again');
  while (!got.endsWith('again')) await once(client, 'data');
  client.end();
  await once(client, 'close');
  return got;
}

const CONNECTIONS = 20;

async function until(done: () => boolean): Promise<void> {
  while (!done()) await new Promise((r) => setTimeout(r, 10));
}

describe('socket handoff', () => {
  it.runIf(process.platform === 'linux')('leaves nothing in the main thread once handed-off connections close (native addon: a duplicate descriptor)', async () => {
    expect(nativeAddon, 'dist/server/native/native.node is built by scripts/build-native.sh').not.toBeNull();
    const { port, closed } = await handoffServer(nativeAddon!.dupDescriptor);
    const before = tcpHandles();
    for (let i = 0; i < CONNECTIONS; i++) {
      const got = await echoTwice(port);
      expect(got).toMatch(/^HTTP\/1\.1 101 Switching Protocols\r\n[^]*\r\n\r\nhelloagain$/);
    }
    await until(() => closed() === CONNECTIONS);
    expect(tcpHandles()).toBe(before);
  });

  it.runIf(process.platform === 'linux')('without the addon the connection still works, and each leaves its libuv handle behind', async () => {
    const { port, closed } = await handoffServer(null);
    const before = tcpHandles();
    for (let i = 0; i < 5; i++) expect(await echoTwice(port)).toMatch(/helloagain$/);
    await until(() => closed() === 5);
    expect(tcpHandles()).toBe(before + 5);
  });
});
