// A batch's bytes written part by part are Buffer.from of the joined text, whatever the parts hold:
// ASCII (sized exactly), two-, three- and four-byte characters (which grow the buffer), empty parts.
import fc from 'fast-check'
import t from 'tap'
import { joinedBytes } from '../../src/api/joined-bytes.ts'

const part = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 10 }),
  fc.tuple(fc.constantFrom('é', '€', '😀', 'a'), fc.nat(300)).map(([c, n]) => c.repeat(n)),
  fc.constant(''),
)

t.test('joinedBytes is Buffer.from of head + parts.join(separator) + tail (property)', async (t) => {
  fc.assert(
    fc.property(fc.string({ maxLength: 20 }), fc.array(part, { maxLength: 60 }), fc.constantFrom(',', '\n', '', '·'), fc.string({ unit: 'binary', maxLength: 20 }), (head, parts, separator, tail) =>
      joinedBytes(head, parts, separator, tail).equals(Buffer.from(head + parts.join(separator) + tail)),
    ),
    { numRuns: 5_000 },
  )
  t.equal(joinedBytes('{"results":[', ['{"a":1}', '{"b":"é"}'], ',', ']}').toString(), '{"results":[{"a":1},{"b":"é"}]}')
  t.equal(joinedBytes('[', [], ',', ']').toString(), '[]')
  const big = Array.from({ length: 1000 }, (_, i) => `{"i":${i},"t":"${'😀'.repeat(i % 7)}"}`)
  t.ok(joinedBytes('[', big, ',', ']').equals(Buffer.from(`[${big.join(',')}]`)), 'a batch of a thousand, some of it four-byte characters')
})
