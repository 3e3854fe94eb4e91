/**
 * The web UI in a real browser: Debian's chromium (driven by playwright-core) against `hindsight serve` from dist/.
 * What the page shows is checked against the journal, the CLI (`replay --goto-exit N --dump-regs`) and the
 * protocol (an SDK replay session making the same moves).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, CHROMIUM, type Browser } from '../../bench/browser.js';
import { RemoteVmm, ReplaySession } from '../../client-sdk/index.js';
import { readJournal, type VcpuExit } from '../../sim/index.js';
import { CLI, GUESTS, useTestServer } from '../test-helpers.js';

const server = useTestServer();
let browser: Browser;
const RECORDING = 'mmio-widths.hsj';
let exits: VcpuExit[];

beforeAll(async () => {
  expect(existsSync(CHROMIUM), `${CHROMIUM} is missing: .ci/run installs Debian's chromium`).toBe(true);
  const file = join(server().dataDir, 'recordings', RECORDING);
  const r = spawnSync(process.execPath, [CLI, 'record', join(GUESTS, 'mmio-widths.elf'), '-o', file, '--quiet'], { encoding: 'utf8' });
  expect(r.status, r.stderr).toBe(0);
  exits = readJournal(readFileSync(file)).entries.map((e) => e.record).flatMap((rec) => (rec.t === 'exit' ? [rec.exit] : []));
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
});

/** A page with the server token, collecting what the browser reports as errors. */
async function openPage(hash: string): Promise<{ page: Page; errors: string[] }> {
  const page = await browser.context.newPage();
  const errors: string[] = [];
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(`${server().url}/ui/?token=${encodeURIComponent(server().token)}#${hash}`);
  return { page, errors };
}

/**
 * Clicks exit `seq` on the timeline, from where the canvas says its view is, first zooming in (the mouse wheel, at
 * the exit) until its neighbours are at least 12 pixels away.
 */
async function clickExit(page: Page, seq: number): Promise<void> {
  const canvas = page.getByTestId('timeline');
  // Lanes in the order of the reasons present: MMIO, then RISCV_SBI (22 px of axis, 26 px a lane).
  const lanes = ['MMIO', 'RISCV_SBI'].filter((r) => exits.some((e) => e.reason === r));
  for (let zooms = 0; ; zooms++) {
    const box = (await canvas.boundingBox())!;
    const d = await canvas.evaluate((c) => ({ ...(c as HTMLCanvasElement).dataset }));
    const t0 = Number(d.t0), t1 = Number(d.t1);
    const xOf = (icount: number) => box.x + Number(d.plotLeft) + ((icount - t0) / (t1 - t0)) * Number(d.plotWidth);
    expect(exits[seq].icount).toBeGreaterThanOrEqual(t0);
    expect(exits[seq].icount).toBeLessThanOrEqual(t1);
    const x = xOf(exits[seq].icount);
    const y = box.y + 22 + lanes.indexOf(exits[seq].reason) * 26 + 13;
    const gap = Math.min(x - xOf(exits[seq - 1].icount), xOf(exits[seq + 1].icount) - x);
    if (gap >= 12) return page.mouse.click(x, y);
    expect(zooms).toBeLessThan(20);
    await page.mouse.move(x, y);
    await page.mouse.wheel(0, -400);
    await page.waitForFunction((before) => document.querySelector<HTMLCanvasElement>('canvas.timeline')!.dataset.t1 !== before, d.t1);
  }
}

async function waitForPlace(page: Page, what: (d: DOMStringMap) => boolean): Promise<DOMStringMap> {
  const status = page.getByTestId('place');
  for (let i = 0; i < 300; i++) {
    const d = await status.evaluate((el) => ({ ...(el as HTMLElement).dataset }));
    if (what(d)) return d;
    await page.waitForTimeout(50);
  }
  throw new Error(`the place never came: ${await status.textContent()}`);
}

/** x0..x31, pc, f0..f31 and fcsr as the page shows them. */
async function pageRegisters(page: Page): Promise<{ pc: bigint; x: bigint[]; f: bigint[]; fcsr: string | undefined }> {
  const text = await page.locator('.inspector').evaluate((el) =>
    Array.from(el.querySelectorAll('[data-testid^=reg-]'), (r) => [r.getAttribute('data-testid')!, r.querySelector('.value')!.textContent!]));
  const map = new Map(text);
  return {
    pc: BigInt(`0x${map.get('reg-pc')}`), x: Array.from({ length: 32 }, (_, i) => BigInt(`0x${map.get(`reg-x${i}`)}`)),
    f: Array.from({ length: 32 }, (_, i) => BigInt(`0x${map.get(`reg-f${i}`)}`)), fcsr: map.get('reg-fcsr'),
  };
}

describe('web UI: a recording', () => {
  it('loads without console errors and shows the exit count and the reasons the journal has', async () => {
    const { page, errors } = await openPage(`/recordings/${RECORDING}`);
    await page.locator('[data-ready=true]').waitFor();
    expect(await page.getByTestId('exit-count').textContent()).toBe(`${exits.length.toLocaleString('en-US')} exits`);
    const reasons = new Map<string, number>();
    for (const e of exits) reasons.set(e.reason, (reasons.get(e.reason) ?? 0) + 1);
    expect(reasons.size).toBe(2);
    for (const [reason, n] of reasons) expect(await page.getByTestId(`reason-count-${reason}`).textContent()).toBe(n.toLocaleString('en-US'));
    expect(await page.getByTestId('legend').locator('.chip').count()).toBe(reasons.size);
    // The page also served its list, from the same token.
    await page.goto(`${server().url}/ui/#/`);
    await page.getByTestId('recordings').getByText(RECORDING).waitFor();
    expect(errors).toEqual([]);
    await page.close();
  });

  it('clicking an exit shows the registers `replay --goto-exit N --dump-regs` prints; step and reverse-step move as the protocol does', async () => {
    const firstLoad = exits.findIndex((e) => e.reason === 'MMIO' && !e.isWrite);
    const target = firstLoad + 2;
    // Standing near it (a deep link), so that its neighbours are apart on the canvas; then click the one wanted.
    const { page, errors } = await openPage(`/recordings/${RECORDING}?exit=${firstLoad}`);
    await waitForPlace(page, (d) => d.exit === String(firstLoad));
    await clickExit(page, target);
    await waitForPlace(page, (d) => d.exit === String(target));
    expect(page.url()).toContain(`#/recordings/${RECORDING}?exit=${target}`);
    const dump = spawnSync(process.execPath, [CLI, 'replay', join(server().dataDir, 'recordings', RECORDING), '--goto-exit', String(target), '--dump-regs'], { encoding: 'utf8' });
    expect(dump.status, dump.stderr).toBe(0);
    const cli = JSON.parse(dump.stdout) as { pc: string; x: string[]; seq: number; f: string[]; fcsr: string };
    let shown = await pageRegisters(page);
    expect(shown.x).toEqual(cli.x.map((v) => BigInt(v)));
    expect(shown.f).toEqual(cli.f.map((v) => BigInt(v)));
    expect(shown.fcsr).toBe(Number(cli.fcsr).toString(16).padStart(2, '0'));
    expect(shown.pc).toBe(BigInt(cli.pc));
    expect(await page.getByTestId('exit-fields').textContent()).toContain(`phys_addr0x${exits[target].reason === 'MMIO' ? exits[target].physAddr.toString(16) : ''}`);
    expect(await page.getByTestId('disassembly').locator('.insn.current').textContent()).toMatch(/^80[0-9a-f]{6}[0-9a-f]+\s*l[bhwd]u?\s/);

    // The same moves over the protocol, with the SDK, on a session of its own.
    const sdk = await ReplaySession.start(server().client, RECORDING);
    try {
      await sdk.seek({ exit: target });
      const back = await sdk.reverseStep();
      await page.getByTestId('reverse-step').click();
      let d = await waitForPlace(page, (p) => p.icount === String(back.place.icount) && p.exit === '');
      expect(d.pc).toBe(`0x${back.place.pc.toString(16)}`);
      shown = await pageRegisters(page);
      expect(shown.x).toEqual((await sdk.registers()).x);
      const fwd = await sdk.step();
      await page.getByTestId('step').click();
      d = await waitForPlace(page, (p) => p.icount === String(fwd.place.icount) && p.pc === `0x${fwd.place.pc.toString(16)}`);
      expect(d.exit).toBe(fwd.place.atExit === null ? '' : String(fwd.place.atExit.seq));
      shown = await pageRegisters(page);
      expect(shown.x).toEqual((await sdk.registers()).x);
      expect(shown.pc).toBe((await sdk.registers()).pc);
    } finally {
      await sdk.close();
      await server().client.deleteVm(sdk.vm.id);
    }
    expect(errors).toEqual([]);
    await page.close();
  });
});

describe('web UI: filters and breakpoints, against the protocol', () => {
  it("keeps the exits the protocol's timeline query keeps, by reason and by address", async () => {
    const { page, errors } = await openPage(`/recordings/${RECORDING}`);
    await page.locator('[data-ready=true]').waitFor();
    const sdk = await ReplaySession.start(server().client, RECORDING);
    try {
      const matching = async () => Number((await page.getByTestId('filter-count').textContent())!.replace(/[^0-9]/g, ''));
      await page.getByTestId('filter-reason').selectOption('MMIO');
      expect(await matching()).toBe((await sdk.timeline({ reason: 'MMIO', limit: 10_000 })).length);
      await page.getByTestId('filter-reason').selectOption('');
      const mmio = exits.find((e) => e.reason === 'MMIO' && e.len === 8)!;
      if (mmio.reason !== 'MMIO') throw new Error('no 8-byte MMIO exit');
      await page.getByTestId('filter-address').fill(`0x${(mmio.physAddr + 4).toString(16)}`);
      await page.getByTestId('filter-len').fill('2');
      await page.getByTestId('filter-len').press('Tab');
      const expected = (await sdk.timeline({ address: BigInt(mmio.physAddr + 4), len: 2, limit: 10_000 })).length;
      expect(expected).toBeGreaterThan(0);
      expect(await matching()).toBe(expected);
    } finally {
      await sdk.close();
      await server().client.deleteVm(sdk.vm.id);
    }
    expect(errors).toEqual([]);
    await page.close();
  });

  it('stops continue and reverse-continue at a breakpoint (given by symbol) where the protocol stops', async () => {
    const symbols = (await (await fetch(`${server().url}/v1/ui/recordings/${RECORDING}/symbols`, { headers: { authorization: `Bearer ${server().token}` } })).json()) as [string, string][];
    const stores = BigInt(symbols.find(([, n]) => n === 'mmio_widths_stores')![0]);
    const start = exits.findIndex((e) => e.reason === 'MMIO' && !e.isWrite);
    const { page, errors } = await openPage(`/recordings/${RECORDING}?exit=${start}`);
    await waitForPlace(page, (d) => d.exit === String(start));
    await page.getByTestId('breakpoint-input').fill('mmio_widths_stores');
    await page.getByTestId('breakpoint-add').click();
    const sdk = await ReplaySession.start(server().client, RECORDING);
    try {
      await sdk.seek({ exit: start });
      await sdk.breakpoint(stores);
      const fwd = await sdk.continue();
      expect(fwd.stop.kind).toBe('breakpoint');
      await page.getByTestId('continue').click();
      await waitForPlace(page, (d) => d.icount === String(fwd.place.icount) && d.pc === `0x${stores.toString(16)}`);
      expect(await page.getByTestId('place').textContent()).toContain('stopped: breakpoint');
      // Onwards a little, then back to it.
      await sdk.step();
      await page.getByTestId('step').click();
      await waitForPlace(page, (d) => d.icount === String(fwd.place.icount + 1));
      const back = await sdk.reverseContinue();
      await page.getByTestId('reverse-continue').click();
      await waitForPlace(page, (d) => d.icount === String(back.place.icount) && d.pc === `0x${back.place.pc.toString(16)}`);
      expect(back.place.pc).toBe(stores);
      expect((await pageRegisters(page)).x).toEqual((await sdk.registers()).x);
    } finally {
      await sdk.close();
      await server().client.deleteVm(sdk.vm.id);
    }
    expect(errors).toEqual([]);
    await page.close();
  });
});

describe('web UI: a live VM', () => {
  it("shows the VM's exits as they happen, and all of them once it stops", async () => {
    const vm = await server().client.createVm({ guest: 'console-flood.elf' });
    const vmm = new RemoteVmm(await server().client.connect(vm, 'controller'));
    try {
      const { page, errors } = await openPage(`/vms/${vm.id}`);
      await page.locator('[data-ready=true]').waitFor();
      await vmm.run();
      const count = async () => Number((await page.getByTestId('exit-count').textContent())!.replace(/[^0-9]/g, ''));
      const seen: number[] = [];
      for (let i = 0; i < 200 && seen.filter((n, k) => k > 0 && n > seen[k - 1]).length < 3; i++) {
        seen.push(await count());
        await page.waitForTimeout(100);
      }
      // The count went up at least three times while the VM ran.
      expect(seen.filter((n, k) => k > 0 && n > seen[k - 1]).length).toBeGreaterThanOrEqual(3);
      expect(await page.getByTestId('vm-state').textContent()).toMatch(/running|waiting/);
      await server().client.stopVm(vm.id);
      const { exits: total } = await server().client.getVm(vm.id);
      // Everything the VM took, streamed or read back from its recording.
      for (let i = 0; i < 100 && (await count()) !== total; i++) await page.waitForTimeout(100);
      expect(await count()).toBe(total);
      expect(errors).toEqual([]);
      await page.close();
    } finally {
      await vmm.conn.close().catch(() => undefined);
      await server().client.deleteVm(vm.id).catch(() => undefined);
    }
  });
});
