/**
 * gdb-visible latency of reverse execution on a long recording: guests/build/tt-long.elf (1.1e9 instructions) is
 * recorded, replayed with `hindsight replay --gdb 0`, and driven by gdb-multiarch, which times each command itself
 * (Python's perf_counter around gdb.execute): what a user at the gdb prompt waits. Measured, from random places:
 * reverse-stepi (the first after a jump, and the next one), reverse-continue to a breakpoint on probe_device (called
 * once a round, ~1 million instructions apart), and reverse-next over the loop line of fold() (~100 instructions,
 * which gdb steps back over one `bs` at a time). A benchmark, not a test: it prints figures.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { markdownTable, percentile } from './stats.js';

const GUEST = 'tt-long';

export interface GdbBenchOptions {
  /** dist/server/cli/main.js */
  cli: string;
  guestsDir: string;
  samples: number;
  progress?: (what: string) => void;
}

export interface GdbBenchRow {
  operation: string;
  seconds: number[];
}

export interface GdbBenchReport {
  instructions: number;
  runToEndSeconds: number;
  rows: GdbBenchRow[];
  /** Instructions each reverse-next went back over. */
  reverseNextInsns: number[];
}

/** The gdb side: a Python script gdb runs, writing its timings as JSON. */
function script(port: number, samples: number, last: number, out: string): string {
  return `
import gdb, json, random, time
def run(cmd):
    return gdb.execute(cmd, to_string=True)
def timed(cmd):
    t0 = time.perf_counter()
    text = gdb.execute(cmd, to_string=True)
    return time.perf_counter() - t0, text
def goto(k):
    run("monitor goto icount %d" % k)
    run("maintenance flush register-cache")
def icount():
    return int(gdb.parse_and_eval("$instret"))
def where():
    f = gdb.selected_frame()
    return f.name(), f.find_sal().line
def check(cond, what):
    if not cond:
        raise gdb.GdbError("bench gdb: " + what)
run("set pagination off")
run("set confirm off")
run("target remote :${port}")
res = {"first": [], "next": [], "rc": [], "rn": [], "rnInsns": []}
res["runToEnd"], text = timed("continue")
check(icount() == ${last}, "continue stopped at icount %d, not at the end" % icount())
rnd = random.Random(0x7717)
for i in range(${samples}):
    goto(rnd.randrange(2, ${last}))
    at = icount()
    t, _ = timed("reverse-stepi")
    res["first"].append(t)
    t, _ = timed("reverse-stepi")
    res["next"].append(t)
    check(icount() == at - 2, "reverse-stepi twice went from %d to %d" % (at, icount()))
run("break probe_device")
for i in range(${samples}):
    goto(${Math.floor(last / 10)} + rnd.randrange(0, ${Math.floor(last * 0.9)}))
    t, text = timed("reverse-continue")
    check(where()[0] == "probe_device", "reverse-continue stopped in %s" % (where(),))
    res["rc"].append(t)
run("delete")
for i in range(${samples}):
    goto(rnd.randrange(0, ${Math.floor(last * 0.99)}))
    run("tbreak fold")
    run("continue")
    check(where()[0] == "fold", "continue to fold stopped in %s" % (where(),))
    loop = where()[1]
    run("next")
    check(where()[1] > loop, "next over the loop line stopped at %s" % (where(),))
    before = icount()
    t, text = timed("reverse-next")
    check(where() == ("fold", loop), "reverse-next stopped at %s, not at line %d" % (where(), loop))
    res["rn"].append(t)
    res["rnInsns"].append(before - icount())
with open(${JSON.stringify(out)}, "w") as f:
    json.dump(res, f)
run("detach")
`;
}

function startReplay(cli: string, journal: string): Promise<{ port: number; done: Promise<void> }> {
  const proc = spawn(process.execPath, [cli, 'replay', journal, '--gdb', '0'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  const done = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  return new Promise((resolve, reject) => {
    proc.stderr!.on('data', (b: Buffer) => {
      err += b.toString();
      const m = /gdb stub listening on 127\.0\.0\.1:(\d+)/.exec(err);
      if (m) resolve({ port: Number(m[1]), done });
    });
    proc.once('exit', (code) => reject(new Error(`bench gdb: the replay exited (${code}): ${err}`)));
  });
}

export async function runGdbBench(opts: GdbBenchOptions): Promise<GdbBenchReport> {
  const dir = mkdtempSync(join(tmpdir(), 'hindsight-bench-gdb-'));
  try {
    const elf = join(opts.guestsDir, `${GUEST}.elf`);
    const journal = join(dir, `${GUEST}.hsj`);
    opts.progress?.(`recording ${GUEST}`);
    const rec = spawnSync(process.execPath, [opts.cli, 'record', elf, '-o', journal], { encoding: 'latin1', stdio: ['ignore', 'ignore', 'pipe'] });
    const icount = Number(/(\d+) instructions/.exec(rec.stderr)?.[1]);
    if (rec.status !== 0 || !Number.isFinite(icount)) throw new Error(`bench gdb: recording ${GUEST} failed: ${rec.stderr}`);
    opts.progress?.(`replaying under gdb (${opts.samples} samples per measure; the first continue runs to the end, laying checkpoints)`);
    const replay = await startReplay(opts.cli, journal);
    const results = join(dir, 'results.json');
    const py = join(dir, 'bench.py');
    writeFileSync(py, script(replay.port, opts.samples, icount, results));
    const gdb = spawnSync('gdb-multiarch', ['-batch', '-nx', '-x', py, elf], { encoding: 'latin1', cwd: join(opts.guestsDir, '..') });
    if (gdb.error) throw new Error(`bench gdb: cannot run gdb-multiarch (install it): ${gdb.error.message}`);
    await replay.done;
    let r: Record<string, number[]> & { runToEnd: number };
    try {
      r = JSON.parse(readFileSync(results, 'utf8'));
    } catch {
      throw new Error(`bench gdb: gdb did not finish (status ${gdb.status}):\n${gdb.stdout}\n${gdb.stderr}`);
    }
    return {
      instructions: icount, runToEndSeconds: r.runToEnd, reverseNextInsns: r.rnInsns,
      rows: [
        { operation: 'reverse-stepi, the first after a jump', seconds: r.first },
        { operation: 'reverse-stepi, the next one', seconds: r.next },
        { operation: 'reverse-continue to a breakpoint', seconds: r.rc },
        { operation: 'reverse-next over a line of ~100 instructions', seconds: r.rn },
      ],
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const ms = (s: number) => (s * 1000).toFixed(s < 0.01 ? 1 : 0);

export function formatGdbBench(r: GdbBenchReport): string {
  const rows = r.rows.map(({ operation, seconds }) => {
    const s = [...seconds].sort((a, b) => a - b);
    return [operation, s.length, ms(percentile(s, 0.5)), ms(percentile(s, 0.99)), ms(s[s.length - 1])];
  });
  const insns = [...r.reverseNextInsns].sort((a, b) => a - b);
  return [
    `${GUEST}: ${r.instructions} instructions; gdb's first continue ran to the end in ${r.runToEndSeconds.toFixed(1)} s`,
    `(reverse-next went back over ${insns[0]}–${insns[insns.length - 1]} instructions, one gdb \`bs\` each)`,
    '',
    markdownTable(['operation (gdb-visible)', 'samples', 'p50 ms', 'p99 ms', 'max ms'], 'lrrrr', rows),
  ].join('\n');
}
