/**
 * The legacy Chrome JSON trace format (the Trace Event Format that chrome://tracing and ui.perfetto.dev both open):
 * `{"displayTimeUnit": "ns", "traceEvents": [...]}`, one event a line, written as it comes. Timestamps are in
 * microseconds, so an icount (one virtual nanosecond each) is written with three decimals, exactly.
 *
 * The same content as the Perfetto export: a `run` slice (B/E) holding the guest's kvm_entry→kvm_exit slices, each
 * exit an instant event ("i", thread scope) named by its reason with its fields as args, counters ("C") for
 * instructions retired and for exits per reason.
 */
import type { ExitAnswer, JournalInput, VcpuExit } from '../../sim/index.js';
import { exitFields, inputFields, type Field } from './exit-fields.js';
import type { ChunkedOutput } from './output.js';
import type { TraceMeta, TraceWriter } from './trace-writer.js';

const PID = 1, TID = 1;

/** icount (ns) as microseconds with three decimals, without floating-point rounding. */
function micros(icount: number): string {
  const us = Math.floor(icount / 1000), ns = icount - us * 1000;
  return ns === 0 ? String(us) : `${us}.${String(ns).padStart(3, '0')}`;
}

function argValue(v: Field[1]): string {
  switch (v.kind) {
    case 'pointer': return `"0x${BigInt.asUintN(64, v.value).toString(16)}"`;
    case 'uint': case 'int':
      return typeof v.value === 'number' || (v.value <= BigInt(Number.MAX_SAFE_INTEGER) && v.value >= -BigInt(Number.MAX_SAFE_INTEGER))
        ? String(v.value) : `"${v.value}"`;
    case 'bool': return v.value ? 'true' : 'false';
    case 'string': return JSON.stringify(v.value);
  }
}

function args(fields: Field[]): string {
  return `{${fields.map(([k, v]) => `"${k}":${argValue(v)}`).join(',')}}`;
}

export class ChromeJsonWriter implements TraceWriter {
  private meta!: TraceMeta;
  /** Events written. */
  events = 0;

  constructor(private readonly out: ChunkedOutput) {}

  private line(json: string): void {
    this.out.text(this.events === 0 ? `\n${json}` : `,\n${json}`);
    this.events++;
  }

  start(meta: TraceMeta): void {
    this.meta = meta;
    this.out.text('{"displayTimeUnit":"ns","otherData":{"producer":"hindsight export","timebase":"1 guest instruction = 1 ns"},"traceEvents":[');
    this.line(`{"ph":"M","pid":${PID},"tid":${TID},"name":"process_name","args":{"name":${JSON.stringify(`hindsight: ${meta.image}`)}}}`);
    this.line(`{"ph":"M","pid":${PID},"tid":${TID},"name":"thread_name","args":{"name":"vCPU 0"}}`);
    this.line(`{"ph":"B","pid":${PID},"tid":${TID},"ts":0,"name":${JSON.stringify(`run ${meta.image}`)},"args":${args([
      ['image', { kind: 'string', value: meta.image }], ['ram_bytes', { kind: 'uint', value: meta.ramSize }],
      ['recorded_by', { kind: 'string', value: meta.tool }],
    ])}}`);
  }

  guest(from: number, to: number): void {
    this.line(`{"ph":"B","pid":${PID},"tid":${TID},"ts":${micros(from)},"name":"guest"}`);
    this.line(`{"ph":"E","pid":${PID},"tid":${TID},"ts":${micros(to)}}`);
  }

  exit(exit: VcpuExit, answer: ExitAnswer | undefined, reasonCount: number): void {
    const ts = micros(exit.icount);
    this.line(`{"ph":"i","s":"t","pid":${PID},"tid":${TID},"ts":${ts},"name":"${exit.reason}","args":${args(exitFields(exit, answer, this.meta.symbols))}}`);
    this.line(`{"ph":"C","pid":${PID},"ts":${ts},"name":"instructions retired","args":{"value":${exit.icount}}}`);
    this.line(`{"ph":"C","pid":${PID},"ts":${ts},"name":"exits ${exit.reason}","args":{"value":${reasonCount}}}`);
  }

  input(icount: number, input: JournalInput): void {
    this.line(`{"ph":"i","s":"t","pid":${PID},"tid":${TID},"ts":${micros(icount)},"name":"input ${input.kind}","args":${args(inputFields(input))}}`);
  }

  finish(icount: number, reason: string | null): void {
    const name = reason === null ? 'end (recording not closed)' : `end ${reason}`;
    this.line(`{"ph":"i","s":"t","pid":${PID},"tid":${TID},"ts":${micros(icount)},"name":${JSON.stringify(name)},"args":{"icount":${icount}}}`);
    this.line(`{"ph":"E","pid":${PID},"tid":${TID},"ts":${micros(icount)}}`);
    this.out.text('\n]}\n');
  }
}
