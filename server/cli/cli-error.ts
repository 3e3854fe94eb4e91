/**
 * Every mistake a user can make on the command line ends in a CliError: a stable code, a message that says what
 * was wrong, exit status 2 and no stack trace. Status 70 (EX_SOFTWARE) is kept for hindsight's own bugs.
 */
import { SimError } from '../../sim/errors.js';

export type CliErrorCode =
  /** No such command (`hindsight frob`, `hindsight bench frob`). */
  | 'CLI_UNKNOWN_COMMAND'
  /** An option the command does not have. */
  | 'CLI_UNKNOWN_OPTION'
  /** An option that takes a value was given none (`record x -o`). */
  | 'CLI_MISSING_VALUE'
  /** A flag was given a value (`--verify=yes`). */
  | 'CLI_UNEXPECTED_VALUE'
  /** A value that does not parse (`--max-insns lots`, `-m 12Q`, `--port 70000`). */
  | 'CLI_BAD_VALUE'
  /** A required argument is missing (`hindsight run`). */
  | 'CLI_MISSING_ARGUMENT'
  /** More arguments than the command takes. */
  | 'CLI_EXTRA_ARGUMENT'
  /** Options that do not go together, or one that needs another (`--exit-log-regs` without `--exit-log`). */
  | 'CLI_CONFLICT'
  /** A file named on the command line does not exist. */
  | 'CLI_NO_SUCH_FILE'
  /** A directory where a file was expected (an image, a journal, `-o`). */
  | 'CLI_IS_DIRECTORY'
  /** A file where a folder is expected (`serve --data FILE`). */
  | 'CLI_NOT_A_DIRECTORY'
  /** The system refused to open or create a file. */
  | 'CLI_PERMISSION_DENIED'
  /** `record` would overwrite an existing journal (give --force). */
  | 'CLI_OUTPUT_EXISTS'
  /** `latest` (or no journal at all) but the recordings directory holds none. */
  | 'CLI_NO_RECORDINGS'
  /** `serve`: the port is taken. */
  | 'CLI_PORT_IN_USE'
  /** `serve`: the address cannot be bound (not an address of this machine, or not an address). */
  | 'CLI_BAD_ADDRESS'
  /** `gdb`: the VM's channel could not be opened (no such VM, a wrong token, another controller). */
  | 'CLI_CONNECT_FAILED';

export class CliError extends Error {
  readonly code: CliErrorCode;
  /** Whether the error is about how the command was spelled, so that pointing at its --help helps. */
  readonly usage: boolean;

  constructor(code: CliErrorCode, message: string, usage = false) {
    super(message);
    this.name = 'CliError';
    this.code = code;
    this.usage = usage;
  }
}

/** A usage mistake: the message is followed by a pointer to the command's --help. */
export function usageError(code: CliErrorCode, message: string): CliError {
  return new CliError(code, message, true);
}

const ERRNO_CODES: Record<string, CliErrorCode> = {
  ENOENT: 'CLI_NO_SUCH_FILE', ENOTDIR: 'CLI_NOT_A_DIRECTORY', EEXIST: 'CLI_NOT_A_DIRECTORY', EISDIR: 'CLI_IS_DIRECTORY', EACCES: 'CLI_PERMISSION_DENIED',
  EPERM: 'CLI_PERMISSION_DENIED', EROFS: 'CLI_PERMISSION_DENIED', EADDRINUSE: 'CLI_PORT_IN_USE',
  EADDRNOTAVAIL: 'CLI_BAD_ADDRESS', ENOTFOUND: 'CLI_BAD_ADDRESS', EAI_AGAIN: 'CLI_BAD_ADDRESS',
};

const ERRNO_TEXT: Record<string, string> = {
  ENOENT: 'no such file or directory', ENOTDIR: 'a part of the path is not a directory', EEXIST: 'exists and is not a directory', EISDIR: 'is a directory',
  EACCES: 'permission denied', EPERM: 'operation not permitted', EROFS: 'read-only file system',
  EADDRINUSE: 'address already in use', EADDRNOTAVAIL: 'not an address of this machine',
  ENOTFOUND: 'no such host', EAI_AGAIN: 'the host name could not be resolved',
};

/** A Node system error (fs, net) about something the user named, as a CliError; null for anything else. */
export function fromSystemError(e: unknown): CliError | null {
  if (!(e instanceof Error) || !('code' in e) || typeof e.code !== 'string') return null;
  const code = ERRNO_CODES[e.code];
  if (code === undefined) return null;
  const err = e as NodeJS.ErrnoException & { address?: string; port?: number; hostname?: string };
  const what = err.path ?? (err.address !== undefined ? `${err.address}${err.port !== undefined ? `:${err.port}` : ''}` : err.hostname);
  return new CliError(code, `${what ?? e.message}: ${ERRNO_TEXT[e.code]}`);
}

export interface ReportedError {
  status: 2 | 70;
  code: string;
  message: string;
  usage: boolean;
}

/** How main() reports an error that ended a command: a coded user error (2) or an internal error (70). */
export function classifyError(e: unknown): ReportedError {
  if (e instanceof CliError) return { status: 2, code: e.code, message: e.message, usage: e.usage };
  if (e instanceof SimError) {
    // SimError's message starts with its code; it is printed once.
    const prefix = `${e.code}: `;
    return { status: 2, code: e.code, message: e.message.startsWith(prefix) ? e.message.slice(prefix.length) : e.message, usage: false };
  }
  const sys = fromSystemError(e);
  if (sys !== null) return { status: 2, code: sys.code, message: sys.message, usage: false };
  return { status: 70, code: 'INTERNAL', message: e instanceof Error ? (e.stack ?? e.message) : String(e), usage: false };
}
