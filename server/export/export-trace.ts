/**
 * `hindsight export`: a recording as a trace, walked record by record (JournalStream) and written as it goes, so a
 * recording of millions of exits exports in the memory of one chunk of the journal and one of the trace.
 */
import type { Writable } from 'node:stream';
import { decodeAt, JournalStream, type ExitAnswer, type VcpuExit } from '../../sim/index.js';
import { ChromeJsonWriter } from './chrome-json.js';
import { ChunkedOutput } from './output.js';
import { PerfettoWriter } from './perfetto.js';
import { Symbolizer } from './symbolizer.js';
import type { TraceWriter } from './trace-writer.js';

export type TraceFormat = 'perfetto' | 'chrome-json';

export interface ExportSummary {
  exits: number;
  inputs: number;
  /** Instructions retired at the end of the recording. */
  icount: number;
  /** Events in the trace (Perfetto track events, or JSON trace events). */
  events: number;
  bytes: number;
  closed: boolean;
  tornBytes: number;
}

/** Writes the recording at `path` as a trace to `stream` (ended when `endStream`, e.g. not for stdout). */
export async function exportTrace(path: string, format: TraceFormat, stream: Writable, endStream: boolean): Promise<ExportSummary> {
  const journal = JournalStream.open(path);
  try {
    const out = new ChunkedOutput(stream);
    const writer = format === 'perfetto' ? new PerfettoWriter(out) : new ChromeJsonWriter(out);
    const summary = await walk(journal, writer, out);
    await out.finish(endStream);
    return { ...summary, events: writer.events, bytes: out.written };
  } finally {
    journal.close();
  }
}

async function walk(journal: JournalStream, writer: TraceWriter, out: ChunkedOutput): Promise<Omit<ExportSummary, 'events' | 'bytes'>> {
  const header = journal.header!;
  const kernel = header.images.find((i) => i.role === 'kernel');
  writer.start({
    image: kernel?.name ?? 'guest', tool: header.tool, ramSize: header.machine.ramSize,
    symbols: kernel === undefined ? null : Symbolizer.fromImage(kernel.bytes),
  });
  const counts = new Map<string, number>();
  let exits = 0, inputs = 0;
  /** Where the guest last left off (the previous exit's icount): the next kvm_entry. */
  let entry = 0;
  /** The exit waiting for the record after it, which may be its answer. */
  let pending: VcpuExit | null = null;
  let answer: ExitAnswer | undefined;
  let endReason: string | null = null;
  let endIcount = 0;
  const flush = () => {
    if (pending === null) return;
    const n = (counts.get(pending.reason) ?? 0) + 1;
    counts.set(pending.reason, n);
    writer.exit(pending, answer, n);
    pending = null;
    answer = undefined;
  };
  for (const r of journal.records()) {
    const record = decodeAt(r.bytes, r.start, r.length);
    switch (record.t) {
      case 'exit':
        flush();
        writer.guest(entry, record.exit.icount);
        entry = record.exit.icount;
        pending = record.exit;
        exits++;
        break;
      case 'answer':
        if (pending !== null && record.answer.seq === pending.seq) answer = record.answer;
        flush();
        break;
      case 'input':
        flush();
        writer.input(record.icount, record.input);
        inputs++;
        break;
      case 'end':
        flush();
        endReason = record.reason;
        endIcount = record.icount;
        break;
      case 'digest':
        break;
    }
    if (out.full) await out.drain();
  }
  flush();
  const icount = Math.max(entry, endIcount);
  if (endReason !== null && endIcount > entry) writer.guest(entry, endIcount);
  writer.finish(icount, endReason);
  return { exits, inputs, icount, closed: endReason !== null, tornBytes: journal.end?.tornBytes ?? 0 };
}
