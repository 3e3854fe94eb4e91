/**
 * The default recordings directory, as rr keeps its traces: `record` without `-o` writes `NAME-N.hsj` there
 * (NAME from the image, N the next free number), `hindsight ls` lists it, and `replay`/`inspect` accept a
 * recording's name in it, or `latest` (the newest), or nothing at all (also the newest).
 *
 * Where: $HINDSIGHT_DIR, else $XDG_DATA_HOME/hindsight, else ~/.local/share/hindsight.
 */
import { existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { basename, extname, join } from 'node:path';
import { CliError } from './cli-error.js';

export const JOURNAL_EXT = '.hsj';

export function recordingsDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.HINDSIGHT_DIR) return env.HINDSIGHT_DIR;
  const data = env.XDG_DATA_HOME || join(env.HOME || homedir(), '.local', 'share');
  return join(data, 'hindsight');
}

export interface RecordingEntry {
  name: string;
  path: string;
  bytes: number;
  modified: Date;
}

/** The recordings in the directory, oldest first (by modification time, then name). */
export function listRecordings(dir = recordingsDir()): RecordingEntry[] {
  if (!existsSync(dir)) return [];
  const entries: RecordingEntry[] = [];
  for (const file of readdirSync(dir)) {
    if (!file.endsWith(JOURNAL_EXT)) continue;
    const path = join(dir, file);
    const st = statSync(path, { throwIfNoEntry: false });
    if (st?.isFile()) entries.push({ name: file.slice(0, -JOURNAL_EXT.length), path, bytes: st.size, modified: st.mtime });
  }
  return entries.sort((a, b) => a.modified.getTime() - b.modified.getTime() || a.name.localeCompare(b.name, 'en', { numeric: true }));
}

/** A new journal's path for an image: `hello-0.hsj`, `hello-1.hsj`, ... (the directory is created if needed). */
export function newRecordingPath(imagePath: string, dir = recordingsDir()): string {
  mkdirSync(dir, { recursive: true });
  const stem = basename(imagePath, extname(imagePath)).replace(/[^A-Za-z0-9._+-]/g, '_') || 'guest';
  for (let n = 0; ; n++) {
    const path = join(dir, `${stem}-${n}${JOURNAL_EXT}`);
    if (!existsSync(path)) return path;
  }
}

/**
 * The journal a `replay`/`inspect` argument names: a path as given when it exists (or `-`, stdin); otherwise
 * `latest` (or no argument) for the newest recording in the directory, or a recording's name there.
 */
export function resolveRecording(arg: string | undefined, dir = recordingsDir()): string {
  if (arg === '-') return arg;
  if (arg !== undefined && arg !== 'latest' && existsSync(arg)) return arg;
  if (arg === undefined || arg === 'latest') {
    const all = listRecordings(dir);
    if (all.length === 0) throw new CliError('CLI_NO_RECORDINGS', `no recordings in ${dir} yet (record one with 'hindsight record GUEST', or name a journal file)`);
    return all[all.length - 1].path;
  }
  for (const candidate of [join(dir, arg), join(dir, `${arg}${JOURNAL_EXT}`)]) {
    if (!arg.includes('/') && existsSync(candidate)) return candidate;
  }
  throw new CliError('CLI_NO_SUCH_FILE', `${arg}: no such journal (neither a file nor a recording in ${dir})`);
}
