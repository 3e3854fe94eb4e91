/**
 * Perfetto's native trace format: a `Trace` message, i.e. a stream of `TracePacket`s (field 1), each one written
 * and handed on as it is made. Field numbers are those of perfetto's protos/perfetto/trace/ (trace_packet.proto,
 * track_event/track_event.proto, track_descriptor.proto, counter_descriptor.proto, debug_annotation.proto,
 * interned_data/interned_data.proto).
 *
 * The tracks: a process for the VM, a thread track for its vCPU with the guest's kvm_entry→kvm_exit slices inside a
 * slice for the whole run, each exit an instant event named by its reason with its fields as debug annotations, and
 * counter tracks for instructions retired and exits per reason (set from each exit's event through
 * extra_counter_track_uuids/extra_counter_values, which costs a few bytes where a counter event would cost a packet).
 * Event names, annotation names and string values are interned on the one packet sequence.
 */
import type { ExitAnswer, JournalInput, VcpuExit } from '../../sim/index.js';
import { exitFields, inputFields, type Field } from './exit-fields.js';
import type { ChunkedOutput } from './output.js';
import { ProtoWriter } from './protobuf.js';
import type { TraceMeta, TraceWriter } from './trace-writer.js';

// Trace
const TRACE_PACKET = 1;
// TracePacket
const TP_TIMESTAMP = 8, TP_SEQUENCE_ID = 10, TP_TRACK_EVENT = 11, TP_INTERNED_DATA = 12, TP_SEQUENCE_FLAGS = 13;
const TP_TRACK_DESCRIPTOR = 60, TP_FIRST_PACKET_ON_SEQUENCE = 87;
const SEQ_INCREMENTAL_STATE_CLEARED = 1, SEQ_NEEDS_INCREMENTAL_STATE = 2;
// TrackDescriptor, ProcessDescriptor, ThreadDescriptor, CounterDescriptor
const TD_UUID = 1, TD_NAME = 2, TD_PROCESS = 3, TD_THREAD = 4, TD_PARENT_UUID = 5, TD_COUNTER = 8;
const PD_PID = 1, PD_PROCESS_NAME = 6;
const THD_PID = 1, THD_TID = 2, THD_THREAD_NAME = 5;
const CD_UNIT = 3, UNIT_COUNT = 2;
// TrackEvent
const TE_DEBUG_ANNOTATIONS = 4, TE_TYPE = 9, TE_NAME_IID = 10, TE_TRACK_UUID = 11, TE_EXTRA_COUNTER_VALUES = 12;
const TE_EXTRA_COUNTER_TRACK_UUIDS = 31;
const TYPE_SLICE_BEGIN = 1, TYPE_SLICE_END = 2, TYPE_INSTANT = 3;
// DebugAnnotation
const DA_NAME_IID = 1, DA_BOOL = 2, DA_UINT = 3, DA_INT = 4, DA_POINTER = 7, DA_STRING_IID = 17, DA_STRING = 6;
// InternedData and its entries (EventName, DebugAnnotationName, InternedString: iid = 1, name/str = 2)
const ID_EVENT_NAMES = 2, ID_DEBUG_ANNOTATION_NAMES = 3, ID_DEBUG_ANNOTATION_STRING_VALUES = 29;

/** The trace's one packet sequence. */
const SEQUENCE_ID = 1;
const PID = 1, TID = 1;
export const TRACK_PROCESS = 1n, TRACK_VCPU = 2n, TRACK_INSTRUCTIONS = 3n;
/** Exit counter tracks: one per reason, numbered as they first appear. */
const TRACK_EXITS_BASE = 100n;
/** Strings interned at most: past this, new string values are written inline (memory stays bounded). */
const MAX_INTERNED_STRINGS = 65_536;

/** An interning table: value → iid, with what a packet must declare before it uses new entries. */
class Interned {
  private readonly ids = new Map<string, number>();
  fresh: [number, string][] = [];

  constructor(private readonly limit = Infinity) {}

  /** The iid of `s` (declared in the packet being written if new), or 0 past the limit (write it inline). */
  id(s: string): number {
    let id = this.ids.get(s);
    if (id === undefined) {
      if (this.ids.size >= this.limit) return 0;
      id = this.ids.size + 1;
      this.ids.set(s, id);
      this.fresh.push([id, s]);
    }
    return id;
  }
}

export class PerfettoWriter implements TraceWriter {
  private readonly w = new ProtoWriter();
  private readonly eventNames = new Interned();
  private readonly annotationNames = new Interned();
  private readonly stringValues = new Interned(MAX_INTERNED_STRINGS);
  private readonly exitTracks = new Map<string, bigint>();
  /** The iids of the event being written: its annotations' names, and their string values (0: inline). */
  private nameIds: number[] = [];
  private valueIds: number[] = [];
  private first = true;
  private meta!: TraceMeta;
  /** Packets written. */
  packets = 0;
  /** Track events written (slice begins and ends, instants). */
  events = 0;

  constructor(private readonly out: ChunkedOutput) {}

  start(meta: TraceMeta): void {
    this.meta = meta;
    this.descriptor(TRACK_PROCESS, null, (w) => {
      w.begin(TD_PROCESS).uint(PD_PID, PID).string(PD_PROCESS_NAME, `hindsight: ${meta.image}`).end();
    });
    this.descriptor(TRACK_VCPU, TRACK_PROCESS, (w) => {
      w.begin(TD_THREAD).uint(THD_PID, PID).uint(THD_TID, TID).string(THD_THREAD_NAME, 'vCPU 0').end();
    });
    this.descriptor(TRACK_INSTRUCTIONS, TRACK_PROCESS, (w) => {
      w.string(TD_NAME, 'instructions retired').begin(TD_COUNTER).uint(CD_UNIT, UNIT_COUNT).end();
    });
    this.event(0, TYPE_SLICE_BEGIN, TRACK_VCPU, `run ${meta.image}`, [
      ['image', { kind: 'string', value: meta.image }], ['ram_bytes', { kind: 'uint', value: meta.ramSize }],
      ['recorded_by', { kind: 'string', value: meta.tool }],
    ]);
  }

  guest(from: number, to: number): void {
    this.event(from, TYPE_SLICE_BEGIN, TRACK_VCPU, 'guest', null);
    this.event(to, TYPE_SLICE_END, TRACK_VCPU, null, null);
  }

  exit(exit: VcpuExit, answer: ExitAnswer | undefined, reasonCount: number): void {
    const exitTrack = this.exitTrack(exit.reason);
    this.event(exit.icount, TYPE_INSTANT, TRACK_VCPU, exit.reason, exitFields(exit, answer, this.meta.symbols), [TRACK_INSTRUCTIONS, exit.icount, exitTrack, reasonCount]);
  }

  input(icount: number, input: JournalInput): void {
    this.event(icount, TYPE_INSTANT, TRACK_VCPU, `input ${input.kind}`, inputFields(input));
  }

  finish(icount: number, reason: string | null): void {
    this.event(icount, TYPE_INSTANT, TRACK_VCPU, reason === null ? 'end (recording not closed)' : `end ${reason}`, []);
    this.event(icount, TYPE_SLICE_END, TRACK_VCPU, null, null);
  }

  private exitTrack(reason: string): bigint {
    let uuid = this.exitTracks.get(reason);
    if (uuid === undefined) {
      uuid = TRACK_EXITS_BASE + BigInt(this.exitTracks.size);
      this.exitTracks.set(reason, uuid);
      this.descriptor(uuid, TRACK_PROCESS, (w) => w.string(TD_NAME, `exits ${reason}`).begin(TD_COUNTER).uint(CD_UNIT, UNIT_COUNT).end());
    }
    return uuid;
  }

  private descriptor(uuid: bigint, parent: bigint | null, fill: (w: ProtoWriter) => void): void {
    const w = this.w.reset().begin(TRACE_PACKET).uint(TP_SEQUENCE_ID, SEQUENCE_ID);
    this.sequenceStart(w);
    w.begin(TP_TRACK_DESCRIPTOR).uint(TD_UUID, uuid);
    if (parent !== null) w.uint(TD_PARENT_UUID, parent);
    fill(w);
    this.packet(w.end().end());
  }

  /** The first packet of the sequence says its incremental state (the interning tables) starts empty there. */
  private sequenceStart(w: ProtoWriter): boolean {
    if (!this.first) return false;
    this.first = false;
    w.uint(TP_SEQUENCE_FLAGS, SEQ_INCREMENTAL_STATE_CLEARED).bool(TP_FIRST_PACKET_ON_SEQUENCE, true);
    return true;
  }

  /** `counters`: pairs of counter track and value, set at the event's time. */
  private event(ts: number, type: number, track: bigint, name: string | null, fields: Field[] | null, counters?: (bigint | number)[]): void {
    // The iids first: the packet declares the new ones before its event uses them.
    const nameId = name === null ? 0 : this.eventNames.id(name);
    const n = fields === null ? 0 : fields.length;
    for (let i = 0; i < n; i++) {
      const [key, v] = fields![i];
      this.nameIds[i] = this.annotationNames.id(key);
      this.valueIds[i] = v.kind === 'string' ? this.stringValues.id(v.value) : 0;
    }
    const w = this.w.reset().begin(TRACE_PACKET).uint(TP_TIMESTAMP, ts).uint(TP_SEQUENCE_ID, SEQUENCE_ID);
    if (!this.sequenceStart(w)) w.uint(TP_SEQUENCE_FLAGS, SEQ_NEEDS_INCREMENTAL_STATE);
    this.internedData(w);
    w.begin(TP_TRACK_EVENT).uint(TE_TYPE, type).uint(TE_TRACK_UUID, track);
    if (nameId !== 0) w.uint(TE_NAME_IID, nameId);
    for (let i = 0; i < n; i++) {
      const v = fields![i][1];
      w.begin(TE_DEBUG_ANNOTATIONS).uint(DA_NAME_IID, this.nameIds[i]);
      switch (v.kind) {
        case 'uint': w.uint(DA_UINT, v.value); break;
        case 'int': w.int(DA_INT, v.value); break;
        case 'pointer': w.uint(DA_POINTER, v.value); break;
        case 'bool': w.bool(DA_BOOL, v.value); break;
        case 'string':
          if (this.valueIds[i] === 0) w.string(DA_STRING, v.value);
          else w.uint(DA_STRING_IID, this.valueIds[i]);
          break;
      }
      w.end();
    }
    if (counters !== undefined) {
      for (let i = 0; i < counters.length; i += 2) w.uint(TE_EXTRA_COUNTER_TRACK_UUIDS, counters[i]);
      for (let i = 1; i < counters.length; i += 2) w.int(TE_EXTRA_COUNTER_VALUES, counters[i]);
    }
    this.packet(w.end().end());
    this.events++;
  }

  /** Declares the interned entries the packet being written uses for the first time. */
  private internedData(w: ProtoWriter): void {
    if (this.eventNames.fresh.length + this.annotationNames.fresh.length + this.stringValues.fresh.length === 0) return;
    w.begin(TP_INTERNED_DATA);
    for (const [iid, s] of this.eventNames.fresh) w.begin(ID_EVENT_NAMES).uint(1, iid).string(2, s).end();
    for (const [iid, s] of this.annotationNames.fresh) w.begin(ID_DEBUG_ANNOTATION_NAMES).uint(1, iid).string(2, s).end();
    for (const [iid, s] of this.stringValues.fresh) w.begin(ID_DEBUG_ANNOTATION_STRING_VALUES).uint(1, iid).string(2, s).end();
    w.end();
    this.eventNames.fresh = [];
    this.annotationNames.fresh = [];
    this.stringValues.fresh = [];
  }

  private packet(w: ProtoWriter): void {
    this.out.write(w.bytes());
    this.packets++;
  }
}
