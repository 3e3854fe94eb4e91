/**
 * What deleted VMs leave behind in the real server (dist/): nothing that lasts. Their worker threads end, and the
 * memory those threads used goes back to the OS (server/vm/release-memory.ts), rather than staying with the C
 * allocator: before that, 4 VMs deleted left the server's anonymous memory 15-17 MiB above idle, and 16 VMs 40-90 MiB
 * (bench:load).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { RemoteVmm } from '../client-sdk/index.js';
import { until, useTestServer } from './test-helpers.js';

const server = useTestServer(['--max-vms', '4']);

function status(pid: number): { threads: number; anonMib: number } {
  const s = readFileSync(`/proc/${pid}/status`, 'utf8');
  const field = (name: string) => Number(new RegExp(`${name}:\\s+(\\d+)`).exec(s)![1]);
  return { threads: field('Threads'), anonMib: field('RssAnon') / 1024 };
}

/** The nice value of each of the process's threads (/proc/PID/task/TID/stat, field 19), the main thread's first. */
function niceValues(pid: number): { main: number; others: number[] } {
  const nice = (tid: string) => Number(readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8').split(') ')[1].split(' ')[16]);
  return { main: nice(String(pid)), others: readdirSync(`/proc/${pid}/task`).filter((t) => t !== String(pid)).map(nice) };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * The server's main thread's libuv handles (timers, sockets, ...) from its /metrics, less its open TCP connections:
 * this test's HTTP client keeps its connections alive for a minute, and each is a handle there.
 */
async function handlesBesideConnections(url: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const handles = Number(/^nodejs_active_handles_total (\d+)$/m.exec(text)![1]);
  const port = new URL(url).port;
  // /proc/net/tcp: local address as hex ip:port, state 01 = ESTABLISHED; the server's side has the server's port.
  const established = readFileSync('/proc/net/tcp', 'utf8').split('\n').filter((line) => {
    const f = line.trim().split(/\s+/);
    return f[3] === '01' && parseInt(f[1]?.split(':')[1] ?? '', 16) === Number(port);
  });
  return handles - established.length;
}

describe('deleted VMs', () => {
  it.runIf(process.platform === 'linux')('run at a lower priority than the main thread, end their worker threads, leave no handle of their channel connections behind, and the server\'s memory comes back to idle', async () => {
    const { client, child, url } = server();
    const pid = child.pid!;
    // Idle: after a first VM, as any server that has run one (its worker's code is loaded once).
    const warm = await client.createVm({ guest: 'hello.elf', record: false });
    await client.deleteVm(warm.id);
    await sleep(1000);
    const idle = status(pid);
    const idleHandles = await handlesBesideConnections(url);

    const vms = await Promise.all(Array.from({ length: 4 }, () => client.createVm({ guest: 'console-flood.elf' })));
    const controllers = await Promise.all(vms.map(async (vm) => new RemoteVmm(await client.connect(vm, 'controller'))));
    await Promise.all(controllers.map((c) => c.run()));
    expect(status(pid).threads).toBe(idle.threads + 4);
    // While they run, the VMs' 4 threads (and only they) run at a lower priority than the main thread
    // (vm/thread-priority.ts): /healthz and the other requests come first.
    const nice = niceValues(pid);
    expect(nice.others.filter((n) => n === nice.main + 5)).toHaveLength(4);
    expect(nice.others.filter((n) => n !== nice.main && n !== nice.main + 5)).toEqual([]);
    await until(async () => controllers.every((c) => c.exitsSeen > 100));
    await Promise.all(vms.map((vm) => client.deleteVm(vm.id)));
    await Promise.all(controllers.map((c) => c.conn.close()));

    expect(await client.listVms()).toEqual([]);
    await until(async () => status(pid).threads === idle.threads);
    // Each controller's connection was handed to its VM's worker: the main thread keeps nothing of it (it kept a
    // libuv handle per connection for good before the worker got a duplicate descriptor: socket-handoff.ts). This
    // test's own keep-alive HTTP connections are left out (they come and go with its requests).
    expect(await handlesBesideConnections(url)).toBe(idleHandles);
    // The least over the next 2 s (the memory is handed back once the last worker has ended).
    let anonMib = status(pid).anonMib;
    for (let i = 0; i < 10; i++) {
      await sleep(200);
      anonMib = Math.min(anonMib, status(pid).anonMib);
    }
    expect(anonMib - idle.anonMib).toBeLessThan(8);
  });
});
