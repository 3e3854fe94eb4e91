/**
 * Files the user names on the command line: read whole, or opened for writing, with each way of getting it wrong
 * (no such file, a directory, an existing journal without --force) turned into a coded CliError up front, before
 * any guest runs. `-` is stdout for outputs that are text and stdin for inputs.
 */
import { closeSync, openSync, readFileSync, statSync, writeSync, type Stats } from 'node:fs';
import { dirname } from 'node:path';
import { CliError } from './cli-error.js';

/** The contents of a file the user named (`what` says what it should have been: "the guest image"). */
export function readUserFile(path: string, what: string): Buffer {
  if (path === '-') return readFileSync(0);
  const st = statOrNull(path);
  if (st === null) throw new CliError('CLI_NO_SUCH_FILE', `${what} ${path}: no such file`);
  if (st.isDirectory()) throw new CliError('CLI_IS_DIRECTORY', `${what} ${path} is a directory, not a file`);
  return readFileSync(path);
}

function statOrNull(path: string): Stats | null {
  try {
    return statSync(path);
  } catch (e) {
    if (e instanceof Error && 'code' in e && (e.code === 'ENOENT' || e.code === 'ENOTDIR')) return null;
    throw e;
  }
}

/**
 * Checks that `path` can be created as a new file: not a directory, its folder exists, and (unless `force`) it
 * does not exist yet. Throws the coded error; returns nothing.
 */
export function checkNewFile(path: string, what: string, force: boolean): void {
  const st = statOrNull(path);
  if (st?.isDirectory()) throw new CliError('CLI_IS_DIRECTORY', `${what} ${path} is a directory; name a file in it`);
  if (st !== null && !force) throw new CliError('CLI_OUTPUT_EXISTS', `${what} ${path} exists; give --force to overwrite it`);
  const dir = statOrNull(dirname(path));
  if (dir === null) throw new CliError('CLI_NO_SUCH_FILE', `${what} ${path}: the folder ${dirname(path)} does not exist`);
  if (!dir.isDirectory()) throw new CliError('CLI_NO_SUCH_FILE', `${what} ${path}: ${dirname(path)} is not a folder`);
}

/** A text output: `-` is stdout, anything else a file created (or truncated) now. */
export interface TextOutput {
  readonly toStdout: boolean;
  write(text: string): void;
  close(): void;
}

export function openTextOutput(path: string, what: string): TextOutput {
  if (path === '-') return { toStdout: true, write: (text) => { process.stdout.write(text); }, close: () => {} };
  checkNewFile(path, what, true);
  const fd = openSync(path, 'w');
  return { toStdout: false, write: (text) => { writeSync(fd, text); }, close: () => closeSync(fd) };
}
