/** The web UI's routes on a real server (dist/): its static files, and /v1/ui with its errors and its tokens. */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ReplaySession } from '../../client-sdk/index.js';
import { disassemble } from '../../sim/isa/index.js';
import { readJournal, type VcpuExit } from '../../sim/index.js';
import { CLI, GUESTS, useTestServer } from '../test-helpers.js';

const server = useTestServer();
const RECORDING = 'hello.hsj';
let exits: VcpuExit[];

beforeAll(() => {
  const file = join(server().dataDir, 'recordings', RECORDING);
  const r = spawnSync(process.execPath, [CLI, 'record', join(GUESTS, 'hello.elf'), '-o', file, '--quiet'], { encoding: 'utf8' });
  expect(r.status, r.stderr).toBe(0);
  exits = readJournal(readFileSync(file)).entries.map((e) => e.record).flatMap((rec) => (rec.t === 'exit' ? [rec.exit] : []));
});

function get(path: string, token: string | null = server().token): Promise<Response> {
  return fetch(`${server().url}${path}`, { headers: token === null ? {} : { authorization: `Bearer ${token}` } });
}

describe('/ui/ and /v1/ui', () => {
  it('serves the page and its scripts without a token, under a strict content security policy', async () => {
    const page = await get('/ui/', null);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(await page.text()).toContain('<script type="module" src="js/main.js">');
    const script = await get('/ui/js/main.js', null);
    expect(script.status).toBe(200);
    expect(script.headers.get('content-type')).toMatch(/javascript/);
    expect((await get('/ui/js/nothing.js', null)).status).toBe(404);
  });

  it('answers its API only with the server token, with coded errors', async () => {
    const noToken = await get(`/v1/ui/recordings/${RECORDING}/timeline`, null);
    expect(noToken.status).toBe(401);
    const cases: [string, number, string][] = [
      ['/v1/ui/recordings/missing.hsj/timeline', 404, 'RECORDING_NOT_FOUND'],
      ['/v1/ui/recordings/..%2Fsecret.hsj/timeline', 400, 'BAD_RECORDING_NAME'],
      [`/v1/ui/recordings/${RECORDING}/timeline?columns=icount,bogus`, 400, 'BAD_REQUEST'],
      [`/v1/ui/recordings/${RECORDING}/exits?from=-1`, 400, 'BAD_REQUEST'],
      ['/v1/ui/vms/vm-000000000000/observe', 404, 'VM_NOT_FOUND'],
    ];
    for (const [path, status, code] of cases) {
      const res = await get(path);
      expect(res.status, path).toBe(status);
      expect(((await res.json()) as { error: { code: string } }).error.code, path).toBe(code);
    }
  });

  it('gives exits in full, with their fields and symbol, and the console written before an exit', async () => {
    const n = 5;
    const res = (await (await get(`/v1/ui/recordings/${RECORDING}/exits?from=${n}&to=${n + 2}`)).json()) as { seq: number; pc: string; fields: [string, unknown][] }[];
    expect(res.map((e) => e.seq)).toEqual([n, n + 1, n + 2]);
    expect(res[0].pc).toBe(`0x${exits[n].pc.toString(16)}`);
    expect(Object.fromEntries(res[0].fields)).toMatchObject({ symbol: expect.stringMatching(/^sbi_console_putchar\+0x/), extension: 'legacy console_putchar', ret: '[0, 0x0]' });
    const chars = exits.slice(0, n).map((e) => (e.reason === 'RISCV_SBI' ? String.fromCharCode(Number(e.args[0])) : '')).join('');
    const out = (await (await get(`/v1/ui/recordings/${RECORDING}/console?before=${n}`)).json()) as { text: string; total: number };
    expect(out.text).toBe(chars);
  });

  it("hands out an observer token that observes a VM and cannot control it", async () => {
    const vm = await server().client.startReplay(RECORDING);
    try {
      const { token } = (await (await get(`/v1/ui/vms/${vm.id}/observe`)).json()) as { token: string };
      expect(token).not.toBe(vm.token);
      const observer = await server().client.connect({ id: vm.id, token }, 'observer');
      expect(observer.welcome.role).toBe('observer');
      await observer.close();
      await expect(server().client.connect({ id: vm.id, token }, 'controller')).rejects.toThrow(/UNAUTHORIZED|4001/);
    } finally {
      await server().client.deleteVm(vm.id);
    }
  });

  it("disassembles a replay session's memory at its pc, marking the symbols", async () => {
    const sdk = await ReplaySession.start(server().client, RECORDING);
    try {
      const { place } = await sdk.seek({ exit: 3 });
      const res = (await (await get(`/v1/ui/vms/${sdk.vm.id}/disasm?before=12&after=4`)).json()) as { pc: string; lines: { pc: string; bytes: string; text: string; label?: string }[] };
      expect(res.pc).toBe(`0x${place.pc.toString(16)}`);
      const here = res.lines.find((l) => l.pc === res.pc)!;
      const word = await sdk.readMemory(Number(place.pc), 4);
      const bits = (word[0] | (word[1] << 8) | (word[2] << 16) | (word[3] << 24)) >>> 0;
      expect(here.text).toBe(disassemble(bits, place.pc));
      expect(here.text).toBe('ecall');
      expect(res.lines.some((l) => l.label === 'sbi_console_putchar')).toBe(true);
      const outside = await get(`/v1/ui/vms/${sdk.vm.id}/disasm?pc=0x10`);
      expect(((await outside.json()) as { error: { code: string } }).error.code).toBe('BAD_ADDRESS');
    } finally {
      await sdk.close();
      await server().client.deleteVm(sdk.vm.id);
    }
  });
});
