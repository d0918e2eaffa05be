// A growing Bloom filter of strings: `mayHave` is false only for a string never added (no false "no"),
// and true for one never added with a small, bounded probability. Layers double in capacity as it
// fills, each with half the previous one's false-positive rate, so the whole stays under the rate it
// was made with however many strings it takes (Almeida et al., "Scalable Bloom Filters", 2007).
//
// Written here rather than taken from a package because it sits on the lookup path of every
// never-held address (a SIEM asks about hundreds of thousands a second) and wants a hash of a short
// string in a few tens of nanoseconds: two 32-bit FNV-1a variants in one pass, combined by double
// hashing (Kirsch and Mitzenmacher). Pure.

const LN2 = Math.LN2

interface Layer {
  readonly bits: Uint32Array
  readonly m: number
  readonly k: number
  readonly capacity: number
  count: number
}

function layer(capacity: number, falsePositiveRate: number): Layer {
  // m = -n ln p / (ln 2)^2 bits, k = (m / n) ln 2 hashes: the optimum for n strings at rate p.
  const m = Math.max(64, Math.ceil((-capacity * Math.log(falsePositiveRate)) / (LN2 * LN2)))
  const k = Math.max(1, Math.round((m / capacity) * LN2))
  return { bits: new Uint32Array(Math.ceil(m / 32)), m, k, capacity, count: 0 }
}

/** Two independent-enough 32-bit hashes of a string, in one pass (FNV-1a with two offset bases). */
function hashes(s: string): [number, number] {
  let a = 0x811c9dc5
  let b = 0x01000193 ^ 0x5bd1e995
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    a = Math.imul(a ^ c, 0x01000193)
    b = Math.imul(b ^ c, 0x5bd1e995)
    b ^= b >>> 15
  }
  // Final avalanche (murmur3's fmix32), so that strings differing in their last character spread.
  a ^= a >>> 16
  a = Math.imul(a, 0x85ebca6b)
  a ^= a >>> 13
  b ^= b >>> 16
  b = Math.imul(b, 0xc2b2ae35)
  b ^= b >>> 16
  return [a >>> 0, (b | 1) >>> 0]
}

function setIn(l: Layer, h1: number, h2: number): void {
  for (let i = 0; i < l.k; i++) {
    const bit = (h1 + Math.imul(i, h2)) >>> 0
    const at = bit % l.m
    l.bits[at >>> 5]! |= 1 << (at & 31)
  }
}

function hasIn(l: Layer, h1: number, h2: number): boolean {
  for (let i = 0; i < l.k; i++) {
    const bit = (h1 + Math.imul(i, h2)) >>> 0
    const at = bit % l.m
    if ((l.bits[at >>> 5]! & (1 << (at & 31))) === 0) return false
  }
  return true
}

export class GrowingBloom {
  private readonly layers: Layer[]

  /** `capacity`: strings the first layer is sized for; `falsePositiveRate`: the whole filter's, at most. */
  constructor(
    private readonly capacity = 65_536,
    private readonly falsePositiveRate = 0.001,
  ) {
    this.layers = [layer(capacity, falsePositiveRate / 2)]
  }

  add(s: string): void {
    const [h1, h2] = hashes(s)
    if (this.layers.some((l) => hasIn(l, h1, h2))) return
    let last = this.layers[this.layers.length - 1]!
    if (last.count >= last.capacity) {
      const n = this.layers.length
      last = layer(this.capacity * 2 ** n, this.falsePositiveRate / 2 ** (n + 1))
      this.layers.push(last)
    }
    setIn(last, h1, h2)
    last.count++
  }

  mayHave(s: string): boolean {
    const [h1, h2] = hashes(s)
    for (const l of this.layers) if (hasIn(l, h1, h2)) return true
    return false
  }

  /** Strings added (those it already seemed to have are not counted again). */
  get size(): number {
    return this.layers.reduce((n, l) => n + l.count, 0)
  }

  /** Memory held by the bit arrays. */
  get bytes(): number {
    return this.layers.reduce((n, l) => n + l.bits.byteLength, 0)
  }
}
