/**
 * A recording opened for the first time is served while the server walks it (docs/ui.md, "A big recording"): the
 * answers are true prefixes, marked incomplete, that add up to the journal's exits; a walk that meets damage says
 * so and shows nothing past it; the page ends with the journal's count. The server runs with
 * HINDSIGHT_UI_INDEX=0,64,64,0: every journal's first 64 records read at once, the rest walked in a worker, a batch
 * after every 64 records, as a million-exit journal is walked in batches.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../../bench/browser.js';
import { readJournal, type VcpuExit } from '../../sim/index.js';
import { CLI, GUESTS, useTestServer } from '../test-helpers.js';

const saved = process.env.HINDSIGHT_UI_INDEX;
process.env.HINDSIGHT_UI_INDEX = '0,64,64,0';
const server = useTestServer();
const RECORDING = 'mmio-widths.hsj';
let exits: VcpuExit[];
let end: { icount: number; exits: number; reason: string };

beforeAll(() => {
  const file = join(server().dataDir, 'recordings', RECORDING);
  const r = spawnSync(process.execPath, [CLI, 'record', join(GUESTS, 'mmio-widths.elf'), '-o', file, '--quiet'], { encoding: 'utf8' });
  expect(r.status, r.stderr).toBe(0);
  const records = readJournal(readFileSync(file)).entries.map((e) => e.record);
  exits = records.flatMap((rec) => (rec.t === 'exit' ? [rec.exit] : []));
  const last = records[records.length - 1];
  if (last.t !== 'end') throw new Error('the recording has no end record');
  end = last;
});

afterAll(() => {
  if (saved === undefined) delete process.env.HINDSIGHT_UI_INDEX;
  else process.env.HINDSIGHT_UI_INDEX = saved;
});

interface Part {
  header: { from: number; count: number; complete: boolean; end: { icount: number; reason: string } | null; progress: { done: number; of: number; unit: string } };
  seq: Float64Array;
  icount: Float64Array;
}

async function part(name: string, fromSeq: number): Promise<Part> {
  const res = await fetch(`${server().url}/v1/ui/recordings/${name}/timeline?fromSeq=${fromSeq}&columns=seq,icount`, { headers: { authorization: `Bearer ${server().token}` } });
  if (!res.ok) throw Object.assign(new Error(`HTTP ${res.status}`), { body: await res.json() });
  const buf = await res.arrayBuffer();
  const len = new DataView(buf).getUint32(4, true);
  const header = JSON.parse(new TextDecoder().decode(new Uint8Array(buf, 8, len))) as Part['header'];
  const data = (8 + len + 7) & ~7, cols = header as unknown as { columns: { name: string; offset: number }[] };
  const at = (name: string) => new Float64Array(buf, data + cols.columns.find((c) => c.name === name)!.offset, header.count);
  return { header, seq: at('seq'), icount: at('icount') };
}

describe('a recording new to the server', () => {
  it('is served in parts while it is walked: each a prefix marked incomplete, adding up to the journal', async () => {
    const parts: Part[] = [];
    let next = 0;
    do {
      parts.push(await part(RECORDING, next));
      const p = parts[parts.length - 1];
      if (p.header.count > 0) next = p.seq[p.header.count - 1] + 1;
    } while (!parts[parts.length - 1].header.complete);
    // Walked in parts (the first answer does not wait for the whole walk), all but the last marked incomplete.
    expect(parts.length).toBeGreaterThan(1);
    expect(parts[0].header.count).toBeLessThan(exits.length);
    expect(parts.slice(0, -1).every((p) => !p.header.complete && p.header.count > 0)).toBe(true);
    // Together, exactly the journal's exits, in order, none twice.
    expect(parts.flatMap((p) => [...p.seq])).toEqual(exits.map((e) => e.seq));
    expect(parts.flatMap((p) => [...p.icount])).toEqual(exits.map((e) => e.icount));
    // The run's length and exit count from the start (the end record, read from the file's tail).
    expect(parts[0].header.end).toEqual({ icount: end.icount, reason: end.reason });
    expect(parts[0].header.progress).toMatchObject({ of: end.exits, unit: 'exits' });
    expect(parts[parts.length - 1].header.progress).toEqual({ done: end.exits, of: end.exits, unit: 'exits' });
    // Once walked, the whole timeline in one answer.
    const whole = await part(RECORDING, 0);
    expect(whole.header.complete).toBe(true);
    expect([...whole.seq]).toEqual(exits.map((e) => e.seq));
  });

  it('stops at damage with the journal error: what came before it was the journal, nothing after it is shown', async () => {
    const name = 'damaged.hsj';
    const file = join(server().dataDir, 'recordings', name);
    copyFileSync(join(server().dataDir, 'recordings', RECORDING), file);
    // A byte of a record near the end (before the end record) flipped: its CRC no longer holds.
    const bytes = readFileSync(file);
    const at = statSync(file).size - 200;
    bytes[at] ^= 0xff;
    writeFileSync(file, bytes);
    const seen: number[] = [];
    let error: { code: string; message: string } | null = null;
    for (let next = 0; ;) {
      let p: Part;
      try {
        p = await part(name, next);
      } catch (e) {
        error = (e as { body: { error: { code: string; message: string } } }).body.error;
        break;
      }
      seen.push(...p.seq);
      expect(p.header.complete).toBe(false);
      next = p.seq[p.header.count - 1] + 1;
    }
    expect(error?.code).toBe('JOURNAL_CORRUPT');
    expect(seen).toEqual(exits.slice(0, seen.length).map((e) => e.seq));
    expect(seen.length).toBeLessThan(exits.length);
  });

  it('shows the journal\'s exit count and reasons on the page once it has been read', async () => {
    // A copy: new to the server, so the page reads it in parts.
    const name = 'again.hsj';
    copyFileSync(join(server().dataDir, 'recordings', RECORDING), join(server().dataDir, 'recordings', name));
    const browser = await launchChromium();
    try {
      const page = await browser.context.newPage();
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));
      page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
      await page.goto(`${server().url}/ui/?token=${encodeURIComponent(server().token)}#/recordings/${name}`);
      await page.locator('[data-ready=true]').waitFor({ timeout: 30_000 });
      expect(await page.getByTestId('exit-count').textContent()).toBe(`${exits.length.toLocaleString('en-US')} exits`);
      expect(await page.getByTestId('index-progress').count()).toBe(0);
      for (const reason of new Set(exits.map((e) => e.reason))) {
        const n = exits.filter((e) => e.reason === reason).length;
        expect(await page.getByTestId(`reason-count-${reason}`).textContent()).toBe(n.toLocaleString('en-US'));
      }
      expect(errors).toEqual([]);
    } finally {
      await browser.close();
    }
  });
});
