/**
 * What deleted VMs leave behind in the real server (dist/): nothing that lasts. Their worker threads end, and the
 * memory those threads used goes back to the OS (server/vm/release-memory.ts), rather than staying with the C
 * allocator: before that, 4 VMs deleted left the server's anonymous memory 15-17 MiB above idle, and 16 VMs 40-90 MiB
 * (bench:load).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { RemoteVmm } from '../client-sdk/index.js';
import { until, useTestServer } from './test-helpers.js';

const server = useTestServer(['--max-vms', '4']);

function status(pid: number): { threads: number; anonMib: number } {
  const s = readFileSync(`/proc/${pid}/status`, 'utf8');
  const field = (name: string) => Number(new RegExp(`${name}:\\s+(\\d+)`).exec(s)![1]);
  return { threads: field('Threads'), anonMib: field('RssAnon') / 1024 };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('deleted VMs', () => {
  it.runIf(process.platform === 'linux')('end their worker threads, and the server\'s memory comes back to idle', async () => {
    const { client, child } = server();
    const pid = child.pid!;
    // Idle: after a first VM, as any server that has run one (its worker's code is loaded once).
    const warm = await client.createVm({ guest: 'hello.elf', record: false });
    await client.deleteVm(warm.id);
    await sleep(1000);
    const idle = status(pid);

    const vms = await Promise.all(Array.from({ length: 4 }, () => client.createVm({ guest: 'console-flood.elf' })));
    const controllers = await Promise.all(vms.map(async (vm) => new RemoteVmm(await client.connect(vm, 'controller'))));
    await Promise.all(controllers.map((c) => c.run()));
    expect(status(pid).threads).toBe(idle.threads + 4);
    await until(async () => controllers.every((c) => c.exitsSeen > 100));
    await Promise.all(vms.map((vm) => client.deleteVm(vm.id)));
    await Promise.all(controllers.map((c) => c.conn.close()));

    expect(await client.listVms()).toEqual([]);
    await until(async () => status(pid).threads === idle.threads);
    // The least over the next 2 s (the memory is handed back once the last worker has ended).
    let anonMib = status(pid).anonMib;
    for (let i = 0; i < 10; i++) {
      await sleep(200);
      anonMib = Math.min(anonMib, status(pid).anonMib);
    }
    expect(anonMib - idle.anonMib).toBeLessThan(8);
  });
});
