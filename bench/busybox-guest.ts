/**
 * The busybox guest (guests/linux/busybox: Debian's linux-source-6.1 with the FPU, Debian's busybox and glibc, our
 * fpmath, built by build.sh): where it lives, how it is booted, and which lines of its scripted session depend
 * only on the machine's instructions (not on timing), so that QEMU's session and hindsight's can be compared.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { bootOnQemu, linuxDir, type LinuxGuest, type QemuBoot } from './linux-guest.js';

/** The scripted session's command line; adding the word `shell` gives an interactive shell instead. */
export const BUSYBOX_BOOTARGS = 'earlycon=sbi console=ttyS0';
export const BUSYBOX_SHELL_BOOTARGS = `${BUSYBOX_BOOTARGS} shell`;
/** What /init prints once the filesystems are mounted, and after the last command of the session. */
export const BUSYBOX_BANNER = '*** hindsight busybox: userspace is up ***';
export const BUSYBOX_DONE = '*** hindsight busybox: session done, powering off ***';
/** Each command of the session is echoed after this prompt. */
export const BUSYBOX_COMMAND = 'hs# ';
/** What /init prints just before it starts the interactive shell (`shell` on the command line). */
export const BUSYBOX_SHELL_NOTICE = 'busybox: an interactive shell; `exit` (or Ctrl-D) powers off';
/** The interactive shell's prompt: busybox ash's default PS1 ('\w \$ ') for root standing in /. */
export const BUSYBOX_PROMPT = '/ # ';

export function busyboxDir(root: string): string {
  return join(linuxDir(root), 'busybox');
}

export function loadBusyboxGuest(root: string): LinuxGuest {
  const dir = busyboxDir(root);
  return { image: readFileSync(join(dir, 'Image')), initrd: readFileSync(join(dir, 'initramfs.cpio')) };
}

/** Boots the busybox guest on QEMU virt (OpenSBI as firmware) until it powers off. */
export function bootBusyboxOnQemu(root: string, o: { append?: string; input?: { after: string; text: string }; extra?: string[]; timeoutMs: number }): Promise<QemuBoot> {
  const dir = busyboxDir(root);
  return bootOnQemu({
    kernel: join(dir, 'Image'), initrd: join(dir, 'initramfs.cpio'), append: o.append ?? BUSYBOX_BOOTARGS,
    banner: BUSYBOX_BANNER, input: o.input, extra: o.extra, timeoutMs: o.timeoutMs,
  });
}

/** The session as lines: from the banner to the "powering off" line, without the tty's \r. Empty if it never began. */
export function sessionLines(console: string): string[] {
  const lines = console.replace(/\r/g, '').split('\n');
  const start = lines.indexOf(BUSYBOX_BANNER);
  if (start < 0) return [];
  const end = lines.indexOf(BUSYBOX_DONE, start);
  return lines.slice(start, end < 0 ? lines.length : end + 1);
}

/**
 * The output of one session command, by the command as /init echoes it (`hs# <command>`), up to the next command.
 * Undefined if the command never ran.
 */
export function commandOutput(session: string[], command: string): string[] | undefined {
  const at = session.indexOf(BUSYBOX_COMMAND + command);
  if (at < 0) return undefined;
  let end = at + 1;
  while (end < session.length && !session[end].startsWith(BUSYBOX_COMMAND) && session[end] !== BUSYBOX_DONE) end++;
  return session.slice(at + 1, end);
}

/**
 * The session lines that depend only on the instructions the guest ran: the same on QEMU and on hindsight (given
 * the same Image and initramfs) when both execute exactly. What is taken out, and why:
 * - /proc/cpuinfo's isa, mmu, uarch, mvendorid, marchid and mimpid lines describe the machine (its device tree and
 *   its SBI: QEMU's hart has the H extension and Sv57, hindsight's does not), not the programs;
 * - dmesg's timestamps (`[    1.234567] `) are time; the text of its messages stays, except the ones the timer
 *   or the entropy pool's pace decide (TIMED_DMESG).
 */
export function comparableLines(session: string[]): string[] {
  const out: string[] = [];
  let inDmesg = false;
  for (const line of session) {
    if (line.startsWith(BUSYBOX_COMMAND)) inDmesg = line.startsWith(`${BUSYBOX_COMMAND}dmesg`);
    else if (inDmesg) {
      const text = line.replace(/^\[\s*\d+\.\d+\] /, '');
      if (!TIMED_DMESG.some((re) => re.test(text))) out.push(text);
      continue;
    }
    if (MACHINE_CPUINFO.test(line)) continue;
    out.push(line);
  }
  return out;
}

const MACHINE_CPUINFO = /^(isa|mmu|uarch|mvendorid|marchid|mimpid)\s*:/;
/** Kernel messages that come when time says, not where the program is. */
const TIMED_DMESG = [/^random: /, /^clocksource: /, /^hrtimer: /, /^rcu: INFO/];

/**
 * Counts the interactive shell's prompts in console output fed chunk by chunk (as a pipe delivers it): a prompt is
 * BUSYBOX_PROMPT at the start of a line after BUSYBOX_SHELL_NOTICE, so that nothing the kernel or /init printed
 * before the shell started can pass for one. The tty's \r are ignored; a prompt split across chunks counts once
 * its last byte has come. (ash follows its prompt with a cursor-position query, ESC [ 6 n, that nobody answers.)
 */
export class ShellPromptCounter {
  private text = '';
  /** Where the search for the next prompt resumes: -1 until the notice has been seen. */
  private from = -1;
  count = 0;

  /** Adds a chunk of console output; returns how many prompts have appeared so far. */
  feed(chunk: string): number {
    this.text += chunk.replace(/\r/g, '');
    if (this.from < 0) {
      const notice = this.text.indexOf(BUSYBOX_SHELL_NOTICE);
      if (notice < 0) return 0;
      this.from = notice + BUSYBOX_SHELL_NOTICE.length;
    }
    const needle = `\n${BUSYBOX_PROMPT}`;
    for (let at = this.text.indexOf(needle, this.from); at >= 0; at = this.text.indexOf(needle, this.from)) {
      this.count++;
      this.from = at + needle.length;
    }
    // A prompt whose first bytes have come but not its last must still be found by the next search.
    this.from = Math.max(this.from, this.text.length - needle.length + 1);
    return this.count;
  }
}

/**
 * /init's scripted session as lines to type at the interactive shell's prompts: its `run()` definition, each
 * `run '...'` line as /init has it, then `exit` (which powers off). Typed one per prompt, they make the shell run
 * the same commands the scripted boot runs, echoed as `hs# <command>` the same way.
 */
export function typedSession(initScript: string): string[] {
  const lines = initScript.split('\n');
  const definition = lines.find((l) => l.startsWith('run() {'));
  const commands = lines.filter((l) => /^run ['"]/.test(l));
  if (definition === undefined || commands.length === 0) throw new Error('/init has no run() definition or no run lines: its scripted session changed shape');
  return [definition, ...commands, 'exit'];
}

/** The busybox guest's /init, whose scripted session typedSession types. */
export function busyboxInit(root: string): string {
  return readFileSync(join(busyboxDir(root), 'init'), 'latin1');
}
