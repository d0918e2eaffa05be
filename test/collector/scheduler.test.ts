import t from 'tap'
import type { PollResult } from '../../src/model/poll-result.ts'
import type { Target } from '../../src/model/target.ts'
import { Scheduler } from '../../src/collector/scheduler.ts'

const targets: Target[] = [
  { accountId: '1', region: 'a' },
  { accountId: '1', region: 'b' },
  { accountId: '2', region: 'a' },
]
const result = (target: Target, complete: boolean, failures = 0): PollResult => ({
  target, complete, observations: 0, opened: 0, closed: 0, refined: 0, durationMs: 1,
  state: { accountId: target.accountId, region: target.region, consecutiveFailures: failures },
})

t.test('due targets poll once at a time each, within the concurrency bound, then wait an interval', async (t) => {
  let now = 0
  const running = new Map<string, () => void>()
  let overlaps = 0
  const polled: string[] = []
  const s = new Scheduler({
    targets: () => targets,
    intervalMs: 60_000,
    concurrency: 2,
    now: () => now,
    random: () => 0,
    poll: (target) => {
      const k = `${target.accountId}/${target.region}`
      if (running.has(k)) overlaps++
      polled.push(k)
      return new Promise((resolve) => running.set(k, () => { running.delete(k); resolve(result(target, true)) }))
    },
  })
  t.equal(s.tick(), 2, 'two start: the concurrency bound')
  t.equal(s.tick(), 0, 'none while both are in flight')
  for (const done of [...running.values()]) done()
  await new Promise((r) => setImmediate(r))
  t.equal(s.tick(), 1, 'the third starts when a slot frees')
  t.equal(s.tick(), 0, 'the first two are not due again yet')
  now = 60_000
  t.equal(s.tick(), 1, 'at the next interval the first due one starts (one slot still taken)')
  t.equal(overlaps, 0, 'never two polls of one target at once')
  for (const done of [...running.values()]) done()
  await s.stop()
  t.same(polled.slice(0, 3).sort(), ['1/a', '1/b', '2/a'])
})

t.test('failing targets back off; only owned targets are polled; errors are reported', async (t) => {
  let now = 0
  const calls: string[] = []
  const errors: string[] = []
  const s = new Scheduler({
    targets: () => targets,
    owns: (target) => target.accountId === '1',
    intervalMs: 60_000,
    concurrency: 10,
    now: () => now,
    random: () => 0.5,
    onError: (target, err) => errors.push(`${target.region}: ${(err as Error).message}`),
    poll: async (target) => {
      calls.push(target.region)
      if (target.region === 'b') throw new Error('boom')
      return result(target, false, 4)
    },
  })
  t.equal(s.tick(), 0, 'first sight spreads targets over the first half interval')
  now = 30_000
  t.equal(s.tick(), 2, 'only account 1 is ours')
  await new Promise((r) => setImmediate(r))
  t.same(errors, ['b: boom'])
  now += 60_000
  t.equal(s.tick(), 0, 'a target failing 4 times waits 8 intervals; a throwing poll waits 4')
  now += 3 * 60_000
  t.equal(s.tick(), 1, 'the throwing one, four intervals on')
  await new Promise((r) => setImmediate(r))
  now += 4 * 60_000
  t.equal(s.tick(), 2, 'eight intervals on, both')
  await s.stop()
})

t.test('node-cron drives the ticks', async (t) => {
  let polls = 0
  const s = new Scheduler({ targets: () => targets.slice(0, 1), intervalMs: 1, concurrency: 1, random: () => 0, poll: async (target) => { polls++; return result(target, true) } })
  s.start()
  await new Promise((r) => setTimeout(r, 2_300))
  await s.stop()
  t.ok(polls >= 1, `polled ${polls} times in 2.3 s of one-second ticks`)
})

t.test('overloaded, the longest overdue goes first: no target starves behind those listed before it', async (t) => {
  let now = 0
  const many: Target[] = Array.from({ length: 10 }, (_, i) => ({ accountId: '1', region: `r${i}` }))
  const polls = new Map<string, number>()
  const s = new Scheduler({
    targets: () => many, intervalMs: 1_000, concurrency: 1, now: () => now, random: () => 0.5,
    poll: async (target) => {
      polls.set(target.region, (polls.get(target.region) ?? 0) + 1)
      return result(target, true)
    },
  })
  // One poll a second against ten targets due every second: each gets a turn every ten seconds.
  for (now = 0; now < 100_000; now += 1_000) {
    s.tick()
    await new Promise((r) => setImmediate(r))
  }
  t.same([...polls.keys()].sort(), many.map((x) => x.region).sort(), 'every target polled')
  t.ok(Math.max(...polls.values()) - Math.min(...polls.values()) <= 1, `turns shared evenly: ${[...polls.values()].join(', ')}`)
})
