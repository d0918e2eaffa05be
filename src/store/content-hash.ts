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
  if (value instanceof Date) return JSON.stringify(value.toISOString())
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`
  }
  return JSON.stringify(value)
}
