/**
 * The web UI on a million exits: `hindsight serve` with a console-flood recording (1.09 M exits), opened in
 * Debian's chromium. First paint is the browser's own clock: the `hindsight:timeline-painted` mark, in ms since the
 * navigation started. Cold is the first open after the server started (the server walks the journal then), warm
 * the opens after it. Then the cost of a frame while zooming into the million exits. With `screenshots`, also
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
  coldMs: number;
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

export async function runUiBench(opts: { cli: string; guestsDir: string; repeats: number; screenshots?: string; progress: (what: string) => void }): Promise<UiBenchReport> {
  const dataDir = mkdtempSync(join(tmpdir(), 'hindsight-bench-ui-'));
  mkdirSync(join(dataDir, 'recordings'));
  const token = `bench-ui-token-${process.pid}`;
  opts.progress('recording console-flood (all of it)');
  recordFlood(opts.cli, opts.guestsDir, join(dataDir, 'recordings', 'console-flood.hsj'));
  const small = join(dataDir, 'recordings', 'mmio-widths.hsj');
  const r = spawnSync(process.execPath, [opts.cli, 'record', join(opts.guestsDir, 'mmio-widths.elf'), '-o', small, '--quiet']);
  if (r.status !== 0) throw new Error('recording mmio-widths failed');
  const { url, child } = await startServer(opts.cli, dataDir, opts.guestsDir, token);
  const browser = await launchChromium({ width: 1280, height: 800 });
  try {
    const page = await browser.context.newPage();
    const flood = `${url}/ui/?token=${token}#/recordings/console-flood.hsj`;
    opts.progress('first paint, cold');
    const coldMs = await firstPaint(page, flood);
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
    return { exits, coldMs, warmMs, frameMs: { median: median(sorted), max: sorted[sorted.length - 1] ?? 0, frames: frames.length }, screenshots };
  } finally {
    await browser.close();
    child.kill('SIGTERM');
    rmSync(dataDir, { recursive: true, force: true });
  }
}

export function formatUiBench(r: UiBenchReport): string {
  const warm = [...r.warmMs].sort((a, b) => a - b);
  return markdownTable(['exits', 'first paint, cold (ms)', 'first paint, warm (ms, median)', 'warm range', 'frame while zooming (ms, median / worst)', 'frames'], 'rrrrrr', [[
    r.exits.toLocaleString('en-US'), Math.round(r.coldMs), Math.round(median(warm)), `${Math.round(warm[0])}–${Math.round(warm[warm.length - 1])}`,
    `${r.frameMs.median.toFixed(1)} / ${r.frameMs.max.toFixed(1)}`, r.frameMs.frames,
  ]]) + (r.screenshots.length > 0 ? `\nscreenshots: ${r.screenshots.join(', ')}` : '');
}
