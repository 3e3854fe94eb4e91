/**
 * Assemble and link a generated difftest program with Debian's riscv64-unknown-elf-gcc, in a temp dir.
 */

import { execFile, spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const execFileP = promisify(execFile);

export const GCC = 'riscv64-unknown-elf-gcc';
export const OBJDUMP = 'riscv64-unknown-elf-objdump';
export const QEMU = 'qemu-system-riscv64';

export const GCC_FLAGS = [
  '-march=rv64imac_zicsr_zifencei_zihintpause_zba_zbb_zbs',
  '-mabi=lp64',
  '-nostdlib',
  '-nostartfiles',
  '-static',
  '-Wl,--no-relax',
];

/** Debian package that provides each tool (the message a missing tool produces names it). */
export const TOOL_PACKAGES: Record<string, string> = {
  [GCC]: 'gcc-riscv64-unknown-elf',
  [OBJDUMP]: 'binutils-riscv64-unknown-elf',
  [QEMU]: 'qemu-system-misc',
};

/** Problems with the external tools, as messages naming the Debian package to install; empty when all is well. */
export function missingTools(tools: readonly string[] = [GCC, OBJDUMP, QEMU]): string[] {
  const problems: string[] = [];
  for (const tool of tools) {
    const r = spawnSync(tool, ['--version'], { encoding: 'utf8', timeout: 30_000 });
    if (r.error || r.status !== 0) {
      problems.push(
        `${tool} is not usable (${r.error?.message ?? `exit ${r.status}`}): install the Debian package ` +
          `${TOOL_PACKAGES[tool] ?? '?'} (apt-get install -y ${TOOL_PACKAGES[tool] ?? '?'})`,
      );
    }
  }
  return problems;
}

export interface BuildResult {
  dir: string;
  sourcePath: string;
  elfPath: string;
  elf: Uint8Array;
}

/** Assemble+link a program into dir/name.elf (dir: a fresh temp dir unless given). */
export async function buildElf(
  program: { source: string; linkerScript: string },
  options: { dir?: string; name?: string } = {},
): Promise<BuildResult> {
  const dir = options.dir ?? (await mkdtemp(join(tmpdir(), 'hindsight-difftest-')));
  const name = options.name ?? 'difftest';
  const sourcePath = join(dir, `${name}.S`);
  const ldPath = join(dir, `${name}.ld`);
  const elfPath = join(dir, `${name}.elf`);
  await writeFile(sourcePath, program.source);
  await writeFile(ldPath, program.linkerScript);
  try {
    await execFileP(GCC, [...GCC_FLAGS, '-T', ldPath, '-o', elfPath, sourcePath], { maxBuffer: 64 << 20 });
  } catch (e) {
    const err = e as { code?: string; stderr?: string; message: string };
    if (err.code === 'ENOENT') {
      throw new Error(`${GCC} not found: install the Debian package ${TOOL_PACKAGES[GCC]} (apt-get install -y ${TOOL_PACKAGES[GCC]})`);
    }
    throw new Error(`assembling ${sourcePath} failed:\n${(err.stderr ?? err.message).slice(0, 4000)}`);
  }
  const elf = new Uint8Array(await readFile(elfPath));
  return { dir, sourcePath, elfPath, elf };
}

export async function removeDir(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true });
}

/** objdump -d -M no-aliases: the mnemonics of every instruction in the ELF (for coverage checks). */
export async function disassembledMnemonics(elfPath: string): Promise<Map<string, number>> {
  const { stdout } = await execFileP(OBJDUMP, ['-d', '-M', 'no-aliases', elfPath], { maxBuffer: 256 << 20 });
  const counts = new Map<string, number>();
  for (const line of stdout.split('\n')) {
    // "    80200000:	00002117          	auipc	sp,0x2"
    const m = /^\s*[0-9a-f]+:\t[0-9a-f ]+\t(\S+)/.exec(line);
    if (m && m[1]) counts.set(m[1], (counts.get(m[1]) ?? 0) + 1);
  }
  return counts;
}
