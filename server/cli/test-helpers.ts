/**
 * A terminal session for tests: a command run by util-linux `script` on a fresh pseudo-terminal, so that its stdin
 * is a TTY (raw mode, Ctrl-A escapes) exactly as when a user types. What the test writes is what the user types.
 */
import { spawn, type ChildProcess } from 'node:child_process';

export const quote = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

export class PtySession {
  private readonly child: ChildProcess;
  private text = '';
  readonly exited: Promise<number | null>;

  /** `command`: the words of a command, or a shell command line (for redirections). */
  constructor(command: string[] | string, env: NodeJS.ProcessEnv = process.env) {
    const line = typeof command === 'string' ? command : command.map(quote).join(' ');
    // -e: script exits with the command's status; -q: no "Script started" lines; the typescript goes nowhere.
    this.child = spawn('script', ['-q', '-e', '-c', line, '/dev/null'], {
      env: { ...env, TERM: 'dumb' }, stdio: ['pipe', 'pipe', 'pipe'],
    });
    this.child.stdout!.on('data', (d: Buffer) => { this.text += d.toString('latin1'); });
    this.child.stderr!.on('data', (d: Buffer) => { this.text += d.toString('latin1'); });
    this.exited = new Promise((resolve, reject) => {
      this.child.on('error', reject);
      this.child.on('close', (code) => resolve(code));
    });
  }

  /** Everything the terminal showed so far (the command's stdout and stderr, with the tty's \r\n). */
  get output(): string {
    return this.text;
  }

  /** Types `keys` at the terminal. */
  type(keys: string): void {
    this.child.stdin!.write(Buffer.from(keys, 'latin1'));
  }

  /** Resolves once the terminal has shown `what` (after `from` characters); rejects after `ms`. */
  async until(what: string | RegExp, ms = 30_000, from = 0): Promise<void> {
    const found = () => (typeof what === 'string' ? this.text.indexOf(what, from) >= 0 : what.test(this.text.slice(from)));
    for (const end = Date.now() + ms; Date.now() < end; await new Promise((r) => setTimeout(r, 20))) {
      if (found()) return;
    }
    throw new Error(`the terminal never showed ${String(what)}; it shows:\n${this.text}`);
  }

  kill(): void {
    this.child.kill('SIGKILL');
  }
}
