/**
 * `npm run bench:schema` (node dist/bench/schema.js): what checking a client's message costs on the answer path, with the protocol's own
 * schemas (sim/schema, what the server runs) against the same checks written in zod 4 (the library the issue
 * proposed). Each message is decoded from msgpack first, as the server gets it; the figures are ns per message,
 * decoding included and alone, the median of several rounds.
 */
import { z } from 'zod';
import { parseClientMessage } from '../server/channel/validate.js';
import { decodeMessage, encodeMessage } from '../client-sdk/protocol.js';
import { median } from './stats.js';

const TWO_64 = 1n << 64n;
const u64 = z.union([z.bigint().min(-(1n << 63n)).max(TWO_64 - 1n), z.int()]).transform((v) => BigInt.asUintN(64, BigInt(v)));
const count = z.int().min(0);
const zAnswer = z.strictObject({
  type: z.literal('answer'),
  answer: z.discriminatedUnion('reason', [
    z.strictObject({ reason: z.literal('MMIO'), seq: count, data: z.instanceof(Uint8Array).refine((d) => d.length >= 1 && d.length <= 8).optional() }),
    z.strictObject({ reason: z.literal('RISCV_SBI'), seq: count, ret: z.tuple([u64, u64]) }),
    z.strictObject({ reason: z.literal('RISCV_CSR'), seq: count, retValue: u64 }),
    z.strictObject({ reason: z.literal('DEBUG'), seq: count, action: z.enum(['resume', 'stay', 'inject']) }),
  ]),
});
const zRequest = z.discriminatedUnion('op', [
  z.strictObject({ type: z.literal('req'), id: count, op: z.literal('status') }),
  z.strictObject({ type: z.literal('req'), id: count, op: z.literal('read-mem'), addr: count, len: z.int().min(0).max(1 << 20) }),
  z.strictObject({ type: z.literal('req'), id: count, op: z.literal('set-reg'), reg: z.int().min(0).max(31), value: u64 }),
  z.strictObject({
    type: z.literal('req'), id: count, op: z.literal('watchpoint'), addr: u64, len: z.int().min(1).max(1 << 20), read: z.boolean(),
    write: z.boolean(), add: z.boolean(),
  }),
]);

const MESSAGES: [string, Uint8Array, 'answer' | 'req'][] = [
  ['SBI answer', encodeMessage({ type: 'answer', answer: { seq: 123_456, reason: 'RISCV_SBI', ret: [0n, 0x41n] } }), 'answer'],
  ['MMIO read answer', encodeMessage({ type: 'answer', answer: { seq: 123_456, reason: 'MMIO', data: Uint8Array.of(1, 2, 3, 4) } }), 'answer'],
  ['read-mem request', encodeMessage({ type: 'req', id: 9, op: 'read-mem', addr: 0x8000_0000, len: 64 }), 'req'],
  ['watchpoint request', encodeMessage({ type: 'req', id: 9, op: 'watchpoint', addr: 0x8020_1000n, len: 8, read: false, write: true, add: true }), 'req'],
];

function nsPer(fn: () => unknown, n: number): number {
  const t = process.hrtime.bigint();
  for (let i = 0; i < n; i++) fn();
  return Number(process.hrtime.bigint() - t) / n;
}

function benchSchema(): void {
  const N = 200_000, ROUNDS = 7;
  process.stdout.write('message               decode only   + sim/schema   + zod 4   (ns per message, median of 7)\n');
  for (const [name, bytes, kind] of MESSAGES) {
    const zod = kind === 'answer' ? zAnswer : zRequest;
    // Both must accept it, or the comparison means nothing.
    parseClientMessage(decodeMessage(bytes));
    zod.parse(decodeMessage(bytes));
    const decode: number[] = [], ours: number[] = [], theirs: number[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      decode.push(nsPer(() => decodeMessage(bytes), N));
      ours.push(nsPer(() => parseClientMessage(decodeMessage(bytes)), N));
      theirs.push(nsPer(() => zod.parse(decodeMessage(bytes)), N));
    }
    process.stdout.write(`${name.padEnd(20)} ${median(decode).toFixed(0).padStart(11)} ${median(ours).toFixed(0).padStart(14)} ${median(theirs).toFixed(0).padStart(9)}\n`);
  }
}

benchSchema();
