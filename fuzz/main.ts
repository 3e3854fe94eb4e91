/**
 * `npm run fuzz [-- options]`: hindsight's fuzz campaign. Seeded and bounded: the same seed tries the same inputs;
 * a run stops at its count of inputs per campaign or at its time limit. Campaigns: journal, images, guests, http,
 * ws, kill (docs/fuzz.md). Prints a table of inputs, outcomes and failures per campaign, then one JSON line with
 * the totals; exits 1 if anything failed. Every failure is saved under --out with the command that makes it again.
 *
 *   --seed N      the seed (default 1)
 *   --long        the big run (thousands of inputs per campaign; no time limit unless --time)
 *   --time S      stop starting new inputs after S seconds in all (default: 100 for the short run)
 *   --only a,b    only these campaigns
 *   --case N      only this case (with --only one campaign): a failure again
 *   --out DIR     where failing inputs go (default fuzz-failures)
 */
import { mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { guestsCampaign } from './campaigns/guests.js';
import { httpCampaign } from './campaigns/http.js';
import { imagesCampaign } from './campaigns/images.js';
import { journalCampaign } from './campaigns/journal.js';
import { killCampaign } from './campaigns/kill.js';
import { wsCampaign } from './campaigns/ws.js';
import { FAILURE_KINDS, type CampaignReport, type FuzzContext } from './report.js';

type Campaign = (ctx: FuzzContext) => CampaignReport | Promise<CampaignReport>;

/** Each campaign, its inputs in a short and a long run, and its share of a time limit. */
const CAMPAIGNS: { name: string; run: Campaign; short: number; long: number; share: number }[] = [
  { name: 'journal', run: journalCampaign, short: 150, long: 2500, share: 0.15 },
  { name: 'images', run: imagesCampaign, short: 150, long: 2500, share: 0.15 },
  { name: 'guests', run: guestsCampaign, short: 80, long: 2000, share: 0.15 },
  { name: 'http', run: httpCampaign, short: 300, long: 4000, share: 0.1 },
  // ws: connections (each carries up to ~40 frames).
  { name: 'ws', run: wsCampaign, short: 120, long: 6000, share: 0.25 },
  { name: 'kill', run: killCampaign, short: 4, long: 24, share: 0.2 },
];

function parse(argv: string[]): { seed: number; long: boolean; time: number | null; only: string[] | null; onlyCase: number | null; out: string } {
  const opts = { seed: 1, long: false, time: null as number | null, only: null as string[] | null, onlyCase: null as number | null, out: 'fuzz-failures' };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i], next = () => {
      if (i + 1 >= argv.length) throw new Error(`${a} needs a value`);
      return argv[++i];
    };
    if (a === '--seed') opts.seed = Number(next());
    else if (a === '--long') opts.long = true;
    else if (a === '--time') opts.time = Number(next());
    else if (a === '--only') opts.only = next().split(',');
    else if (a === '--case') opts.onlyCase = Number(next());
    else if (a === '--out') opts.out = next();
    else throw new Error(`unknown option ${a} (see fuzz/main.ts)`);
  }
  if (!Number.isSafeInteger(opts.seed)) throw new Error('--seed takes an integer');
  for (const name of opts.only ?? []) if (!CAMPAIGNS.some((c) => c.name === name)) throw new Error(`no campaign ${name}`);
  return opts;
}

async function main(): Promise<number> {
  const opts = parse(process.argv.slice(2));
  const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
  const out = resolve(opts.out);
  mkdirSync(out, { recursive: true });
  const limitMs = (opts.time ?? (opts.long ? Infinity : 100)) * 1000;
  const chosen = CAMPAIGNS.filter((c) => opts.only === null || opts.only.includes(c.name));
  const shares = chosen.reduce((n, c) => n + c.share, 0);
  const reports: CampaignReport[] = [];
  const started = Date.now();
  let used = 0;
  for (const c of chosen) {
    used += c.share / shares;
    const t0 = Date.now();
    const ctx: FuzzContext = {
      seed: opts.seed, budget: opts.long ? c.long : c.short, deadline: started + limitMs * used, onlyCase: opts.onlyCase, outDir: out,
      cli: join(root, 'dist', 'server', 'cli', 'main.js'), guestsDir: join(root, 'guests', 'build'),
      progress: (text) => process.stderr.write(`[fuzz] ${text} (${((Date.now() - started) / 1000).toFixed(0)} s)\n`),
    };
    ctx.progress(`${c.name}: starting (up to ${ctx.budget} inputs)`);
    const report = await c.run(ctx);
    report.seconds = (Date.now() - t0) / 1000;
    reports.push(report);
  }
  const rows = reports.map((r) => {
    const outcomes = [...r.outcomes].sort((a, b) => b[1] - a[1]).slice(0, 6).map(([k, n]) => `${k} ${n}`).join(', ');
    return `| ${r.name} | ${r.inputs} | ${r.seconds.toFixed(0)} | ${FAILURE_KINDS.map((k) => r.count(k)).join(' | ')} | ${outcomes} |`;
  });
  process.stdout.write([
    `seed ${opts.seed}, ${opts.long ? 'long' : 'short'} run, ${((Date.now() - started) / 1000).toFixed(0)} s`,
    '',
    '| campaign | inputs | s | crashes | hangs | uncoded errors | stack traces | data lost | most frequent outcomes |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---|',
    ...rows,
    '',
  ].join('\n'));
  const failures = reports.flatMap((r) => r.failures);
  for (const f of failures) process.stdout.write(`FAILED ${f.campaign} case ${f.index} (${f.kind}): ${f.detail.split('\n')[0]}\n  again: ${f.repro}${f.file ? `\n  input: ${f.file}` : ''}\n`);
  process.stdout.write(`${JSON.stringify({
    seed: opts.seed, long: opts.long,
    campaigns: Object.fromEntries(reports.map((r) => [r.name, { inputs: r.inputs, ...Object.fromEntries(FAILURE_KINDS.map((k) => [k, r.count(k)])) }])),
    failures: failures.length,
  })}\n`);
  return failures.length === 0 ? 0 : 1;
}

main().then((code) => { process.exitCode = code; }, (e: unknown) => {
  process.stderr.write(`fuzz: ${e instanceof Error ? e.stack : String(e)}\n`);
  process.exitCode = 2;
});
