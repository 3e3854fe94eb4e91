/**
 * Deterministic PRNG for the difftest generator: SplitMix64 on BigInt.
 * Never Math.random — the same seed must give the same program on every machine.
 */

const MASK64 = (1n << 64n) - 1n;

export class Rng {
  private state: bigint;

  constructor(seed: number | bigint) {
    // Start from a scrambled seed: with state = seed * gamma, seed s + 1 would replay seed s's stream one
    // step later (SplitMix64 adds gamma per step), so neighbouring cases would share most of their code.
    this.state = mix64((BigInt.asUintN(64, BigInt(seed)) ^ 0x632be59bd9b4e019n) & MASK64);
  }

  /** Next unsigned 64-bit value. */
  u64(): bigint {
    this.state = (this.state + 0x9e3779b97f4a7c15n) & MASK64;
    return mix64(this.state);
  }

  /** Uniform integer in [0, n), n <= 2^32. */
  int(n: number): number {
    if (!Number.isInteger(n) || n <= 0) throw new Error(`Rng.int: bad bound ${n}`);
    return Number(this.u64() % BigInt(n));
  }

  /** Uniform integer in [lo, hi] (inclusive). */
  range(lo: number, hi: number): number {
    return lo + this.int(hi - lo + 1);
  }

  /** true with probability p. */
  chance(p: number): boolean {
    return this.int(1_000_000) < Math.round(p * 1_000_000);
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new Error('Rng.pick: empty list');
    return items[this.int(items.length)] as T;
  }

  /** Pick by weight: entries are [weight, value]. */
  weighted<T>(entries: readonly (readonly [number, T])[]): T {
    let total = 0;
    for (const [w] of entries) total += w;
    let r = this.int(total);
    for (const [w, v] of entries) {
      if (r < w) return v;
      r -= w;
    }
    throw new Error('Rng.weighted: unreachable');
  }
}

/** SplitMix64's finalizer (a bijection on 64-bit values). */
function mix64(x: bigint): bigint {
  let z = x;
  z = ((z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n) & MASK64;
  z = ((z ^ (z >> 27n)) * 0x94d049bb133111ebn) & MASK64;
  return z ^ (z >> 31n);
}

export function hex64(v: bigint): string {
  return '0x' + (v & MASK64).toString(16).padStart(16, '0');
}
