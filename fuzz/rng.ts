/**
 * The fuzz campaigns' randomness: a small deterministic generator (splitmix32), seeded per campaign and per case,
 * so that any one input can be made again from (seed, campaign, case) alone: that is the reproduction command a
 * failure prints.
 */
export class Rng {
  private s: number;

  constructor(seed: number) {
    this.s = seed >>> 0;
  }

  /** The generator of case `index` of `campaign` in a run seeded with `seed`. */
  static forCase(seed: number, campaign: string, index: number): Rng {
    let h = (seed ^ 0x9e3779b9) >>> 0;
    for (const c of `${campaign}/${index}`) h = Math.imul(h ^ c.charCodeAt(0), 0x01000193) >>> 0;
    return new Rng(h);
  }

  /** A uniform 32-bit unsigned integer. */
  u32(): number {
    let z = (this.s = (this.s + 0x9e3779b9) >>> 0);
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  }

  /** An integer in [0, n). */
  int(n: number): number {
    return n <= 1 ? 0 : Math.floor((this.u32() / 4294967296) * n);
  }

  chance(p: number): boolean {
    return this.u32() / 4294967296 < p;
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)];
  }

  bytes(n: number): Uint8Array {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) out[i] = this.u32() & 0xff;
    return out;
  }

  /** A 64-bit value, biased to the edges where bugs live. */
  u64(): bigint {
    const edges = [0n, 1n, 0x7fn, 0x80n, 0xffn, 0xffff_ffffn, 0x1_0000_0000n, 0x7fff_ffff_ffff_ffffn, 0x8000_0000_0000_0000n, 0xffff_ffff_ffff_ffffn, 0x8000_0000n];
    if (this.chance(0.4)) return this.pick(edges);
    return (BigInt(this.u32()) << 32n) | BigInt(this.u32());
  }
}
