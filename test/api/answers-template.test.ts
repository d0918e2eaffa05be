// A never-held answer written from fragments kept per stretch of coverage is the very text the general
// path writes (the whole body through JSON.stringify), byte for byte, in both forms: over random target
// states (gaps, quiet spells, Config states, errors with quotes and non-ASCII), times (near the epoch and
// year 9999 too), windows, addresses and filters.
import fc from 'fast-check'
import t from 'tap'
import { emptyTextByParts, emptyTextByTemplate, emptyTextInFull, type PointQuery } from '../../src/api/answers.ts'
import { CoverageOverTime, coverageOf, type Stretch } from '../../src/api/coverage.ts'
import type { TargetState } from '../../src/model/target.ts'

const M = 60_000
const T0 = Date.UTC(2026, 10, 20, 10)
const MAX = Date.UTC(9999, 11, 31, 23, 59, 59, 999)

const minute = fc.integer({ min: -20, max: 140 })
const stateArb = fc.record({
  first: fc.option(minute, { nil: undefined }),
  span: fc.option(fc.integer({ min: 0, max: 150 }), { nil: undefined }),
  gaps: fc.array(fc.tuple(minute, fc.integer({ min: 1, max: 30 })), { maxLength: 3 }),
  spells: fc.array(fc.tuple(minute, fc.integer({ min: 0, max: 30 }), fc.integer({ min: 1, max: 9 })), { maxLength: 2 }),
  since: fc.option(minute, { nil: undefined }),
  config: fc.constantFrom(undefined, 'recording', 'not-recording', 'failing'),
  error: fc.option(fc.constantFrom('AccessDenied: "sts:AssumeRole" refused', 'throttled \\ slow', 'délai dépassé ✓', 'line\nbreak', '\ud800 lone'), { nil: undefined }),
  account: fc.constantFrom('111111111111', '222222222222'),
  region: fc.constantFrom('eu-west-1', 'us-east-1'),
})
const toState = (x: typeof stateArb extends fc.Arbitrary<infer S> ? S : never): TargetState => ({
  accountId: x.account,
  region: x.region,
  consecutiveFailures: 0,
  ...(x.first !== undefined ? { firstCompletePoll: T0 + x.first * M, ...(x.span !== undefined ? { lastCompletePoll: T0 + (x.first + x.span) * M } : {}) } : {}),
  ...(x.error ? { lastError: x.error } : {}),
  gaps: x.gaps.map(([from, len]) => ({ from: T0 + from * M, to: T0 + (from + len) * M })),
  quietSpells: x.spells.map(([from, len, every]) => ({ from: T0 + from * M, to: T0 + (from + len) * M, everyMs: every * M })),
  ...(x.since !== undefined ? { quietSince: T0 + x.since * M, quietEveryMs: 5 * M } : {}),
  ...(x.config ? { config: { state: x.config, detail: `recorder "default": ${x.config}`, checkedAt: T0 } } : {}),
} as TargetState)

const quad = fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255)).map((p) => p.join('.'))
const query = fc.record({
  ip: fc.oneof(quad, quad, fc.constantFrom('2001:db8::7', '10.0.0.5', '1.2.3.4"', 'a\\b', 'é')),
  at: fc.oneof(
    fc.integer({ min: -25 * M, max: 145 * M }).map((d) => T0 + d),
    fc.integer({ min: -25, max: 145 }).map((m) => T0 + m * M),
    fc.integer({ min: 0, max: 10 * M }),
    fc.integer({ min: MAX - 10 * M, max: MAX }),
  ),
  windowMs: fc.constantFrom(0, 0, 1, 1_000, 30_000, 5 * M, 7 * 86_400_000),
  vpc: fc.constantFrom(undefined, undefined, 'vpc-0abc1234', 'vpc-"x'),
  account: fc.constantFrom(undefined, undefined, '111111111111', '333333333333'),
  visible: fc.constantFrom(undefined, undefined, ['111111111111'], ['111111111111', '222222222222']),
})

t.test('a never-held answer from fragments is the general path\'s text, byte for byte (property)', async (t) => {
  let templated = 0
  let asked = 0
  fc.assert(
    fc.property(fc.array(stateArb, { maxLength: 4 }), fc.integer({ min: 0, max: 10 * M }), fc.array(query, { minLength: 1, maxLength: 20 }), (raw, maxGap, queries) => {
      const all = raw.map(toState)
      // One coverage over time and one memo per scope, asked by every query of the "batch" in turn.
      const overs = new Map<string, CoverageOverTime>()
      const memo = new WeakMap<Stretch, never>()
      for (const q0 of queries) {
        const q: PointQuery = q0
        const states = q.visible ? all.filter((s) => q.visible!.includes(s.accountId)) : all
        const key = `${q.visible?.join('+')}|${q.account}`
        if (!overs.has(key)) overs.set(key, new CoverageOverTime(states, maxGap, { account: q.account }))
        const over = overs.get(key)!
        const want = (format: 'whohad' | 'ecs') => emptyTextInFull(q, format, coverageOf(states, q.at - q.windowMs, q.at + q.windowMs, maxGap, { account: q.account }))
        for (const format of ['whohad', 'ecs'] as const) {
          asked++
          const fast = emptyTextByTemplate(q, format, over, memo)
          if (fast !== undefined) templated++
          if ((fast ?? emptyTextByParts(q, format, over)) !== want(format)) return false
        }
      }
      return true
    }),
    { numRuns: 3_000 },
  )
  t.ok(templated > asked / 2, `most answers took the template (${templated} of ${asked})`)
})
