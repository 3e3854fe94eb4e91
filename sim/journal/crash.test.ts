import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SimError } from '../errors.js';
import { readJournal } from './reader.js';
import { replayJournal } from './replay.js';

const ROOT = join(import.meta.dirname, '..', '..');
const CLI = join(ROOT, 'dist', 'server', 'cli', 'main.js');
const FLOOD = join(ROOT, 'guests', 'build', 'console-flood.elf');
const KILLS = 16;

/**
 * Starts `hindsight record` on an exit-heavy guest and SIGKILLs it `ms` milliseconds after its journal appears
 * (counting from the journal, not from the spawn, keeps the kills inside the recording on a loaded machine, where
 * node's start-up alone can take seconds).
 */
function recordAndKill(out: string, ms: number): Promise<NodeJS.Signals | null> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, 'record', FLOOD, '-o', out, '--quiet'], { stdio: 'ignore' });
    let timer: NodeJS.Timeout | undefined;
    const poll = setInterval(() => {
      if (existsSync(out) && statSync(out).size > 0) {
        clearInterval(poll);
        timer = setTimeout(() => child.kill('SIGKILL'), ms);
      }
    }, 10);
    child.on('error', reject);
    child.on('exit', (_code, signal) => {
      clearInterval(poll);
      clearTimeout(timer);
      resolve(signal);
    });
  });
}

describe('journal: a recorder killed at any moment', () => {
  it(`leaves a journal that reads up to its last complete record and replays (${KILLS} SIGKILLs)`, async () => {
    expect(existsSync(CLI), 'dist/ is missing: npm test builds it (npm run build)').toBe(true);
    const dir = mkdtempSync(join(tmpdir(), 'hindsight-kill-'));
    try {
      let x = 0x2545f491;
      let withRecords = 0;
      for (let i = 0; i < KILLS; i++) {
        x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0;
        // From right after the header to 1.5 s into the recording (records reach the file at least every ~100 ms).
        const ms = x % 1500;
        const file = join(dir, `kill-${i}.hsj`);
        const signal = await recordAndKill(file, ms);
        expect(signal, `run ${i} ended before it was killed`).toBe('SIGKILL');
        if (!existsSync(file) || statSync(file).size === 0) continue;
        let journal;
        try {
          journal = readJournal(readFileSync(file));
        } catch (e) {
          // Killed before the header was complete: a clear error, never a misread.
          expect(e).toBeInstanceOf(SimError);
          expect((e as SimError).code).toBe('JOURNAL_TRUNCATED');
          continue;
        }
        expect(journal.closed).toBe(false);
        if (journal.exits.length > 0) withRecords++;
        const replay = replayJournal(journal);
        expect(replay.divergence, `kill ${i}, ${ms} ms into the recording: ${JSON.stringify(replay.divergence)}`).toBeUndefined();
        expect(replay.exits).toBe(journal.exits.length);
      }
      expect(withRecords).toBeGreaterThan(KILLS / 2);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
