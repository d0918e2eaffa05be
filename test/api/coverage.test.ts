// coverageOf is pure: which parts of a range whohad watched, and where AWS Config history is missing.
// The stretches are checked against a brute-force reference on a small integer clock (fast-check).
import fc from 'fast-check'
import t from 'tap'
import { CoverageOverTime, coverageOf, watchedSpans } from '../../src/api/coverage.ts'
import * as s from '../../src/api/schemas.ts'
import type { TargetState } from '../../src/model/target.ts'

const H = 3_600_000
const T0 = Date.UTC(2026, 10, 20, 10)
const target = (accountId: string, region: string, more: Partial<TargetState> = {}): TargetState => ({
  accountId, region, consecutiveFailures: 0, firstCompletePoll: T0, lastCompletePoll: T0 + 2 * H, ...more,
})

t.test('a timeline that begins before collection began is partial, with the watched stretch stated', async (t) => {
  const c = coverageOf([target('111111111111', 'eu-west-1'), target('222222222222', 'eu-west-1', { firstCompletePoll: T0 + 10 * 60_000 })], T0 - H, T0 + H, 5 * 60_000)
  t.equal(c.state, 'partial')
  t.same(c.watched, [{ from: new Date(T0 + 10 * 60_000).toISOString(), to: new Date(T0 + H).toISOString() }])
  t.match(c.detail, /2 of 2 targets were not watched throughout: .*watched only since .*; every target was watched from 2026-11-20T10:10:00.000Z to 2026-11-20T11:00:00.000Z/)
  s.coverage.parse(c)
})

t.test('not-watching only when no target watched any of the range', async (t) => {
  t.equal(coverageOf([target('111111111111', 'eu-west-1')], T0 - 2 * H, T0 - H, 60_000).state, 'not-watching', 'wholly before collection began')
  t.equal(coverageOf([], T0, T0 + H, 60_000).state, 'not-watching', 'nothing polled yet')
  // Two targets, each watched half the range: nothing was watched by both, but it was not unwatched.
  const halves = coverageOf([target('1', 'a', { lastCompletePoll: T0 + H / 2 }), target('2', 'a', { firstCompletePoll: T0 + H / 2 + 1 })], T0, T0 + H, 0)
  t.equal(halves.state, 'partial')
  t.same(halves.watched, [])
  t.match(halves.detail, /no part of this time was watched by every target/)
  const gap = coverageOf([target('1', 'a', { gaps: [{ from: T0 + H / 4, to: T0 + H / 2 }] })], T0, T0 + H, 5 * 60_000)
  t.same(gap.watched.map((w) => [Date.parse(w.from) - T0, Date.parse(w.to) - T0]), [[0, H / 4], [H / 2, H]], 'a gap splits the stretch; the polls at its ends did watch')
})

t.test('the Config statement: per target in scope, beside the poll coverage', async (t) => {
  const checkedAt = T0 + H
  const states = [
    target('111111111111', 'eu-west-1', { config: { state: 'recording', detail: 'recorder "default" records AWS::EC2::NetworkInterface continuously', checkedAt } }),
    target('111111111111', 'us-east-1', { config: { state: 'failing', detail: 'last status is a failure', checkedAt } }),
    target('222222222222', 'eu-west-1', { config: { state: 'not-recording-enis', detail: 'recorder "default" excludes AWS::EC2::NetworkInterface', checkedAt } }),
    target('222222222222', 'us-east-1'),
  ]
  const all = coverageOf(states, T0, T0 + H, 5 * 60_000)
  t.equal(all.state, 'complete', 'the poll coverage is unchanged by Config')
  t.equal(all.config.state, 'partial')
  t.same(all.config.unavailable.map((u) => [u.accountId, u.region, u.state]), [['222222222222', 'eu-west-1', 'not-recording-enis'], ['222222222222', 'us-east-1', 'unchecked']])
  t.match(all.config.detail, /^AWS Config history unavailable for 2 of 4 targets: 222222222222 eu-west-1 \(not-recording-enis: .*excludes[^)]*\); 222222222222 us-east-1 \(AWS Config not checked yet\): holdings shorter than a poll interval may be missing there, and bounds are poll-wide$/)
  s.coverage.parse(all)
  t.match(coverageOf(states, T0, T0 + H, 5 * 60_000, { account: '111111111111' }).config, { state: 'available', unavailable: [] }, 'an answer about one account: its targets only; failing still reads history')
  t.match(coverageOf(states, T0, T0 + H, 5 * 60_000, { account: '222222222222' }).config, { state: 'unavailable' })
})

// ---- properties, on a clock of small integers ------------------------------------------------------

const gapArb = fc.tuple(fc.integer({ min: -5, max: 105 }), fc.integer({ min: 1, max: 30 })).map(([from, len]) => ({ from, to: from + len }))
const stateArb = fc.oneof(
  { weight: 1, arbitrary: fc.record({ gaps: fc.array(gapArb, { maxLength: 4 }) }).map((x) => ({ ...x, firstCompletePoll: undefined, lastCompletePoll: undefined })) },
  {
    weight: 6,
    arbitrary: fc
      .record({ first: fc.integer({ min: -10, max: 110 }), span: fc.option(fc.integer({ min: 0, max: 120 }), { nil: undefined }), gaps: fc.array(gapArb, { maxLength: 4 }) })
      .map(({ first, span, gaps }) => ({ firstCompletePoll: first, lastCompletePoll: span === undefined ? undefined : first + span, gaps })),
  },
)
const caseArb = fc.record({
  states: fc.array(stateArb, { maxLength: 4 }),
  from: fc.integer({ min: 0, max: 100 }),
  len: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 100 })),
  maxGap: fc.integer({ min: 0, max: 20 }),
})

type Small = { firstCompletePoll: number | undefined; lastCompletePoll: number | undefined; gaps: { from: number; to: number }[] }
const watchedAt = (st: Small, x: number, maxGap: number) =>
  st.firstCompletePoll !== undefined && x >= st.firstCompletePoll && (st.lastCompletePoll === undefined || x <= st.lastCompletePoll + maxGap) && !st.gaps.some((g) => g.from < x && x < g.to)

/**
 * Stretches by brute force: every endpoint is an integer, so sampling at half-units sees every open gap
 * (even one a unit long) and a stretch of positive length is a run of two or more samples.
 */
function reference(states: Small[], from: number, to: number, maxGap: number): [number, number][] {
  const runs: [number, number][] = []
  let start: number | undefined
  for (let k = 2 * from; k <= 2 * to + 1; k++) {
    const x = k / 2
    const all = k <= 2 * to && states.length > 0 && states.every((st) => watchedAt(st, x, maxGap))
    if (all && start === undefined) start = x
    if (!all && start !== undefined) {
      const end = (k - 1) / 2
      if (end > start || from === to) runs.push([start, end])
      start = undefined
    }
  }
  return runs
}

const sameSpans = (a: { from: number; to: number }[], b: [number, number][]) => a.length === b.length && a.every((x, i) => x.from === b[i]![0] && x.to === b[i]![1])

const toStates = (list: Small[]): TargetState[] => list.map((x, i) => ({ accountId: String(i).padStart(12, '0'), region: 'eu-west-1', consecutiveFailures: 0, ...x } as TargetState))

t.test('property: the watched stretches are exactly where every target was watched', async () => {
  fc.assert(
    fc.property(caseArb, ({ states, from, len, maxGap }) => {
      const to = from + len
      const c = coverageOf(toStates(states), from, to, maxGap)
      const got = c.watched.map((w) => [Date.parse(w.from), Date.parse(w.to)] as [number, number])
      // Within the range, sorted, disjoint.
      for (const [a, b] of got) if (!(from <= a && a <= b && b <= to)) return false
      for (let i = 1; i < got.length; i++) if (!(got[i]![0] > got[i - 1]![1])) return false
      // No target unwatched inside a stretch: before its first complete poll, after its last plus the
      // allowed gap, or inside one of its gaps.
      for (const st of states) {
        for (const [a, b] of got) {
          if (st.firstCompletePoll === undefined || a < st.firstCompletePoll) return false
          if (st.lastCompletePoll !== undefined && b > st.lastCompletePoll + maxGap) return false
          if (st.gaps.some((g) => g.from < b && g.to > a && (a < b || (g.from < a && a < g.to)))) return false
        }
      }
      // And nothing watched by all left out.
      return JSON.stringify(got) === JSON.stringify(reference(states, from, to, maxGap))
    }),
    { numRuns: 3000 },
  )
})

t.test('property: the state agrees with the stretches and the per-target record', async () => {
  fc.assert(
    fc.property(caseArb, ({ states, from, len, maxGap }) => {
      const to = from + len
      const c = coverageOf(toStates(states), from, to, maxGap)
      s.coverage.parse(c)
      const anyWatched = states.some((st) => reference([st], from, to, maxGap).length > 0)
      const whole = c.watched.length === 1 && Date.parse(c.watched[0]!.from) === from && Date.parse(c.watched[0]!.to) === to
      if (states.length === 0 || !anyWatched) return c.state === 'not-watching'
      // Complete exactly when every target watched all of it; the per-target reasons say the same.
      if (whole) return c.state === 'complete' && c.unwatched.length === 0 && c.watching === states.length
      return c.state === 'partial' && c.unwatched.length === states.filter((st) => !sameSpans(watchedSpans(st, from, to, maxGap), [[from, to]])).length
    }),
    { numRuns: 3000 },
  )
})

t.test('property: coverage computed once per stretch equals coverageOf for every range', async () => {
  const ranges = fc.array(fc.record({ from: fc.integer({ min: -15, max: 135 }), len: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 100 })) }), { minLength: 1, maxLength: 30 })
  // Quiet spells (closed, and a current one) and Config states too: both change coverage with time.
  const quietArb = fc.record({
    spells: fc.array(fc.tuple(fc.integer({ min: -5, max: 105 }), fc.integer({ min: 0, max: 30 }), fc.integer({ min: 1, max: 9 })).map(([from, len, every]) => ({ from, to: from + len, everyMs: every })), { maxLength: 2 }),
    since: fc.option(fc.integer({ min: -5, max: 110 }), { nil: undefined }),
    config: fc.constantFrom(undefined, 'recording', 'not-recording'),
  })
  fc.assert(
    fc.property(fc.array(fc.tuple(stateArb, quietArb), { maxLength: 4 }), fc.integer({ min: 0, max: 20 }), ranges, fc.constantFrom(undefined, '000000000000'), (pairs, maxGap, asked, account) => {
      const all = toStates(pairs.map(([st]) => st)).map((st, i): TargetState => {
        const q = pairs[i]![1]
        return {
          ...st,
          ...(q.spells.length > 0 ? { quietSpells: q.spells } : {}),
          ...(q.since !== undefined ? { quietSince: q.since, quietEveryMs: 5 } : {}),
          ...(q.config ? { config: { state: q.config, detail: q.config, checkedAt: 0 } as TargetState['config'] } : {}),
        }
      })
      const over = new CoverageOverTime(all, maxGap, { account })
      // Asked twice in turn: the second time every stretch is remembered from a different range.
      for (const { from, len } of [...asked, ...[...asked].reverse()]) {
        const want = coverageOf(all, from, from + len, maxGap, { account })
        if (JSON.stringify(over.of(from, from + len)) !== JSON.stringify(want)) return false
        if (over.json(from, from + len) !== JSON.stringify(want)) return false
      }
      return true
    }),
    { numRuns: 3000 },
  )
})
