// Leases on a real DynamoDB (both backends): processes share the shards fairly, never two at once, and a
// dead process's shards move to the others within one lease period.
import fc from 'fast-check'
import t from 'tap'
import { LeaseKeeper } from '../../src/collector/lease-keeper.ts'
import { planLeases, shardOf } from '../../src/collector/lease-plan.ts'
import type { LeaseStore } from '../../src/store/leases.ts'
import { BACKENDS, openTestStore } from '../../support/stores.ts'

const PERIOD = 30_000
const SHARDS = 16

t.test('fair shares add up to every shard, whoever plans first', async (t) => {
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 7 }), fc.integer({ min: 1, max: 64 }), (n, shards) => {
      const members = Array.from({ length: n }, (_, i) => `p${i}`)
      // Each process plans alone on an empty table: its acquire list is its share.
      const total = members.reduce((sum, me) => sum + planLeases({ me, now: 0, shards, members, leases: [] }).acquire.length, 0)
      return total === shards
    }),
  )
  const over = planLeases({ me: 'a', now: 0, shards: 4, members: ['a', 'b'], leases: [0, 1, 2, 3].map((shard) => ({ shard, owner: 'a', until: 10 })) })
  t.same(over, { renew: [0, 1], acquire: [], release: [2, 3] }, 'a process over its share gives the extras back')
  const expired = planLeases({ me: 'b', now: 20, shards: 2, members: ['b'], leases: [{ shard: 0, owner: 'a', until: 10 }, { shard: 1, owner: 'a', until: 30 }] })
  t.same(expired, { renew: [], acquire: [0], release: [] }, 'an expired lease is free, a live one is not')
  t.equal(shardOf({ accountId: '111111111111', region: 'eu-west-1' }, 16), shardOf({ accountId: '111111111111', region: 'eu-west-1' }, 16))
})

for (const backend of BACKENDS) {
  t.test(`${backend}: three processes share the shards; a dead one's move within a period`, async (t) => {
    const { store } = await openTestStore(t, backend)
    let now = 1_000_000
    const keeper = (me: string) => new LeaseKeeper(store.leases, { me, shards: SHARDS, periodMs: PERIOD, now: () => now })
    const keepers = [keeper('a'), keeper('b'), keeper('c')]
    const assertExclusive = async (live: LeaseKeeper[], label: string) => {
      const owned = live.map((k) => k.shardsOwned())
      const all = owned.flat()
      t.equal(new Set(all).size, all.length, `${label}: no shard held twice`)
      const leases = await store.leases.leases()
      for (const [i, k] of live.entries()) {
        for (const shard of owned[i]!) {
          t.ok(leases.some((l) => l.shard === shard && l.owner === ['a', 'b', 'c'][keepers.indexOf(k)] && l.until > now), `${label}: shard ${shard} is leased in the table to its holder`)
        }
      }
      return all.length
    }
    // Ticking concurrently, as separate processes would.
    for (let round = 0; round < 4; round++) {
      await Promise.all(keepers.map((k) => k.tick()))
      now += PERIOD / 3
    }
    t.equal(await assertExclusive(keepers, 'three live'), SHARDS, 'every shard is held')
    t.same(keepers.map((k) => k.shardsOwned().length).sort(), [5, 5, 6], 'fair shares')

    // c dies (stops ticking): within one lease period its shards are with a and b.
    const dead = keepers[2]!.shardsOwned()
    const live = keepers.slice(0, 2)
    const diedAt = now
    let moved = -1
    for (let step = 0; step < 6; step++) {
      now += PERIOD / 3
      await Promise.all(live.map((k) => k.tick()))
      if (moved < 0 && (await assertExclusive(live, `after death +${step}`)) === SHARDS) moved = now - diedAt
    }
    t.ok(moved > 0 && moved <= PERIOD, `c's shards ${dead.join(',')} moved after ${moved} ms (period ${PERIOD} ms, ticks every ${PERIOD / 3})`)
    t.notOk(keepers[2]!.owns({ accountId: '1', region: 'x' }) && keepers[0]!.owns({ accountId: '1', region: 'x' }), 'a dead process does not think it owns what a live one owns')

    // A clean stop hands the shards over at once.
    await keepers[1]!.stop()
    await keepers[0]!.tick()
    t.equal(keepers[0]!.shardsOwned().length, SHARDS, 'the last process takes everything on its next tick')
  })
}

t.test('processes reading the same leases deal the free shards out without overlap', async () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 6 }),
      fc.integer({ min: 1, max: 40 }),
      fc.array(fc.record({ owner: fc.integer({ min: 0, max: 7 }), live: fc.boolean() }), { maxLength: 40 }),
      (n, shards, raw) => {
        const members = Array.from({ length: n }, (_, i) => `p${i}`)
        // Owners 0..n-1 are members, the rest are processes that died (their leases may still be live).
        const leases = raw.slice(0, shards).map((l, shard) => ({ shard, owner: `p${l.owner}`, until: l.live ? 20 : 5 }))
        const acquired = members.flatMap((me) => planLeases({ me, now: 10, shards, members, leases }).acquire)
        const taken = new Set(leases.filter((l) => l.until > 10).map((l) => l.shard))
        return new Set(acquired).size === acquired.length && acquired.every((s) => !taken.has(s) && s >= 0 && s < shards)
      },
    ),
  )
})

for (const backend of BACKENDS) {
  t.test(`${backend}: a claim lost to another process is made up in the same tick`, async (t) => {
    const { store: { leases: store } } = await openTestStore(t, backend)
    const now = 1_000_000
    // Between a's read of the leases and its first claim, another process takes that very shard.
    let raced = false
    const racing = Object.assign(Object.create(store) as LeaseStore, {
      claim: async (shard: number, me: string, at: number, until: number) => {
        if (!raced) {
          raced = true
          t.ok(await store.claim(shard, 'x', at, until), `x takes shard ${shard} first`)
        }
        return store.claim(shard, me, at, until)
      },
    })
    // b is alive but has not ticked yet: a's share is 2 of the 4 shards.
    await store.heartbeat('b', now + PERIOD)
    const a = new LeaseKeeper(racing, { me: 'a', shards: 4, periodMs: PERIOD, now: () => now })
    await a.tick()
    t.equal(a.shardsOwned().length, 2, `a lost a claim and still holds its share after one tick: ${a.shardsOwned().join(',')}`)
    const leases = (await store.leases()).filter((l) => l.until > now)
    t.equal(new Set(leases.map((l) => l.shard)).size, leases.length, 'no shard is leased twice')
  })
}

for (const backend of BACKENDS) {
  t.test(`${backend}: a shard handed over is released only once its polls in flight have finished`, async (t) => {
    const { store: { leases: store } } = await openTestStore(t, backend)
    let now = 1_000_000
    // a holds both shards, and a poll of each is in flight (past its lease check, writing) when b joins.
    let finishPolls = () => {}
    const polls = new Promise<void>((resolve) => (finishPolls = resolve))
    const asked: number[] = []
    const a = new LeaseKeeper(store, { me: 'a', shards: 2, periodMs: PERIOD, now: () => now, settled: (shard) => (asked.push(shard), polls) })
    await a.tick()
    t.same(a.shardsOwned(), [0, 1], 'a holds every shard alone')
    await store.heartbeat('b', now + PERIOD)
    now += PERIOD / 3
    const round = a.tick()
    // The round hands one shard over: a stops polling it at once, and its lease stays until the polls end.
    await new Promise((resolve) => setTimeout(resolve, 200))
    t.equal(a.shardsOwned().length, 1, 'a stopped polling one shard at once')
    const handed = [0, 1].find((s) => !a.shardsOwned().includes(s))!
    t.same(asked, [handed], `the polls in flight of shard ${handed}, the one handed over, are waited for`)
    t.ok((await store.leases()).some((l) => l.shard === handed && l.owner === 'a' && l.until > now), 'its lease is kept while they still write')
    finishPolls()
    await round
    t.notOk((await store.leases()).some((l) => l.shard === handed && l.owner === 'a'), 'then its lease is released')
  })

  t.test(`${backend}: a hand-over waits no longer than a third of a lease period`, async (t) => {
    const { store: { leases: store } } = await openTestStore(t, backend)
    // A real clock and a short period: a poll that never ends must not hold the round (and the renewals) up.
    const periodMs = 600
    const a = new LeaseKeeper(store, { me: 'a', shards: 2, periodMs, settled: () => new Promise<void>(() => {}) })
    await a.tick()
    await store.heartbeat('b', Date.now() + periodMs)
    const began = Date.now()
    await a.tick()
    const took = Date.now() - began
    t.equal(a.shardsOwned().length, 1, 'one shard handed over')
    t.ok(took >= periodMs / 3 - 20, `the round waited for the poll (${took} ms)`)
    t.equal((await store.leases()).filter((l) => l.owner === 'a').length, 1, 'and released the lease when the wait ran out')
  })
}
