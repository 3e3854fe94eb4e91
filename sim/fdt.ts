/**
 * Flattened device tree (DTB) writer and a small reader, after the Devicetree Specification v0.4, chapter 5.
 *
 * Blob layout written by `FdtTree.build()` (all integers big-endian, the same order dtc uses):
 *
 *   0x00  header (40 bytes): magic 0xd00dfeed, totalsize, off_dt_struct, off_dt_strings, off_mem_rsvmap,
 *         version 17, last_comp_version 16, boot_cpuid_phys, size_dt_strings, size_dt_struct
 *   0x28  memory reservation block: {address u64, size u64}* then a {0, 0} terminator (8-byte aligned)
 *         structure block: FDT_BEGIN_NODE name\0 (padded to 4) | FDT_PROP len nameoff value (padded to 4)
 *                          | FDT_END_NODE ... FDT_END
 *         strings block: every property name once, NUL-terminated, in order of first use (tails shared as dtc does)
 *
 * Output is a pure function of the calls made: nodes and properties come out in insertion order, phandles are
 * numbered 1, 2, 3, ... in the order `phandle()` is first asked for them (directly or via a cell reference).
 */
import { SimError } from './errors.js';

export const FDT_MAGIC = 0xd00dfeed;
export const FDT_VERSION = 17;
export const FDT_LAST_COMP_VERSION = 16;
const FDT_BEGIN_NODE = 1;
const FDT_END_NODE = 2;
const FDT_PROP = 3;
const FDT_NOP = 4;
const FDT_END = 9;
const HEADER_SIZE = 40;

/** A cell in a cell list: a u32, or a node standing for its phandle (`<&node>` in dts). */
export type FdtCell = number | FdtNode;

/** Node names: node-name[@unit-address], characters as the spec's table 2.1 allows. */
const NODE_NAME = /^[A-Za-z0-9,._+-]{1,31}(@[A-Za-z0-9,._+-]+)?$/;
/** Property names: characters as the spec's table 2.2 allows. */
const PROP_NAME = /^[A-Za-z0-9,._+?#-]{1,31}$/;

const enc = new TextEncoder();

function u32Bytes(values: readonly number[], what: string): Uint8Array {
  const out = new Uint8Array(values.length * 4);
  const view = new DataView(out.buffer);
  values.forEach((v, i) => {
    if (!Number.isInteger(v) || v < 0 || v > 0xffff_ffff) {
      throw new SimError('FDT_BAD_PROPERTY', `${what}: cell ${i} is ${v}, not a u32`);
    }
    view.setUint32(i * 4, v);
  });
  return out;
}

function toU64(v: number | bigint, what: string): bigint {
  if (typeof v === 'number' && (!Number.isSafeInteger(v) || v < 0)) {
    throw new SimError('FDT_BAD_PROPERTY', `${what}: ${v} is not a non-negative safe integer`);
  }
  const b = BigInt(v);
  if (b < 0n || b > 0xffff_ffff_ffff_ffffn) throw new SimError('FDT_BAD_PROPERTY', `${what}: ${v} is not a u64`);
  return b;
}

function stringBytes(list: readonly string[], what: string): Uint8Array {
  const parts = list.map((s) => {
    if (s.includes('\0')) throw new SimError('FDT_BAD_PROPERTY', `${what}: string ${JSON.stringify(s)} contains NUL`);
    return enc.encode(s);
  });
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length + 1, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length + 1;
  }
  return out;
}

/** Hands out phandles for one tree. */
class PhandleAllocator {
  next = 1;
}

/** One node of a tree being built. Create children with `addNode`; set properties with the `set*` methods. */
export class FdtNode {
  readonly name: string;
  readonly path: string;
  readonly #alloc: PhandleAllocator;
  readonly #props = new Map<string, Uint8Array>();
  readonly #children: FdtNode[] = [];
  #phandle: number | undefined;

  /** Use `new FdtTree()` and `addNode` rather than this constructor. */
  constructor(name: string, path: string, alloc: PhandleAllocator) {
    this.name = name;
    this.path = path;
    this.#alloc = alloc;
  }

  get properties(): ReadonlyMap<string, Uint8Array> {
    return this.#props;
  }
  get children(): readonly FdtNode[] {
    return this.#children;
  }

  /** Adds a child node. Names are checked against the spec's character set; duplicates are FDT_BAD_NODE. */
  addNode(name: string): FdtNode {
    if (!NODE_NAME.test(name)) {
      throw new SimError('FDT_BAD_NODE', `node name ${JSON.stringify(name)} under ${this.path} is not a valid node-name[@unit-address]`);
    }
    if (this.#children.some((c) => c.name === name)) {
      throw new SimError('FDT_BAD_NODE', `node ${this.path} already has a child named ${name}`);
    }
    const child = new FdtNode(name, this.path === '/' ? `/${name}` : `${this.path}/${name}`, this.#alloc);
    this.#children.push(child);
    return child;
  }

  /** Sets a property to raw bytes (the other setters all end here). Setting a name twice is FDT_BAD_PROPERTY. */
  setBytes(name: string, value: Uint8Array): this {
    if (!PROP_NAME.test(name)) {
      throw new SimError('FDT_BAD_PROPERTY', `property name ${JSON.stringify(name)} in ${this.path} is not valid`);
    }
    if (this.#props.has(name)) {
      throw new SimError('FDT_BAD_PROPERTY', `property ${name} in ${this.path} is already set`);
    }
    this.#props.set(name, value.slice());
    return this;
  }
  /** An empty (boolean) property, e.g. `interrupt-controller;`. */
  setEmpty(name: string): this {
    return this.setBytes(name, new Uint8Array(0));
  }
  setU32(name: string, value: FdtCell): this {
    return this.setCells(name, [value]);
  }
  /** A cell list; nodes in it stand for their phandles (allocated now if they have none yet). */
  setCells(name: string, cells: readonly FdtCell[]): this {
    const values = cells.map((c) => (typeof c === 'number' ? c : c.phandle()));
    return this.setBytes(name, u32Bytes(values, `${this.path}:${name}`));
  }
  /** A phandle reference, `<&node>`. */
  setPhandleRef(name: string, node: FdtNode): this {
    return this.setCells(name, [node]);
  }
  /** One u64 as two cells (high, low). */
  setU64(name: string, value: number | bigint): this {
    return this.setU64s(name, [value]);
  }
  /** u64 values, two cells each: e.g. `reg = <addr size>` under #address-cells = #size-cells = 2. */
  setU64s(name: string, values: readonly (number | bigint)[]): this {
    const out = new Uint8Array(values.length * 8);
    const view = new DataView(out.buffer);
    values.forEach((v, i) => view.setBigUint64(i * 8, toU64(v, `${this.path}:${name}[${i}]`)));
    return this.setBytes(name, out);
  }
  setString(name: string, value: string): this {
    return this.setStrings(name, [value]);
  }
  /** A string list: each string NUL-terminated, back to back (`"a", "b"` in dts). */
  setStrings(name: string, values: readonly string[]): this {
    return this.setBytes(name, stringBytes(values, `${this.path}:${name}`));
  }

  /** This node's phandle, allocated (and written as its `phandle` property) the first time it is asked for. */
  phandle(): number {
    if (this.#phandle === undefined) {
      const value = this.#alloc.next++;
      this.setBytes('phandle', u32Bytes([value], `${this.path}:phandle`));
      this.#phandle = value;
    }
    return this.#phandle;
  }
}

/** A memory reservation block entry. */
export interface FdtReservation {
  readonly address: bigint;
  readonly size: bigint;
}

/** A device tree being built: a root node, memory reservations and the boot CPU. */
export class FdtTree {
  readonly root: FdtNode;
  readonly #reservations: FdtReservation[] = [];
  /** Header field boot_cpuid_phys: the `reg` of the boot CPU node. */
  bootCpuidPhys = 0;

  constructor() {
    this.root = new FdtNode('', '/', new PhandleAllocator());
  }

  /** Adds a /memreserve/ entry. */
  reserve(address: number | bigint, size: number | bigint): this {
    this.#reservations.push({ address: toU64(address, 'memreserve address'), size: toU64(size, 'memreserve size') });
    return this;
  }

  /** Serializes the tree to a DTB (version 17). */
  build(): Uint8Array {
    const strings = new StringTable();
    const struct = new Sink();
    const emit = (node: FdtNode): void => {
      struct.u32(FDT_BEGIN_NODE);
      struct.bytes(enc.encode(node.name));
      struct.u8(0);
      struct.align(4);
      for (const [name, value] of node.properties) {
        struct.u32(FDT_PROP);
        struct.u32(value.length);
        struct.u32(strings.offsetOf(name));
        struct.bytes(value);
        struct.align(4);
      }
      for (const child of node.children) emit(child);
      struct.u32(FDT_END_NODE);
    };
    emit(this.root);
    struct.u32(FDT_END);
    const structBytes = struct.result();
    const stringBytes = strings.result();

    const offRsvmap = HEADER_SIZE; // already 8-aligned
    const offStruct = offRsvmap + (this.#reservations.length + 1) * 16;
    const offStrings = offStruct + structBytes.length;
    const totalSize = offStrings + stringBytes.length;
    const out = new Uint8Array(totalSize);
    const view = new DataView(out.buffer);
    const header = [
      FDT_MAGIC,
      totalSize,
      offStruct,
      offStrings,
      offRsvmap,
      FDT_VERSION,
      FDT_LAST_COMP_VERSION,
      this.bootCpuidPhys,
      stringBytes.length,
      structBytes.length,
    ];
    header.forEach((v, i) => view.setUint32(i * 4, v));
    this.#reservations.forEach((r, i) => {
      view.setBigUint64(offRsvmap + i * 16, r.address);
      view.setBigUint64(offRsvmap + i * 16 + 8, r.size);
    });
    out.set(structBytes, offStruct);
    out.set(stringBytes, offStrings);
    return out;
  }
}

/**
 * The strings block. A name that already occurs in the block as a whole string or as the tail of one ("cells" in
 * "#size-cells") reuses that offset, the same rule dtc applies, so a tree built here and the same tree compiled by
 * dtc come out byte-identical.
 */
class StringTable {
  #text = '';
  offsetOf(name: string): number {
    const found = this.#text.indexOf(`${name}\0`);
    if (found >= 0) return found;
    const off = this.#text.length;
    this.#text += `${name}\0`;
    return off;
  }
  result(): Uint8Array {
    // Property names are ASCII (PROP_NAME), so one char is one byte.
    return Uint8Array.from(this.#text, (c) => c.charCodeAt(0));
  }
}

/** A growable big-endian byte buffer. */
class Sink {
  #buf = new Uint8Array(1024);
  #len = 0;
  get length(): number {
    return this.#len;
  }
  #room(n: number): void {
    if (this.#len + n <= this.#buf.length) return;
    let size = this.#buf.length * 2;
    while (size < this.#len + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.#buf.subarray(0, this.#len));
    this.#buf = next;
  }
  u8(v: number): void {
    this.#room(1);
    this.#buf[this.#len++] = v;
  }
  u32(v: number): void {
    this.#room(4);
    new DataView(this.#buf.buffer).setUint32(this.#len, v);
    this.#len += 4;
  }
  bytes(b: Uint8Array): void {
    this.#room(b.length);
    this.#buf.set(b, this.#len);
    this.#len += b.length;
  }
  align(n: number): void {
    while (this.#len % n !== 0) this.u8(0);
  }
  result(): Uint8Array {
    return this.#buf.slice(0, this.#len);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Reader

const dec = new TextDecoder('utf-8', { fatal: false });

/** A node read back from a blob. Property accessors return undefined when the property is absent. */
export class FdtReadNode {
  readonly name: string;
  readonly path: string;
  readonly properties: ReadonlyMap<string, Uint8Array>;
  readonly children: readonly FdtReadNode[];

  constructor(name: string, path: string, properties: Map<string, Uint8Array>, children: FdtReadNode[]) {
    this.name = name;
    this.path = path;
    this.properties = properties;
    this.children = children;
  }

  child(name: string): FdtReadNode | undefined {
    return this.children.find((c) => c.name === name);
  }
  /** A descendant by path relative to this node ('soc/serial@10000000'); a leading '/' is ignored. */
  find(path: string): FdtReadNode | undefined {
    let node: FdtReadNode | undefined = this;
    for (const part of path.split('/').filter((p) => p !== '')) {
      node = node.child(part);
      if (node === undefined) return undefined;
    }
    return node;
  }
  has(name: string): boolean {
    return this.properties.has(name);
  }
  bytes(name: string): Uint8Array | undefined {
    return this.properties.get(name);
  }
  u32s(name: string): number[] | undefined {
    const b = this.properties.get(name);
    if (b === undefined) return undefined;
    if (b.length % 4 !== 0) throw new SimError('FDT_BAD_PROPERTY', `${this.path}:${name} is ${b.length} bytes, not whole cells`);
    const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
    return Array.from({ length: b.length / 4 }, (_, i) => view.getUint32(i * 4));
  }
  u32(name: string): number | undefined {
    const cells = this.u32s(name);
    if (cells === undefined) return undefined;
    if (cells.length !== 1) throw new SimError('FDT_BAD_PROPERTY', `${this.path}:${name} has ${cells.length} cells, expected 1`);
    return cells[0];
  }
  /** Values of two cells each (as `setU64s` writes them). */
  u64s(name: string): bigint[] | undefined {
    const b = this.properties.get(name);
    if (b === undefined) return undefined;
    if (b.length % 8 !== 0) throw new SimError('FDT_BAD_PROPERTY', `${this.path}:${name} is ${b.length} bytes, not whole u64s`);
    const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
    return Array.from({ length: b.length / 8 }, (_, i) => view.getBigUint64(i * 8));
  }
  u64(name: string): bigint | undefined {
    const values = this.u64s(name);
    if (values === undefined) return undefined;
    if (values.length !== 1) throw new SimError('FDT_BAD_PROPERTY', `${this.path}:${name} holds ${values.length} u64s, expected 1`);
    return values[0];
  }
  strings(name: string): string[] | undefined {
    const b = this.properties.get(name);
    if (b === undefined) return undefined;
    if (b.length === 0 || b[b.length - 1] !== 0) {
      throw new SimError('FDT_BAD_PROPERTY', `${this.path}:${name} is not a NUL-terminated string list`);
    }
    return dec.decode(b.subarray(0, b.length - 1)).split('\0');
  }
  string(name: string): string | undefined {
    const list = this.strings(name);
    if (list === undefined) return undefined;
    if (list.length !== 1) throw new SimError('FDT_BAD_PROPERTY', `${this.path}:${name} holds ${list.length} strings, expected 1`);
    return list[0];
  }
}

export interface ParsedFdt {
  readonly version: number;
  readonly lastCompVersion: number;
  readonly bootCpuidPhys: number;
  readonly totalSize: number;
  readonly reservations: readonly FdtReservation[];
  readonly root: FdtReadNode;
  /** The node whose `phandle` property is `phandle`, if any. */
  byPhandle(phandle: number): FdtReadNode | undefined;
}

/** Parses a DTB (version 16 or 17 compatible). Throws FDT_BAD_BLOB, naming what is wrong, on malformed input. */
export function parseFdt(bytes: Uint8Array): ParsedFdt {
  const bad = (msg: string): never => {
    throw new SimError('FDT_BAD_BLOB', msg);
  };
  if (bytes.length < HEADER_SIZE) bad(`blob is ${bytes.length} bytes, smaller than the 40-byte header`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const h = (i: number): number => view.getUint32(i * 4);
  if (h(0) !== FDT_MAGIC) bad(`magic is 0x${h(0).toString(16)}, expected 0xd00dfeed`);
  const totalSize = h(1);
  const offStruct = h(2);
  const offStrings = h(3);
  const offRsvmap = h(4);
  const version = h(5);
  const lastCompVersion = h(6);
  const bootCpuidPhys = h(7);
  const sizeStrings = h(8);
  if (totalSize > bytes.length) bad(`totalsize ${totalSize} is larger than the ${bytes.length}-byte blob`);
  if (version < 16 || lastCompVersion > FDT_VERSION) {
    bad(`version ${version} / last_comp_version ${lastCompVersion}: this reader understands versions 16 and 17`);
  }
  const structEnd = version >= 17 ? offStruct + h(9) : totalSize;
  if (offStruct > totalSize || structEnd > totalSize) bad(`structure block [${offStruct}, ${structEnd}) is outside totalsize ${totalSize}`);
  if (offStrings + sizeStrings > totalSize) bad(`strings block [${offStrings}, +${sizeStrings}) is outside totalsize ${totalSize}`);
  if (offRsvmap % 8 !== 0 || offRsvmap < HEADER_SIZE) bad(`off_mem_rsvmap ${offRsvmap} is not an 8-aligned offset after the header`);

  const reservations: FdtReservation[] = [];
  for (let at = offRsvmap; ; at += 16) {
    if (at + 16 > totalSize) bad('memory reservation block has no {0, 0} terminator inside the blob');
    const address = view.getBigUint64(at);
    const size = view.getBigUint64(at + 8);
    if (address === 0n && size === 0n) break;
    reservations.push({ address, size });
  }

  const cstring = (start: number, end: number, what: string): [string, number] => {
    const nul = bytes.indexOf(0, start);
    if (nul < 0 || nul >= end) bad(`${what} at offset ${start} is not NUL-terminated inside its block`);
    return [dec.decode(bytes.subarray(start, nul)), nul];
  };

  let at = offStruct;
  const token = (): number => {
    if (at + 4 > structEnd) bad(`structure block ends at ${structEnd} without FDT_END`);
    const t = view.getUint32(at);
    at += 4;
    return t;
  };
  const align4 = (n: number): number => (n + 3) & ~3;
  const phandles = new Map<number, FdtReadNode>();

  const readNode = (parentPath: string | undefined): FdtReadNode => {
    const [name, nul] = cstring(at, structEnd, 'node name');
    at = align4(nul + 1);
    const path = parentPath === undefined ? '/' : parentPath === '/' ? `/${name}` : `${parentPath}/${name}`;
    const props = new Map<string, Uint8Array>();
    const children: FdtReadNode[] = [];
    for (;;) {
      const t = token();
      if (t === FDT_NOP) continue;
      if (t === FDT_END_NODE) break;
      if (t === FDT_BEGIN_NODE) {
        children.push(readNode(path));
      } else if (t === FDT_PROP) {
        if (at + 8 > structEnd) bad(`property header in ${path} runs past the structure block`);
        const len = view.getUint32(at);
        const nameOff = view.getUint32(at + 4);
        at += 8;
        if (at + len > structEnd) bad(`property value in ${path} (${len} bytes) runs past the structure block`);
        if (nameOff >= sizeStrings) bad(`property name offset ${nameOff} in ${path} is outside the strings block`);
        const [propName] = cstring(offStrings + nameOff, offStrings + sizeStrings, 'property name');
        if (props.has(propName)) bad(`property ${propName} appears twice in ${path}`);
        props.set(propName, bytes.slice(at, at + len));
        at = align4(at + len);
      } else {
        bad(`unexpected token 0x${t.toString(16)} at offset ${at - 4} in ${path}`);
      }
    }
    const node = new FdtReadNode(name, path, props, children);
    const ph = props.get('phandle');
    if (ph !== undefined && ph.length === 4) phandles.set(new DataView(ph.buffer, ph.byteOffset, 4).getUint32(0), node);
    return node;
  };

  let t = token();
  while (t === FDT_NOP) t = token();
  if (t !== FDT_BEGIN_NODE) bad(`structure block starts with token 0x${t.toString(16)}, expected FDT_BEGIN_NODE`);
  const root = readNode(undefined);
  if (root.name !== '') bad(`root node is named ${JSON.stringify(root.name)}, expected ""`);
  t = token();
  while (t === FDT_NOP) t = token();
  if (t !== FDT_END) bad(`token 0x${t.toString(16)} after the root node, expected FDT_END`);

  return {
    version,
    lastCompVersion,
    bootCpuidPhys,
    totalSize,
    reservations,
    root,
    byPhandle: (phandle) => phandles.get(phandle),
  };
}
