// The collector end to end: the simulated organisation through the real AWS SDK, the real store,
// polled on its virtual clock; the result checked against the ledger.
import t from 'tap'
import { collectOnce } from '../../src/collector/collector.ts'
import { configPass } from '../../src/collector/config-pass.ts'
import { discoverTargets } from '../../src/collector/discover.ts'
import { takeEc2Snapshot } from '../../src/collector/ec2-source.ts'
import type { Target } from '../../src/model/target.ts'
import { startFakeAws } from '../../src/fakeaws/index.ts'
import { checkGroundTruth, formatReport } from '../../support/ground-truth.ts'
import { fakeSession } from '../../support/fake-session.ts'
import { openTestStore } from '../../support/stores.ts'

t.test('polls every minute for two virtual hours: recall and certain precision against the ledger', async (t) => {
  const fake = await startFakeAws({ seed: 11, accounts: 3, regions: 2, enisPerRegion: 30, churn: 120, throttleClock: 'virtual', variants: true })
  t.teardown(() => fake.close())
  const { store } = await openTestStore(t, 'dynamodb-local')
  const session = fakeSession(fake, 3)
  t.teardown(() => session.destroy())
  const { targets, failures } = await discoverTargets(session, { homeRegion: fake.regions[0]! })
  t.same(failures, [])
  t.equal(targets.length, fake.activeAccountIds.length * fake.regions.length, 'every active account in every enabled region')
  let poll = 0
  const deps = {
    store,
    discover: async () => ({ targets, failures: [] }),
    takeSnapshot: (target: Target) => takeEc2Snapshot(session.ec2(target), { ...target, pollId: `p${poll}`, now: () => fake.clock.now() }),
  }
  const from = fake.clock.now()
  for (poll = 0; poll < 120; poll++) {
    const results = await collectOnce(deps, { maxGapMs: 5 * 60_000, concurrency: 4 }, targets)
    const failed = results.filter((r) => !r.complete)
    if (failed.length > 0) t.fail(`poll ${poll}: ${failed.map((r) => r.error).join('; ')}`)
    fake.clock.advance(60_000)
  }
  // Config history adds what lived between two polls, and narrows what the polls saw. (The fake's
  // Config bucket refills on the virtual clock here, which a reader waiting in real time would never
  // see refill: throttling of the Config reader is tested on its own below, in real time.)
  fake.faults.setDefaultThrottling(false)
  let recorded = 0
  let refined = 0
  for (const target of targets) {
    const r = await configPass(
      { store, configClient: (x) => session.config(x), maxCaptureDelayMs: 120_000, horizonMs: 86_400_000, now: () => fake.clock.now() },
      target,
    )
    t.ok(r.available, 'Config history is available')
    recorded += r.recorded
    refined += r.refined
  }
  t.ok(recorded > 0, `Config recorded ${recorded} holdings the polls missed and narrowed ${refined}`)
  const states = await store.targets.getMany(targets)
  const report = await checkGroundTruth({
    store,
    entries: fake.ledger.entries(),
    states: new Map([...states.values()].map((s) => [`${s.accountId}/${s.region}`, s])),
    from,
    to: fake.clock.now() - 60_000,
    samples: 3000,
    viaLookup: 200,
  })
  t.comment(formatReport(report))
  for (const m of report.missed.slice(0, 5)) t.comment(m)
  t.same(report.missed.slice(0, 10), [], 'recall 100%')
  t.same(report.certainFalse.slice(0, 10), [], 'certain precision 100%')
  t.same(report.duplicateOpen, [], 'no duplicate open holdings')
  t.same(report.listedTwice.slice(0, 10), [], 'no interval of one holder listed twice, stored or answered')
  t.same(report.lookupMismatches.slice(0, 5), [], 'HoldingStore.lookup agrees with the scan')
})

t.test('a collector clock off AWS\'s by 20 s: the skew allowance keeps the bounds true', async (t) => {
  // The ledger is in AWS's time; the collector stamps polls with its own clock. Ahead, it would claim a
  // start began after it did; behind, that a holding was certain before it began.
  const run = async (offsetMs: number, clockSkewMs: number) => {
    const fake = await startFakeAws({ seed: 23, accounts: 2, regions: 1, enisPerRegion: 20, churn: 240, throttleClock: 'virtual', variants: true })
    t.teardown(() => fake.close())
    const { store } = await openTestStore(t, 'dynamodb-local')
    const session = fakeSession(fake, 3)
    t.teardown(() => session.destroy())
    const { targets } = await discoverTargets(session, { homeRegion: fake.regions[0]! })
    const deps = {
      store,
      discover: async () => ({ targets, failures: [] }),
      takeSnapshot: (target: Target) => takeEc2Snapshot(session.ec2(target), { ...target, pollId: 'p', now: () => fake.clock.now() + offsetMs, clockSkewMs }),
    }
    const from = fake.clock.now()
    for (let poll = 0; poll < 30; poll++) {
      await collectOnce(deps, { maxGapMs: 5 * 60_000, concurrency: 2 }, targets)
      fake.clock.advance(60_000)
    }
    // Config history records what lived between two polls (in AWS's time, whatever the collector's clock).
    fake.faults.setDefaultThrottling(false)
    for (const target of targets) {
      await configPass({ store, configClient: (x) => session.config(x), maxCaptureDelayMs: 120_000, horizonMs: 86_400_000, now: () => fake.clock.now() + offsetMs }, target)
    }
    const states = await store.targets.getMany(targets)
    return checkGroundTruth({
      store, entries: fake.ledger.entries(), states: new Map([...states.values()].map((s) => [`${s.accountId}/${s.region}`, s])),
      from: from + 60_000, to: fake.clock.now() - 120_000, samples: 2000, viaLookup: 0,
    })
  }
  for (const offset of [20_000, -20_000]) {
    const allowed = await run(offset, 30_000)
    for (const m of [...allowed.missed, ...allowed.certainFalse].slice(0, 4)) t.comment(m)
    t.same([allowed.missed.length, allowed.certainFalse.length], [0, 0], `clock ${offset > 0 ? 'ahead' : 'behind'}, 30 s allowed: recall and certain precision 100%`)
    const none = await run(offset, 0)
    t.ok(none.missed.length + none.certainFalse.length > 0, `clock ${offset > 0 ? 'ahead' : 'behind'}, no allowance: ${none.missed.length} missed, ${none.certainFalse.length} certain but false`)
  }
})

t.test('the Config reader rides out Config throttling (real-time refill)', async (t) => {
  // Config answers GetResourceConfigHistory at 1/s after a burst of 5 (real time): two hours of light
  // churn gives a few dozen calls, enough to be throttled many times, not so many that this takes minutes.
  const fake = await startFakeAws({ seed: 5, accounts: 1, regions: 1, enisPerRegion: 3, churn: 15 })
  t.teardown(() => fake.close())
  fake.clock.advance(2 * 3600_000)
  const { store } = await openTestStore(t, 'embedded')
  const session = fakeSession(fake, 10)
  t.teardown(() => session.destroy())
  const target = { accountId: fake.managementAccountId, region: fake.regions[0]! }
  let throttled = 0
  session.config(target).middlewareStack.add((next) => async (args) => {
    try {
      return await next(args)
    } catch (err) {
      if ((err as Error).name === 'ThrottlingException') throttled++
      throw err
    }
  }, { step: 'finalizeRequest', name: 'countThrottles' })
  const before = (await store.holdings.scanAll()).length
  const lost = await configPass({ store, configClient: (x) => session.config(x), maxCaptureDelayMs: 120_000, horizonMs: 86_400_000, now: () => fake.clock.now() }, target, () => false)
  t.match(lost, { recorded: 0, reason: /lease lost/ })
  t.equal((await store.holdings.scanAll()).length, before, 'a process that lost the lease while reading Config writes nothing')
  const r = await configPass({ store, configClient: (x) => session.config(x), maxCaptureDelayMs: 120_000, horizonMs: 86_400_000, now: () => fake.clock.now() }, target)
  t.ok(r.available)
  t.ok(r.items > 3, `${r.items} items read`)
  t.ok(r.recorded > 0, `${r.recorded} holdings recorded from history before any poll`)
  t.ok(throttled > 0, `${throttled} ThrottlingException answers retried`)
  const again = await configPass({ store, configClient: (x) => session.config(x), maxCaptureDelayMs: 120_000, horizonMs: 86_400_000, now: () => fake.clock.now() }, target)
  t.equal(again.recorded, 0, 'a second pass records nothing new (idempotent)')
})
