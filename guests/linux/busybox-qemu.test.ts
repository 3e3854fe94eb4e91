/**
 * The busybox guest on QEMU 7.2 (the reference machine, with OpenSBI): the committed Image and initramfs boot to
 * Debian's busybox, the scripted session runs every command and powers off, and what it prints agrees with what
 * the host computes independently (node's sha256 of the files in the initramfs, the same double arithmetic in JS,
 * the IEEE 754 and RISC-V rules for flags, rounding and NaNs). With `shell` on the command line the console is an
 * interactive shell. The same session on hindsight is busybox.test.ts.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  bootBusyboxOnQemu, BUSYBOX_BANNER, BUSYBOX_DONE, BUSYBOX_SHELL_BOOTARGS, busyboxDir, commandOutput, sessionLines,
} from '../../bench/busybox-guest.js';
import { readNewcCpio } from '../../bench/newc-cpio.js';

const ROOT = resolve(import.meta.dirname, '../..');
const dir = busyboxDir(ROOT);
const initramfs = readNewcCpio(readFileSync(join(dir, 'initramfs.cpio')));
const file = (name: string) => initramfs.find((e) => e.name === name)!.data;

let session: string[];
let exitCode: number | null;

beforeAll(async () => {
  const boot = await bootBusyboxOnQemu(ROOT, { timeoutMs: 100_000 });
  session = sessionLines(boot.output);
  exitCode = boot.exitCode;
}, 110_000);

/** C's "%.<p>g" for a finite number whose exponent stays in %g's plain range (as every value checked here). */
function formatG(x: number, p: number): string {
  const s = x.toPrecision(p);
  if (s.includes('e')) throw new Error(`formatG: ${s} needs an exponent`);
  return s.includes('.') ? s.replace(/\.?0+$/, '') : s;
}
function bits64(x: number): string {
  const v = new DataView(new ArrayBuffer(8));
  v.setFloat64(0, x);
  return v.getBigUint64(0).toString(16).padStart(16, '0');
}
function bits32(x: number): string {
  const v = new DataView(new ArrayBuffer(4));
  v.setFloat32(0, x);
  return v.getUint32(0).toString(16).padStart(8, '0');
}
/** fpmath's lines, by name: the text after "fpmath: <name>" with the column padding squeezed. */
function fpmath(): Map<string, string> {
  const lines = commandOutput(session, 'fpmath') ?? [];
  return new Map(lines.map((l) => {
    const m = /^fpmath: (flags \S+|\S+)\s*(.*)$/.exec(l);
    return [m ? m[1] : l, m ? m[2].trim() : ''];
  }));
}

describe('the busybox guest on QEMU', () => {
  it('is an initramfs built reproducibly: sorted entries, one fixed mtime, busybox and its applets, glibc', () => {
    const names = initramfs.map((e) => e.name);
    expect(names).toEqual([...names].sort());
    expect(new Set(initramfs.map((e) => e.mtime))).toEqual(new Set([1735689600]));
    for (const name of ['init', 'bin/busybox', 'bin/sh', 'usr/bin/awk', 'usr/bin/fpmath', 'lib/ld-linux-riscv64-lp64d.so.1', 'lib/riscv64-linux-gnu/libm.so.6']) {
      expect(names).toContain(name);
    }
    // Every applet is a symlink (mode 0120777) to /bin/busybox.
    const sh = initramfs.find((e) => e.name === 'bin/sh')!;
    expect(sh.mode).toBe(0o120777);
    expect(Buffer.from(sh.data).toString()).toBe('/bin/busybox\0'); // gen_init_cpio stores the target with its NUL
    // Debian's build: its version in the banner, and an ELF for riscv64 (e_machine 243) that glibc's loader runs.
    const busybox = Buffer.from(file('bin/busybox'));
    expect(busybox.readUInt16LE(18)).toBe(243);
    expect(busybox.includes('BusyBox v1.35.0 (Debian 1:1.35.0-4')).toBe(true);
    expect(busybox.includes('/lib/ld-linux-riscv64-lp64d.so.1')).toBe(true);
  });

  it('boots to busybox, runs every command of the session and powers off', () => {
    expect(session[0]).toBe(BUSYBOX_BANNER);
    expect(session[session.length - 1]).toBe(BUSYBOX_DONE);
    expect(exitCode).toBe(0);
    expect(commandOutput(session, 'uname -a')).toEqual([expect.stringMatching(/^Linux \(none\) 6\.1\.\d+ #1 SMP 2025-01-01 riscv64 GNU\/Linux$/)]);
    const cpuinfo = commandOutput(session, 'cat /proc/cpuinfo')!;
    expect(cpuinfo).toContain('processor\t: 0');
    expect(cpuinfo.find((l) => l.startsWith('isa'))).toMatch(/: rv64imafdc/);
    expect(commandOutput(session, 'ls /')!.join(' ').split(/\s+/).sort()).toEqual(
      ['bin', 'dev', 'etc', 'init', 'lib', 'linuxrc', 'proc', 'root', 'sbin', 'sys', 'tmp', 'usr']);
    expect(commandOutput(session, 'cat /proc/cmdline')).toEqual(['earlycon=sbi console=ttyS0']);
    expect(commandOutput(session, "echo 'scale=30; 4*a(1)' | bc -l")![0]).toMatch(/^3\.14159265358979323846264338327\d$/);
    expect(commandOutput(session, 'gzip -c /etc/motd | gunzip | md5sum')).toEqual([`${createHash('md5').update(file('etc/motd')).digest('hex')}  -`]);
    const tail = commandOutput(session, 'dmesg | tail -n 5')!;
    expect(tail).toHaveLength(5);
    expect(tail[tail.length - 1]).toMatch(/^\[\s*\d+\.\d{6}\]\s+TERM=linux$/);
    expect(session.join('\n')).not.toMatch(/not found|Segmentation|Illegal instruction|can't/);
  });

  it('hashes files as node does', () => {
    const sha = (name: string) => createHash('sha256').update(file(name)).digest('hex');
    expect(commandOutput(session, 'sha256sum /etc/motd /usr/bin/fpmath')).toEqual([`${sha('etc/motd')}  /etc/motd`, `${sha('usr/bin/fpmath')}  /usr/bin/fpmath`]);
  });

  it('computes with doubles in awk as JS does', () => {
    let e = 1, f = 1;
    for (let i = 1; i < 20; i++) { f *= i; e += 1 / f; }
    const awk = session.find((l) => l.startsWith('e '));
    expect(awk).toBe(`e ${formatG(e, 17)} 22/7 ${(22 / 7).toFixed(10)} big inf`);
    let h = 0;
    for (let i = 1; i <= 100; i++) h += 1 / i;
    expect(session).toContain(`H(100) ${h.toFixed(15)}`);
  });

  it('runs the dynamically linked fpmath: IEEE results, the rounding modes and the exception flags', () => {
    const fp = fpmath();
    expect(fp.get('done')).toBe('');
    const d = (name: string, x: number) => expect(fp.get(name), name).toBe(`${formatG(x, 17)} ${bits64(x)}`);
    const s = (name: string, x: number) => expect(fp.get(name), name).toBe(`${formatG(Math.fround(x), 9)} ${bits32(Math.fround(x))}`);
    d('1/3', 1 / 3);
    d('0.1+0.2', 0.1 + 0.2);
    d('sqrt(2)', Math.sqrt(2));
    d('strtod', 2.718281828459045);
    // Rounded to double first, then to single: exact for one division or square root (53 >= 2 * 24 + 2 bits).
    s('1f/3f', 1 / 3);
    s('sqrtf(3)', Math.sqrt(3));
    s('(float)0.1', 0.1);
    // frm: 1/3 rounds down to nearest, so rtz and rdn agree with rne, and rup is the next double up.
    d('1/3@rne', 1 / 3);
    d('1/3@rtz', 1 / 3);
    d('1/3@rdn', 1 / 3);
    expect(fp.get('1/3@rup')).toBe(`0.33333333333333338 ${(BigInt(`0x${bits64(1 / 3)}`) + 1n).toString(16)}`);
    expect(['rne', 'rtz', 'rdn', 'rup'].map((m) => fp.get(`lrint(2.5)@${m}`))).toEqual(['2', '2', '2', '3']);
    // fflags, one operation each.
    expect(['inexact', 'div0', 'invalid', 'overflow', 'under', 'exact', 'snan+1', 'narrow'].map((n) => fp.get(`flags ${n}`))).toEqual(
      ['NX', 'DZ', 'NV', 'OF NX', 'UF NX', '', 'NV', 'NV']);
    // RISC-V's canonical NaNs; fsgnj keeps a payload; fmin orders -0 below +0; the fused fmsub rounds once.
    expect(fp.get('inf-inf')).toBe('nan 7ff8000000000000');
    expect(fp.get('snan+1')).toBe('nan 7ff8000000000000');
    expect(fp.get('(float)snan')).toBe('nan 7fc00000');
    expect(fp.get('copysign')).toBe('-nan fff4000000000001');
    expect(fp.get('fmin(-0,0)')).toBe('-0 8000000000000000');
    expect(fp.get('1e308*10-inf')).toBe('-inf fff0000000000000');
    expect(fp.get('tiny*tiny')).toBe('0 0000000000000000');
    // fcvt saturates: lround of 1e300 is the largest long.
    expect(fp.get('llround(-2.5)')).toBe('-3 lround(1e300) 9223372036854775807');
  });

  it('gives an interactive shell with job control when the command line says `shell`', async () => {
    const boot = await bootBusyboxOnQemu(ROOT, {
      append: BUSYBOX_SHELL_BOOTARGS, input: { after: '/ # ', text: 'echo $((6*7)) $(tty); exit\n' }, timeoutMs: 100_000,
    });
    const out = boot.output.replace(/\r/g, '');
    expect(out).toContain('built-in shell (ash)');
    expect(out).toContain('\n42 /dev/ttyS0\n');
    expect(out).toContain('reboot: Power down');
    expect(boot.exitCode).toBe(0);
  }, 110_000);
});
