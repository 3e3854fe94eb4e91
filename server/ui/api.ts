/**
 * What the web UI asks of the server beyond the /v1 API (docs/ui.md): a recording's exits as binary columns, some
 * exits in full, the console output up to an exit, the image's symbols, the disassembly around a VM's pc, and an
 * observer's token for a VM's channel. Mounted at /v1/ui, behind the server token like every /v1 route.
 */
import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import { decodeAt, JournalStream, type ExitAnswer, type VcpuExit } from '../../sim/index.js';
import { observerToken } from '../auth.js';
import { exitFields, type FieldValue } from '../export/exit-fields.js';
import type { VmHandle } from '../vm/vm-handle.js';
import { VmRequestError } from '../vm/vm-request-error.js';
import type { VmRegistry } from '../vm/registry.js';
import { disassembleAround } from './disasm.js';
import { TimelineCache } from './timeline-cache.js';
import { COLUMN_NAMES, encodeTimeline, type ColumnName } from './timeline-wire.js';

/** Exits one /exits request returns at most. */
const MAX_EXITS = 500;

const route = (fn: (req: Request, res: Response) => Promise<void> | void) =>
  (req: Request, res: Response, next: NextFunction) => {
    Promise.resolve().then(() => fn(req, res)).catch(next);
  };

function intParam(req: Request, name: string, fallback: number, max = Number.MAX_SAFE_INTEGER): number {
  const v = req.query[name];
  if (v === undefined || v === '') return fallback;
  const n = Number(v);
  if (!Number.isSafeInteger(n) || n < 0 || n > max) throw new VmRequestError('BAD_REQUEST', `'${name}' must be an integer from 0 to ${max}`);
  return n;
}

/** An address given in hex (0x...) or decimal. */
function addressParam(req: Request, name: string): bigint | undefined {
  const v = req.query[name];
  if (v === undefined || v === '') return undefined;
  if (typeof v !== 'string' || !/^(0x[0-9a-f]{1,16}|[0-9]{1,20})$/i.test(v)) throw new VmRequestError('BAD_REQUEST', `'${name}' must be an address (hex 0x... or decimal)`);
  return BigInt(v);
}

function show(v: FieldValue): string | number | boolean {
  switch (v.kind) {
    case 'pointer': return `0x${BigInt.asUintN(64, v.value).toString(16)}`;
    case 'uint': case 'int': return typeof v.value === 'number' ? v.value : v.value.toString();
    default: return v.value;
  }
}

export function uiApi(registry: VmRegistry): Router {
  const cache = new TimelineCache();
  const router = express.Router();

  /** The journal file of a recording named in the URL. */
  const recordingPath = (req: Request) => registry.recordingPath(String(req.params.name));

  // While a big recording's index is being built, the answer is what is built so far (marked incomplete); it
  // waits until there is something from fromSeq on.
  router.get('/recordings/:name/timeline', route(async (req, res) => {
    const ix = cache.index(recordingPath(req));
    const fromSeq = intParam(req, 'fromSeq', 0);
    await ix.reached(fromSeq);
    const cols = ix.cols;
    const from = cols.indexOfSeq(fromSeq);
    const limit = intParam(req, 'limit', Number.MAX_SAFE_INTEGER);
    const asked = typeof req.query.columns === 'string' && req.query.columns !== '' ? req.query.columns.split(',') : COLUMN_NAMES;
    const unknown = asked.find((c) => !(COLUMN_NAMES as string[]).includes(c));
    if (unknown !== undefined) throw new VmRequestError('BAD_REQUEST', `no column '${unknown}' (there are ${COLUMN_NAMES.join(', ')})`);
    const chunks = encodeTimeline(cols, from, asked as ColumnName[], {
      limit, complete: ix.complete, progress: ix.progress, end: cols.end ?? (ix.probed && { icount: ix.probed.icount, reason: ix.probed.reason }),
    });
    res.set('Content-Type', 'application/octet-stream');
    res.set('Content-Length', String(chunks.reduce((n, c) => n + c.length, 0)));
    for (const c of chunks) res.write(c);
    res.end();
  }));

  router.get('/recordings/:name/exits', route(async (req, res) => {
    const path = recordingPath(req);
    const from = intParam(req, 'from', 0), to = Math.min(intParam(req, 'to', from), from + MAX_EXITS - 1);
    const ix = cache.index(path);
    await ix.reached(from);
    const cols = ix.cols;
    const symbols = await cache.symbols(path);
    const k = cols.indexOfSeq(from);
    const out: { seq: number; icount: number; reason: string; pc: string; fields: [string, string | number | boolean][] }[] = [];
    if (k < cols.count && from <= to) {
      // From exit k's record on, with the order checks standing where they stood there.
      const stream = JournalStream.open(path, {
        offset: cols.offset[k], index: cols.record[k], ramSize: cols.ramSize, order: { nextSeq: cols.seq[k], icount: 0, ended: false },
      });
      try {
        let last: { exit: VcpuExit; answer?: ExitAnswer } | null = null;
        const flush = () => {
          if (last === null) return;
          const { exit, answer } = last;
          out.push({ seq: exit.seq, icount: exit.icount, reason: exit.reason, pc: `0x${exit.pc.toString(16)}`, fields: exitFields(exit, answer, symbols).map(([n, v]) => [n, show(v)]) });
          last = null;
        };
        for (const r of stream.records()) {
          const rec = decodeAt(r.bytes, r.start, r.length);
          if (rec.t === 'answer' && last !== null && rec.answer.seq === last.exit.seq) last.answer = rec.answer;
          if (rec.t !== 'exit') continue;
          flush();
          if (rec.exit.seq > to) break;
          last = { exit: rec.exit };
        }
        flush();
      } finally {
        stream.close();
      }
    }
    res.json(out);
  }));

  router.get('/recordings/:name/console', route(async (req, res) => {
    const ix = cache.index(recordingPath(req));
    const before = intParam(req, 'before', Number.MAX_SAFE_INTEGER);
    await ix.reached(before);
    const { bytes, from, total } = ix.cols.consoleBefore(before, intParam(req, 'max', 65_536, 1 << 22));
    res.json({ text: Buffer.from(bytes).toString('utf8'), from, total });
  }));

  router.get('/recordings/:name/symbols', route(async (req, res) => {
    const symbols = await cache.symbols(recordingPath(req));
    res.json((symbols?.symbols ?? []).map((s) => [`0x${s.address.toString(16)}`, s.name]));
  }));

  router.get('/vms/:id/observe', route((req, res) => {
    const vm = registry.get(String(req.params.id));
    res.json({ id: vm.id, kind: vm.kind, token: observerToken(vm.token), channel: `/v1/vms/${vm.id}/channel`, recording: recordingOf(vm) });
  }));

  router.get('/vms/:id/disasm', route(async (req, res) => {
    const vm = registry.get(String(req.params.id));
    let pc = addressParam(req, 'pc');
    if (pc === undefined) pc = ((await vm.request({ op: 'get-regs' })) as { pc: bigint }).pc;
    const before = intParam(req, 'before', 8, 64), after = intParam(req, 'after', 16, 256);
    const recording = recordingOf(vm);
    const symbols = recording === null ? null : await cache.symbols(registry.recordingPath(recording));
    const center = Number(pc);
    if (pc > BigInt(Number.MAX_SAFE_INTEGER)) throw new VmRequestError('BAD_ADDRESS', `pc 0x${pc.toString(16)} is not a guest-physical address (the disassembly reads guest RAM)`);
    // From the symbol's start when it is near (as objdump reads), else a window wide enough to resynchronise.
    const sym = symbols?.lookup(center);
    const back = Math.min(sym && sym.offset <= 4096 ? sym.offset : before * 4 + 32, center);
    let base = center - back, mem: Uint8Array;
    try {
      mem = (await vm.request({ op: 'read-mem', addr: base, len: back + after * 4 })) as Uint8Array;
    } catch (e) {
      if (!(e instanceof VmRequestError) || e.code !== 'BAD_ADDRESS') throw e;
      // The window reaches outside RAM: only from pc on.
      base = center;
      mem = (await vm.request({ op: 'read-mem', addr: base, len: after * 4 })) as Uint8Array;
    }
    res.json({ pc: `0x${pc.toString(16)}`, lines: disassembleAround(new Uint8Array(mem), base, center, before, after, symbols) });
  }));

  return router;
}

/** The recording a VM writes (live) or replays. */
function recordingOf(vm: VmHandle): string | null {
  return vm.kind === 'replay' ? vm.name : vm.recording;
}
