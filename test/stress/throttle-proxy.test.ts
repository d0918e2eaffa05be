// DynamoDB throttling, as DynamoDB sends it, between whohad and a real DynamoDB Local: the SDK retries,
// and the store loses nothing and answers the same.
import t from 'tap'
import { createDynamoClient, DYNAMODB_MAX_ATTEMPTS, dynamoBackoffMs } from '../../src/store/dynamodb.ts'
import type { StoreOperation } from '../../src/model/stored-holding.ts'
import { HoldingStore } from '../../src/store/holdings.ts'
import { ADDRESS_PK_PREFIX } from '../../src/store/table.ts'
import { makeHolding } from '../../support/holdings.ts'
import { openTestStore } from '../../support/stores.ts'
import { startThrottleProxy } from './throttle-proxy.ts'

t.test('a share of requests throttled: every write lands, every read agrees', async (t) => {
  const { store: { holdings: direct }, client, tableName } = await openTestStore(t, 'dynamodb-local')
  const endpoint = await client.config.endpoint?.()
  const target = `${endpoint!.protocol}//${endpoint!.hostname}:${endpoint!.port}`
  let seed = 42
  const proxy = await startThrottleProxy(target, 0.15, () => ((seed = (seed * 16807) % 2147483647) / 2147483647))
  t.teardown(() => proxy.close())
  const throttled = createDynamoClient({ endpoint: proxy.endpoint, region: 'us-east-1', localCredentials: true })
  t.teardown(() => throttled.destroy())
  const store = new HoldingStore(throttled, { tableName, batch: { baseDelayMs: 1 } })
  const ops: StoreOperation[] = []
  for (let i = 0; i < 120; i++) {
    const s = 1_000_000 + i * 600_000
    const h = makeHolding({ address: `198.51.100.${i % 40}`, eni: `eni-${i}`, start: [s, s + 1000] })
    ops.push({ kind: 'open', holding: h })
    if (i % 2 === 0) ops.push({ kind: 'close', holding: { ...h, end: { after: s + 5000, by: s + 6000, evidence: [] } }, closedAt: s + 6000 })
  }
  await store.apply(ops)
  t.ok(proxy.stats.throttled > 0, `${proxy.stats.throttled} requests throttled, ${proxy.stats.forwarded} forwarded`)
  const viaProxy = await store.scanAll()
  const viaDirect = await direct.scanAll()
  // The table also holds the member registry's marker, which a new table gets.
  t.equal(viaDirect.filter((i) => i.pk?.S?.startsWith(ADDRESS_PK_PREFIX)).length, 120, 'every holding was written once')
  t.same(viaProxy, viaDirect, 'reads through throttling agree with direct reads')
  for (let i = 0; i < 40; i += 4) {
    const s = 1_000_000 + i * 600_000
    const [a, b] = await Promise.all([store.lookup({ ip: `198.51.100.${i}`, from: s + 2000, to: s + 2000 }), direct.lookup({ ip: `198.51.100.${i}`, from: s + 2000, to: s + 2000 })])
    t.same(a, b)
  }
})

t.test('DynamoDB retries: soon, jittered, capped at a second', async (t) => {
  t.same([1, 2, 3, 4, 5, 10].map((n) => dynamoBackoffMs(n, () => 0.999999)), [99, 199, 399, 799, 999, 999], 'the ceiling doubles from 100 ms up to 1 s')
  t.equal(dynamoBackoffMs(3, () => 0), 0, 'full jitter: anywhere from no wait')
})

t.test('lookups through heavy throttling all succeed', async (t) => {
  const { store: { holdings: direct }, client, tableName } = await openTestStore(t, 'dynamodb-local')
  const endpoint = await client.config.endpoint?.()
  // The last of the client's attempts is never throttled: with 800 requests at 30%, about one run in
  // 200 would otherwise see a request throttled ten times running and fail by chance, not by a fault.
  const proxy = await startThrottleProxy(`${endpoint!.protocol}//${endpoint!.hostname}:${endpoint!.port}`, 0.3, Math.random, DYNAMODB_MAX_ATTEMPTS)
  t.teardown(() => proxy.close())
  const throttled = createDynamoClient({ endpoint: proxy.endpoint, region: 'us-east-1', localCredentials: true })
  t.teardown(() => throttled.destroy())
  const store = new HoldingStore(throttled, { tableName })
  await direct.apply([{ kind: 'open', holding: makeHolding({ address: '10.1.2.3', eni: 'eni-t', start: [1_000_000, 1_001_000] }) }])
  // 100 lookups of a private IPv4 (8 queries each), 10 at a time, with 30% of requests throttled. (Far
  // more at once would spend the SDK's retry quota, which stops retries when most requests fail.)
  const found: Awaited<ReturnType<typeof store.lookup>>[] = []
  for (let i = 0; i < 10; i++) found.push(...(await Promise.all(Array.from({ length: 10 }, () => store.lookup({ ip: '10.1.2.3', from: 2_000_000, to: 2_000_000 })))))
  t.ok(proxy.stats.throttled > 100, `${proxy.stats.throttled} requests throttled, ${proxy.stats.forwarded} forwarded`)
  t.ok(found.every((f) => f.length === 1 && f[0]!.holder.eniId === 'eni-t'), 'every lookup answered, and answered right')
})
