import { describe, expect, it } from 'vitest';
import { ByteWriter } from './bytes.js';
import { Code } from './code.js';
import { ModuleBuilder } from './module.js';
import { Op, ValType } from './opcodes.js';

const { I32, I64 } = ValType;

function instantiate(m: ModuleBuilder, imports: WebAssembly.Imports = {}): WebAssembly.Exports {
  return new WebAssembly.Instance(new WebAssembly.Module(m.encode()), imports).exports;
}

describe('LEB128', () => {
  it('encodes unsigned and signed values as the spec examples do', () => {
    const w = new ByteWriter();
    w.u32(624485);
    expect([...w.view()]).toEqual([0xe5, 0x8e, 0x26]);
    const s = new ByteWriter();
    s.s32(-123456);
    expect([...s.view()]).toEqual([0xc0, 0xbb, 0x78]);
  });
});

describe('ModuleBuilder', () => {
  it('round-trips i64 constants of every shape through a real engine', () => {
    const cases: [number, number][] = [[0, 0], [-1, -1], [0x7fffffff, 0], [0x80000000 | 0, 0], [0, 0x80000000 | 0],
      [-1, 0x7fffffff], [0x12345678, 0x9abcdef0 | 0], [63, 0], [64, 0], [-64, -1], [-65, -1]];
    for (const [lo, hi] of cases) {
      const m = new ModuleBuilder();
      const c = new Code([], [I32]);
      c.i64(lo, hi).i64(32, 0).op(Op.i64_shr_u).op(Op.i32_wrap_i64);
      m.export('hi', m.func(c));
      const c2 = new Code([], [I32]);
      c2.i64(lo, hi).op(Op.i32_wrap_i64);
      m.export('lo', m.func(c2));
      const e = instantiate(m) as { hi: () => number; lo: () => number };
      expect([e.lo(), e.hi()]).toEqual([lo | 0, hi | 0]);
    }
  });

  it('calls imports, reads an imported memory and dispatches through an imported table', () => {
    const memory = new WebAssembly.Memory({ initial: 1, maximum: 1 });
    const table = new WebAssembly.Table({ initial: 4, element: 'anyfunc' });
    const lib = new ModuleBuilder();
    lib.importMemory('env', 'mem', 1, 1);
    const seven = new Code([], [I32]);
    seven.i32(0).mem(Op.i32_load, 16).i32(7).op(Op.i32_add);
    lib.export('f', lib.func(seven));
    const f = (instantiate(lib, { env: { mem: memory } }) as { f: () => number }).f;
    table.set(2, f as unknown as WebAssembly.ExportValue);

    const m = new ModuleBuilder();
    const twice = m.importFunc('env', 'twice', [I32], [I32]);
    m.importTable('env', 'tab', 4);
    m.importMemory('env', 'mem', 1, 1);
    const sig = m.type([], [I32]);
    const c = new Code([I32], [I32]);
    const acc = c.local(I32);
    const out = c.block();
    const top = c.loop();
    c.get(0).op(Op.i32_eqz).brIf(out);
    c.get(acc).i32(2).callIndirect(sig).op(Op.i32_add).set(acc);
    c.get(0).i32(1).op(Op.i32_sub).set(0);
    c.br(top).end().end();
    c.get(acc).call(twice);
    m.export('run', m.func(c));
    new Uint32Array(memory.buffer)[4] = 100;
    const e = instantiate(m, { env: { twice: (v: number) => v * 2, tab: table, mem: memory } }) as { run: (n: number) => number };
    expect(e.run(3)).toBe(2 * 3 * 107);
  });

  it('refuses unbalanced bodies and branches to labels that are not open', () => {
    const c = new Code([], []);
    c.block();
    expect(() => c.encode()).toThrow(/unbalanced/);
    const d = new Code([], []);
    const l = d.block();
    d.end();
    expect(() => d.br(l)).toThrow(/not enclosing/);
  });
});
