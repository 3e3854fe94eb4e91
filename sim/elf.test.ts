import { describe, it, expect } from 'vitest';
import { expectSimError } from './test-helpers.js';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { EM_RISCV, ET_DYN, ET_EXEC, PF_R, PF_W, PF_X, PT_LOAD, loadElfIntoRam, parseElf } from './elf.js';

// ------------------------------------------------------------------------------------------------------------
// A tiny ELF64 builder: header, program headers, segment data, and optionally .symtab/.strtab/.shstrtab.

interface TestSegment {
  type?: number;
  paddr: number | bigint;
  vaddr?: number | bigint;
  data: Uint8Array;
  memSize?: number | bigint;
  flags?: number;
}
interface TestSymbol {
  name: string;
  value: number | bigint;
  type?: number; // STT_*
  bind?: number; // STB_*
  shndx?: number;
}
interface TestElf {
  entry?: number | bigint;
  type?: number;
  machine?: number;
  segments: TestSegment[];
  symbols?: TestSymbol[];
}

const STT_NOTYPE = 0;
const STT_OBJECT = 1;
const STT_FUNC = 2;
const STT_SECTION = 3;
const STT_FILE = 4;
const STB_LOCAL = 0;
const STB_GLOBAL = 1;

function buildElf(spec: TestElf): Uint8Array {
  const chunks: { at: number; bytes: Uint8Array }[] = [];
  const phoff = 64;
  let cursor = phoff + spec.segments.length * 56;
  const align = (n: number, a: number): number => Math.ceil(n / a) * a;
  const segOffsets = spec.segments.map((s) => {
    cursor = align(cursor, 16);
    const at = cursor;
    chunks.push({ at, bytes: s.data });
    cursor += s.data.length;
    return at;
  });

  // Sections: [null, .symtab, .strtab, .shstrtab] when there are symbols.
  let shoff = 0;
  let shnum = 0;
  let shstrndx = 0;
  const shdrs: Uint8Array[] = [];
  if (spec.symbols !== undefined) {
    const strtab = [0];
    const nameOff = spec.symbols.map((s) => {
      const off = strtab.length;
      strtab.push(...Buffer.from(s.name, 'latin1'), 0);
      return off;
    });
    const symtab = new Uint8Array(24 * (spec.symbols.length + 1));
    const sv = new DataView(symtab.buffer);
    spec.symbols.forEach((s, i) => {
      const at = 24 * (i + 1);
      sv.setUint32(at, nameOff[i]!, true);
      sv.setUint8(at + 4, ((s.bind ?? STB_GLOBAL) << 4) | (s.type ?? STT_FUNC));
      sv.setUint16(at + 6, s.shndx ?? 1, true);
      sv.setBigUint64(at + 8, BigInt(s.value), true);
    });
    const shstrtab = Buffer.from('\0.symtab\0.strtab\0.shstrtab\0', 'latin1');
    cursor = align(cursor, 8);
    const symAt = cursor;
    chunks.push({ at: symAt, bytes: symtab });
    cursor += symtab.length;
    const strAt = cursor;
    chunks.push({ at: strAt, bytes: Uint8Array.from(strtab) });
    cursor += strtab.length;
    const shstrAt = cursor;
    chunks.push({ at: shstrAt, bytes: shstrtab });
    cursor += shstrtab.length;
    const firstGlobal = 1 + spec.symbols.filter((s) => (s.bind ?? STB_GLOBAL) === STB_LOCAL).length;
    const shdr = (name: number, type: number, offset: number, size: number, link: number, entsize: number): Uint8Array => {
      const b = new Uint8Array(64);
      const v = new DataView(b.buffer);
      v.setUint32(0, name, true);
      v.setUint32(4, type, true);
      v.setBigUint64(24, BigInt(offset), true);
      v.setBigUint64(32, BigInt(size), true);
      v.setUint32(40, link, true);
      v.setUint32(44, type === 2 ? firstGlobal : 0, true); // sh_info: index of the first non-local symbol
      v.setBigUint64(48, BigInt(type === 2 ? 8 : 1), true);
      v.setBigUint64(56, BigInt(entsize), true);
      return b;
    };
    shdrs.push(new Uint8Array(64));
    shdrs.push(shdr(1, 2 /* SHT_SYMTAB */, symAt, symtab.length, 2, 24));
    shdrs.push(shdr(9, 3 /* SHT_STRTAB */, strAt, strtab.length, 0, 0));
    shdrs.push(shdr(17, 3 /* SHT_STRTAB */, shstrAt, shstrtab.length, 0, 0));
    cursor = align(cursor, 8);
    shoff = cursor;
    shnum = shdrs.length;
    shstrndx = 3;
    shdrs.forEach((b, i) => chunks.push({ at: shoff + 64 * i, bytes: b }));
    cursor += 64 * shnum;
  }

  const out = new Uint8Array(cursor);
  const v = new DataView(out.buffer);
  out.set([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0]);
  v.setUint16(16, spec.type ?? ET_EXEC, true);
  v.setUint16(18, spec.machine ?? EM_RISCV, true);
  v.setUint32(20, 1, true);
  v.setBigUint64(24, BigInt(spec.entry ?? spec.segments[0]?.paddr ?? 0), true);
  v.setBigUint64(32, BigInt(spec.segments.length > 0 ? phoff : 0), true);
  v.setBigUint64(40, BigInt(shoff), true);
  v.setUint32(48, 0x5, true); // EF_RISCV_RVC | EF_RISCV_FLOAT_ABI_DOUBLE
  v.setUint16(52, 64, true);
  v.setUint16(54, 56, true);
  v.setUint16(56, spec.segments.length, true);
  v.setUint16(58, 64, true);
  v.setUint16(60, shnum, true);
  v.setUint16(62, shstrndx, true);
  spec.segments.forEach((s, i) => {
    const at = phoff + 56 * i;
    v.setUint32(at, s.type ?? PT_LOAD, true);
    v.setUint32(at + 4, s.flags ?? PF_R | PF_X, true);
    v.setBigUint64(at + 8, BigInt(segOffsets[i]!), true);
    v.setBigUint64(at + 16, BigInt(s.vaddr ?? s.paddr), true);
    v.setBigUint64(at + 24, BigInt(s.paddr), true);
    v.setBigUint64(at + 32, BigInt(s.data.length), true);
    v.setBigUint64(at + 40, BigInt(s.memSize ?? s.data.length), true);
    v.setBigUint64(at + 48, 0x1000n, true);
  });
  for (const c of chunks) out.set(c.bytes, c.at);
  return out;
}

/** 32-bit little-endian instruction words as bytes. */
function words(...ws: number[]): Uint8Array {
  const b = new Uint8Array(ws.length * 4);
  const v = new DataView(b.buffer);
  ws.forEach((w, i) => v.setUint32(i * 4, w >>> 0, true));
  return b;
}

const TEXT = words(
  0x00100513, // addi a0, zero, 1
  0x00000073, // ecall
  0x0000006f, // j .
);
const DATA = Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9]);

/** The main fixture: text at 0x80200000, data + 0x100 bytes of bss at 0x80201000, and a symbol table. */
function sampleElf(): Uint8Array {
  return buildElf({
    entry: 0x8020_0000,
    segments: [
      { paddr: 0x8020_0000, data: TEXT, flags: PF_R | PF_X },
      { type: 4 /* PT_NOTE: not loaded */, paddr: 0, data: Uint8Array.from([0, 0, 0, 0]) },
      { paddr: 0x8020_1000, data: DATA, memSize: DATA.length + 0x100, flags: PF_R | PF_W },
    ],
    symbols: [
      { name: 'start.S', value: 0, type: STT_FILE, bind: STB_LOCAL, shndx: 0xfff1 },
      { name: '', value: 0x8020_0000, type: STT_SECTION, bind: STB_LOCAL },
      { name: '$x', value: 0x8020_0000, type: STT_NOTYPE, bind: STB_LOCAL },
      { name: 'spin', value: 0x8020_0008, type: STT_NOTYPE, bind: STB_LOCAL },
      { name: 'helper', value: 0x8020_0004, type: STT_FUNC, bind: STB_LOCAL },
      { name: '_start', value: 0x8020_0000, type: STT_FUNC, bind: STB_GLOBAL },
      { name: 'counter', value: 0x8020_1000, type: STT_OBJECT, bind: STB_GLOBAL },
      { name: 'helper', value: 0x8020_0100, type: STT_FUNC, bind: STB_GLOBAL },
      { name: 'puts', value: 0, type: STT_FUNC, bind: STB_GLOBAL, shndx: 0 /* SHN_UNDEF */ },
      { name: 'huge', value: 0xffff_ffff_8000_0000n, type: STT_OBJECT, bind: STB_GLOBAL, shndx: 0xfff1 },
    ],
  });
}


function patch(bytes: Uint8Array, f: (v: DataView) => void): Uint8Array {
  const copy = bytes.slice();
  f(new DataView(copy.buffer));
  return copy;
}


const RAM_BASE = 0x8000_0000;
const RAM_SIZE = 4 * 1024 * 1024;
function ram(): { base: number; size: number; bytes: Uint8Array } {
  return { base: RAM_BASE, size: RAM_SIZE, bytes: new Uint8Array(RAM_SIZE).fill(0xaa) };
}

// ------------------------------------------------------------------------------------------------------------

describe('parseElf', () => {
  it('describes a self-built RV64 executable: entry, PT_LOAD segments only, symbols', () => {
    const bytes = sampleElf();
    const image = parseElf(bytes);
    expect(image.type).toBe(ET_EXEC);
    expect(image.entry).toBe(0x8020_0000);
    expect(image.eFlags).toBe(0x5);
    expect(image.segments).toHaveLength(2);
    const [text, data] = image.segments;
    expect(text).toMatchObject({ index: 0, paddr: 0x8020_0000, vaddr: 0x8020_0000, memSize: TEXT.length, flags: PF_R | PF_X });
    expect(Array.from(text!.fileBytes)).toEqual(Array.from(TEXT));
    expect(data).toMatchObject({ index: 2, paddr: 0x8020_1000, memSize: DATA.length + 0x100, flags: PF_R | PF_W });
    expect(Array.from(data!.fileBytes)).toEqual(Array.from(DATA));
    // fileBytes is a view into the image, not a copy.
    expect(data!.fileBytes.buffer).toBe(bytes.buffer);
  });

  it('collects named FUNC/OBJECT/NOTYPE symbols; globals win over same-named locals', () => {
    const { symbols } = parseElf(sampleElf());
    expect(Object.fromEntries(symbols)).toEqual({
      spin: 0x8020_0008,
      helper: 0x8020_0100, // the global one, not the local at 0x80200004
      _start: 0x8020_0000,
      counter: 0x8020_1000,
    });
    // Left out: FILE and SECTION symbols, the $x mapping symbol, undefined 'puts', 'huge' (beyond 2^53).
  });

  it('has no symbols when the image is stripped', () => {
    const image = parseElf(buildElf({ segments: [{ paddr: 0x8020_0000, data: TEXT }] }));
    expect(image.symbols.size).toBe(0);
  });

  it('is well-formed according to binutils readelf', () => {
    const dir = mkdtempSync(join(tmpdir(), 'hindsight-elf-'));
    try {
      writeFileSync(join(dir, 'a.elf'), sampleElf());
      const r = spawnSync('riscv64-unknown-elf-readelf', ['-hlsW', join(dir, 'a.elf')], { encoding: 'utf8' });
      expect(r.stderr).toBe('');
      expect(r.stdout).toContain('RISC-V');
      expect(r.stdout).toMatch(/LOAD\s+0x\w+ 0x0000000080201000 0x0000000080201000 0x000009 0x000109 RW/);
      expect(r.stdout).toMatch(/FUNC\s+GLOBAL\s+DEFAULT\s+1 _start/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('accepts an ET_DYN linked at its load address, loaded as-is', () => {
    const image = parseElf(buildElf({ type: ET_DYN, segments: [{ paddr: 0x8000_0000, data: TEXT }] }));
    expect(image.type).toBe(ET_DYN);
    expect(image.segments[0]!.paddr).toBe(0x8000_0000);
  });

  describe('rejects bad input with a coded error naming the field', () => {
    const good = sampleElf();
    it('too short', () => {
      expectSimError(() => parseElf(good.subarray(0, 63)), 'ELF_TOO_SHORT', /63 bytes/);
      expectSimError(() => parseElf(new Uint8Array(0)), 'ELF_TOO_SHORT');
    });
    it('bad magic', () => {
      expectSimError(() => parseElf(patch(good, (v) => v.setUint8(1, 0x45 ^ 0x20))), 'ELF_BAD_MAGIC', /EI_MAG/);
    });
    it('ELFCLASS32', () => {
      expectSimError(() => parseElf(patch(good, (v) => v.setUint8(4, 1))), 'ELF_BAD_CLASS', /EI_CLASS\] is ELFCLASS32/);
    });
    it('big-endian', () => {
      expectSimError(() => parseElf(patch(good, (v) => v.setUint8(5, 2))), 'ELF_BAD_ENDIAN', /EI_DATA\] is ELFDATA2MSB \(big-endian\)/);
    });
    it('bad version', () => {
      expectSimError(() => parseElf(patch(good, (v) => v.setUint8(6, 0))), 'ELF_BAD_VERSION', /EI_VERSION/);
      expectSimError(() => parseElf(patch(good, (v) => v.setUint32(20, 2, true))), 'ELF_BAD_VERSION', /e_version/);
    });
    it('not RISC-V', () => {
      expectSimError(() => parseElf(patch(good, (v) => v.setUint16(18, 62, true))), 'ELF_BAD_MACHINE', /e_machine is 62/);
    });
    it('not an executable', () => {
      expectSimError(() => parseElf(patch(good, (v) => v.setUint16(16, 1, true))), 'ELF_BAD_TYPE', /ET_REL/);
      expectSimError(() => parseElf(patch(good, (v) => v.setUint16(16, 4, true))), 'ELF_BAD_TYPE', /ET_CORE/);
    });
    it('ET_DYN that needs relocation or a dynamic loader', () => {
      const pie = buildElf({ type: ET_DYN, segments: [{ paddr: 0, data: TEXT }] });
      expectSimError(() => parseElf(pie), 'ELF_BAD_TYPE', /linked at address 0/);
      const dynamic = buildElf({
        type: ET_DYN,
        segments: [
          { type: 3 /* PT_INTERP */, paddr: 0x8000_0000, data: Buffer.from('/lib/ld.so\0') },
          { paddr: 0x8000_1000, data: TEXT },
        ],
      });
      expectSimError(() => parseElf(dynamic), 'ELF_BAD_TYPE', /PT_INTERP/);
    });
    it('program header table out of bounds', () => {
      expectSimError(() => parseElf(patch(good, (v) => v.setBigUint64(32, BigInt(good.length - 10), true))), 'ELF_BAD_PHDR', /e_phoff/);
      expectSimError(() => parseElf(patch(good, (v) => v.setUint16(56, 500, true))), 'ELF_BAD_PHDR', /e_phnum 500/);
      expectSimError(() => parseElf(patch(good, (v) => v.setUint16(54, 32, true))), 'ELF_BAD_PHDR', /e_phentsize/);
    });
    it('segment file range out of bounds', () => {
      // program header 0: p_offset at 64 + 8, p_filesz at 64 + 32, p_memsz at 64 + 40
      const far = patch(good, (v) => v.setBigUint64(64 + 8, BigInt(good.length), true));
      expectSimError(() => parseElf(far), 'ELF_BAD_PHDR', /program header 0 p_offset \+ p_filesz/);
    });
    it('p_filesz > p_memsz', () => {
      const bad = patch(good, (v) => v.setBigUint64(64 + 40, 4n, true));
      expectSimError(() => parseElf(bad), 'ELF_BAD_PHDR', /program header 0 p_filesz \(0xc\) is larger than p_memsz \(0x4\)/);
    });
    it('no PT_LOAD', () => {
      expectSimError(() => parseElf(buildElf({ segments: [] })), 'ELF_NO_LOAD_SEGMENTS');
      const noteOnly = buildElf({ segments: [{ type: 4, paddr: 0x8000_0000, data: TEXT }] });
      expectSimError(() => parseElf(noteOnly), 'ELF_NO_LOAD_SEGMENTS', /none of the 1 program headers/);
    });
    it('addresses beyond 2^53', () => {
      const highEntry = buildElf({ entry: 0xffff_ffff_8000_0000n, segments: [{ paddr: 0x8020_0000, data: TEXT }] });
      expectSimError(() => parseElf(highEntry), 'ELF_ADDRESS_TOO_LARGE', /e_entry = 0xffffffff80000000/);
      const highVaddr = buildElf({ segments: [{ paddr: 0x8020_0000, vaddr: 0xffff_ffff_8020_0000n, data: TEXT }] });
      expectSimError(() => parseElf(highVaddr), 'ELF_ADDRESS_TOO_LARGE', /program header 0 p_vaddr/);
    });
    it('overlapping PT_LOAD segments', () => {
      const overlap = buildElf({
        segments: [
          { paddr: 0x8020_0000, data: TEXT, memSize: 0x100 },
          { paddr: 0x8020_0080, data: DATA },
        ],
      });
      expectSimError(() => parseElf(overlap), 'ELF_BAD_PHDR', /program headers 0 .* and 1 .* overlap/);
    });
    it('a broken section header table', () => {
      // e_shoff points past the end.
      expectSimError(() => parseElf(patch(good, (v) => v.setBigUint64(40, BigInt(good.length), true))), 'ELF_BAD_SHDR', /e_shoff/);
    });
  });
});

describe('loadElfIntoRam', () => {
  it('copies PT_LOAD segments at p_paddr and zero-fills bss', () => {
    const image = parseElf(sampleElf());
    const target = ram();
    const span = loadElfIntoRam(image, target);
    expect(span).toEqual({ start: 0x8020_0000, end: 0x8020_1000 + DATA.length + 0x100 });
    const at = (addr: number, n: number): number[] => Array.from(target.bytes.subarray(addr - RAM_BASE, addr - RAM_BASE + n));
    expect(at(0x8020_0000, TEXT.length)).toEqual(Array.from(TEXT));
    expect(at(0x8020_1000, DATA.length)).toEqual(Array.from(DATA));
    expect(at(0x8020_1000 + DATA.length, 0x100).every((b) => b === 0)).toBe(true);
    // Untouched around the segments.
    expect(at(0x8020_0000 - 1, 1)).toEqual([0xaa]);
    expect(at(0x8020_0000 + TEXT.length, 1)).toEqual([0xaa]);
    expect(at(0x8020_1000 + DATA.length + 0x100, 1)).toEqual([0xaa]);
  });

  it('loads by p_paddr, not p_vaddr', () => {
    const image = parseElf(buildElf({ segments: [{ paddr: 0x8000_2000, vaddr: 0x4000_0000, data: DATA }] }));
    const target = ram();
    loadElfIntoRam(image, target);
    expect(Array.from(target.bytes.subarray(0x2000, 0x2000 + DATA.length))).toEqual(Array.from(DATA));
  });

  it('accepts a segment that ends exactly at the end of RAM', () => {
    const end = RAM_BASE + RAM_SIZE;
    const image = parseElf(buildElf({ segments: [{ paddr: end - DATA.length, data: DATA }] }));
    expect(() => loadElfIntoRam(image, ram())).not.toThrow();
  });

  it('rejects a segment outside RAM, naming its index and range, before writing anything', () => {
    const image = parseElf(
      buildElf({
        segments: [
          { paddr: 0x8020_0000, data: TEXT },
          { paddr: RAM_BASE + RAM_SIZE - 4, data: DATA }, // crosses the end of RAM
        ],
      }),
    );
    const target = ram();
    expectSimError(() => loadElfIntoRam(image, target), 'ELF_SEGMENT_OUTSIDE_RAM', /segment 1 .*\[0x803ffffc, 0x80400005\).*outside RAM \[0x80000000, 0x80400000\)/);
    expect(target.bytes.every((b) => b === 0xaa)).toBe(true);
    const below = parseElf(buildElf({ segments: [{ paddr: 0x1000, data: TEXT }] }));
    expectSimError(() => loadElfIntoRam(below, ram()), 'ELF_SEGMENT_OUTSIDE_RAM', /segment 0/);
  });
});

describe('real toolchain output', () => {
  it('parses and loads an ELF built by riscv64-unknown-elf-gcc, agreeing with readelf', () => {
    const dir = mkdtempSync(join(tmpdir(), 'hindsight-elf-'));
    try {
      const src = join(dir, 'start.S');
      const elf = join(dir, 'start.elf');
      writeFileSync(
        src,
        [
          '  .section .text.entry, "ax"',
          '  .globl _start',
          '_start:',
          '  la a0, message',
          '  call helper',
          '1: j 1b',
          'helper:',
          '  ret',
          '  .data',
          '  .globl message',
          'message: .asciz "hello"',
          '  .bss',
          '  .globl buffer',
          'buffer: .space 4096',
          '',
        ].join('\n'),
      );
      execFileSync('riscv64-unknown-elf-gcc', [
        '-march=rv64imac_zicsr',
        '-mabi=lp64',
        '-nostdlib',
        '-nostartfiles',
        '-static',
        '-Wl,-Ttext=0x80200000',
        '-Wl,--no-relax',
        '-o',
        elf,
        src,
      ]);
      const bytes = new Uint8Array(readFileSync(elf));
      const image = parseElf(bytes);
      const readelf = execFileSync('riscv64-unknown-elf-readelf', ['-hlsW', elf], { encoding: 'utf8' });
      expect(image.entry).toBe(Number.parseInt(/Entry point address:\s+(0x\w+)/.exec(readelf)![1]!, 16));
      const loads = [...readelf.matchAll(/^\s+LOAD\s+(0x\w+) (0x\w+) (0x\w+) (0x\w+) (0x\w+)/gm)].map((m) => ({
        vaddr: Number.parseInt(m[2]!, 16),
        paddr: Number.parseInt(m[3]!, 16),
        filesz: Number.parseInt(m[4]!, 16),
        memsz: Number.parseInt(m[5]!, 16),
      }));
      expect(image.segments.map((s) => ({ vaddr: s.vaddr, paddr: s.paddr, filesz: s.fileBytes.length, memsz: s.memSize }))).toEqual(loads);
      for (const name of ['_start', 'helper', 'message', 'buffer']) {
        const m = new RegExp(`^\\s+\\d+: ([0-9a-f]+)\\s.*\\s${name.replace('$', '\\$')}$`, 'm').exec(readelf);
        expect(m, `readelf lists ${name}`).not.toBeNull();
        expect(image.symbols.get(name)).toBe(Number.parseInt(m![1]!, 16));
      }
      expect(image.symbols.get('_start')).toBe(image.entry);
      const target = ram();
      loadElfIntoRam(image, target);
      const msg = image.symbols.get('message')! - RAM_BASE;
      expect(Buffer.from(target.bytes.subarray(msg, msg + 6)).toString('latin1')).toBe('hello\0');
      const buf = image.symbols.get('buffer')! - RAM_BASE;
      expect(target.bytes.subarray(buf, buf + 4096).every((b) => b === 0)).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  const hello = fileURLToPath(new URL('../guests/build/hello.elf', import.meta.url));
  it('parses guests/build/hello.elf (built and committed by guests/Makefile)', () => {
    const image = parseElf(new Uint8Array(readFileSync(hello)));
    expect(image.segments.length).toBeGreaterThan(0);
    expect(image.entry).toBeGreaterThanOrEqual(RAM_BASE);
    const target = { base: RAM_BASE, size: 128 * 1024 * 1024, bytes: new Uint8Array(128 * 1024 * 1024) };
    const span = loadElfIntoRam(image, target);
    expect(image.entry).toBeGreaterThanOrEqual(span.start);
    expect(image.entry).toBeLessThan(span.end);
  });
});
