// The content hash decides whether a stored description or instance record is rewritten, and hashes
// already stored were made by it: its text must never change, whatever the order keys were built in.
import fc from 'fast-check'
import t from 'tap'
import { canonicalJson, contentHash } from '../../src/store/content-hash.ts'

t.test('the canonical text and its hash are pinned', async (t) => {
  const sample = { b: [1, 'two', { d: null, c: true }], a: { z: undefined, y: new Date(Date.UTC(2026, 0, 2, 3, 4, 5)) }, 'é"': -0.5 }
  t.equal(canonicalJson(sample), '{"a":{"y":"2026-01-02T03:04:05.000Z"},"b":[1,"two",{"c":true,"d":null}],"é\\"":-0.5}')
  t.equal(contentHash(sample), '45375c34872aead0c5a813f6e55326f9')
})

// The text as it was first written (entries filtered, sorted, mapped and joined): the reference.
function reference(value: unknown): string {
  if (value instanceof Date) return JSON.stringify(value.toISOString())
  if (Array.isArray(value)) return `[${value.map(reference).join(',')}]`
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${reference(v)}`).join(',')}}`
  }
  return JSON.stringify(value)
}

t.test('canonical JSON is the same text as ever, keys sorted at every depth whatever order they came in', async () => {
  fc.assert(
    fc.property(fc.jsonValue(), (v) => {
      const text = canonicalJson(v)
      return text === reference(v) && contentHash(v) === contentHash(JSON.parse(text))
    }),
    { numRuns: 500 },
  )
})
