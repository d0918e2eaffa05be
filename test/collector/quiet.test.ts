// Quiet targets: a target whose last three complete polls changed nothing is polled every quiet
// interval instead of every poll interval, and answers over that stretch say so. The state's
// transitions (poll-state.ts), the cadence (cadence.ts, the scheduler), the configuration's checks,
// and the coverage rule: a quiet spell with no AWS Config history is never `complete`.
import fc from 'fast-check'
import t from 'tap'
import { coarseSpells, coverageOf, quietSpellsIn } from '../../src/api/coverage.ts'
import * as s from '../../src/api/schemas.ts'
import { mayBeQuiet, nextCompleteDue, QUIET_AFTER_POLLS } from '../../src/collector/cadence.ts'
import { afterPoll } from '../../src/collector/poll-state.ts'
import { Scheduler } from '../../src/collector/scheduler.ts'
import { ConfigError, loadConfig } from '../../src/config.ts'
import { classifyWatched, unwatched } from '../../src/model/holding.ts'
import type { Snapshot } from '../../src/model/observation.ts'
import type { PollResult } from '../../src/model/poll-result.ts'
import { freshTargetState, type Target, type TargetState } from '../../src/model/target.ts'

const MIN = 60_000
const T0 = Date.UTC(2026, 10, 20, 10)
const target: Target = { accountId: '111111111111', region: 'eu-west-1' }
const quiet = { afterPolls: QUIET_AFTER_POLLS, everyMs: 3 * MIN }
const snapshot = (at: number, complete = true): Snapshot => ({ target, pollId: `p${at}`, startedAt: at, finishedAt: at + 1000, complete, observations: [] }) as unknown as Snapshot

/** The states after complete polls a minute apart, `changes[i]` saying whether poll i changed anything. */
function run(changes: readonly boolean[], options: { quiet?: typeof quiet } = { quiet }): TargetState[] {
  const out: TargetState[] = []
  let state = freshTargetState(target)
  changes.forEach((changed, i) => {
    state = afterPoll(state, snapshot(T0 + i * MIN), { maxGapMs: 5 * MIN, changed, ...options })
    out.push(state)
  })
  return out
}

t.test('three unchanged complete polls make a target quiet; a change ends the spell, which the state keeps', async (t) => {
  const states = run([true, false, false, false, false, true, false])
  t.same(states.map((x) => x.unchangedPolls), [0, 1, 2, 3, 4, 0, 1])
  t.same(states.map((x) => x.quietSince), [undefined, undefined, undefined, T0 + 3 * MIN, T0 + 3 * MIN, undefined, undefined], 'quiet from the poll that made three')
  t.equal(states[3]!.quietEveryMs, 3 * MIN)
  t.same(states[5]!.quietSpells, [{ from: T0 + 3 * MIN, to: T0 + 5 * MIN + 1000, everyMs: 3 * MIN }], 'to the end of the poll that changed something')
  t.same(states[6]!.quietSpells, states[5]!.quietSpells, 'kept')
})

t.test('an incomplete poll changes nothing of it; quiet polling turned off, or a new quiet interval, ends the spell', async (t) => {
  const [, , quietState] = run([false, false, false])
  const failed = afterPoll(quietState!, snapshot(T0 + 10 * MIN, false), { maxGapMs: 5 * MIN, changed: false, quiet })
  t.equal(failed.quietSince, quietState!.quietSince, 'a failed poll proves nothing either way')
  const off = afterPoll(quietState!, snapshot(T0 + 10 * MIN), { maxGapMs: 5 * MIN, changed: false })
  t.equal(off.quietSince, undefined, 'off: polled every interval from now on')
  t.same(off.quietSpells, [{ from: T0 + 2 * MIN, to: T0 + 10 * MIN + 1000, everyMs: 3 * MIN }])
  const longer = afterPoll(quietState!, snapshot(T0 + 10 * MIN), { maxGapMs: 5 * MIN, changed: false, quiet: { ...quiet, everyMs: 4 * MIN } })
  t.same([longer.quietSince, longer.quietEveryMs], [T0 + 10 * MIN, 4 * MIN], 'a new spell at the new interval')
  t.same(longer.quietSpells, off.quietSpells, 'the old one closed')
  t.same(run([false, false, false, false], {}).map((x) => x.quietSince), [undefined, undefined, undefined, undefined], 'never quiet without a quiet interval')
})

t.test('cadence: a quiet target is next due within its quiet interval, never later; the rest ±10% around the interval', async (t) => {
  for (const r of [0, 0.5, 1]) {
    const q = nextCompleteDue({ quietSince: T0, quietEveryMs: 3 * MIN }, { intervalMs: MIN }, T0, r)
    t.ok(q >= T0 + 2.4 * MIN && q <= T0 + 3 * MIN, `quiet, random ${r}: ${(q - T0) / 1000} s`)
    const n = nextCompleteDue({}, { intervalMs: MIN }, T0, r)
    t.ok(n >= T0 + 0.9 * MIN && n <= T0 + 1.1 * MIN, `busy, random ${r}: ${(n - T0) / 1000} s`)
  }
})

t.test('the scheduler polls a quiet target at its quiet cadence and a busy one every interval', async (t) => {
  let now = 0
  const quietTarget: Target = { accountId: '1', region: 'quiet' }
  const busy: Target = { accountId: '1', region: 'busy' }
  const polls = new Map<string, number>()
  const result = (x: Target): PollResult => ({
    target: x, complete: true, observations: 0, opened: 0, closed: 0, refined: 0, durationMs: 1,
    state: { ...x, consecutiveFailures: 0, ...(x === quietTarget ? { quietSince: 0, quietEveryMs: 3 * MIN } : {}) },
  })
  const s = new Scheduler({
    targets: () => [quietTarget, busy], intervalMs: MIN, concurrency: 4, now: () => now, random: () => 0.5,
    poll: async (x) => {
      polls.set(x.region, (polls.get(x.region) ?? 0) + 1)
      return result(x)
    },
  })
  for (now = 0; now <= 30 * MIN; now += 1000) {
    s.tick()
    await new Promise((r) => setImmediate(r))
  }
  t.equal(polls.get('busy'), 30, 'every minute (from 15 s, spread over the first half interval)')
  t.equal(polls.get('quiet'), 12, 'every 2.7 minutes (the quiet interval, jittered earlier)')
})

t.test('WHOHAD_QUIET_INTERVAL: unset, three poll intervals within WHOHAD_MAX_GAP less one; set, checked; 0, off', async (t) => {
  t.equal(loadConfig({}).collector.quietEveryMs, 3 * MIN, 'the defaults: 60 s, 5 m gap: 3 m')
  t.equal(loadConfig({ WHOHAD_POLL_INTERVAL: '1s' }).collector.quietEveryMs, 3000)
  t.equal(loadConfig({ WHOHAD_POLL_INTERVAL: '90s' }).collector.quietEveryMs, 210_000, 'capped at the gap less one interval')
  t.equal(loadConfig({ WHOHAD_POLL_INTERVAL: '3m' }).collector.quietEveryMs, 0, 'no room: off')
  t.equal(loadConfig({ WHOHAD_QUIET_INTERVAL: '0' }).collector.quietEveryMs, 0)
  t.equal(loadConfig({ WHOHAD_QUIET_INTERVAL: '4m' }).collector.quietEveryMs, 4 * MIN)
  t.throws(() => loadConfig({ WHOHAD_QUIET_INTERVAL: '4m30s' }), new ConfigError('invalid configuration:\n  WHOHAD_QUIET_INTERVAL="4m30s": must be 0 (every target every WHOHAD_POLL_INTERVAL) or longer than WHOHAD_POLL_INTERVAL (1m) and at most WHOHAD_MAX_GAP less one WHOHAD_POLL_INTERVAL (4m), so that a quiet target never leaves a gap'))
  t.throws(() => loadConfig({ WHOHAD_QUIET_INTERVAL: '30s' }), /longer than WHOHAD_POLL_INTERVAL/)
  t.throws(() => loadConfig({ WHOHAD_QUIET_INTERVAL: 'soon' }), /WHOHAD_QUIET_INTERVAL="soon": must be a duration like 5m, 90s or 1h30m, or 0/)
})

const recording = { state: 'recording' as const, detail: 'records ENIs continuously', checkedAt: T0 }
const watchedState = (more: Partial<TargetState> = {}): TargetState => ({ ...target, consecutiveFailures: 0, firstCompletePoll: T0 - 60 * MIN, lastCompletePoll: T0 + 60 * MIN, ...more })

t.test('coverage: a quiet spell with AWS Config history is complete and says so; without it, partial, with the spell unwatched', async (t) => {
  const spell = { quietSpells: [{ from: T0, to: T0 + 30 * MIN, everyMs: 3 * MIN }] }
  const withConfig = coverageOf([watchedState({ ...spell, config: recording })], T0 - 10 * MIN, T0 + 10 * MIN, 5 * MIN)
  t.equal(withConfig.state, 'complete')
  t.same(withConfig.quiet, [{ ...target, everyMs: 3 * MIN }])
  t.match(withConfig.detail, /1 polled less often \(up to every 180 s\) where nothing changed, AWS Config history seeing between polls/)
  s.coverage.parse(withConfig)

  const without = coverageOf([watchedState(spell)], T0 - 10 * MIN, T0 + 10 * MIN, 5 * MIN)
  t.equal(without.state, 'partial')
  t.match(without.unwatched, [{ reason: /polled only every 180 s during part of this time \(nothing changed there\), with no AWS Config history: a holding shorter than that may be missing/ }])
  t.same(without.watched, [{ from: new Date(T0 - 10 * MIN).toISOString(), to: new Date(T0).toISOString() }], 'watched up to the poll that began the spell')
  s.coverage.parse(without)

  t.equal(coverageOf([watchedState(spell)], T0 + 10 * MIN, T0 + 10 * MIN, 5 * MIN).state, 'partial', 'a point inside the spell')
  t.equal(coverageOf([watchedState(spell)], T0 - 30 * MIN, T0 - 20 * MIN, 5 * MIN).state, 'complete', 'before the spell: as ever')
  t.same(coverageOf([watchedState(spell)], T0 - 30 * MIN, T0 - 20 * MIN, 5 * MIN).quiet, [])
  const current = coverageOf([watchedState({ quietSince: T0, quietEveryMs: 3 * MIN })], T0 + 50 * MIN, T0 + 50 * MIN, 5 * MIN)
  t.equal(current.state, 'partial', 'the current spell runs on')
  const only = coverageOf([watchedState({ quietSince: T0 - 60 * MIN, quietEveryMs: 3 * MIN })], T0, T0 + 10 * MIN, 5 * MIN)
  t.equal(only.state, 'partial', 'watched, if coarsely: partial, not not-watching')
})

t.test('property: without AWS Config history, no answer over a quiet spell is complete; with it, quiet spells change nothing but the list', async () => {
  const spellArb = fc.record({ from: fc.integer({ min: 0, max: 100 }), len: fc.integer({ min: 1, max: 50 }) }).map(({ from, len }) => ({ from: T0 + from * MIN, to: T0 + (from + len) * MIN, everyMs: 3 * MIN }))
  fc.assert(
    fc.property(fc.array(spellArb, { maxLength: 3 }), fc.option(fc.integer({ min: 0, max: 160 }), { nil: undefined }), fc.integer({ min: -10, max: 160 }), fc.integer({ min: 0, max: 30 }), fc.boolean(), (spells, since, from, len, config) => {
      const sorted = [...spells].sort((a, b) => a.from - b.from)
      const state = watchedState({ lastCompletePoll: T0 + 200 * MIN, quietSpells: sorted, ...(since !== undefined ? { quietSince: T0 + since * MIN, quietEveryMs: 3 * MIN } : {}), ...(config ? { config: recording } : {}) })
      const range = [T0 + from * MIN, T0 + (from + len) * MIN] as const
      const c = coverageOf([state], range[0], range[1], 5 * MIN)
      const meets = quietSpellsIn(state, range[0], range[1]).length > 0
      const plain = coverageOf([{ ...state, quietSpells: [], quietSince: undefined, quietEveryMs: undefined }], range[0], range[1], 5 * MIN)
      if (config) return c.state === plain.state && c.quiet.length === (meets ? 1 : 0)
      return meets ? c.state !== 'complete' : c.state === plain.state
    }),
  )
})

t.test('which targets may be quiet: those AWS Config history watches between polls, and empty ones; not a fleet without Config', async (t) => {
  t.equal(mayBeQuiet({ config: recording }, 250), true, 'Config history read: it sees between polls')
  t.equal(mayBeQuiet({}, 0), true, 'nothing there: no holding to be less sure of')
  t.equal(mayBeQuiet({}, 250), false, 'holdings and no Config: they stay certain between polls a poll interval apart')
  t.equal(mayBeQuiet({ config: { ...recording, state: 'off' } }, 3), false)
})

t.test('answers: no holding is certain inside a quiet spell without AWS Config history; with it, as ever', async (t) => {
  const holding = { start: { after: T0 - 90 * MIN, by: T0 - 80 * MIN, evidence: [] }, end: { after: T0 + 50 * MIN, by: T0 + 51 * MIN, evidence: [] } }
  const spell = { quietSpells: [{ from: T0, to: T0 + 30 * MIN, everyMs: 3 * MIN }] }
  const classifyAt = (state: TargetState, at: number) => classifyWatched(holding, at, at, { gaps: [...unwatched(state), ...coarseSpells(state)] })
  t.equal(classifyAt(watchedState(spell), T0 + 10 * MIN), 'possible', 'inside the spell: it may have left and come back unseen')
  t.equal(classifyAt(watchedState(spell), T0 - 10 * MIN), 'certain', 'before it')
  t.equal(classifyAt(watchedState(spell), T0 + 40 * MIN), 'certain', 'after it')
  t.equal(classifyAt(watchedState({ ...spell, config: recording }), T0 + 10 * MIN), 'certain', 'Config history sees between polls')
  t.equal(classifyAt(watchedState({ quietSince: T0, quietEveryMs: 3 * MIN }), T0 + 40 * MIN), 'possible', 'the current spell runs on')
})

t.test('quiet spells stay few: one soon after another joins it, and past a hundred the oldest two become one; nothing is forgotten', async (t) => {
  // A target that goes quiet for an hour and changes once, alternately, for two hundred days.
  let state = freshTargetState(target)
  const starts: number[] = []
  for (let day = 0; day < 200; day++) {
    const base = T0 + day * 86_400_000
    for (let i = 0; i < 4; i++) state = afterPoll(state, snapshot(base + i * MIN), { maxGapMs: 5 * MIN, changed: false, quiet })
    starts.push(state.quietSince!)
    state = afterPoll(state, snapshot(base + 60 * MIN), { maxGapMs: 5 * MIN, changed: true, quiet })
    state = afterPoll(state, snapshot(base + 61 * MIN), { maxGapMs: 5 * MIN, changed: true, quiet })
  }
  const spells = state.quietSpells!
  t.ok(spells.length <= 100, `${spells.length} spells kept`)
  for (const at of starts) t.ok(spells.some((q) => q.from <= at && q.to >= at + 30 * MIN), `the spell from ${new Date(at).toISOString()} is still covered`)
  // Quiet from T0+2m, a change at T0+10m, quiet again from T0+13m, a change at T0+20m.
  const steps: [number, boolean][] = [[0, false], [1, false], [2, false], [10, true], [11, false], [12, false], [13, false], [20, true]]
  const again = steps.reduce((s, [m, changed]) => afterPoll(s, snapshot(T0 + m * MIN), { maxGapMs: 5 * MIN, changed, quiet }), freshTargetState(target))
  t.same(again.quietSpells, [{ from: T0 + 2 * MIN, to: T0 + 20 * MIN + 1000, everyMs: 3 * MIN }], 'the second began within the hour of the first one\'s end: one spell over both')
})
