// Address arithmetic and allocation for the simulated world. Pools prefer handing out an address that
// was just released, because quick reuse is exactly the situation whohad exists to untangle.
import ipaddr from 'ipaddr.js'
import type { Rng } from './rng.ts'

export function ipv4ToInt(text: string): number {
  const parts = text.split('.')
  if (parts.length !== 4) throw new Error(`not an IPv4 address: ${text}`)
  let n = 0
  for (const p of parts) {
    const v = Number(p)
    if (!Number.isInteger(v) || v < 0 || v > 255) throw new Error(`not an IPv4 address: ${text}`)
    n = n * 256 + v
  }
  return n
}

export function intToIpv4(n: number): string {
  return `${Math.floor(n / 0x1000000) & 255}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`
}

/** Canonical text of an address or CIDR (RFC 5952 for IPv6), or undefined when it is not one. */
export function canonicalIp(text: string): string | undefined {
  try {
    if (text.includes('/')) {
      const [addr, len] = ipaddr.parseCIDR(text)
      const bytes = addr.toByteArray()
      for (let i = 0; i < bytes.length; i++) {
        const keep = Math.max(0, Math.min(8, len - i * 8))
        bytes[i] = (bytes[i] as number) & ((0xff << (8 - keep)) & 0xff)
      }
      return `${ipaddr.fromByteArray(bytes).toString()}/${len}`
    }
    if (text.includes(':')) {
      const v6 = ipaddr.IPv6.parse(text)
      return v6.isIPv4MappedAddress() ? v6.toIPv4Address().toString() : v6.toString()
    }
    return ipaddr.IPv4.isValidFourPartDecimal(text) ? ipaddr.IPv4.parse(text).toString() : undefined
  } catch {
    return undefined
  }
}

/** Canonical text of eight 16-bit groups. */
export function ipv6Text(groups: readonly number[]): string {
  return new ipaddr.IPv6(groups.map((g) => g & 0xffff)).toString()
}

/** The /len network containing an address, as canonical CIDR text; len is a multiple of 16 for IPv6 here. */
export function containingPrefix(ip: string, len: number): string | undefined {
  return canonicalIp(`${ip}/${len}`)
}

/**
 * A block of addresses handed out one at a time (or as aligned blocks, for delegated prefixes).
 * Offsets are relative to `base`; `reserved` offsets are never handed out (AWS keeps the first four
 * and the last address of every subnet).
 */
export class AddressPool {
  private readonly used: Uint8Array
  private recentlyFreed: number[] = []
  private inUse = 0

  constructor(
    readonly base: number,
    readonly size: number,
    reserved: readonly number[] = [],
    /** Probability that an allocation takes the most recently freed address when there is one. */
    private readonly reuseBias = 0.6,
  ) {
    this.used = new Uint8Array(size)
    for (const r of reserved) {
      if (r >= 0 && r < size && this.used[r] === 0) {
        this.used[r] = 1
        this.inUse++
      }
    }
  }

  get free(): number {
    return this.size - this.inUse
  }

  isUsed(offset: number): boolean {
    return this.used[offset] === 1
  }

  /** One address's offset, or undefined when the pool is full. */
  allocate(rng: Rng): number | undefined {
    if (this.inUse >= this.size) return undefined
    if (this.recentlyFreed.length > 0 && rng.chance(this.reuseBias)) {
      while (this.recentlyFreed.length > 0) {
        const off = this.recentlyFreed.pop() as number
        if (this.used[off] === 0) return this.take(off)
      }
    }
    for (let i = 0; i < 8; i++) {
      const off = rng.int(this.size)
      if (this.used[off] === 0) return this.take(off)
    }
    const startAt = rng.int(this.size)
    for (let i = 0; i < this.size; i++) {
      const off = (startAt + i) % this.size
      if (this.used[off] === 0) return this.take(off)
    }
    return undefined
  }

  /** An aligned block of `blockSize` (a power of two) free addresses; returns its first offset. */
  allocateBlock(blockSize: number, rng: Rng): number | undefined {
    const alignShift = (blockSize - (this.base % blockSize)) % blockSize
    const blocks = Math.floor((this.size - alignShift) / blockSize)
    if (blocks <= 0) return undefined
    const startAt = rng.int(blocks)
    for (let i = 0; i < blocks; i++) {
      const first = alignShift + ((startAt + i) % blocks) * blockSize
      let free = true
      for (let j = 0; j < blockSize; j++) {
        if (this.used[first + j] === 1) {
          free = false
          break
        }
      }
      if (free) {
        for (let j = 0; j < blockSize; j++) this.take(first + j)
        return first
      }
    }
    return undefined
  }

  release(offset: number): void {
    if (this.used[offset] !== 1) throw new Error(`address offset ${offset} released twice`)
    this.used[offset] = 0
    this.inUse--
    this.recentlyFreed.push(offset)
    if (this.recentlyFreed.length > 512) this.recentlyFreed = this.recentlyFreed.slice(-256)
  }

  releaseBlock(first: number, blockSize: number): void {
    for (let j = 0; j < blockSize; j++) this.release(first + j)
  }

  private take(off: number): number {
    this.used[off] = 1
    this.inUse++
    return off
  }
}
