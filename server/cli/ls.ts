import { readFileSync } from 'node:fs';
import { readJournal } from '../../sim/journal/reader.js';
import { classifyError } from './cli-error.js';
import { defineCommand, flag } from './command.js';
import { listRecordings, recordingsDir, type RecordingEntry } from './recordings-dir.js';

interface Listed {
  name: string;
  path: string;
  bytes: number;
  modified: string;
  image: string | null;
  icount: number | null;
  exits: number | null;
  closed: boolean | null;
  error?: string;
}

/** What `ls` shows of one recording: its file, and what its journal says (or why it could not be read). */
function describe(entry: RecordingEntry): Listed {
  const base = { name: entry.name, path: entry.path, bytes: entry.bytes, modified: entry.modified.toISOString() };
  try {
    const j = readJournal(readFileSync(entry.path));
    let icount = j.exits[j.exits.length - 1]?.icount ?? 0;
    for (const { record } of j.entries) if (record.t === 'end') icount = record.icount;
    return { ...base, image: j.header.images[0]?.name ?? null, icount, exits: j.exits.length, closed: j.closed };
  } catch (e) {
    return { ...base, image: null, icount: null, exits: null, closed: null, error: classifyError(e).code };
  }
}

export const lsCommand = defineCommand({
  name: 'ls',
  summary: 'list the recordings in the recordings directory, oldest first (latest is the last)',
  usage: ['[--json]'],
  description: `The recordings directory is $HINDSIGHT_DIR, else $XDG_DATA_HOME/hindsight, else ~/.local/share/hindsight.
\`hindsight record GUEST\` without -o writes NAME-N.hsj there; replay and inspect take a NAME from this list, or
latest.`,
  options: { json: flag('one JSON object per line') },
  positionals: { min: 0, max: 0, names: [] },
  run(args) {
    const dir = recordingsDir();
    const listed = listRecordings(dir).map(describe);
    if (args.values.json) {
      for (const l of listed) process.stdout.write(`${JSON.stringify(l)}\n`);
      return 0;
    }
    if (listed.length === 0) {
      process.stderr.write(`no recordings in ${dir}\n`);
      return 0;
    }
    const rows = listed.map((l) => [
      l.name, l.modified.slice(0, 19).replace('T', ' '), `${(l.bytes / 1024).toFixed(0)} KiB`, l.image ?? '-',
      l.icount === null ? `unreadable (${l.error})` : `${l.icount} insns, ${l.exits} exits${l.closed ? '' : ', not closed'}`,
    ]);
    const header = ['NAME', 'MODIFIED (UTC)', 'SIZE', 'IMAGE', 'RUN'];
    const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
    const line = (r: string[]) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]))).join('  ');
    process.stdout.write(`${dir}\n${[header, ...rows].map(line).join('\n')}\n`);
    return 0;
  },
});
