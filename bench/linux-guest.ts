/**
 * The committed Linux guest (guests/linux: Debian's linux-source-6.1 built by build.sh, and an initramfs whose
 * /init is init.c): where it lives and how it is booted, shared by the boot benchmark, `npm run linux:boot` and
 * the tests.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The kernel command line: early console on the SBI, then the 16550 as the console (ttyS0). */
export const LINUX_BOOTARGS = 'earlycon=sbi console=ttyS0';
/** What /init prints first, once userspace runs. */
export const LINUX_BANNER = '*** hindsight init: userspace is up ***';
/** What /init prints when every check passed, just before it powers off. */
export const LINUX_ALL_PASSED = 'init: all checks passed, powering off';
/** /init prompts for a line after this and echoes it back. */
export const LINUX_PROMPT = 'init: type a line: ';
/** The line typed at the prompt (the UART holds it until the kernel's 8250 driver listens). */
export const LINUX_INPUT = 'hello from the host\n';

export interface LinuxGuest {
  image: Uint8Array;
  initrd: Uint8Array;
}

/** guests/linux under the repository root. */
export function linuxDir(root: string): string {
  return join(root, 'guests', 'linux');
}

export function loadLinuxGuest(root: string): LinuxGuest {
  const dir = linuxDir(root);
  return { image: readFileSync(join(dir, 'Image')), initrd: readFileSync(join(dir, 'initramfs.cpio')) };
}

export interface QemuBoot {
  /** Everything QEMU printed (OpenSBI, the kernel, the init), with the tty's \r\n. */
  output: string;
  /** Seconds from the start to the banner (NaN if it never came) and to QEMU's exit. */
  bannerSeconds: number;
  totalSeconds: number;
  exitCode: number | null;
}

/** What bootOnQemu boots: QEMU virt (128 MiB, OpenSBI as firmware) with a kernel, an initrd and a command line. */
export interface QemuBootOptions {
  kernel: string;
  initrd: string;
  append: string;
  /** Timing starts at QEMU's start; bannerSeconds is when this text first appeared. */
  banner: string;
  /** Typed once, as soon as `input.after` has appeared in the output. */
  input?: { after: string; text: string };
  /** More QEMU options (-icount ...). */
  extra?: string[];
  timeoutMs: number;
}

/** qemu-system-riscv64's arguments for QEMU virt (128 MiB, its OpenSBI as firmware, the console on stdio). */
export function qemuVirtArgs(kernel: string, initrd: string, append: string, extra: string[] = []): string[] {
  return [
    '-machine', 'virt', '-m', '128M', '-nographic', '-bios', 'default', '-kernel', kernel,
    '-initrd', initrd, '-append', append, '-serial', 'mon:stdio', '-monitor', 'none', ...extra,
  ];
}

/** Boots a kernel on QEMU virt until QEMU exits. Rejects if QEMU cannot be run or does not exit within timeoutMs. */
export function bootOnQemu(o: QemuBootOptions): Promise<QemuBoot> {
  const extra = o.extra ?? [];
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const q = spawn('qemu-system-riscv64', qemuVirtArgs(o.kernel, o.initrd, o.append, extra));
    let output = '';
    let bannerSeconds = NaN;
    let typed = false;
    const timer = setTimeout(() => { q.kill('SIGKILL'); reject(new Error(`QEMU ${extra.join(' ')} did not power off in ${o.timeoutMs} ms:\n${output}`)); }, o.timeoutMs);
    q.on('error', (e) => { clearTimeout(timer); reject(new Error(`cannot run QEMU (install qemu-system-misc): ${e.message}`)); });
    q.stdout.on('data', (d: Buffer) => {
      output += d.toString('latin1');
      if (Number.isNaN(bannerSeconds) && output.includes(o.banner)) bannerSeconds = (performance.now() - t0) / 1000;
      if (o.input && !typed && output.includes(o.input.after)) { typed = true; q.stdin.write(o.input.text); }
    });
    q.on('exit', (exitCode) => {
      clearTimeout(timer);
      resolve({ output, bannerSeconds, totalSeconds: (performance.now() - t0) / 1000, exitCode });
    });
  });
}

/**
 * Boots the committed guest on QEMU virt with its OpenSBI, typing LINUX_INPUT when /init prompts; `extra` adds
 * QEMU options (-icount ...). Rejects if QEMU cannot be run or does not exit within `timeoutMs`.
 */
export function bootLinuxOnQemu(root: string, extra: string[], timeoutMs: number): Promise<QemuBoot> {
  const dir = linuxDir(root);
  return bootOnQemu({
    kernel: join(dir, 'Image'), initrd: join(dir, 'initramfs.cpio'), append: LINUX_BOOTARGS, banner: LINUX_BANNER,
    input: { after: LINUX_PROMPT, text: LINUX_INPUT }, extra, timeoutMs,
  });
}
