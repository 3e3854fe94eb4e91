/**
 * The committed Linux guest (guests/linux: Debian's linux-source-6.1 built by build.sh, and an initramfs whose
 * /init is init.c): where it lives and how it is booted, shared by the boot benchmark, `npm run linux:boot` and
 * the tests.
 */
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
