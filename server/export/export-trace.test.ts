import { createWriteStream, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import protobuf from 'protobufjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runElf } from '../../client-sdk/index.js';
import { FileJournalWriter, readJournal, type ParsedJournal, type VcpuExit } from '../../sim/index.js';
import { exportTrace } from './export-trace.js';

/**
 * Perfetto's own field numbers, written out here from perfetto's protos (trace_packet.proto, track_event.proto,
 * track_descriptor.proto, debug_annotation.proto, interned_data.proto, counter_descriptor.proto), independently
 * of the exporter's constants: protobufjs decodes the trace with them.
 */
const PERFETTO_SUBSET = `
syntax = "proto2";
message Trace { repeated TracePacket packet = 1; }
message TracePacket {
  optional uint64 timestamp = 8;
  optional uint32 trusted_packet_sequence_id = 10;
  optional TrackEvent track_event = 11;
  optional InternedData interned_data = 12;
  optional uint32 sequence_flags = 13;
  optional TrackDescriptor track_descriptor = 60;
  optional bool first_packet_on_sequence = 87;
}
message TrackDescriptor {
  optional uint64 uuid = 1; optional string name = 2; optional ProcessDescriptor process = 3;
  optional ThreadDescriptor thread = 4; optional uint64 parent_uuid = 5; optional CounterDescriptor counter = 8;
}
message ProcessDescriptor { optional int32 pid = 1; optional string process_name = 6; }
message ThreadDescriptor { optional int32 pid = 1; optional int32 tid = 2; optional string thread_name = 5; }
message CounterDescriptor { optional int32 unit = 3; }
message TrackEvent {
  repeated DebugAnnotation debug_annotations = 4;
  optional int32 type = 9;
  optional uint64 name_iid = 10;
  optional uint64 track_uuid = 11;
  repeated int64 extra_counter_values = 12;
  optional string name = 23;
  repeated uint64 extra_counter_track_uuids = 31;
}
message DebugAnnotation {
  optional uint64 name_iid = 1; optional bool bool_value = 2; optional uint64 uint_value = 3; optional int64 int_value = 4;
  optional string string_value = 6; optional uint64 pointer_value = 7; optional string name = 10; optional uint64 string_value_iid = 17;
}
message InternedData {
  repeated EventName event_names = 2;
  repeated DebugAnnotationName debug_annotation_names = 3;
  repeated InternedString debug_annotation_string_values = 29;
}
message EventName { optional uint64 iid = 1; optional string name = 2; }
message DebugAnnotationName { optional uint64 iid = 1; optional string name = 2; }
message InternedString { optional uint64 iid = 1; optional bytes str = 2; }
`;
const Trace = protobuf.parse(PERFETTO_SUBSET, { keepCase: true }).root.lookupType('Trace');
const SLICE_BEGIN = 1, SLICE_END = 2, INSTANT = 3;

interface DecodedEvent {
  ts: bigint;
  type: number;
  track: bigint;
  name?: string;
  args: Map<string, unknown>;
  counters: Map<bigint, bigint>;
}

/** The trace's track events with their interned names resolved, as a trace processor would see them. */
function decodePerfetto(bytes: Uint8Array): { events: DecodedEvent[]; tracks: Map<bigint, Record<string, unknown>> } {
  const trace = Trace.toObject(Trace.decode(bytes), { longs: String, bytes: Array }) as { packet: Record<string, any>[] };
  const names = new Map<string, string>(), argNames = new Map<string, string>(), strings = new Map<string, string>();
  const tracks = new Map<bigint, Record<string, unknown>>();
  const events: DecodedEvent[] = [];
  for (const p of trace.packet) {
    expect(p.trusted_packet_sequence_id).toBe(1);
    for (const n of p.interned_data?.event_names ?? []) names.set(n.iid, n.name);
    for (const n of p.interned_data?.debug_annotation_names ?? []) argNames.set(n.iid, n.name);
    for (const s of p.interned_data?.debug_annotation_string_values ?? []) strings.set(s.iid, Buffer.from(s.str).toString());
    if (p.track_descriptor) tracks.set(BigInt(p.track_descriptor.uuid), p.track_descriptor);
    const te = p.track_event;
    if (!te) continue;
    const args = new Map<string, unknown>();
    for (const a of te.debug_annotations ?? []) {
      const value = a.string_value_iid !== undefined ? strings.get(a.string_value_iid) : a.pointer_value !== undefined ? BigInt(a.pointer_value)
        : a.uint_value !== undefined ? BigInt(a.uint_value) : a.int_value !== undefined ? BigInt(a.int_value) : a.bool_value ?? a.string_value;
      args.set(argNames.get(a.name_iid)!, value);
    }
    const uuids: string[] = te.extra_counter_track_uuids ?? [], values: string[] = te.extra_counter_values ?? [];
    events.push({
      ts: BigInt(p.timestamp), type: te.type, track: BigInt(te.track_uuid), name: te.name_iid === undefined ? undefined : names.get(te.name_iid),
      args, counters: new Map(uuids.map((u, i) => [BigInt(u), BigInt(values[i])])),
    });
  }
  return { events, tracks };
}

const GUESTS = join(import.meta.dirname, '..', '..', 'guests', 'build');
const dir = mkdtempSync(join(tmpdir(), 'hindsight-export-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function record(name: string): { file: string; journal: ParsedJournal; exits: VcpuExit[] } {
  const file = join(dir, `${name}.hsj`);
  runElf(readFileSync(join(GUESTS, `${name}.elf`)), { recordTo: (h) => new FileJournalWriter(file, h) });
  const journal = readJournal(readFileSync(file));
  const exits = journal.entries.map((e) => e.record).flatMap((r) => (r.t === 'exit' ? [r.exit] : []));
  return { file, journal, exits };
}

async function exportTo(file: string, format: 'perfetto' | 'chrome-json'): Promise<Buffer> {
  const out = join(dir, `out.${format}`);
  await exportTrace(file, format, createWriteStream(out), true);
  return readFileSync(out);
}

/** Slices must nest: every end closes the latest open begin, none left open. Returns the deepest nesting. */
function checkNesting(events: { type: 'B' | 'E'; ts: number | bigint }[]): number {
  const open: (number | bigint)[] = [];
  let deepest = 0;
  for (const e of events) {
    if (e.type === 'B') {
      open.push(e.ts);
      deepest = Math.max(deepest, open.length);
    } else {
      expect(open.length).toBeGreaterThan(0);
      expect(e.ts >= open.pop()!).toBe(true);
    }
  }
  expect(open).toEqual([]);
  return deepest;
}

describe('hindsight export --perfetto', () => {
  let rec: ReturnType<typeof record>;
  let decoded: ReturnType<typeof decodePerfetto>;
  beforeAll(async () => {
    rec = record('mmio-widths');
    decoded = decodePerfetto(await exportTo(rec.file, 'perfetto'));
  });

  it('has one instant event per exit, named by its reason, at its icount, in order', () => {
    const instants = decoded.events.filter((e) => e.type === INSTANT && e.args.has('seq'));
    expect(rec.exits.length).toBeGreaterThan(50);
    expect(instants.length).toBe(rec.exits.length);
    expect(new Set(rec.exits.map((e) => e.reason))).toEqual(new Set(['MMIO', 'RISCV_SBI']));
    instants.forEach((e, i) => {
      const exit = rec.exits[i];
      expect(e.name).toBe(exit.reason);
      expect(e.ts).toBe(BigInt(exit.icount));
      expect(e.args.get('seq')).toBe(BigInt(exit.seq));
      expect(e.args.get('pc')).toBe(exit.pc);
      if (exit.reason === 'MMIO') {
        expect(e.args.get('phys_addr')).toBe(BigInt(exit.physAddr));
        expect(e.args.get('len')).toBe(BigInt(exit.len));
        expect(e.args.get('is_write')).toBe(exit.isWrite);
      } else if (exit.reason === 'RISCV_SBI') {
        expect(e.args.get('extension_id')).toBe(`0x${exit.extensionId.toString(16)}`);
        expect(e.args.get('args')).toBe(`[${exit.args.map((a) => `0x${a.toString(16)}`).join(', ')}]`);
      }
    });
  });

  it("names the exit's pc with the image's symbol", () => {
    const putchar = decoded.events.find((e) => e.name === 'RISCV_SBI' && e.args.get('extension') === 'legacy console_putchar');
    expect(putchar?.args.get('symbol')).toMatch(/^sbi_console_putchar\+0x[0-9a-f]+$/);
  });

  it('puts the kvm_entry→kvm_exit slices, nested in the run, on the vCPU thread track', () => {
    const vcpu = decoded.tracks.get(decoded.events[0].track)!;
    expect(vcpu.thread).toMatchObject({ tid: 1, thread_name: 'vCPU 0' });
    expect(decoded.events.every((e) => e.track === decoded.events[0].track)).toBe(true);
    const slices = decoded.events.filter((e) => e.type === SLICE_BEGIN || e.type === SLICE_END);
    expect(checkNesting(slices.map((e) => ({ type: e.type === SLICE_BEGIN ? 'B' : 'E', ts: e.ts })))).toBe(2);
    const guest = decoded.events.filter((e) => e.type === SLICE_BEGIN && e.name === 'guest');
    expect(guest.length).toBe(rec.exits.length + 1);
    // Each guest slice ends where its exit happens.
    const ends = slices.filter((e) => e.type === SLICE_END).slice(0, rec.exits.length);
    expect(ends.map((e) => e.ts)).toEqual(rec.exits.map((e) => BigInt(e.icount)));
  });

  it('counts instructions and exits per reason on counter tracks', () => {
    const counterTracks = [...decoded.tracks.values()].filter((t) => t.counter !== undefined).map((t) => t.name);
    expect(counterTracks.sort()).toEqual(['exits MMIO', 'exits RISCV_SBI', 'instructions retired']);
    const uuidOf = (name: string) => BigInt([...decoded.tracks.values()].find((t) => t.name === name)!.uuid as string);
    const last = new Map<bigint, bigint>();
    for (const e of decoded.events) for (const [u, v] of e.counters) last.set(u, v);
    const count = (reason: string) => BigInt(rec.exits.filter((e) => e.reason === reason).length);
    expect(last.get(uuidOf('exits MMIO'))).toBe(count('MMIO'));
    expect(last.get(uuidOf('exits RISCV_SBI'))).toBe(count('RISCV_SBI'));
    expect(last.get(uuidOf('instructions retired'))).toBe(BigInt(rec.exits.at(-1)!.icount));
  });
});

describe('hindsight export --chrome-json', () => {
  it('loads as JSON, with nested B/E slices and one instant per exit', async () => {
    const rec = record('hello');
    const json = JSON.parse((await exportTo(rec.file, 'chrome-json')).toString()) as { traceEvents: Record<string, any>[]; displayTimeUnit: string };
    expect(json.displayTimeUnit).toBe('ns');
    const ev = json.traceEvents;
    const slices = ev.filter((e) => e.ph === 'B' || e.ph === 'E');
    expect(checkNesting(slices.map((e) => ({ type: e.ph, ts: e.ts })))).toBe(2);
    const instants = ev.filter((e) => e.ph === 'i' && e.args.seq !== undefined);
    expect(instants.length).toBe(rec.exits.length);
    instants.forEach((e, i) => {
      expect(e.name).toBe(rec.exits[i].reason);
      // Microseconds, exactly: an icount is a nanosecond.
      expect(Math.round(e.ts * 1000)).toBe(rec.exits[i].icount);
      expect(e.args.pc).toBe(`0x${rec.exits[i].pc.toString(16)}`);
    });
    const output = instants.map((e) => e.args.char).join('').replace(/\\n/g, '\n');
    expect(output).toContain('Hello');
    expect(ev.filter((e) => e.ph === 'C' && e.name === 'exits RISCV_SBI').at(-1)!.args.value).toBe(rec.exits.filter((e) => e.reason === 'RISCV_SBI').length);
  });
});
