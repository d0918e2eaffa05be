// The NDJSON line splitter: lines cut wherever the chunks fall, blank lines counted but not passed on,
// overlong lines reported in their place without being held.
import { Readable } from 'node:stream'
import fc from 'fast-check'
import t from 'tap'
import { type Line, splitLines } from '../../src/api/ndjson.ts'

async function split(chunks: readonly Buffer[], max = 64): Promise<Line[]> {
  const out: Line[] = []
  for await (const line of Readable.from(chunks).pipe(splitLines(max))) out.push(line as Line)
  return out
}

t.test('lines survive any chunking, multi-byte characters included', async (t) => {
  await fc.assert(
    fc.asyncProperty(fc.array(fc.string({ maxLength: 20, unit: 'grapheme' }), { maxLength: 12 }), fc.array(fc.integer({ min: 1, max: 9 }), { minLength: 1 }), async (texts, cuts) => {
      const lines = texts.map((x) => x.replace(/[\r\n]/g, '_'))
      const body = Buffer.from(lines.map((x) => `${x}\n`).join(''))
      const chunks: Buffer[] = []
      for (let at = 0, i = 0; at < body.length; i++) {
        const next = Math.min(body.length, at + cuts[i % cuts.length]!)
        chunks.push(body.subarray(at, next))
        at = next
      }
      const want = lines.map((text, i) => ({ n: i + 1, text })).filter((l) => l.text.trim().length > 0)
      t.strictSame(await split(chunks), want)
    }),
  )
})

t.test('CRLF, a last line without a newline, blank lines, overlong lines', async (t) => {
  const long = 'x'.repeat(100)
  const body = `a\r\n\n  \nb\n${long}\nc\n${long}`
  t.strictSame(await split([Buffer.from(body)]), [{ n: 1, text: 'a' }, { n: 4, text: 'b' }, { n: 5, tooLong: true }, { n: 6, text: 'c' }, { n: 7, tooLong: true }])
  t.strictSame(await split(Buffer.from(body).toString().split('').map((c) => Buffer.from(c))), [{ n: 1, text: 'a' }, { n: 4, text: 'b' }, { n: 5, tooLong: true }, { n: 6, text: 'c' }, { n: 7, tooLong: true }], 'one byte at a time')
  t.strictSame(await split([Buffer.from('x'.repeat(64)), Buffer.from('\nd')]), [{ n: 1, text: 'x'.repeat(64) }, { n: 2, text: 'd' }], 'exactly the limit is a line')
  t.strictSame(await split([]), [], 'an empty body has no lines')
})
