// The content hash that decides whether a stored item is rewritten: sha256 of a canonical JSON text,
// so that the same content hashes the same whatever the order its keys were built or parsed in.
import { createHash } from 'node:crypto'

/** sha256 of `canonicalJson(value)`, as 32 hex digits (128 bits: collisions are not a concern). */
export function contentHash(value: unknown): string {
  // The first 16 bytes as hex: one flat string, where slicing the full hex would keep all 64 characters
  // alive behind it (the collector keeps these between polls, target-memory.ts).
  return createHash('sha256').update(canonicalJson(value)).digest().toString('hex', 0, 16)
}

/**
 * JSON with object keys sorted at every depth, undefined members left out (as marshall leaves them),
 * and a Date as its ISO text (as JSON.stringify writes it).
 */
export function canonicalJson(value: unknown): string {
  // Built by appending, not by mapping and joining: every poll hashes each description and instance
  // record it read, so this is on the collector's steady path. The text is the same as ever (hashes
  // already stored must not change): test/store/content-hash.test.ts pins it.
  if (value instanceof Date) return JSON.stringify(value.toISOString())
  if (Array.isArray(value)) {
    let out = '['
    for (let i = 0; i < value.length; i++) out += (i > 0 ? ',' : '') + (canonicalJson(value[i]) ?? '')
    return `${out}]`
  }
  if (value !== null && typeof value === 'object') {
    let out = '{'
    for (const key of Object.keys(value).sort()) {
      const v = (value as Record<string, unknown>)[key]
      if (v === undefined) continue
      out += `${out.length > 1 ? ',' : ''}${JSON.stringify(key)}:${canonicalJson(v)}`
    }
    return `${out}}`
  }
  return JSON.stringify(value)
}
