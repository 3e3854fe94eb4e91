import { ByteWriter } from './bytes.js';
import { Code } from './code.js';
import { ValType } from './opcodes.js';

/** A function signature. */
export interface FuncType {
  params: readonly ValType[];
  results: readonly ValType[];
}

interface ImportedFunc {
  module: string;
  name: string;
  type: number;
}

/**
 * Builds a WebAssembly module in the binary format: function types, imported functions, an imported memory and
 * funcref table, defined functions and exports. Just what the hart's tiers need; nothing here depends on them.
 */
export class ModuleBuilder {
  private readonly types: FuncType[] = [];
  private readonly typeKeys = new Map<string, number>();
  private readonly imports: ImportedFunc[] = [];
  private memoryImport: { module: string; name: string; minPages: number; maxPages?: number } | null = null;
  private tableImport: { module: string; name: string; min: number } | null = null;
  private readonly funcs: { type: number; code: Code | null }[] = [];
  private readonly exports: { name: string; func: number }[] = [];
  private sealedImports = false;

  /** The index of a function type, adding it when new. */
  type(params: readonly ValType[], results: readonly ValType[]): number {
    const key = `${params.join(',')}:${results.join(',')}`;
    let i = this.typeKeys.get(key);
    if (i === undefined) {
      i = this.types.length;
      this.types.push({ params, results });
      this.typeKeys.set(key, i);
    }
    return i;
  }

  /** Imports a function; imports must all come before the first defined function. Returns its function index. */
  importFunc(module: string, name: string, params: readonly ValType[], results: readonly ValType[]): number {
    if (this.sealedImports) throw new Error('imports must be declared before functions');
    this.imports.push({ module, name, type: this.type(params, results) });
    return this.imports.length - 1;
  }

  importMemory(module: string, name: string, minPages: number, maxPages?: number): void {
    this.memoryImport = { module, name, minPages, maxPages };
  }

  importTable(module: string, name: string, min: number): void {
    this.tableImport = { module, name, min };
  }

  /**
   * Declares a function (its body may be filled in later with define, so that functions can call each other in
   * any order). Returns its function index.
   */
  declare(params: readonly ValType[], results: readonly ValType[]): number {
    this.sealedImports = true;
    this.funcs.push({ type: this.type(params, results), code: null });
    return this.imports.length + this.funcs.length - 1;
  }

  define(index: number, code: Code): void {
    const f = this.funcs[index - this.imports.length];
    if (f === undefined) throw new RangeError(`function ${index} was not declared`);
    f.code = code;
  }

  /** Declares and defines a function in one go. */
  func(code: Code): number {
    const i = this.declare(code.params, code.results);
    this.define(i, code);
    return i;
  }

  export(name: string, func: number): void {
    this.exports.push({ name, func });
  }

  encode(): Uint8Array {
    const out = new ByteWriter();
    out.bytes([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00]);
    this.section(out, 1, (s) => {
      s.u32(this.types.length);
      for (const t of this.types) {
        s.byte(0x60);
        s.u32(t.params.length);
        for (const p of t.params) s.byte(p);
        s.u32(t.results.length);
        for (const r of t.results) s.byte(r);
      }
    });
    const importCount = this.imports.length + (this.memoryImport ? 1 : 0) + (this.tableImport ? 1 : 0);
    if (importCount > 0) {
      this.section(out, 2, (s) => {
        s.u32(importCount);
        for (const imp of this.imports) {
          s.name(imp.module);
          s.name(imp.name);
          s.byte(0x00);
          s.u32(imp.type);
        }
        if (this.tableImport) {
          s.name(this.tableImport.module);
          s.name(this.tableImport.name);
          s.byte(0x01);
          s.byte(ValType.FuncRef);
          s.byte(0x00);
          s.u32(this.tableImport.min);
        }
        if (this.memoryImport) {
          const m = this.memoryImport;
          s.name(m.module);
          s.name(m.name);
          s.byte(0x02);
          if (m.maxPages === undefined) {
            s.byte(0x00);
            s.u32(m.minPages);
          } else {
            s.byte(0x01);
            s.u32(m.minPages);
            s.u32(m.maxPages);
          }
        }
      });
    }
    this.section(out, 3, (s) => {
      s.u32(this.funcs.length);
      for (const f of this.funcs) s.u32(f.type);
    });
    if (this.exports.length > 0) {
      this.section(out, 7, (s) => {
        s.u32(this.exports.length);
        for (const e of this.exports) {
          s.name(e.name);
          s.byte(0x00);
          s.u32(e.func);
        }
      });
    }
    this.section(out, 10, (s) => {
      s.u32(this.funcs.length);
      for (const [i, f] of this.funcs.entries()) {
        if (f.code === null) throw new Error(`function ${this.imports.length + i} was declared but never defined`);
        s.bytes(f.code.encode());
      }
    });
    return out.view().slice();
  }

  private section(out: ByteWriter, id: number, fill: (s: ByteWriter) => void): void {
    const s = new ByteWriter();
    fill(s);
    out.byte(id);
    out.u32(s.length);
    out.bytes(s.view());
  }
}
