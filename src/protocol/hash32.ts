// A small deterministic hash, shared by the simulator's seeded world and the page tokens of both AWS
// protocol servers (the simulator's and whohad's /ec2/).

/** 32-bit string/number hash (FNV-1a, then murmur3's finaliser so nearby labels scatter). */
export function hash32(...parts: ReadonlyArray<string | number>): number {
  let h = 0x811c9dc5
  for (const part of parts) {
    const s = typeof part === 'number' ? String(part) : part
    for (let i = 0; i < s.length; i++) {
      h ^= s.charCodeAt(i)
      h = Math.imul(h, 0x01000193)
    }
    h ^= 0x1f // separator, so ('ab','c') and ('a','bc') differ
    h = Math.imul(h, 0x01000193)
  }
  h ^= h >>> 16
  h = Math.imul(h, 0x85ebca6b)
  h ^= h >>> 13
  h = Math.imul(h, 0xc2b2ae35)
  h ^= h >>> 16
  return h >>> 0
}
