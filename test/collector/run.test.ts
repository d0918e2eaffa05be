// `whohad collect` as it runs continuously: wired from settings like the CLI, against the simulated
// organisation and the embedded store; polls on schedule, holds leases, reads Config in the poll turn.
import t from 'tap'
import { startCollector } from '../../src/collector/collector.ts'
import { wireCollector } from '../../src/collector/wiring.ts'
import { loadConfig } from '../../src/config.ts'
import { startFakeAws } from '../../src/fakeaws/index.ts'
import { openStore } from '../../src/store/open.ts'

t.test('continuous collection: schedule, leases, Config', async (t) => {
  const fake = await startFakeAws({ seed: 3, accounts: 2, regions: 1, enisPerRegion: 3, churn: 30, throttling: 'off' })
  t.teardown(() => fake.close())
  fake.clock.advance(3600_000)
  const store = await openStore(loadConfig({ WHOHAD_DATA_DIR: t.testdir() }).store)
  t.teardown(() => store.close())
  const { collector: settings } = loadConfig({
    WHOHAD_AWS_ENDPOINT: fake.endpoint,
    WHOHAD_SELF_ACCOUNT: fake.managementAccountId,
    WHOHAD_POLL_INTERVAL: '1s',
    WHOHAD_LEASE_PERIOD: '3s',
    WHOHAD_CONFIG_MAX_DELAY: '2m',
    AWS_REGION: fake.regions[0],
  })
  const changed: string[] = []
  const { deps, options, session } = wireCollector(store, settings, {
    credentials: fake.managementCredentials,
    now: () => fake.clock.now(),
    leases: true,
    onChanged: async (a) => void changed.push(...a),
    // The fake does not throttle here, and the token buckets are tested on their own: at Config's 2/s a
    // first pass over an hour of deleted ENIs would outlast this test's wait.
    rateLimits: { ec2: { ratePerSecond: 1e6, burst: 1e6 }, config: { ratePerSecond: 1e6, burst: 1e6 } },
  })
  t.teardown(() => session.destroy())
  const collector = await startCollector(deps, options)
  t.equal(collector.targets().length, 2, 'both accounts discovered')
  t.equal(collector.shardsOwned().length, settings.leaseShards, 'the only process holds every shard')
  for (let i = 0; i < 240; i++) {
    const states = await store.targets.list()
    if (states.length === 2 && states.every((s) => s.lastCompletePoll !== undefined && s.configCursor !== undefined)) break
    await new Promise((r) => setTimeout(r, 250))
  }
  await collector.stop()
  const states = await store.targets.list()
  t.equal(states.length, 2)
  for (const s of states) {
    t.ok(s.lastCompletePoll !== undefined, `${s.accountId} polled completely`)
    t.ok(s.configCursor !== undefined, `${s.accountId}: Config history read in its turn`)
  }
  t.ok(changed.length > 0, `the cache was told of ${changed.length} changed addresses`)
  t.equal(collector.shardsOwned().length, 0, 'leases handed back on stop')
})
