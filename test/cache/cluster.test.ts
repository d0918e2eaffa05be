// Redis cluster mode (WHOHAD_REDIS_CLUSTER): the same cache contract on three real cluster nodes. Keys of
// one address share a hash slot; an answer and its versions may live on different nodes.
import t from 'tap'
import { RedisCache } from '../../src/cache/redis.ts'
import { startRedisCluster } from '../../support/redis.ts'

t.test('cluster: shared entries, versions, pub/sub', async (t) => {
  const cluster = await startRedisCluster(t)
  const api1 = new RedisCache({ url: cluster.url, cluster: true, localTtlMs: 60_000 })
  const api2 = new RedisCache({ url: cluster.url, cluster: true, localTtlMs: 60_000 })
  const collector = new RedisCache({ url: cluster.url, cluster: true, localTtlMs: 60_000 })
  t.teardown(() => Promise.all([api1.close(), api2.close(), collector.close()]))
  const deadline = Date.now() + 10_000
  while ([api1, api2, collector].some((c) => c.health().state !== 'ok')) {
    if (Date.now() > deadline) throw new Error('cluster clients did not become ready')
    await new Promise((r) => setTimeout(r, 50))
  }
  // Many addresses, so that entries and versions spread over every node's slots.
  const reads = Array.from({ length: 200 }, (_, i) => ({ key: `p|10.0.${i >> 8}.${i & 255}|1`, dependsOn: [`10.0.${i >> 8}.${i & 255}`, '10.0.0.0/28'] }))
  const first = await api1.getMany(reads)
  t.ok(first.every((c) => c.value === undefined))
  for (const [i, r] of reads.entries()) await api1.set(r, first[i]!.stamp, `answer ${i}`, 60_000)
  const seen = await api2.getMany(reads)
  t.same(seen.map((c) => c.value), reads.map((_, i) => `answer ${i}`), 'another process reads every entry from the cluster')
  t.ok(reads.every((r) => api2.peek(r.key) !== undefined), 'and keeps them in its first level (it is subscribed)')
  await collector.invalidate(['10.0.0.0/28'])
  const fresh = new RedisCache({ url: cluster.url, cluster: true, localTtlMs: 60_000 })
  t.teardown(() => fresh.close())
  while (fresh.health().state !== 'ok') await new Promise((r) => setTimeout(r, 50))
  t.ok((await fresh.getMany(reads)).every((c) => c.value === undefined), 'a shared block changed: every entry built on it is void')
  let waited = 0
  while (reads.some((r) => api2.peek(r.key) !== undefined)) {
    if ((waited += 20) > 2_000) break
    await new Promise((r) => setTimeout(r, 20))
  }
  t.ok(waited <= 2_000, `pub/sub emptied another process's first level (${waited} ms)`)
})
