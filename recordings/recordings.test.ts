import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const DIR = import.meta.dirname;
const CLI = join(DIR, '..', 'dist', 'server', 'cli', 'main.js');
const journals = readdirSync(DIR).filter((f) => f.endsWith('.hsj'));

describe('recordings/', () => {
  it('has the recorded bug scenarios', () => {
    expect(journals).toEqual(expect.arrayContaining(['uart-race.hsj', 'bad-fnptr.hsj', 'wrong-device-answer.hsj']));
  });

  for (const f of journals) for (const tier of ['auto', 'interp', 'jit']) {
    it(`${f}: hindsight replay --verify --tier ${tier} matches every exit and the final digest`, () => {
      const r = spawnSync(process.execPath, [CLI, 'replay', join(DIR, f), '--verify', '--json', '--tier', tier], { encoding: 'utf8' });
      expect(r.status, r.stderr).toBe(0);
      const summary = JSON.parse(r.stdout) as { verified: boolean; exits: number; recordedExits: number; finalDigest: string; recordedDigest: string };
      expect(summary.verified).toBe(true);
      expect(summary.exits).toBe(summary.recordedExits);
      expect(summary.finalDigest).toBe(summary.recordedDigest);
    });
  }
});
