// The demo's stories: each told at a time its named holder is the certain verdict, never at the middle
// of bounds that prove nothing.
import t from 'tap'
import { storiesOf } from '../../src/cli/stories.ts'
import type { Holding } from '../../src/model/holding.ts'
import { placeAt, verdictOf } from '../../src/model/verdict.ts'
import { bound, makeHolding } from '../../support/holdings.ts'

const MIN = 60_000
const T0 = Date.UTC(2026, 11, 1, 10, 0, 0)
const nat = (h: Holding, id: string): Holding => ({ ...h, holder: { ...h.holder, kind: 'nat-gateway', name: id, resource: { type: 'nat-gateway', id } } })

t.test('stories land inside the proven part of the holding they name', async (t) => {
  const holdings: Holding[] = [
    // A NAT gateway known from Config only, whose bounds cross (start.by after end.after): no story.
    nat({ ...makeHolding({ address: '198.51.100.5', eni: 'eni-0aa', start: [T0 - 30 * MIN, T0 + 20 * MIN] }), end: bound([T0 - 10 * MIN, T0 + 25 * MIN]) }, 'nat-0crossed'),
    // An instance held that address in between: certain there.
    makeHolding({ address: '198.51.100.5', eni: 'eni-0bb', instance: 'i-0bb', start: [T0 - 9 * MIN, T0 - 8 * MIN], end: [T0 + 1 * MIN, T0 + 2 * MIN] }),
    // A NAT gateway with consistent bounds.
    nat(makeHolding({ address: '198.51.100.6', eni: 'eni-0cc', start: [T0 - 40 * MIN, T0 - 39 * MIN] }), 'nat-0good'),
    // A public address handed between three ENIs.
    makeHolding({ address: '203.0.113.7', eni: 'eni-01', start: [T0 - 50 * MIN, T0 - 49 * MIN], end: [T0 - 40 * MIN, T0 - 39 * MIN] }),
    makeHolding({ address: '203.0.113.7', eni: 'eni-02', start: [T0 - 39 * MIN, T0 - 38 * MIN], end: [T0 - 20 * MIN, T0 - 19 * MIN] }),
    makeHolding({ address: '203.0.113.7', eni: 'eni-03', start: [T0 - 19 * MIN, T0 - 18 * MIN] }),
    // A private address in two VPCs, whose proven stretches overlap only from T0 - 5 min.
    makeHolding({ address: '10.0.1.5', eni: 'eni-0d1', vpc: 'vpc-0aaa', start: [T0 - 45 * MIN, T0 - 44 * MIN], end: [T0 - 30 * MIN, T0 - 29 * MIN] }),
    makeHolding({ address: '10.0.1.5', eni: 'eni-0d2', vpc: 'vpc-0aaa', start: [T0 - 28 * MIN, T0 - 27 * MIN] }),
    makeHolding({ address: '10.0.1.5', eni: 'eni-0d3', vpc: 'vpc-0bbb', start: [T0 - 6 * MIN, T0 - 5 * MIN] }),
    // And a third VPC's, held throughout: named too, though it did not set the time.
    makeHolding({ address: '10.0.1.5', eni: 'eni-0d4', vpc: 'vpc-0ccc', start: [T0 - 50 * MIN, T0 - 49 * MIN] }),
  ]
  const watch = (h: Holding) => ({ openUntil: h.end ? undefined : T0 + 5 * MIN, gaps: [{ from: Number.NEGATIVE_INFINITY, to: T0 - 60 * MIN }] })
  const stories = storiesOf({ holdings, watchOf: watch, everyWatched: (at) => at >= T0 - 60 * MIN && at <= T0 + 5 * MIN })
  t.same(stories.map((s) => s.ip), ['203.0.113.7', '198.51.100.6', '10.0.1.5'], 'one of each; not the NAT gateway whose bounds cross')
  t.match(stories[0]!.why, /^public, held by 3 ENIs in turn; then by network interface eni-02 on eni-02$|^public, held by 3 ENIs in turn; then by interface eni-02 on eni-02$/)
  t.equal(stories[2]!.why, 'private, held in 3 VPCs at once: eni-0d2 in vpc-0aaa and eni-0d3 in vpc-0bbb and eni-0d4 in vpc-0ccc')
  for (const s of stories) {
    const same = holdings.filter((h) => h.address === s.ip)
    const v = verdictOf(same.map((h) => placeAt(h, s.at, watch(h))), true)
    t.equal(v.state, 'held', `${s.ip}: held at the story's time`)
    t.same(v.held.map((i) => same[i]!.holder.eniId).sort(), [...s.holders].sort(), `${s.ip}: by the holders the story names`)
    t.same(v.mayHave, [], 'and nobody else may have')
  }
})
