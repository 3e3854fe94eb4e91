/**
 * The progress line of long work, on stderr when it is a terminal: instructions so far, the rate (MIPS) and the
 * exits, rewritten in place a few times a second once the work has run for a second (HINDSIGHT_PROGRESS_DELAY_MS
 * milliseconds), and erased when it ends. Nothing at all when stderr is not a terminal (a log, a pipe, CI).
 */
const DELAY_MS = (() => {
  const v = Number(process.env['HINDSIGHT_PROGRESS_DELAY_MS']);
  return Number.isFinite(v) && v >= 0 ? v : 1000;
})();

export class ProgressLine {
  private readonly stream: NodeJS.WriteStream;
  private readonly label: string;
  private readonly started = performance.now();
  private last = 0;
  private shown = false;
  readonly enabled: boolean;

  constructor(label: string, enabled: boolean, stream: NodeJS.WriteStream = process.stderr) {
    this.stream = stream;
    this.label = label;
    this.enabled = enabled && stream.isTTY === true;
  }

  update(icount: number, exits: number): void {
    if (!this.enabled) return;
    const now = performance.now();
    if (now - this.started < DELAY_MS || now - this.last < 250) return;
    this.last = now;
    const mips = icount / ((now - this.started) * 1000);
    this.stream.write(`\r[${this.label}] ${icount.toLocaleString('en-US')} instructions, ${mips.toFixed(0)} MIPS, ${exits.toLocaleString('en-US')} exits\x1b[K`);
    this.shown = true;
  }

  /** Erases the line, if one was shown. */
  done(): void {
    if (this.shown) this.stream.write('\r\x1b[K');
    this.shown = false;
  }
}
