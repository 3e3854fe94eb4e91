/**
 * What a fuzz campaign found: how many inputs it tried, how they ended (a coded error, a clean result), and the
 * failures: crashes (the process or the server died), hangs, uncoded errors (a TypeError where a coded error was
 * due), stack traces (printed to a user), data lost (a journal missing what a client saw). Every failure is saved
 * with the command that makes it again.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export type FailureKind = 'crash' | 'hang' | 'uncoded' | 'stack' | 'lost';
export const FAILURE_KINDS: readonly FailureKind[] = ['crash', 'hang', 'uncoded', 'stack', 'lost'];

export interface Failure {
  campaign: string;
  kind: FailureKind;
  index: number;
  detail: string;
  /** The saved input, when there is one. */
  file?: string;
  repro: string;
}

export class CampaignReport {
  inputs = 0;
  /** How the inputs ended that are not failures: `coded:JOURNAL_BAD_RECORD`, `ok`, `diverged`, `http:400`, ... */
  readonly outcomes = new Map<string, number>();
  readonly failures: Failure[] = [];
  seconds = 0;

  constructor(readonly name: string, private readonly ctx: FuzzContext) {}

  outcome(what: string): void {
    this.outcomes.set(what, (this.outcomes.get(what) ?? 0) + 1);
  }

  /** A failure at case `index`; `input`, when given, is saved (name: its file extension) for the reproduction. */
  fail(kind: FailureKind, index: number, detail: string, input?: { ext: string; bytes: Uint8Array | string }): void {
    let file: string | undefined;
    if (input !== undefined) {
      mkdirSync(this.ctx.outDir, { recursive: true });
      file = join(this.ctx.outDir, `${this.name}-${this.ctx.seed}-${index}.${input.ext}`);
      writeFileSync(file, input.bytes);
    }
    const repro = `node dist/fuzz/main.js --only ${this.name} --seed ${this.ctx.seed} --case ${index}`;
    const failure: Failure = { campaign: this.name, kind, index, detail: detail.slice(0, 2000), ...(file !== undefined ? { file } : {}), repro };
    this.failures.push(failure);
    process.stderr.write(`[fuzz ${this.name}] FAILURE (${kind}) at case ${index}: ${failure.detail.split('\n')[0]}\n  again: ${repro}${file ? `\n  input: ${file}` : ''}\n`);
  }

  count(kind: FailureKind): number {
    return this.failures.filter((f) => f.kind === kind).length;
  }
}

/** What every campaign gets: the seed, how many inputs or how long, where failures go. */
export interface FuzzContext {
  seed: number;
  /** Inputs to try (the campaign scales it to its own cost), or null to go by time. */
  budget: number;
  /** Stop starting new inputs after this many ms. */
  deadline: number;
  /** Only this case (reproducing a failure), or null for all. */
  onlyCase: number | null;
  outDir: string;
  /** dist/server/cli/main.js, for campaigns that run the CLI or a server. */
  cli: string;
  guestsDir: string;
  progress(text: string): void;
}

/**
 * The cases a campaign runs: 0..n-1 until the deadline, or the one asked for. The first always runs, even when the
 * campaigns before used up this one's time (on a loaded machine): a campaign that tried nothing proves nothing.
 */
export function* cases(ctx: FuzzContext, n: number): Generator<number> {
  if (ctx.onlyCase !== null) {
    yield ctx.onlyCase;
    return;
  }
  for (let i = 0; i < n; i++) {
    if (i > 0 && Date.now() > ctx.deadline) return;
    yield i;
  }
}

/** Whether an error is one hindsight meant to raise: a SimError (or another error with a stable string code). */
export function codeOf(e: unknown): string | null {
  if (typeof e === 'object' && e !== null && 'code' in e && typeof (e as { code: unknown }).code === 'string') {
    const code = (e as { code: string }).code;
    // Node's own system errors (ERR_*) are not hindsight's codes.
    return /^[A-Z][A-Z0-9_]+$/.test(code) && !code.startsWith('ERR_') ? code : null;
  }
  return null;
}

/** A stack trace in text meant for a user. */
export function hasStackTrace(text: string): boolean {
  return /\n\s+at .+:\d+:\d+\)?\n/.test(`${text}\n`) || /internal error/.test(text);
}
