// The growing Bloom filter behind the membership filter: never a false "no", whatever it was given and
// however far it grew; false "maybe"s rare, at about the rate it was made for.
import fc from 'fast-check'
import t from 'tap'
import { GrowingBloom } from '../../src/model/bloom.ts'

t.test('everything added is found, across layers (property)', async (t) => {
  fc.assert(
    fc.property(fc.uniqueArray(fc.string({ minLength: 0, maxLength: 40 }), { maxLength: 400 }), fc.integer({ min: 1, max: 64 }), (strings, capacity) => {
      const bloom = new GrowingBloom(capacity, 0.01)
      for (const s of strings) bloom.add(s)
      return strings.every((s) => bloom.mayHave(s))
    }),
    { numRuns: 200 },
  )
  t.pass('no false "no" for any set of strings, at any first-layer size')
})

t.test('addresses never added are rarely "maybe", near the rate asked for, as it grows', async (t) => {
  const bloom = new GrowingBloom(10_000, 0.001)
  const added = 200_000
  for (let i = 0; i < added; i++) bloom.add(`10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`)
  t.ok(bloom.size > added * 0.99 && bloom.size <= added, `about ${added} strings held (${bloom.size})`)
  let lost = 0
  for (let i = 0; i < added; i++) if (!bloom.mayHave(`10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`)) lost++
  t.equal(lost, 0, 'every string added is found')
  let maybe = 0
  const asked = 200_000
  for (let i = 0; i < asked; i++) if (bloom.mayHave(`198.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`)) maybe++
  // Made for 0.1% overall; 0.3% leaves room for chance (the expected count is about 200, its deviation about 14).
  t.ok(maybe / asked < 0.003, `${maybe} of ${asked} never-added addresses said "maybe" (${((100 * maybe) / asked).toFixed(3)}%)`)
  t.ok(bloom.bytes < 2 * 1024 * 1024, `${(bloom.bytes / 1024).toFixed(0)} KiB for ${added} strings`)
})
