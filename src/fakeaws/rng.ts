// Seeded randomness for the simulated organisation. Everything random in the world comes from here so
// that one seed always rebuilds the same world; Math.random is never used.

import { hash32 } from '../protocol/hash32.ts'

export { hash32 }

const MASK64 = (1n << 64n) - 1n

/** A uniform float in [0, 1) that depends only on its inputs: for values derived lazily (Config capture delays). */
export function hashUnit(...parts: ReadonlyArray<string | number>): number {
  return hash32(...parts) / 0x1_0000_0000
}

/** sfc32: small, fast, and good enough for simulation; seeded through hash32 so any label set works. */
export class Rng {
  private a: number
  private b: number
  private c: number
  private d: number

  constructor(...seedParts: ReadonlyArray<string | number>) {
    this.a = hash32('a', ...seedParts)
    this.b = hash32('b', ...seedParts)
    this.c = hash32('c', ...seedParts)
    this.d = hash32('d', ...seedParts) | 1
    for (let i = 0; i < 12; i++) this.next()
  }

  /** A uniform unsigned 32-bit integer. */
  next(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0
    this.d = (this.d + 1) | 0
    this.a = this.b ^ (this.b >>> 9)
    this.b = (this.c + (this.c << 3)) | 0
    this.c = (this.c << 21) | (this.c >>> 11)
    this.c = (this.c + t) | 0
    return t >>> 0
  }

  /** A uniform float in [0, 1). */
  float(): number {
    return this.next() / 0x1_0000_0000
  }

  /** A uniform integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.float() * n)
  }

  /** A uniform integer in [lo, hi]. */
  between(lo: number, hi: number): number {
    return lo + this.int(hi - lo + 1)
  }

  chance(p: number): boolean {
    return this.float() < p
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new Error('pick from an empty list')
    return items[this.int(items.length)] as T
  }

  /** An exponentially distributed wait with the given mean: the gap between events of a Poisson process. */
  exponential(mean: number): number {
    return -Math.log(1 - this.float()) * mean
  }
}

// splitmix64's finaliser is a bijection on 64-bit integers, so distinct counters give distinct ids.
function mix64(x: bigint): bigint {
  x = (x ^ (x >> 30n)) & MASK64
  x = (x * 0xbf58476d1ce4e5b9n) & MASK64
  x = (x ^ (x >> 27n)) & MASK64
  x = (x * 0x94d049bb133111ebn) & MASK64
  return (x ^ (x >> 31n)) & MASK64
}

/**
 * Resource ids in AWS's long form (`eni-` and 17 hex digits). Each prefix has its own counter and the
 * counter is scrambled by a bijection, so ids look random, never collide, and depend only on the seed
 * and creation order.
 */
export class IdFactory {
  private readonly counters = new Map<string, number>()
  private readonly salt: bigint

  constructor(seed: number) {
    this.salt = BigInt(hash32('ids', seed)) << 20n
  }

  next(prefix: string): string {
    const n = (this.counters.get(prefix) ?? 0) + 1
    this.counters.set(prefix, n)
    const scrambled = mix64((this.salt + BigInt(n) * 0x9e3779b97f4a7c15n + BigInt(hash32(prefix))) & MASK64)
    return `${prefix}-0${scrambled.toString(16).padStart(16, '0')}`
  }

  /** Hex digits for names that are not ids (load balancer suffixes, request ids). */
  hex(prefix: string, digits: number): string {
    let out = ''
    while (out.length < digits) out += this.next(prefix).slice(prefix.length + 2)
    return out.slice(0, digits)
  }
}
