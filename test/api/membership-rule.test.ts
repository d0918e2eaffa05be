// The membership filter's rule, against the real collector and a real redis-server: no address whose
// first holding was written more than the staleness bound ago is ever answered "never held", with
// Redis up (invalidations tell the API at once), through a Redis outage (the API learns only from its
// catch-ups on the member registry) and after. Answers are compared item by item with the plain path
// (the same store, no filter), and the filter is shown to be doing its work: never-held addresses are
// answered with no store read all along.
import type { AddressInfo } from 'node:net'
import t from 'tap'
import { buildApp } from '../../src/api/app.ts'
import { reliableInvalidation } from '../../src/cache/open.ts'
import { RedisCache } from '../../src/cache/redis.ts'
import { discoverTargets } from '../../src/collector/discover.ts'
import { takeEc2Snapshot } from '../../src/collector/ec2-source.ts'
import { pollTarget } from '../../src/collector/poll.ts'
import { startFakeAws } from '../../src/fakeaws/index.ts'
import type { Target } from '../../src/model/target.ts'
import { fakeSession } from '../../support/fake-session.ts'
import { startRedis } from '../../support/redis.ts'
import { openTestStore } from '../../support/stores.ts'

const STALE_MS = 1_500
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

t.test('no held address is ever answered "never held" past the staleness bound, through a Redis outage', async (t) => {
  const fake = await startFakeAws({ seed: 77, accounts: 2, regions: 1, enisPerRegion: 10, churn: 300, throttleClock: 'virtual', variants: true })
  t.teardown(() => fake.close())
  fake.faults.setDefaultThrottling(false)
  const { store, requests } = await openTestStore(t, 'dynamodb-local')
  const redis = await startRedis(t)
  const session = fakeSession(fake)
  t.teardown(() => session.destroy())
  const { targets } = await discoverTargets(session, { homeRegion: fake.regions[0]! })

  // The collector, as another process would be: its own connection to Redis, through which it invalidates.
  const collectorCache = new RedisCache({ url: redis.url, localTtlMs: 60_000 })
  t.teardown(() => collectorCache.close())
  const invalidation = reliableInvalidation(collectorCache, { retryMs: 100 })
  t.teardown(() => invalidation.stop())
  let poll = 0
  const pollAll = async () => {
    fake.clock.advance(60_000)
    poll++
    for (const target of targets) {
      await pollTarget(
        { store, takeSnapshot: (x: Target) => takeEc2Snapshot(session.ec2(x), { ...x, pollId: `p${poll}`, now: () => fake.clock.now() }), maxGapMs: 3_600_000, onChanged: (a) => invalidation.invalidate(a).catch(() => undefined) },
        target,
      )
    }
  }
  await pollAll()

  const apiCache = new RedisCache({ url: redis.url, localTtlMs: 60_000 })
  const filtered = await buildApp({ store, cache: apiCache, staleMs: STALE_MS })
  const plain = await buildApp({ store: { holdings: store.holdings, instances: store.instances, targets: store.targets }, staleMs: STALE_MS })
  t.teardown(async () => {
    await filtered.fastify.close()
    await plain.fastify.close()
    await apiCache.close()
  })
  await filtered.fastify.listen({ host: '127.0.0.1', port: 0 })
  const base = `http://127.0.0.1:${(filtered.fastify.server.address() as AddressInfo).port}`

  let round = 0
  const check = async (when: string) => {
    round++
    // Every holding in the store, asked about at a time inside its bounds (a new time each round, so
    // that no cached answer stands in for the filter).
    const held = await store.holdings.everyHolding()
    const lookups = held.map((h) => ({ ip: h.address.includes('/') ? h.address.split('/')[0]! : h.address, at: new Date(h.start.by + round).toISOString() }))
    const ask = async (url: string, init?: RequestInit) => (await fetch(url, init)).json() as Promise<{ results: { holdings: unknown[] }[] }>
    const body = JSON.stringify({ lookups })
    const got = await ask(`${base}/v1/lookups`, { method: 'POST', headers: { 'content-type': 'application/json' }, body })
    const want = (await plain.fastify.inject({ method: 'POST', url: '/v1/lookups', payload: body, headers: { 'content-type': 'application/json' } })).json() as { results: { holdings: unknown[] }[] }
    const lost = lookups.filter((_, i) => got.results[i]!.holdings.length === 0)
    t.same(lost, [], `${when}: all ${held.length} holdings' addresses answered with their holders`)
    // provenUntil is each app's own reading of the target states (at most a second old): not compared.
    const holders = (r: { results: { holdings: unknown[] }[] }) => r.results.map((x) => x.holdings.map((h) => ({ ...(h as object), provenUntil: undefined })))
    t.same(holders(got), holders(want), `${when}: the same holdings as the plain path, item by item`)
    // The filter is working meanwhile: once it is current (on a loaded machine a catch-up may overrun the
    // bound, and it then says "maybe" to everything, as it should), never-held addresses cost no store read.
    for (let i = 0; i < 50 && !/whohad_membership_filter\{measure="trusted"\} 1/.test(await (await fetch(`${base}/metrics`)).text()); i++) await sleep(100)
    const never = Array.from({ length: 40 }, (_, i) => ({ ip: `192.0.2.${i + 1}`, at: new Date(fake.clock.now() - i * 1000 - round).toISOString() }))
    requests.reset()
    const answered = await ask(`${base}/v1/lookups`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ lookups: never }) })
    t.equal(answered.results.length, 40)
    t.ok(requests.count('QueryCommand') <= 4, `${when}: 40 never-held addresses read the store ${requests.count('QueryCommand')} times (a Bloom filter may say "maybe" to one)`)
  }

  await sleep(STALE_MS)
  await check('loaded')
  for (let i = 0; i < 2; i++) {
    await pollAll()
    await sleep(STALE_MS)
    await check(`Redis up, poll ${poll}`)
  }
  await redis.stop()
  for (let i = 0; i < 2; i++) {
    await pollAll()
    t.ok(invalidation.pending() > 0 || i > 0, 'the collector could not tell anyone of its writes')
    await sleep(STALE_MS)
    await check(`Redis down, poll ${poll}`)
  }
  await redis.start()
  await pollAll()
  await sleep(STALE_MS)
  await check(`Redis back, poll ${poll}`)
  const changes = await store.holdings.everyHolding()
  t.ok(new Set(changes.map((h) => h.address)).size > 20, `the organisation churned through ${new Set(changes.map((h) => h.address)).size} addresses`)
})
