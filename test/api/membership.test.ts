// The membership filter over the member registry in AWS DynamoDB Local: what it says "no" to, when it
// may, and that it never says "no" to an address that had a holding (its rule). The rule against the
// collector and a real redis-server, through an outage, is in membership-rule.test.ts.
import { DeleteItemCommand } from '@aws-sdk/client-dynamodb'
import { marshall } from '@aws-sdk/util-dynamodb'
import t from 'tap'
import { buildApp } from '../../src/api/app.ts'
import { Membership } from '../../src/api/membership.ts'
import { parseIp } from '../../src/model/ip.ts'
import { MemberRegistry, REGISTRY_LATENESS_MS } from '../../src/store/members.ts'
import { MEMBERS_META } from '../../src/store/table.ts'
import { makeHolding } from '../../support/holdings.ts'
import { openTestStore } from '../../support/stores.ts'

const A = '111111111111'
const B = '222222222222'
const T0 = Date.UTC(2026, 10, 20)
const open = (address: string, account = A, eni = `eni-${address}`) => ({ kind: 'open' as const, holding: makeHolding({ address, account, eni, start: [T0, T0 + 1000] }) })
const publicIp = (i: number) => `198.51.${100 + ((i >> 8) & 3)}.${i & 255}`

t.test('the filter holds every registered address, per account, and says "no" to the rest', async (t) => {
  const { store } = await openTestStore(t, 'dynamodb-local')
  t.same(await store.members.state(), { complete: true, days: [] }, 'a new table: the registry is complete and empty')
  await store.holdings.apply([open('203.0.113.7'), open('203.0.113.8', B), open('10.0.0.5'), open('2001:db8::5', B)])
  const keys = (ip: string) => store.holdings.addressKeys(parseIp(ip))

  const membership = new Membership({ registry: store.members, staleMs: 60_000 })
  t.notOk(membership.mayHold(keys('192.0.2.1')) === false, 'before its first load it never says "no"')
  await membership.refresh()
  t.ok(membership.trusted(), 'trusted once loaded')
  for (const ip of ['203.0.113.7', '203.0.113.8', '10.0.0.5', '2001:db8::5']) t.ok(membership.mayHold(keys(ip)), `${ip} may have been held`)
  t.ok(membership.mayHold(keys('203.0.113.7'), [A]), 'in its account')
  t.ok(membership.mayHold(keys('203.0.113.7'), [B, A]), 'in a list of accounts holding its account')
  t.notOk(membership.mayHold(keys('203.0.113.7'), [B]), 'not in another account')
  t.notOk(membership.mayHold(keys('203.0.113.7'), []), 'not in no account')
  let maybes = 0
  for (let i = 0; i < 1000; i++) if (membership.mayHold(keys(publicIp(i)))) maybes++
  t.ok(maybes <= 10, `never-held addresses are "no" (${1000 - maybes} of 1000; a Bloom filter may say "maybe" to a few)`)

  // Written after the load: found by the next catch-up, or at once when an invalidation says so.
  await store.holdings.apply([open('203.0.113.99')])
  membership.noteWritten(['203.0.113.99'])
  t.ok(membership.mayHold(keys('203.0.113.99'), [B]), 'an address just written is "maybe" in every scope at once')
  await store.holdings.apply([open('203.0.113.100', B)])
  await membership.refresh()
  t.ok(membership.mayHold(keys('203.0.113.100'), [B]), 'a catch-up finds an address written since the load, in its account')
  t.notOk(membership.mayHold(keys('203.0.113.100'), [A]), '…and not in another')
  t.equal(membership.stats().members, 6, 'six addresses held')
})

t.test('an address inside a delegated prefix is a member through its block', async (t) => {
  const { store } = await openTestStore(t, 'dynamodb-local')
  const inBlock = open('10.1.2.17').holding
  await store.holdings.apply([{ kind: 'open', holding: { ...inBlock, address: '10.1.2.16/28', addressKind: 'ipv4-prefix' } }])
  const membership = new Membership({ registry: store.members, staleMs: 60_000 })
  await membership.refresh()
  t.ok(membership.mayHold(store.holdings.addressKeys(parseIp('10.1.2.21'))), '10.1.2.21 sits in 10.1.2.16/28')
  t.notOk(membership.mayHold(store.holdings.addressKeys(parseIp('10.1.2.40'))), '10.1.2.40 does not')
})

t.test('it says "no" only while it is current and the registry complete', async (t) => {
  const { store, client, tableName } = await openTestStore(t, 'dynamodb-local')
  await store.holdings.apply([open('203.0.113.7')])
  let now = Date.now()
  const membership = new Membership({ registry: store.members, staleMs: 2_000, now: () => now })
  await membership.refresh()
  const never = store.holdings.addressKeys(parseIp('192.0.2.1'))
  t.notOk(membership.mayHold(never), 'current: "no"')
  now += 2_001
  t.ok(membership.mayHold(never), 'its last catch-up began more than the staleness bound ago: "maybe" to everything')
  await membership.refresh()
  t.notOk(membership.mayHold(never), 'caught up again: "no"')

  // A registry that cannot be read: the filter lapses once the bound passes.
  const failing = new Membership({
    registry: { state: async () => store.members.state(), entriesOf: async (d, f) => store.members.entriesOf(d, f), entriesSince: async () => Promise.reject(new Error('store away')) },
    staleMs: 2_000,
    now: () => now,
  })
  await failing.refresh()
  t.notOk(failing.mayHold(never), 'loaded: "no"')
  now += 1_000
  await failing.refresh()
  t.notOk(failing.mayHold(never), 'a failed catch-up within the bound: still "no"')
  now += 1_001
  t.ok(failing.mayHold(never), 'past the bound with no good catch-up: "maybe"')

  // A table written before the registry existed: no "no" until a backfill has registered its holdings.
  await client.send(new DeleteItemCommand({ TableName: tableName, Key: marshall(MEMBERS_META) }))
  await store.holdings.apply([open('203.0.113.50', B)])
  const old = new Membership({ registry: store.members, staleMs: 60_000 })
  await old.refresh()
  t.notOk(old.trusted(), 'an incomplete registry is not trusted')
  t.ok(old.mayHold(never), '…and never says "no"')
  const fresh = await openTestStore(t, 'dynamodb-local')
  // The backfill registers what is in the table (through a registry with no memory of earlier writes).
  await fresh.client.send(new DeleteItemCommand({ TableName: fresh.tableName, Key: marshall(MEMBERS_META) }))
  await fresh.store.holdings.apply([open('203.0.113.60', B)])
  const { MemberRegistry } = await import('../../src/store/members.ts')
  const registry = new MemberRegistry(fresh.client, fresh.tableName)
  t.equal(await registry.backfill(), 1, 'the backfill registers the one holding')
  t.ok((await registry.state()).complete, 'then marks the registry complete')
  const backfilled = new Membership({ registry, staleMs: 60_000 })
  await backfilled.refresh()
  t.ok(backfilled.trusted() && backfilled.mayHold(fresh.store.holdings.addressKeys(parseIp('203.0.113.60')), [B]), 'the backfilled address is a member')
  t.notOk(backfilled.mayHold(never), 'and a never-held one is not')
})

t.test('the API answers never-held addresses without a store read, as the store would have', async (t) => {
  const { store, requests } = await openTestStore(t, 'dynamodb-local')
  await store.holdings.apply([open('203.0.113.7')])
  await store.targets.put({ accountId: A, region: 'eu-west-1', consecutiveFailures: 0, firstCompletePoll: T0 - 60_000, lastCompletePoll: Date.now() })
  const plain = await buildApp({ store: { holdings: store.holdings, instances: store.instances, targets: store.targets } })
  const filtered = await buildApp({ store })
  t.teardown(async () => {
    await plain.fastify.close()
    await filtered.fastify.close()
  })
  // Watched times (a "none of ours"), times before collection began and windows across its start (unknown,
  // not-watching or partial coverage), and one held address.
  const items = [
    ...Array.from({ length: 50 }, (_, i) => ({ ip: publicIp(i), at: new Date(T0 + i * 1000).toISOString() })),
    ...Array.from({ length: 10 }, (_, i) => ({ ip: publicIp(100 + i), at: new Date(T0 - 120_000 + i * 20_000).toISOString(), ...(i % 2 ? { window: '30s' } : {}) })),
    { ip: '203.0.113.7', at: new Date(T0 + 500).toISOString() },
  ]
  const ask = (app: typeof plain, format?: string) => app.fastify.inject({ method: 'POST', url: '/v1/lookups', payload: { lookups: items, ...(format ? { format } : {}) } })
  requests.reset()
  const got = await ask(filtered)
  t.equal(got.statusCode, 200)
  const queries = requests.count('QueryCommand')
  t.ok(queries <= 8, `61 lookups, 60 never held: ${queries} store queries (the held one's levels; the never-held none)`)
  const want = await ask(plain)
  t.equal(got.body, want.body, 'the same answers, item by item and byte for byte, as through the store')
  t.match(want.json().results.map((r: { verdict: { state: string } }) => r.verdict.state), ['none', 'none'], 'the watched ones: none of ours')
  t.ok(want.json().results.some((r: { verdict: { state: string } }) => r.verdict.state === 'unknown'), 'and some unknown: not watched')
  t.equal((await ask(filtered, 'ecs')).body, (await ask(plain, 'ecs')).body, 'in ECS form too')
  const metrics = await filtered.fastify.inject({ url: '/metrics' })
  t.match(metrics.body, /whohad_membership_filtered_total \d+/, 'counted in /metrics')
})

t.test('a late catch-up is waited for (at most the bound), not answered by the store', async (t) => {
  let now = Date.now()
  let finish: (() => void) | undefined
  const registry = {
    state: async () => ({ complete: true, days: [] }),
    entriesOf: async () => 0,
    entriesSince: () => new Promise<number>((resolve) => (finish = () => resolve(0))),
  }
  const membership = new Membership({ registry, staleMs: 1_000, now: () => now })
  await membership.refresh()
  now += 1_001
  t.notOk(membership.trusted(), 'its last catch-up began more than the bound ago')
  const waited = membership.whenCurrent(60_000)
  setTimeout(() => finish!(), 20)
  await waited
  t.ok(membership.trusted(), 'current again once the late catch-up finished')
  now += 1_001
  await membership.whenCurrent(50)
  t.notOk(membership.trusted(), 'a catch-up that does not finish: the wait ends (or this test would hang), the filter still says "maybe"')
  finish!()
})

t.test('a registry write that took too long is filed again under a later time, so readers with a short margin still see it', async (t) => {
  const { client, tableName } = await openTestStore(t, 'dynamodb-local')
  // A clock the test moves: each write of entries "takes" what `slow` says (the clock jumps after it).
  let clock = T0 + 3_600_000
  const slow: number[] = [REGISTRY_LATENESS_MS + 5_000, 1_000]
  const registry = new MemberRegistry(client, tableName, { now: () => clock })
  const send = client.send.bind(client)
  t.teardown(() => { (client as { send: unknown }).send = send })
  ;(client as { send: unknown }).send = async (command: { constructor: { name: string } }) => {
    const out = await send(command as never)
    if (command.constructor.name === 'BatchWriteItemCommand') clock += slow.shift() ?? 0
    return out
  }
  const first = clock
  t.equal(await registry.register([{ address: '203.0.113.7', accountId: A }]), 1)
  const filed: number[] = []
  await registry.entriesSince(first - 1, () => filed.push(clock))
  t.equal(filed.length, 2, 'filed twice: once when the write began, once after it ran late')
  const since: string[] = []
  await registry.entriesSince(first + REGISTRY_LATENESS_MS + 1, (m) => since.push(m.address))
  t.same(since, ['203.0.113.7'], 'a reader that began after the late write, reading from its own start less the margin, finds it')

  // Always slow: it gives up, and the caller writes no holding the readers might miss.
  slow.push(...Array.from({ length: 10 }, () => REGISTRY_LATENESS_MS + 1))
  await t.rejects(registry.register([{ address: '203.0.113.8', accountId: A }]), /longer than 10 s/)
})
