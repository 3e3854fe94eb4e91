import { readJournal, type ParsedJournal } from '../../sim/journal/reader.js';
import { defineCommand, flag } from './command.js';
import { readUserFile } from './files.js';
import { resolveRecording } from './recordings-dir.js';

export interface JournalSummary {
  file: string;
  bytes: number;
  tool: string;
  machine: ParsedJournal['header']['machine'];
  images: { name: string; sha256: string; bytes: number }[];
  dtbSha256: string;
  records: number;
  exits: number;
  answers: number;
  inputs: number;
  digests: number;
  icount: number;
  closed: boolean;
  endReason: string | null;
  finalDigest: string | null;
  tornBytes: number;
  exitReasons: { reason: string; count: number; share: number; avgInsnsBetween: number }[];
}

export function summarizeJournal(file: string, j: ParsedJournal, bytes: number): JournalSummary {
  const counts = { answer: 0, input: 0, digest: 0 };
  let end: { icount: number; digest: string; reason: string } | null = null;
  for (const { record } of j.entries) {
    if (record.t === 'answer') counts.answer++;
    else if (record.t === 'input') counts.input++;
    else if (record.t === 'digest') counts.digest++;
    else if (record.t === 'end') end = record;
  }
  const byReason = new Map<string, { count: number; insns: number }>();
  let last = 0;
  for (const e of j.exits) {
    const r = byReason.get(e.reason) ?? { count: 0, insns: 0 };
    r.count++;
    r.insns += e.icount - last;
    last = e.icount;
    byReason.set(e.reason, r);
  }
  return {
    file, bytes, tool: j.header.tool, machine: j.header.machine,
    images: j.header.images.map((i) => ({ name: i.name, sha256: i.sha256, bytes: i.bytes.length })),
    dtbSha256: j.header.dtbSha256, records: j.entries.length, exits: j.exits.length, answers: counts.answer,
    inputs: counts.input, digests: counts.digest, icount: end?.icount ?? j.exits[j.exits.length - 1]?.icount ?? 0,
    closed: j.closed, endReason: end?.reason ?? null, finalDigest: end?.digest ?? null, tornBytes: j.tornBytes,
    exitReasons: [...byReason.entries()]
      .map(([reason, r]) => ({ reason, count: r.count, share: r.count / Math.max(1, j.exits.length), avgInsnsBetween: r.insns / r.count }))
      .sort((a, b) => b.count - a.count),
  };
}

export const inspectCommand = defineCommand({
  name: 'inspect',
  summary: 'summarize a recording: header, images, exits per reason, digests, whether it was closed',
  usage: ['[run.hsj | NAME | latest] [--json]'],
  description: 'The journal is named as for replay: a file, -, a recording\'s name in the recordings directory, or latest.',
  options: { json: flag('print the summary as one JSON object') },
  positionals: { min: 0, max: 1, names: ['journal'] },
  run(args) {
    const file = resolveRecording(args.positionals[0]);
    const bytes = readUserFile(file, 'the journal');
    const s = summarizeJournal(file, readJournal(bytes), bytes.length);
    if (args.values.json) {
      process.stdout.write(`${JSON.stringify(s)}\n`);
      return 0;
    }
    process.stdout.write(`${formatSummary(s)}\n`);
    return 0;
  },
});

function formatSummary(s: JournalSummary): string {
  const lines = [
    `${s.file}: ${s.bytes} bytes, written by ${s.tool}`,
    `machine: ${s.machine.isa}, ${s.machine.mmuType}, ${s.machine.ramSize / 1048576} MiB RAM${s.machine.bootargs ? `, bootargs "${s.machine.bootargs}"` : ''}`,
    ...s.images.map((i) => `image: ${i.name} (${i.bytes} bytes, sha256 ${i.sha256})`),
    `device tree: sha256 ${s.dtbSha256}`,
    `records: ${s.records} (${s.exits} exits, ${s.answers} answers, ${s.inputs} inputs, ${s.digests} digests)`,
    `instructions: ${s.icount}`,
    s.closed ? `closed cleanly (${s.endReason}), final digest ${s.finalDigest}` : `NOT closed${s.tornBytes ? `: ${s.tornBytes} torn bytes at the end were cut` : ''}`,
    '',
    '             VM-EXIT    Samples  Samples%   Avg insns since previous',
    ...s.exitReasons.map((r) => `${r.reason.padStart(20)} ${String(r.count).padStart(10)}  ${(r.share * 100).toFixed(2).padStart(7)}%   ${r.avgInsnsBetween.toFixed(0).padStart(12)}`),
  ];
  return lines.join('\n');
}
