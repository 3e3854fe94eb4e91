/**
 * The terminal side of `run`/`record`: stdin's bytes go to the guest as they arrive (a keystroke, a pipe's chunk),
 * never read ahead to EOF. On a terminal, stdin is put in raw mode (every key goes to the guest, Ctrl-C included,
 * as with QEMU -nographic) and Ctrl-A starts an escape:
 *
 *   Ctrl-A x   quit: stop the guest where it is, close the journal, exit 0
 *   Ctrl-A c   print where the guest is (instructions, pc, exits)
 *   Ctrl-A h   print these escapes
 *   Ctrl-A a   send a Ctrl-A to the guest
 *
 * SIGINT and SIGTERM stop the run the same way (exit status 130, 143), so a recording interrupted from outside
 * still ends with a closed journal. (Raw mode keeps the terminal's output processing, so a guest's "\n" and ours
 * still start a new line, as with QEMU.) None of this reaches the guest but through LocalVmm.runLive, which records
 * each byte where it lands.
 */
import { performance } from 'node:perf_hooks';
import type { RunEnd, RunHost } from '../../client-sdk/index.js';

const CTRL_A = 0x01;

export const ESCAPE_HELP = [
  'Ctrl-A x   quit (the journal is closed where the guest stands)',
  'Ctrl-A c   show where the guest is',
  'Ctrl-A h   show these escapes',
  'Ctrl-A a   send Ctrl-A to the guest',
].join('\n');

export interface LiveConsoleOptions {
  /** Where the escapes' messages go (stderr). */
  message(text: string): void;
  /** The status line Ctrl-A c prints. */
  status(): string;
  /** Keep the guest's clock from running ahead of the wall clock while it idles (QEMU's -icount sleep=on). */
  pace: boolean;
  /** Read stdin (false with --input: scripted input only). */
  readStdin: boolean;
  onSlice?: RunHost['onSlice'];
}

export class LiveConsole implements RunHost {
  private readonly options: LiveConsoleOptions;
  private readonly stdin = process.stdin;
  private readonly raw: boolean;
  private buffered: Buffer[] = [];
  private open: boolean;
  private stop: RunEnd | null = null;
  private escaped = false;
  private closed = false;
  private wake: (() => void) | null = null;
  private readonly onData = (chunk: Buffer) => this.received(chunk);
  private readonly onEnd = () => { this.open = false; this.poke(); };
  private readonly onSigint = () => this.requestStop({ stop: 'interrupted', exitCode: 130, message: 'SIGINT' });
  private readonly onSigterm = () => this.requestStop({ stop: 'interrupted', exitCode: 143, message: 'SIGTERM' });
  readonly now: (() => number) | undefined;
  readonly onSlice: RunHost['onSlice'];

  constructor(options: LiveConsoleOptions) {
    this.options = options;
    this.raw = options.readStdin && this.stdin.isTTY === true;
    this.open = options.readStdin;
    this.now = options.pace ? () => performance.now() : undefined;
    this.onSlice = options.onSlice;
  }

  /** Whether the terminal is in raw mode with the Ctrl-A escapes. */
  get interactive(): boolean {
    return this.raw;
  }

  start(): void {
    process.on('SIGINT', this.onSigint);
    process.on('SIGTERM', this.onSigterm);
    if (!this.options.readStdin) return;
    if (this.raw) this.stdin.setRawMode(true);
    this.stdin.on('data', this.onData);
    this.stdin.on('end', this.onEnd);
    this.stdin.on('error', this.onEnd);
    this.stdin.resume();
  }

  /** Gives the terminal back as it was and stops reading, so that nothing keeps the process alive. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    process.off('SIGINT', this.onSigint);
    process.off('SIGTERM', this.onSigterm);
    if (!this.options.readStdin) return;
    this.stdin.off('data', this.onData);
    this.stdin.off('end', this.onEnd);
    this.stdin.off('error', this.onEnd);
    if (this.raw) this.stdin.setRawMode(false);
    this.stdin.pause();
    this.stdin.destroy();
  }

  takeInput(): Uint8Array | null {
    if (this.buffered.length === 0) return null;
    const bytes = Buffer.concat(this.buffered);
    this.buffered = [];
    return bytes;
  }

  get inputOpen(): boolean {
    return this.open;
  }

  stopRequest(): RunEnd | null {
    return this.stop;
  }

  wait(ms: number): Promise<void> {
    if (ms <= 0) return new Promise((resolve) => setImmediate(resolve));
    if (this.buffered.length > 0 || this.stop !== null || (!this.open && ms === Infinity)) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = ms === Infinity ? null : setTimeout(done, ms);
      const self = this;
      function done(): void {
        if (timer !== null) clearTimeout(timer);
        self.wake = null;
        resolve();
      }
      this.wake = done;
    });
  }

  private poke(): void {
    this.wake?.();
  }

  private requestStop(end: RunEnd): void {
    this.stop ??= end;
    this.poke();
  }

  /** Stdin's bytes: on a terminal, Ctrl-A escapes are taken out; the rest is the guest's. */
  private received(chunk: Buffer): void {
    if (!this.raw) {
      this.buffered.push(chunk);
      this.poke();
      return;
    }
    const forGuest: number[] = [];
    for (const byte of chunk) {
      if (!this.escaped) {
        if (byte === CTRL_A) this.escaped = true;
        else forGuest.push(byte);
        continue;
      }
      this.escaped = false;
      switch (String.fromCharCode(byte).toLowerCase()) {
        case 'x': this.requestStop({ stop: 'quit', exitCode: 0, message: 'Ctrl-A x' }); break;
        case 'c': this.options.message(`\n[hindsight] ${this.options.status()}\n`); break;
        case 'h': case '?': this.options.message(`\n${ESCAPE_HELP}\n`); break;
        case 'a': case '\x01': forGuest.push(CTRL_A); break;
        default: break;
      }
    }
    if (forGuest.length > 0) this.buffered.push(Buffer.from(forGuest));
    this.poke();
  }
}
