// The collector's stop({ graceMs }): no new polls; a poll in flight that ends within the grace time is
// written; one still reading AWS when it runs out is told through its AbortSignal and writes nothing.
// On the embedded store, with snapshots the test holds and releases.
import t, { type Test } from 'tap'
import { type CollectorDeps, startCollector } from '../../src/collector/collector.ts'
import { loadConfig } from '../../src/config.ts'
import type { Snapshot } from '../../src/model/observation.ts'
import type { Target } from '../../src/model/target.ts'
import { openStore } from '../../src/store/open.ts'

const TARGET: Target = { accountId: '111111111111', region: 'eu-west-1' }

function snapshot(complete: boolean, error?: string): Snapshot {
  const now = Date.now()
  return { ...TARGET, pollId: String(now), startedAt: now, finishedAt: now, complete, ...(error ? { error } : {}), observations: [], instanceStops: new Map() }
}

/** A collector of one target whose snapshot is `take`; resolves once that snapshot has begun. */
async function collectorWith(t: Test, take: (signal: AbortSignal | undefined) => Promise<Snapshot>) {
  const store = await openStore(loadConfig({ WHOHAD_DATA_DIR: t.testdir() }).store)
  t.teardown(() => store.close())
  let began!: () => void
  const begun = new Promise<void>((resolve) => (began = resolve))
  const logs: string[] = []
  const deps: CollectorDeps = {
    store,
    discover: async () => ({ targets: [TARGET], failures: [] }),
    takeSnapshot: (_target, signal) => {
      began()
      return take(signal)
    },
    log: (m) => logs.push(m),
  }
  const collector = await startCollector(deps, { intervalMs: 100, maxGapMs: 60_000, concurrency: 1 })
  await begun
  return { collector, logs, states: () => store.targets.list() }
}

t.test('a poll that ends within the grace time is written', async (t) => {
  let release!: () => void
  const released = new Promise<void>((resolve) => (release = resolve))
  let seen: AbortSignal | undefined
  const c = await collectorWith(t, async (signal) => {
    seen = signal
    await released
    return snapshot(true)
  })
  const stopped = c.collector.stop({ graceMs: 600_000 })
  release()
  await stopped
  t.equal(seen?.aborted, false, 'the snapshot was given a signal, never aborted')
  const states = await c.states()
  t.equal(states.length, 1)
  t.ok(states[0]?.lastCompletePoll !== undefined, 'the poll was written')
})

t.test('a poll still reading when the grace time runs out is aborted and writes nothing', async (t) => {
  const c = await collectorWith(t, (signal) => {
    // Like an SDK call given `abortSignal`: it ends only when aborted, as an incomplete snapshot.
    return new Promise((resolve) => signal?.addEventListener('abort', () => resolve(snapshot(false, 'AbortError: Request aborted'))))
  })
  await c.collector.stop({ graceMs: 1 })
  t.same(await c.states(), [], 'no target state: nothing written')
  t.ok(c.logs.some((l) => /^poll 111111111111\/eu-west-1: abandoned, stopping/.test(l)), 'the abandoned poll is logged')
})
