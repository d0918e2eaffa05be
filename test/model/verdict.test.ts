// The verdict at T: certain only where the bounds prove it, never leaving out a holding that may contain
// T, "none" only when watched; holdings nearest T first.
import fc from 'fast-check'
import t from 'tap'
import type { Bound, Gap, Holding } from '../../src/model/holding.ts'
import { byDistance, placeAt, provenStretch, verdictOf } from '../../src/model/verdict.ts'

const b = (after: number, by: number): Bound => ({ after, by, evidence: [] })

t.test('placing holdings against T', async (t) => {
  const closed = { start: b(100, 110), end: b(200, 220) }
  t.same(placeAt(closed, 150), { atT: 'certain', distanceMs: 0 }, 'between start.by and end.after: proven')
  t.same(placeAt(closed, 105), { atT: 'possible', distanceMs: 0 }, 'inside the start uncertainty')
  t.same(placeAt(closed, 210), { atT: 'possible', distanceMs: 0 }, 'inside the end uncertainty')
  t.same(placeAt(closed, 90), { atT: 'outside', distanceMs: 10 }, 'before it may have begun, 10 ms')
  t.same(placeAt(closed, 250), { atT: 'outside', distanceMs: 30 }, 'after it must have ended, 30 ms')
  const open = { start: b(100, 110) }
  t.same(placeAt(open, 500, { openUntil: 400 }), { atT: 'possible', distanceMs: 0 }, 'an open holding past its last complete poll: possible only')
  t.same(placeAt(open, 300, { openUntil: 400 }), { atT: 'certain', distanceMs: 0 })
  t.same(placeAt(open, 300, { openUntil: 400, gaps: [{ from: 250, to: 350 }] }), { atT: 'possible', distanceMs: 0 }, 'inside an unwatched gap: possible')
  // A Config-only holding whose bounds cross (start.by after end.after): no instant is proven.
  t.same(placeAt({ start: b(100, 300), end: b(200, 400) }, 250), { atT: 'possible', distanceMs: 0 }, 'crossed bounds prove nothing')
})

t.test('the verdict over placed holdings', async (t) => {
  t.same(verdictOf([{ atT: 'outside' }, { atT: 'certain' }, { atT: 'possible' }], true), { state: 'held', held: [1], mayHave: [2] })
  t.same(verdictOf([{ atT: 'possible' }, { atT: 'possible' }], true), { state: 'possible', held: [], mayHave: [0, 1] }, 'a handover: one of two')
  t.same(verdictOf([{ atT: 'outside' }], true), { state: 'none', held: [], mayHave: [] }, 'watched, and nobody: none of ours')
  t.same(verdictOf([], false), { state: 'unknown', held: [], mayHave: [] }, 'not watched: unknown, never "nobody"')
  t.same(verdictOf([{ atT: 'certain' }, { atT: 'certain' }], false).held, [0, 1], 'a private address in two VPCs: both held')
})

t.test('holdings nearest T first', async (t) => {
  const list = [
    { name: 'far', atT: 'outside' as const, distanceMs: 600_000, start: { after: 0 } },
    { name: 'maybe', atT: 'possible' as const, distanceMs: 0, start: { after: 5 } },
    { name: 'near', atT: 'outside' as const, distanceMs: 1000, start: { after: 1 } },
    { name: 'held', atT: 'certain' as const, distanceMs: 0, start: { after: 9 } },
  ]
  t.same([...list].sort(byDistance).map((x) => x.name), ['held', 'maybe', 'near', 'far'])
})

// Random holdings with bounds, some consistent and some crossed (Config-only bounds can be), open or
// closed, with random gaps, and a T around them.
const arbBounds = fc
  .tuple(fc.array(fc.integer({ min: 0, max: 10_000 }), { minLength: 4, maxLength: 4 }), fc.boolean(), fc.boolean())
  .map(([times, open, crossed]) => {
    const [a, b2, c, d] = [...times].sort((x, y) => x - y) as [number, number, number, number]
    // Crossed: start.by later than end.after (still start.after <= end.by).
    const holding: Pick<Holding, 'start' | 'end'> = open ? { start: b(a, b2) } : crossed ? { start: b(a, c), end: b(b2, d) } : { start: b(a, b2), end: b(c, d) }
    return holding
  })
const arbGap = fc.tuple(fc.integer({ min: 0, max: 10_000 }), fc.integer({ min: 0, max: 2_000 })).map(([from, len]): Gap => ({ from, to: from + len }))
const arbItem = fc.record({ holding: arbBounds, openUntil: fc.option(fc.integer({ min: 0, max: 10_000 }), { nil: undefined }), gaps: fc.array(arbGap, { maxLength: 3 }) })
const arbAt = fc.integer({ min: -100, max: 10_100 })

/** Proven at T: inside [start.by, end.after] (open: up to max(start.by, openUntil)), and in no gap. */
function proven(h: Pick<Holding, 'start' | 'end'>, at: number, openUntil: number | undefined, gaps: readonly Gap[]): boolean {
  const coreEnd = h.end ? h.end.after : Math.max(h.start.by, openUntil ?? h.start.by)
  if (!(h.start.by <= at && at <= coreEnd)) return false
  return !gaps.some((g) => g.from < at && at < g.to)
}

t.test('properties of the verdict', async (t) => {
  fc.assert(
    fc.property(fc.array(arbItem, { maxLength: 6 }), arbAt, fc.boolean(), (items, at, watched) => {
      const placed = items.map((x) => placeAt(x.holding, at, { openUntil: x.holding.end ? undefined : x.openUntil, gaps: x.gaps }))
      const v = verdictOf(placed, watched)
      for (const i of v.held) {
        const x = items[i]!
        if (!proven(x.holding, at, x.holding.end ? undefined : x.openUntil, x.gaps)) return false
      }
      // Every holding whose bounds may contain T is named, as held or as one that may have held it.
      for (const [i, x] of items.entries()) {
        const mayContain = x.holding.start.after <= at && (!x.holding.end || at <= x.holding.end.by)
        if (mayContain !== (v.held.includes(i) || v.mayHave.includes(i))) return false
        if (mayContain !== (placed[i]!.distanceMs === 0)) return false
      }
      if (v.state === 'held' && v.held.length === 0) return false
      if (v.state === 'none' && (!watched || v.mayHave.length > 0)) return false
      if (v.state === 'unknown' && (watched || v.mayHave.length > 0)) return false
      // Sorted nearest first, the named holdings come before every other.
      const order = items.map((x, i) => ({ ...placed[i]!, start: x.holding.start, i })).sort(byDistance)
      const named = new Set([...v.held, ...v.mayHave])
      const firstOther = order.findIndex((o) => !named.has(o.i))
      return firstOther === -1 || order.slice(firstOther).every((o) => !named.has(o.i))
    }),
    { numRuns: 3000 },
  )
  t.pass('held only where the bounds prove it; every holding that may contain T named, and listed first; none only when watched')
})

t.test('the proven stretch: every time in it is certain; crossed bounds have none', async (t) => {
  t.same(provenStretch({ start: b(100, 110), end: b(200, 220) }), { from: 110, to: 200 })
  t.equal(provenStretch({ start: b(100, 300), end: b(200, 400) }), undefined, 'start.by after end.after: nothing is proven')
  t.same(provenStretch({ start: b(100, 110) }, { openUntil: 500, gaps: [{ from: 150, to: 200 }] }), { from: 200, to: 500 }, 'an open holding up to its last poll, less a gap')
  fc.assert(
    fc.property(arbItem, fc.double({ min: 0, max: 1, noNaN: true }), (x, f) => {
      const watch = { openUntil: x.holding.end ? undefined : x.openUntil, gaps: x.gaps }
      const stretch = provenStretch(x.holding, watch)
      // None: crossed bounds, or gaps that cover the whole proven part.
      if (!stretch) return (x.holding.end !== undefined && x.holding.end.after < x.holding.start.by) || x.gaps.length > 0
      const at = Math.round(stretch.from + (stretch.to - stretch.from) * f)
      return placeAt(x.holding, at, watch).atT === 'certain'
    }),
    { numRuns: 3000 },
  )
  t.pass('any time in the proven stretch is certain')
})
