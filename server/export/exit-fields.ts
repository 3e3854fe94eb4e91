import type { ExitAnswer, JournalInput, VcpuExit } from '../../sim/index.js';
import type { Symbolizer } from './symbolizer.js';

/**
 * An exit's fields as named, typed values: the debug annotations of a Perfetto event and the args of a Chrome JSON
 * event. Field names follow `struct kvm_run` (docs/protocol.md), with the answer's fields after them.
 */
export type FieldValue =
  | { kind: 'uint'; value: number | bigint }
  | { kind: 'int'; value: number | bigint }
  /** An address: Perfetto's pointer_value, shown in hex. */
  | { kind: 'pointer'; value: bigint }
  | { kind: 'string'; value: string }
  | { kind: 'bool'; value: boolean };

export type Field = [name: string, value: FieldValue];

const uint = (value: number | bigint): FieldValue => ({ kind: 'uint', value });
const ptr = (value: number | bigint): FieldValue => ({ kind: 'pointer', value: BigInt(value) });
const str = (value: string): FieldValue => ({ kind: 'string', value });
const bool = (value: boolean): FieldValue => ({ kind: 'bool', value });
/** Hex of the values an exit's fields mostly hold (small ones), made once. */
const SMALL_HEX = Array.from({ length: 256 }, (_, i) => `0x${i.toString(16)}`);
const hex = (v: number | bigint) => (v >= 0 && v < 256 ? SMALL_HEX[Number(v)] : `0x${v.toString(16)}`);

/** SBI extension ids (the SBI specification's, plus the legacy ones) → their names. */
const SBI_EXTENSIONS = new Map<number, string>([
  [0x00, 'legacy set_timer'], [0x01, 'legacy console_putchar'], [0x02, 'legacy console_getchar'], [0x03, 'legacy clear_ipi'],
  [0x04, 'legacy send_ipi'], [0x05, 'legacy remote_fence_i'], [0x06, 'legacy remote_sfence_vma'],
  [0x07, 'legacy remote_sfence_vma_asid'], [0x08, 'legacy shutdown'], [0x10, 'BASE'], [0x54494d45, 'TIME'],
  [0x735049, 'IPI'], [0x52464e43, 'RFENCE'], [0x48534d, 'HSM'], [0x53525354, 'SRST'], [0x504d55, 'PMU'],
  [0x4442434e, 'DBCN'], [0x53555350, 'SUSP'], [0x43505043, 'CPPC'], [0x4e41434c, 'NACL'], [0x535441, 'STA'],
]);
const DBCN_FUNCTIONS = ['write', 'read', 'write_byte'];

export function sbiExtensionName(eid: number): string | undefined {
  return SBI_EXTENSIONS.get(eid);
}

/** A printable rendering of a console byte: the character, or its escape. */
const CHARS = Array.from({ length: 256 }, (_, i) => printable(i));

function printable(code: number): string {
  if (code === 0x0a) return '\\n';
  if (code === 0x0d) return '\\r';
  if (code === 0x09) return '\\t';
  if (code >= 0x20 && code < 0x7f) return String.fromCharCode(code);
  return `\\x${code.toString(16).padStart(2, '0')}`;
}

/** Bytes as the little-endian integer a load of that width gives, in hex. */
function bytesValue(data: Uint8Array): string {
  let v = 0n;
  for (let i = data.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(data[i]);
  return hex(v);
}

export function exitFields(exit: VcpuExit, answer: ExitAnswer | undefined, symbols: Symbolizer | null): Field[] {
  const out: Field[] = [['seq', uint(exit.seq)], ['pc', ptr(exit.pc)]];
  const sym = symbols?.format(exit.pc);
  if (sym !== undefined) out.push(['symbol', str(sym)]);
  switch (exit.reason) {
    case 'MMIO': {
      out.push(['phys_addr', ptr(exit.physAddr)], ['len', uint(exit.len)], ['is_write', bool(exit.isWrite)]);
      if (exit.isWrite) out.push(['data', str(bytesValue(exit.data))]);
      else if (answer?.reason === 'MMIO' && answer.data !== undefined) out.push(['data', str(bytesValue(answer.data))]);
      break;
    }
    case 'RISCV_SBI': {
      const name = sbiExtensionName(exit.extensionId);
      out.push(['extension_id', str(hex(exit.extensionId))]);
      if (name !== undefined) out.push(['extension', str(name)]);
      out.push(['function_id', uint(exit.functionId)]);
      if (exit.extensionId === 0x4442434e && DBCN_FUNCTIONS[exit.functionId] !== undefined) out.push(['function', str(DBCN_FUNCTIONS[exit.functionId])]);
      // a0..a5 and the answer's [error, value] as one string each: most calls repeat them (a console's characters),
      // so in an interned trace they cost a few bytes where eight numbers would cost forty.
      const a = exit.args;
      out.push(['args', str(`[${hex(a[0])}, ${hex(a[1])}, ${hex(a[2])}, ${hex(a[3])}, ${hex(a[4])}, ${hex(a[5])}]`)]);
      if (exit.extensionId === 0x01 || (exit.extensionId === 0x4442434e && exit.functionId === 2)) out.push(['char', str(CHARS[Number(exit.args[0] & 0xffn)])]);
      if (answer?.reason === 'RISCV_SBI') out.push(['ret', str(`[${BigInt.asIntN(64, answer.ret[0])}, ${hex(answer.ret[1])}]`)]);
      break;
    }
    case 'RISCV_CSR':
      out.push(['csr_num', str(hex(exit.csrNum))], ['new_value', ptr(exit.newValue)], ['write_mask', ptr(exit.writeMask)]);
      if (answer?.reason === 'RISCV_CSR') out.push(['ret_value', ptr(answer.retValue)]);
      break;
    case 'DEBUG':
      out.push(['why', str(exit.why)]);
      if (exit.address !== undefined) out.push(['address', ptr(exit.address)]);
      if (exit.isWrite !== undefined) out.push(['is_write', bool(exit.isWrite)]);
      if (answer?.reason === 'DEBUG') out.push(['action', str(answer.action)]);
      break;
    case 'INTR':
      out.push(['cause', str(exit.cause)]);
      break;
    case 'SYSTEM_EVENT':
      out.push(['type', str(exit.type)], ['type_code', uint(exit.typeCode)]);
      exit.data.forEach((d, i) => out.push([`data${i}`, ptr(d)]));
      break;
    case 'INTERNAL_ERROR':
      out.push(['suberror', uint(exit.suberror)], ['message', str(exit.message)], ['scause', uint(exit.scause)], ['stval', ptr(exit.stval)],
        ['htval', ptr(exit.htval)], ['htinst', ptr(exit.htinst)]);
      break;
  }
  return out;
}

/** An input's fields (what userspace did to the machine between exits). */
export function inputFields(input: JournalInput): Field[] {
  const out: Field[] = [];
  switch (input.kind) {
    case 'irq': out.push(['level', bool(input.level)]); break;
    case 'guest-debug': out.push(['enabled', bool(input.enabled)], ['single_step', bool(input.singleStep)]); break;
    case 'breakpoint': out.push(['pc', ptr(input.pc)], ['add', bool(input.add)]); break;
    case 'watchpoint':
      out.push(['addr', ptr(input.addr)], ['len', uint(input.len)], ['read', bool(input.read)], ['write', bool(input.write)], ['add', bool(input.add)]);
      break;
    case 'set-reg': out.push(['reg', uint(input.reg)], ['value', ptr(input.value)]); break;
    case 'set-pc': out.push(['value', ptr(input.value)]); break;
    case 'set-freg': out.push(['reg', uint(input.reg)], ['value', ptr(input.value)]); break;
    case 'set-fcsr': out.push(['value', uint(input.value)]); break;
    case 'write-mem': out.push(['addr', ptr(input.addr)], ['len', uint(input.data.length)]); break;
    case 'immediate-exit': break;
  }
  return out;
}
