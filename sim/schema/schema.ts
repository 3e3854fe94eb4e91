/**
 * Schemas for values that cross a boundary (a journal file, a WebSocket frame, an HTTP body): each message is
 * declared once as a schema, its TypeScript type is derived from it (`Infer<typeof schema>`), and parsing either
 * returns that type or throws a SchemaError naming the field and what is wrong with it. Nothing untrusted is cast.
 *
 * Why not zod or TypeBox: these values are msgpack, where a 64-bit integer arrives as a number or a bigint, byte
 * strings are Uint8Arrays and integers must be safe; and the answer path of the service parses one message per exit.
 * The same checks written in zod 4 take 2-4 times as long on the protocol's messages (`npm run bench:schema`;
 * docs/protocol.md, "Validation"), with the same strictness: exact fields (an unknown field is an error), safe
 * integers with ranges, bounded strings, byte strings and arrays.
 *
 * Parsing builds a new value holding exactly the declared fields, so what comes out is what the type says.
 */

/** A value that does not fit its schema: `path` is the field (`answer.ret[1]`), `problem` what is wrong with it. */
export class SchemaError extends Error {
  constructor(readonly segments: readonly (string | number)[], readonly problem: string, readonly unknownTag = false) {
    super(segments.length === 0 ? problem : `'${formatPath(segments)}' ${problem}`);
  }

  get path(): string {
    return formatPath(this.segments);
  }

  /** The same error one level down in a containing value. */
  within(key: string | number): SchemaError {
    return new SchemaError([key, ...this.segments], this.problem, this.unknownTag);
  }
}

function formatPath(segments: readonly (string | number)[]): string {
  let out = '';
  for (const k of segments) out += typeof k === 'number' ? `[${k}]` : out === '' ? k : `.${k}`;
  return out;
}

export interface Schema<T> {
  /** Checks `v`; returns it as a T (a fresh value with only the declared fields) or throws a SchemaError. */
  readonly parse: (v: unknown) => T;
  /** A field that may be absent. */
  readonly optional: boolean;
  /** A field for which nil (null) counts as absent. */
  readonly nilIsAbsent: boolean;
  /** What the schema accepts, for messages and docs. */
  readonly describe: string;
}

/** The type a schema parses to. */
export type Infer<S> = S extends Schema<infer T> ? T : never;

export interface OptionalSchema<T> extends Schema<T> {
  readonly optional: true;
}

/** A field that may be absent, in which case it takes a default value: present in the parsed value either way. */
export interface DefaultedSchema<T> extends OptionalSchema<T> {
  readonly fallback: T;
}

type Shape = Record<string, Schema<unknown>>;
type OptionalKeys<S extends Shape> = {
  [K in keyof S]: S[K] extends DefaultedSchema<unknown> ? never : S[K] extends OptionalSchema<unknown> ? K : never;
}[keyof S];
type Simplify<T> = { [K in keyof T]: T[K] } & {};
/** The object a shape describes: its optional fields are optional properties. */
export type InferShape<S extends Shape> = Simplify<
  { [K in Exclude<keyof S, OptionalKeys<S>>]: Infer<S[K]> } & { [K in OptionalKeys<S>]?: Infer<S[K]> }
>;

/** Compile-time check that two types are the same (a schema kept in step with a type declared elsewhere). */
export type Equal<A, B> = (<X>() => X extends A ? 1 : 2) extends (<X>() => X extends B ? 1 : 2) ? true : false;
export function assertSameType<A, B>(_proof: Equal<A, B>): void {}

function make<T>(describe: string, parse: (v: unknown) => T): Schema<T> {
  return { parse, optional: false, nilIsAbsent: false, describe };
}

function fail(problem: string): never {
  throw new SchemaError([], problem);
}

const TWO_63 = 1n << 63n, TWO_64 = 1n << 64n;

export function bool(): Schema<boolean> {
  return make('a boolean', (v) => (typeof v === 'boolean' ? v : fail('must be true or false')));
}

export function str(opts: { min?: number; max: number; pattern?: RegExp }): Schema<string> {
  const { min = 0, max, pattern } = opts;
  return make(`a string of ${min}..${max} characters`, (v) => {
    if (typeof v !== 'string') fail('must be a string');
    if (v.length < min || v.length > max) fail(`must be ${min}..${max} characters long`);
    if (pattern !== undefined && !pattern.test(v)) fail(`is not of the form ${pattern.source}`);
    return v;
  });
}

/** One of a fixed set of primitive values (strings or numbers). */
export function oneOf<const V extends readonly (string | number | boolean)[]>(...values: V): Schema<V[number]> {
  const list = values.map((x) => JSON.stringify(x)).join(', ');
  if (values.length === 1) {
    const only = values[0];
    return make(`${list}`, (v) => (v === only ? (v as V[number]) : fail(`must be ${list}`)));
  }
  const set = new Set<unknown>(values);
  return make(`one of ${list}`, (v) => (set.has(v) ? (v as V[number]) : fail(`must be one of ${list}`)));
}

/** An integer in [min, max] (safe integers only: msgpack's 64-bit integers beyond 2^53 are not numbers here). */
export function int(min = Number.MIN_SAFE_INTEGER, max = Number.MAX_SAFE_INTEGER): Schema<number> {
  return make(`an integer in [${min}, ${max}]`, (v) => {
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min || v > max) fail(`must be an integer in [${min}, ${max}]`);
    return v;
  });
}

/** An integer in [0, max]. */
export function uint(max = Number.MAX_SAFE_INTEGER): Schema<number> {
  return int(0, max);
}

/**
 * A 64-bit register-sized value: any integer msgpack can carry in 64 bits (a safe number, or a bigint in
 * [-2^63, 2^64)), as an unsigned bigint mod 2^64.
 */
export function u64(): Schema<bigint> {
  return make('a 64-bit integer', (v) => {
    if (typeof v === 'bigint') {
      if (v < -TWO_63 || v >= TWO_64) fail('does not fit in 64 bits');
      return v < 0n ? v + TWO_64 : v;
    }
    if (typeof v === 'number' && Number.isSafeInteger(v)) return BigInt.asUintN(64, BigInt(v));
    return fail('must be an integer');
  });
}

/** A byte string (msgpack bin) of min..max bytes. */
export function bytes(opts: { min?: number; max: number }): Schema<Uint8Array> {
  const { min = 0, max } = opts;
  return make(`bytes (${min}..${max})`, (v) => {
    if (!(v instanceof Uint8Array)) fail('must be binary (msgpack bin)');
    if (v.length < min || v.length > max) fail(`must hold ${min}..${max} bytes`);
    return v;
  });
}

export function array<T>(item: Schema<T>, opts: { min?: number; max: number }): Schema<T[]> {
  const { min = 0, max } = opts;
  return make(`an array of ${min}..${max} ${item.describe}`, (v) => {
    if (!Array.isArray(v)) fail('must be an array');
    if (v.length < min || v.length > max) fail(`must hold ${min}..${max} items`);
    const out = new Array<T>(v.length);
    for (let i = 0; i < v.length; i++) {
      try {
        out[i] = item.parse(v[i]);
      } catch (e) {
        throw within(e, i);
      }
    }
    return out;
  });
}

export function tuple<const S extends readonly Schema<unknown>[]>(...items: S): Schema<{ -readonly [K in keyof S]: Infer<S[K]> }> {
  const n = items.length;
  return make(`an array of ${n}`, (v) => {
    if (!Array.isArray(v) || v.length !== n) fail(`must be an array of ${n}`);
    const out = new Array<unknown>(n);
    for (let i = 0; i < n; i++) {
      try {
        out[i] = items[i].parse(v[i]);
      } catch (e) {
        throw within(e, i);
      }
    }
    return out as { -readonly [K in keyof S]: Infer<S[K]> };
  });
}

/** A field that may be absent (or, with `nil`, be nil). */
export function optional<T>(schema: Schema<T>, opts: { nil?: boolean } = {}): OptionalSchema<T> {
  return { ...schema, optional: true, nilIsAbsent: opts.nil ?? false };
}

/** A field that may be absent (or nil), and then has this value. */
export function withDefault<T>(schema: Schema<T>, fallback: T): DefaultedSchema<T> {
  return { ...schema, optional: true, nilIsAbsent: true, fallback };
}

/** A value or nil (msgpack nil, JSON null). */
export function nullable<T>(schema: Schema<T>): Schema<T | null> {
  return make(`${schema.describe} or nil`, (v) => (v === null ? null : schema.parse(v)));
}

/** Anything at all (a value passed through untouched, for fields whose meaning depends on something else). */
export function unknown(): Schema<unknown> {
  return make('anything', (v) => v);
}

/** A schema plus a check across its fields: `check` returns a problem, or null when the value is fine. */
export function refine<T>(schema: Schema<T>, check: (v: T) => string | null): Schema<T> {
  return make(schema.describe, (v) => {
    const out = schema.parse(v);
    const problem = check(out);
    if (problem !== null) fail(problem);
    return out;
  });
}

/** Whether `v` is a map as msgpack and JSON decode them (a plain object, no prototype tricks). */
export function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (typeof v !== 'object' || v === null) return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

const hasOwn = Object.prototype.hasOwnProperty;

/**
 * A map with exactly these fields (optional ones may be absent); any other field is an error, unless `open`: then
 * other fields pass through unchecked (a client reading a newer server's replies keeps what it does not know).
 */
export function object<S extends Shape>(shape: S, opts: { open?: boolean } = {}): Schema<InferShape<S>> {
  return make(`a map {${Object.keys(shape).join(', ')}}`, compileShape(Object.entries(shape), undefined, opts.open ?? false) as (v: unknown) => InferShape<S>);
}

/**
 * A parser for one shape, generated as JavaScript source and compiled once (as zod 4 and TypeBox do): each field is
 * read by name at its own site, so V8 keeps every property access monomorphic, where one generic loop over the
 * fields of every shape would be megamorphic and several times slower on the answer path (docs/protocol.md,
 * "Validation"). The fields come out in the order declared; a field absent (or nil, where nil means absent) is
 * left out or takes its default; a map with a field not declared is refused, after the declared ones are checked.
 * `tag`, for a variant's member, is a field already matched (by the variant) that is put back in its place.
 */
function compileShape(fields: [string, Schema<unknown>][], tag?: { key: string; value: string; at: number }, open = false): (v: unknown) => Record<string, unknown> {
  const names = fields.map(([k]) => k);
  const all = tag === undefined ? names : [...names.slice(0, tag.at), tag.key, ...names.slice(tag.at)];
  const lines = ['if (!isPlainObject(v)) fail("must be a map");', 'const out = {};', 'let n = 0, x;'];
  let f = 0;
  for (const key of all) {
    const k = JSON.stringify(key);
    if (tag !== undefined && key === tag.key) {
      lines.push(`out[${k}] = ${JSON.stringify(tag.value)}; n++;`);
      continue;
    }
    const schema = fields[f][1];
    const absent = schema.nilIsAbsent ? 'x === undefined || x === null' : 'x === undefined';
    const whenAbsent = !schema.optional ? `throw missing(${k});` : 'fallback' in schema ? `out[${k}] = fallbacks[${f}];` : '';
    lines.push(
      `x = v[${k}];`,
      `if (${absent}) { if (x === null) n++; ${whenAbsent} }`,
      `else { n++; try { out[${k}] = parsers[${f}](x); } catch (e) { throw within(e, ${k}); } }`,
    );
    f++;
  }
  lines.push('let count = 0; for (const _ in v) count++;');
  if (open) lines.push(`if (count !== n) for (const k in v) switch (k) { ${all.map((k) => `case ${JSON.stringify(k)}:`).join(' ')} break; default: out[k] = v[k]; }`);
  else lines.push('if (count !== n) extra(v, names);');
  lines.push('return out;');
  const build = new Function('isPlainObject', 'fail', 'missing', 'within', 'extra', 'parsers', 'fallbacks', 'names',
    `return function parseShape(v) {\n${lines.join('\n')}\n};`) as (...deps: unknown[]) => (v: unknown) => Record<string, unknown>;
  return build(isPlainObject, fail, missingField, within, extraField, fields.map(([, s]) => s.parse),
    fields.map(([, s]) => ('fallback' in s ? (s as DefaultedSchema<unknown>).fallback : undefined)), all);
}

function missingField(key: string): SchemaError {
  return new SchemaError([key], 'is missing');
}

function extraField(v: Record<string, unknown>, names: string[]): never {
  const extra = Object.keys(v).find((k) => !names.includes(k));
  return fail(extra === undefined ? 'has a field that is undefined' : `has a field ${shown(extra)} that is not one of ${names.join(', ')}`);
}

type VariantMap = Record<string, Shape>;
/** The union a variant describes: one member per tag, each with the tag field and its own fields. */
export type InferVariant<K extends string, M extends VariantMap> = {
  [T in keyof M & string]: Simplify<{ [P in K]: T } & InferShape<M[T]>>;
}[keyof M & string];

/**
 * A tagged union: a map whose field `key` (a string) chooses which fields the rest must be. An unknown tag throws
 * a SchemaError with `unknownTag` set, so a caller can give it its own code (UNKNOWN_OP, UNKNOWN_TYPE, ...). The tag
 * comes out `tagAt` fields in (0: first), so a value parsed comes out in the order its producer writes it.
 */
export function variant<K extends string, M extends VariantMap>(key: K, members: M, opts: { tagAt?: number; open?: boolean } = {}): Schema<InferVariant<K, M>> {
  const branches = new Map<string, (v: unknown) => Record<string, unknown>>();
  for (const [tag, shape] of Object.entries(members)) {
    branches.set(tag, compileShape(Object.entries(shape), { key, value: tag, at: Math.min(opts.tagAt ?? 0, Object.keys(shape).length) }, opts.open ?? false));
  }
  const tags = [...branches.keys()];
  return make(`a map tagged by ${key} (${tags.join(', ')})`, (v) => {
    if (!isPlainObject(v)) fail('must be a map');
    const tag = v[key];
    const branch = typeof tag === 'string' && hasOwn.call(v, key) ? branches.get(tag) : undefined;
    if (branch === undefined) {
      throw new SchemaError([key], tag === undefined ? 'is missing' : `${shown(tag)} is not one of ${tags.join(', ')}`, true);
    }
    return branch(v) as InferVariant<K, M>;
  });
}

/** A value as a message shows it: short, and never a throw (JSON.stringify throws on a bigint). */
export function shown(v: unknown): string {
  if (typeof v === 'bigint') return `${v}n`;
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v);
  if (v instanceof Uint8Array) return `bytes(${v.length})`;
  if (Array.isArray(v)) return `an array of ${v.length}`;
  if (typeof v === 'object' && v !== null) return 'a map';
  return String(v);
}

function within(e: unknown, key: string | number): unknown {
  return e instanceof SchemaError ? e.within(key) : e;
}
