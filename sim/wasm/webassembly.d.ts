/**
 * The part of the WebAssembly JavaScript API that hindsight uses. Node provides the API itself; @types/node for
 * Node 20 has no typings for it (they come with TypeScript's DOM and webworker libraries, which the server code
 * must not see), so the few shapes needed are declared here.
 */
declare namespace WebAssembly {
  interface MemoryDescriptor { initial: number; maximum?: number; shared?: boolean }
  class Memory {
    constructor(descriptor: MemoryDescriptor);
    readonly buffer: ArrayBuffer;
    grow(delta: number): number;
  }

  type TableKind = 'anyfunc' | 'externref';
  interface TableDescriptor { element: TableKind; initial: number; maximum?: number }
  class Table {
    constructor(descriptor: TableDescriptor, value?: unknown);
    readonly length: number;
    get(index: number): unknown;
    grow(delta: number, value?: unknown): number;
    set(index: number, value?: unknown): void;
  }

  type ExportValue = Function | Memory | Table;
  type Exports = Record<string, ExportValue>;
  type ImportValue = ExportValue | number;
  type Imports = Record<string, Record<string, ImportValue>>;

  class Module {
    constructor(bytes: BufferSource);
  }

  class Instance {
    constructor(module: Module, importObject?: Imports);
    readonly exports: Exports;
  }

  function validate(bytes: BufferSource): boolean;
}

type BufferSource = ArrayBufferView | ArrayBuffer;
