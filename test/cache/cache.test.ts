// The answer cache: the in-process level alone, Redis with versions and pub/sub against a real
// redis-server, Redis taken away and brought back, and the staleness bound end to end (the collector
// writes, other API processes read).
import t from 'tap'
import { buildApp } from '../../src/api/app.ts'
import { LocalCache } from '../../src/cache/local.ts'
import { reliableInvalidation } from '../../src/cache/open.ts'
import { RedisCache } from '../../src/cache/redis.ts'
import { collectOnce } from '../../src/collector/collector.ts'
import { configPass } from '../../src/collector/config-pass.ts'
import { discoverTargets } from '../../src/collector/discover.ts'
import { takeEc2Snapshot } from '../../src/collector/ec2-source.ts'
import type { Target } from '../../src/model/target.ts'
import { startFakeAws } from '../../src/fakeaws/index.ts'
import { fakeSession } from '../../support/fake-session.ts'
import { startRedis } from '../../support/redis.ts'
import { openTestStore } from '../../support/stores.ts'

const read = (key: string, ...dependsOn: string[]) => ({ key, dependsOn })
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

async function until(what: string, check: () => Promise<boolean> | boolean, timeoutMs = 10_000): Promise<number> {
  const started = Date.now()
  while (!(await check())) {
    if (Date.now() - started > timeoutMs) throw new Error(`timed out waiting for ${what}`)
    await sleep(20)
  }
  return Date.now() - started
}

t.test('in-process: an invalidation drops what depends on it, and voids a read that raced it', async (t) => {
  const cache = new LocalCache()
  const [first] = await cache.getMany([read('a', '10.0.0.1', '10.0.0.0/28')])
  t.equal(first!.value, undefined)
  await cache.set(read('a', '10.0.0.1', '10.0.0.0/28'), first!.stamp, 'answer-a', 60_000)
  await cache.set(read('b', '10.0.0.2', '10.0.0.0/28'), first!.stamp, 'answer-b', 60_000)
  await cache.set(read('c', '203.0.113.7'), first!.stamp, 'answer-c', 60_000)
  t.same((await cache.getMany([read('a'), read('b'), read('c')])).map((c) => c.value), ['answer-a', 'answer-b', 'answer-c'])
  await cache.invalidate(['10.0.0.0/28'])
  t.same((await cache.getMany([read('a'), read('b'), read('c')])).map((c) => c.value), [undefined, undefined, 'answer-c'], 'a prefix block change reaches every address inside it')

  // A reader stamps, the collector writes and invalidates, the reader stores what it read before the write.
  const [racing] = await cache.getMany([read('c', '203.0.113.7')])
  await cache.invalidate(['203.0.113.7'])
  await cache.set(read('c', '203.0.113.7'), racing!.stamp, 'pre-write answer', 60_000)
  t.equal((await cache.getMany([read('c')]))[0]!.value, undefined, 'an answer read before the write is not cached')
  const [after] = await cache.getMany([read('c', '203.0.113.7')])
  await cache.set(read('c', '203.0.113.7'), after!.stamp, 'post-write answer', 60_000)
  t.equal((await cache.getMany([read('c')]))[0]!.value, 'post-write answer', 'an answer read after the write is')
  await cache.set(read('d'), after!.stamp, 'x', 0)
  t.equal((await cache.getMany([read('d')]))[0]!.value, undefined, 'a zero time to live caches nothing')
})

t.test('redis: versions guard shared entries; pub/sub empties every first level', async (t) => {
  const redis = await startRedis(t)
  const api1 = new RedisCache({ url: redis.url, localTtlMs: 60_000 })
  const api2 = new RedisCache({ url: redis.url, localTtlMs: 60_000 })
  const api3 = new RedisCache({ url: redis.url, localTtlMs: 60_000 })
  const collector = new RedisCache({ url: redis.url, localTtlMs: 60_000 })
  t.teardown(() => Promise.all([api1.close(), api2.close(), api3.close(), collector.close()]))
  await until('redis ready', () => [api1, api2, api3, collector].every((c) => c.health().state === 'ok'))

  const r = read('p|203.0.113.7|1', '203.0.113.7')
  const [miss] = await api1.getMany([r])
  t.equal(miss!.value, undefined)
  await api1.set(r, miss!.stamp, 'v1 answer', 60_000)
  t.equal((await api2.getMany([r]))[0]!.value, 'v1 answer', 'one process caches, another reads it from Redis')

  await collector.invalidate(['203.0.113.7'])
  t.equal((await api3.getMany([r]))[0]!.value, undefined, 'a read from Redis right after the invalidation returned misses (version changed)')
  const waited = await until('pub/sub to reach the first level', async () => (await api1.getMany([r]))[0]!.value === undefined)
  // Emptied by the message, not by time: the entry's first-level life is a minute, and `until` gives up after ten seconds.
  t.pass(`the other process's first level was emptied by pub/sub (in ${waited} ms), long before its entry could expire`)

  // The race, across processes: stamp, write elsewhere, store the stale read.
  const [stamp] = await api1.getMany([r])
  await collector.invalidate(['203.0.113.7'])
  await api1.set(r, stamp!.stamp, 'stale answer', 60_000)
  t.equal((await api2.getMany([r]))[0]!.value, undefined, 'an entry stamped before a write is never served from Redis')
  t.equal((await api1.getMany([r]))[0]!.value, undefined, 'nor from the first level')
})

t.test('redis away: misses at once, degraded health, deferred invalidations; back: recovers by itself', async (t) => {
  const redis = await startRedis(t)
  const api = new RedisCache({ url: redis.url, localTtlMs: 200 })
  const collector = new RedisCache({ url: redis.url, localTtlMs: 200 })
  t.teardown(() => Promise.all([api.close(), collector.close()]))
  const invalidation = reliableInvalidation(collector, { retryMs: 100 })
  t.teardown(() => invalidation.stop())
  await until('redis ready', () => api.health().state === 'ok' && collector.health().state === 'ok')
  const r = read('p|198.51.100.9|1', '198.51.100.9')
  await api.set(r, (await api.getMany([r]))[0]!.stamp, 'before the outage', 60_000)

  await redis.stop()
  await until('degraded health', () => api.health().state === 'degraded')
  t.match(api.health(), { backend: 'redis', state: 'degraded', detail: /answering from the store/ })
  await sleep(250) // past the first level's time to live
  const started = Date.now()
  const [during] = await api.getMany([r])
  t.equal(during!.value, undefined, 'a miss while Redis is away')
  t.ok(Date.now() - started < 500, 'and at once, not after a queue or retries')
  await api.set(r, during!.stamp, 'ignored', 60_000) // must not throw
  await invalidation.invalidate(['198.51.100.9'])
  t.equal(invalidation.pending(), 1, 'the collector keeps an invalidation it could not deliver')

  await redis.start()
  await until('health back', () => api.health().state === 'ok' && collector.health().state === 'ok')
  await until('the deferred invalidation delivered', () => invalidation.pending() === 0)
  const [back] = await api.getMany([r])
  await api.set(r, back!.stamp, 'after the outage', 60_000)
  t.equal((await api.getMany([r]))[0]!.value, 'after the outage', 'caching again')
})

t.test('the staleness bound end to end: the collector writes, two API processes sharing Redis read', async (t) => {
  const STALE_MS = 300
  const redis = await startRedis(t)
  const fake = await startFakeAws({ seed: 21, accounts: 2, regions: 1, enisPerRegion: 25, churn: 240, throttleClock: 'virtual' })
  t.teardown(() => fake.close())
  const { store, client, tableName } = await openTestStore(t, 'dynamodb-local')
  const session = fakeSession(fake, 3)
  t.teardown(() => session.destroy())
  const { targets } = await discoverTargets(session, { homeRegion: fake.regions[0]! })
  const collectorCache = new RedisCache({ url: redis.url, localTtlMs: STALE_MS })
  const invalidation = reliableInvalidation(collectorCache)
  t.teardown(() => invalidation.stop())
  let poll = 0
  const deps = {
    store,
    client,
    tableName,
    discover: async () => ({ targets, failures: [] }),
    takeSnapshot: (target: Target) => takeEc2Snapshot(session.ec2(target), { ...target, pollId: `p${poll}`, now: () => fake.clock.now() }),
    onChanged: invalidation.invalidate,
  }
  const apps = await Promise.all(
    [0, 1].map(async () => buildApp({ store, cache: new RedisCache({ url: redis.url, localTtlMs: 5 * 60_000 }), staleMs: STALE_MS })),
  )
  // The reference answers come straight from the store: nothing cached.
  const reference = await buildApp({ store, cache: new LocalCache(), staleMs: 0, settledMs: 0 })
  t.teardown(async () => {
    for (const a of [...apps, reference]) {
      await a.fastify.close()
      await a.cache.close()
    }
    await collectorCache.close()
  })
  await until('redis ready', () => apps.every((a) => a.cache.health().state === 'ok'))

  const addresses = async () => [...new Set((await store.holdings.scanAll()).filter((i) => i.pk?.S?.startsWith('A#')).map((i) => i.pk!.S!.slice(2)))].filter((a) => !a.includes('/'))
  const ask = (app: (typeof apps)[number], ip: string, at: number) => app.fastify.inject({ method: 'GET', url: `/v1/ips/${ip}?at=${at}` }).then((r) => r.body)

  for (poll = 0; poll < 3; poll++) {
    await collectOnce(deps, { maxGapMs: 5 * 60_000, concurrency: 2 }, targets)
    fake.clock.advance(60_000)
  }
  let compared = 0
  let changedAnswers = 0
  const stale: string[] = []
  let settledChanged = 0
  const pastTimes = [fake.clock.now() - 150_000, fake.clock.now() - 90_000]
  // Rounds 0-3: a poll changes answers touching the present. Round 4: AWS Config history narrows and
  // records holdings in the past, changing answers the cache keeps for long (only invalidation helps).
  for (let round = 0; round < 5; round++) {
    const at = round < 4 ? fake.clock.now() - 30_000 : pastTimes[0]!
    const ips = await addresses()
    // Warm both API processes' caches (first level and Redis) with answers at `at`.
    const before = await Promise.all(ips.map((ip) => ask(apps[0]!, ip, at)))
    await Promise.all(ips.map((ip) => ask(apps[1]!, ip, at)))
    if (round < 4) {
      // The collector's next poll writes holdings of some of these addresses and invalidates them.
      fake.clock.advance(60_000)
      await collectOnce(deps, { maxGapMs: 5 * 60_000, concurrency: 2 }, targets)
      poll++
    } else {
      fake.faults.setDefaultThrottling(false)
      for (const target of targets) {
        await configPass({ store, configClient: (x) => session.config(x), maxCaptureDelayMs: 120_000, horizonMs: 86_400_000, now: () => fake.clock.now(), onChanged: invalidation.invalidate }, target)
      }
    }
    await sleep(STALE_MS + 1_100) // the bound, plus the API's one-second memo of target states
    for (const [i, ip] of ips.entries()) {
      const truth = await ask(reference, ip, at)
      if (truth !== before[i]) {
        changedAnswers++
        if (round === 4) settledChanged++
      }
      for (const app of apps) {
        compared++
        const served = await ask(app, ip, at)
        if (served !== truth) stale.push(`${ip} at ${at}: served ${served}\n  the store says ${truth}`)
      }
    }
  }
  t.same(stale.slice(0, 3), [], `${stale.length} of ${compared} cached answers were staler than the bound`)
  t.ok(changedAnswers > 0, `${changedAnswers} answers changed under the cache; ${compared} cached answers compared with the store`)
  t.ok(settledChanged > 0, `${settledChanged} of them were past answers changed by AWS Config history`)
})

t.test('an API on Redis keeps answering when Redis goes away, says so in /readyz, and recovers', async (t) => {
  const redis = await startRedis(t)
  const { store } = await openTestStore(t, 'embedded')
  const app = await buildApp({ store, cache: new RedisCache({ url: redis.url, localTtlMs: 100 }), staleMs: 100 })
  t.teardown(async () => {
    await app.fastify.close()
    await app.cache.close()
  })
  await until('redis ready', () => app.cache.health().state === 'ok')
  const get = (url: string) => app.fastify.inject({ method: 'GET', url })
  t.equal((await get('/readyz')).json().status, 'ready')
  await redis.stop()
  await until('degraded', () => app.cache.health().state === 'degraded')
  const ready = await get('/readyz')
  t.equal(ready.statusCode, 200, 'still serving')
  t.match(ready.json(), { status: 'degraded', cache: { backend: 'redis', state: 'degraded' } })
  for (let i = 0; i < 20; i++) {
    const res = await get(`/v1/ips/203.0.113.${i}?at=2026-11-20T10:00:00Z`)
    if (res.statusCode !== 200) t.fail(`lookup ${i} answered ${res.statusCode} while Redis was away`)
  }
  await redis.start()
  await until('recovered', () => app.cache.health().state === 'ok')
  t.equal((await get('/readyz')).json().status, 'ready', 'ready again without a restart')
})
