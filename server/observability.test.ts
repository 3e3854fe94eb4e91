/**
 * What an operator sees of `hindsight serve`, through the real server in dist/: /metrics parsed by the Prometheus
 * project's own Python client (Debian's python3-prometheus-client), not by prom-client that wrote it; and the JSON
 * log on stderr, one event per line.
 */
import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { RemoteVmm } from '../client-sdk/index.js';
import { until, useTestServer } from './test-helpers.js';

const server = useTestServer(['--max-vms', '2']);

interface Sample { name: string; labels: Record<string, string>; value: number | string }
interface Family { name: string; type: string; samples: Sample[] }

const PARSE = `
import json, math, sys
from prometheus_client.parser import text_string_to_metric_families
out = [{'name': f.name, 'type': f.type, 'samples': [{'name': s.name, 'labels': s.labels, 'value': s.value if math.isfinite(s.value) else str(s.value)} for s in f.samples]}
       for f in text_string_to_metric_families(sys.stdin.read())]
print(json.dumps(out))
`;

/**
 * GET /metrics, parsed by prometheus_client.parser (which raises on anything malformed). The parser runs as a child
 * process this one does not wait for synchronously: the test's own controller must go on answering its VM's exits.
 */
async function scrape(): Promise<Sample[]> {
  const res = await fetch(`${server().url}/metrics`);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  const text = await res.text();
  const child = spawn('/usr/bin/python3', ['-c', PARSE], { stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '', err = '';
  child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
  child.stderr.on('data', (d: Buffer) => { err += d.toString(); });
  child.stdin.end(text);
  const status = await new Promise<number | null>((done) => child.on('close', done));
  expect(status, err).toBe(0);
  return (JSON.parse(out) as Family[]).flatMap((f) => f.samples);
}

const value = (samples: Sample[], name: string, labels: Record<string, string> = {}) =>
  samples.find((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value;

function logLines(): Record<string, unknown>[] {
  return server().stderr().trim().split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>);
}

describe('/metrics', () => {
  it('parses as Prometheus text: process and Node metrics, the round-trip histogram, states as they are, and a deleted VM\'s series gone', async () => {
    const { client } = server();
    // 1.1e9 instructions with an MMIO exit every 230,000 or so: a VM that runs, its exits answered at once.
    const vm = await client.createVm({ guest: 'tt-long.elf', record: false });
    const vmm = new RemoteVmm(await client.connect(vm, 'controller'));
    await vmm.run();
    await until(async () => value(await scrape(), 'hindsight_vm_exits_total', { vm: vm.id, reason: 'MMIO' }) as number > 2);
    // Each scrape shows it running, or waiting when caught inside an exit's round trip (microseconds on a quiet
    // machine, much longer when the machine is loaded and the answering client waits for a core): scrape until
    // three show it running; none may show anything else.
    const states: string[] = [];
    let running: Sample[] = [];
    while (states.filter((s) => s === 'running').length < 3 && states.length < 40) {
      running = await scrape();
      states.push(value(running, 'hindsight_vms', { state: 'running' }) === 1 ? 'running' : value(running, 'hindsight_vms', { state: 'waiting' }) === 1 ? 'waiting' : 'other');
    }
    expect(states.filter((s) => s === 'running').length, states.join()).toBe(3);
    expect(states.filter((s) => s !== 'running' && s !== 'waiting'), states.join()).toEqual([]);
    expect(value(running, 'hindsight_ws_connections')).toBe(1);
    expect(value(running, 'hindsight_vm_exits_total', { vm: vm.id, reason: 'RISCV_SBI' })).toBeGreaterThan(0);
    expect(value(running, 'hindsight_exit_round_trip_seconds_count')).toBeGreaterThan(0);
    expect(value(running, 'hindsight_exit_round_trip_seconds_bucket', { le: '+Inf' })).toBe(value(running, 'hindsight_exit_round_trip_seconds_count'));
    for (const name of ['process_cpu_seconds_total', 'process_resident_memory_bytes', 'nodejs_eventloop_lag_seconds', 'nodejs_heap_size_used_bytes']) {
      expect(value(running, name), name).toBeDefined();
    }

    await vmm.conn.close();
    await client.deleteVm(vm.id);
    const after = await scrape();
    expect(after.filter((s) => s.labels['vm'] === vm.id)).toEqual([]);
    expect(value(after, 'hindsight_vms_created_total')).toBeGreaterThanOrEqual(1);
  });
});

describe('the log', () => {
  it('is JSON lines on stderr: listening, VM lifecycle, clients, refused requests with their code', async () => {
    const { client } = server();
    const vm = await client.createVm({ guest: 'hello.elf' });
    const vmm = new RemoteVmm(await client.connect(vm, 'controller'));
    await vmm.run();
    await vmm.ended;
    await vmm.conn.close();
    await expect(client.createVm({ guest: 'no-such.elf' })).rejects.toMatchObject({ code: 'GUEST_NOT_FOUND' });
    await client.deleteVm(vm.id);
    await until(async () => logLines().some((l) => l['msg'] === 'vm deleted' && l['vm'] === vm.id));
    const lines = logLines();
    for (const l of lines) expect(l).toMatchObject({ level: expect.any(String), time: expect.any(String), msg: expect.any(String) });
    const event = (msg: string, fields: Record<string, unknown> = {}) => lines.find((l) => l['msg'] === msg && Object.entries(fields).every(([k, v]) => l[k] === v));
    expect(event('listening', { url: server().url })).toBeDefined();
    expect(event('vm created', { vm: vm.id, name: 'hello.elf' })).toBeDefined();
    expect(event('client connected', { vm: vm.id, role: 'controller' })).toBeDefined();
    expect(event('vm ended', { vm: vm.id, reason: 'finisher', exitCode: 0 })).toBeDefined();
    expect(event('client disconnected', { vm: vm.id, role: 'controller' })).toBeDefined();
    expect(event('http request refused', { status: 404, code: 'GUEST_NOT_FOUND', level: 'warn' })).toBeDefined();
    expect(event('vm deleted', { vm: vm.id })).toBeDefined();
  });
});

describe('--max-vms', () => {
  it('counts only VMs that have not ended: ended ones without clients make room', async () => {
    const { client } = server();
    const ids: string[] = [];
    // Twice the limit of 2, one after the other, each run to its end and left undeleted.
    for (let i = 0; i < 4; i++) {
      const vm = await client.createVm({ guest: 'hello.elf', record: false });
      const vmm = new RemoteVmm(await client.connect(vm, 'controller'));
      await vmm.run();
      await vmm.ended;
      await vmm.conn.close();
      // The server learns of the client's leaving a moment after close() returns (from the VM's worker, which owns
      // the connection); only then does the ended VM make room.
      await until(async () => (await client.listVms()).find((v) => v.id === vm.id)?.controller === false);
      ids.push(vm.id);
    }
    const listed = (await client.listVms()).map((v) => v.id);
    expect(listed.length).toBeLessThanOrEqual(2);
    expect(listed).toContain(ids[3]);
    // Two that have not ended fill it.
    const a = await client.createVm({ guest: 'hello.elf', record: false });
    const b = await client.createVm({ guest: 'hello.elf', record: false });
    await expect(client.createVm({ guest: 'hello.elf', record: false })).rejects.toMatchObject({ code: 'VM_LIMIT' });
    await client.deleteVm(a.id);
    await client.deleteVm(b.id);
  });
});
