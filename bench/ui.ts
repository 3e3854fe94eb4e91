/**
 * The web UI on a million exits: `hindsight serve` with a console-flood recording (1.09 M exits), opened in
 * Debian's chromium. First paint is the browser's own clock: the `hindsight:timeline-painted` mark, in ms since the
 * navigation started. Cold is the first open after the server started (the server walks the journal then, and the
 * page paints the exits walked so far while it does), warm the opens after it; each cold open is on a newly started
 * server (as many as warm opens). With each, when the whole timeline was in (the `hindsight:timeline-complete` measure's end). Then the cost
 * of a frame while zooming into the million exits. With `screenshots`, also
 * writes the pictures docs/ui.md shows. A benchmark, not a test.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { launchChromium } from './browser.js';
import { recordFlood } from './export.js';
import { markdownTable, median } from './stats.js';

export interface UiBenchReport {
  exits: number;
  coldMs: number[];
  /** Cold opens: when the whole timeline was in, ms from the navigation's start. */
  coldCompleteMs: number[];
  warmMs: number[];
  /** Frame costs while zooming: median and worst, ms. */
  frameMs: { median: number; max: number; frames: number };
  screenshots: string[];
}

async function startServer(cli: string, dataDir: string, guestsDir: string, token: string): Promise<{ url: string; child: ChildProcess }> {
  const tokenFile = join(dataDir, 'token');
  writeFileSync(tokenFile, token);
  const child = spawn(process.execPath, [cli, 'serve', '--port', '0', '--data', dataDir, '--token-file', tokenFile, '--guests', guestsDir], { stdio: ['ignore', 'pipe', 'ignore'] });
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m) resolve(m[1]);
    });
    child.once('exit', (code) => reject(new Error(`serve exited (${code})`)));
  });
  return { url, child };
}

async function firstPaint(page: Page, url: string): Promise<number> {
  await page.goto('about:blank');
  await page.goto(url);
  await page.waitForFunction(() => performance.getEntriesByName('hindsight:timeline-painted').length > 0, undefined, { timeout: 120_000 });
  return page.evaluate(() => performance.getEntriesByName('hindsight:timeline-painted')[0].startTime);
}

async function completed(page: Page): Promise<number> {
  await page.waitForFunction(() => performance.getEntriesByName('hindsight:timeline-complete').length > 0, undefined, { timeout: 120_000 });
  return page.evaluate(() => {
    const m = performance.getEntriesByName('hindsight:timeline-complete')[0];
    return m.startTime + m.duration;
  });
}

export async function runUiBench(opts: { cli: string; guestsDir: string; repeats: number; colds?: number; screenshots?: string; progress: (what: string) => void }): Promise<UiBenchReport> {
  const dataDir = mkdtempSync(join(tmpdir(), 'hindsight-bench-ui-'));
  mkdirSync(join(dataDir, 'recordings'));
  const token = `bench-ui-token-${process.pid}`;
  opts.progress('recording console-flood (all of it)');
  recordFlood(opts.cli, opts.guestsDir, join(dataDir, 'recordings', 'console-flood.hsj'));
  const small = join(dataDir, 'recordings', 'mmio-widths.hsj');
  const r = spawnSync(process.execPath, [opts.cli, 'record', join(opts.guestsDir, 'mmio-widths.elf'), '-o', small, '--quiet']);
  if (r.status !== 0) throw new Error('recording mmio-widths failed');
  const browser = await launchChromium({ width: 1280, height: 800 });
  let child: ChildProcess | undefined;
  try {
    const page = await browser.context.newPage();
    const coldMs: number[] = [], coldCompleteMs: number[] = [];
    const colds = opts.colds ?? opts.repeats;
    let url = '';
    for (let i = 0; i < colds; i++) {
      // A server of its own: nothing of the journal known yet.
      child?.kill('SIGTERM');
      ({ url, child } = await startServer(opts.cli, dataDir, opts.guestsDir, token));
      opts.progress(`first paint, cold ${i + 1}/${colds}`);
      coldMs.push(await firstPaint(page, `${url}/ui/?token=${token}#/recordings/console-flood.hsj`));
      coldCompleteMs.push(await completed(page));
    }
    const flood = `${url}/ui/?token=${token}#/recordings/console-flood.hsj`;
    await page.locator('[data-ready=true]').waitFor();
    const exits = Number((await page.getByTestId('exit-count').textContent())!.replace(/[^0-9]/g, ''));
    const warmMs: number[] = [];
    for (let i = 0; i < opts.repeats; i++) {
      opts.progress(`first paint, warm ${i + 1}/${opts.repeats}`);
      warmMs.push(await firstPaint(page, flood));
    }
    opts.progress('zooming');
    await page.locator('[data-ready=true]').waitFor();
    await page.evaluate(() => performance.clearMeasures('hindsight:timeline-draw'));
    const box = (await page.getByTestId('timeline').boundingBox())!;
    await page.mouse.move(box.x + box.width * 0.6, box.y + box.height / 2);
    for (let i = 0; i < 30; i++) {
      await page.mouse.wheel(0, i < 20 ? -300 : 300);
      await page.waitForTimeout(20);
    }
    await page.waitForTimeout(200);
    const frames = await page.evaluate(() => performance.getEntriesByName('hindsight:timeline-draw').map((m) => m.duration));
    const screenshots: string[] = [];
    if (opts.screenshots !== undefined) {
      mkdirSync(opts.screenshots, { recursive: true });
      const shot = async (name: string, hash: string, ready: string) => {
        await page.goto('about:blank');
        await page.goto(`${url}/ui/?token=${token}${hash}`);
        await page.locator(ready).waitFor({ timeout: 60_000 });
        await page.waitForTimeout(500);
        const file = join(opts.screenshots!, name);
        await page.screenshot({ path: file });
        screenshots.push(file);
      };
      opts.progress('screenshots');
      await shot('ui-recording.png', '#/recordings/mmio-widths.hsj?exit=30', '[data-testid=place][data-exit="30"]');
      await shot('ui-million-exits.png', '#/recordings/console-flood.hsj?exit=500000', '[data-testid=place][data-exit="500000"]');
    }
    const sorted = [...frames].sort((a, b) => a - b);
    return { exits, coldMs, coldCompleteMs, warmMs, frameMs: { median: median(sorted), max: sorted[sorted.length - 1] ?? 0, frames: frames.length }, screenshots };
  } finally {
    await browser.close();
    child?.kill('SIGTERM');
    rmSync(dataDir, { recursive: true, force: true });
  }
}

export function formatUiBench(r: UiBenchReport): string {
  const sorted = (a: number[]) => [...a].sort((x, y) => x - y);
  const range = (a: number[]) => `${Math.round(a[0])}–${Math.round(a[a.length - 1])}`;
  const warm = sorted(r.warmMs), cold = sorted(r.coldMs), complete = sorted(r.coldCompleteMs);
  return markdownTable(['exits', 'first paint, cold (ms, median)', 'cold range', 'cold: all exits in (ms, median)', 'range', 'first paint, warm (ms, median)', 'warm range',
    'frame while zooming (ms, median / worst)', 'frames'], 'rrrrrrrrr', [[
    r.exits.toLocaleString('en-US'), Math.round(median(cold)), range(cold), Math.round(median(complete)), range(complete), Math.round(median(warm)), range(warm),
    `${r.frameMs.median.toFixed(1)} / ${r.frameMs.max.toFixed(1)}`, r.frameMs.frames,
  ]]) + (r.screenshots.length > 0 ? `\nscreenshots: ${r.screenshots.join(', ')}` : '');
}
