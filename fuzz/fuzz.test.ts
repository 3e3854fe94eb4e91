/**
 * The fuzz campaign's short run, as CI runs it: every campaign, seeded, 60 s in all. It passes when nothing
 * crashed, hung, threw an uncoded error, printed a stack trace or lost data; otherwise the output names each
 * failure, where its input was saved, and the command that tries it again.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..');

describe('fuzz campaign (short run)', () => {
  it('finds no crash, hang, uncoded error, stack trace or lost data in any campaign', () => {
    const out = mkdtempSync(join(tmpdir(), 'hindsight-fuzz-out-'));
    try {
      const r = spawnSync(process.execPath, [join(ROOT, 'dist', 'fuzz', 'main.js'), '--seed', '1', '--time', '60', '--out', out], {
        encoding: 'utf8', timeout: 300_000, cwd: ROOT,
      });
      expect(r.error, 'the fuzz run did not end').toBeUndefined();
      const summary = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as { failures: number; campaigns: Record<string, { inputs: number }> };
      expect(r.status, r.stdout).toBe(0);
      expect(summary.failures, r.stdout).toBe(0);
      for (const name of ['journal', 'images', 'guests', 'http', 'ws', 'kill']) {
        expect(summary.campaigns[name]?.inputs, `${name} tried nothing`).toBeGreaterThan(0);
      }
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  }, 300_000);
});
