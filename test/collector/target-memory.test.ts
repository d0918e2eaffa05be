// The open holdings a collector keeps between polls (collector/target-memory.ts) are trusted only while
// nobody else can have written its target: each case below has another writer change the table behind
// the process's back and an address come back, so that a process trusting what it kept would find
// nothing to do and leave the address with no open holding ("nobody holds it": a confident wrong
// answer). Each time, the process must read the target's open holdings again before it writes.
import t from 'tap'
import { LeaseKeeper } from '../../src/collector/lease-keeper.ts'
import { TargetMemory } from '../../src/collector/target-memory.ts'
import { type PollDeps, pollTarget } from '../../src/collector/poll.ts'
import type { Snapshot } from '../../src/model/observation.ts'
import type { Target } from '../../src/model/target.ts'
import type { HoldingStore } from '../../src/store/holdings.ts'
import type { Store } from '../../src/store/open.ts'
import { BACKENDS, openTestStore } from '../../support/stores.ts'

const MIN = 60_000
const PERIOD = 30_000
const target: Target = { accountId: '111111111111', region: 'eu-west-1' }
const X = '203.0.113.10'
const Y = '203.0.113.11'

/** A complete snapshot at `at` in which each address is held by its own ENI. */
function snapshot(at: number, addresses: readonly string[]): Snapshot {
  return {
    ...target,
    pollId: `p${at}`,
    startedAt: at,
    finishedAt: at + 1_000,
    complete: true,
    observations: addresses.map((address) => ({
      address,
      addressKind: 'public-ipv4' as const,
      scope: 'global',
      holder: { eniId: `eni-${address.split('.').at(-1)}`, kind: 'interface' as const, accountId: target.accountId, region: target.region },
    })),
    instanceStops: new Map(),
  }
}

/** One collector process: its own kept holdings, and a count of its full reads of the target. */
function collector(store: Store, options: { readonly tenure?: (t: Target) => number | undefined; readonly failApply?: () => boolean } = {}) {
  const counted = { fullReads: 0 }
  // The same table, seen through this process's counters.
  const holdings = Object.create(store.holdings) as HoldingStore
  holdings.openHoldingsOfTarget = (...args) => {
    counted.fullReads++
    return store.holdings.openHoldingsOfTarget(...args)
  }
  holdings.apply = async (ops) => {
    await store.holdings.apply(ops)
    if (options.failApply?.()) throw new Error('the write failed after it was made (the response was lost)')
  }
  const memory = new TargetMemory(holdings, options.tenure ? { tenure: options.tenure } : {})
  const poll = (at: number, addresses: readonly string[], extra: Partial<PollDeps> = {}) =>
    pollTarget({ store: { holdings, targets: store.targets }, takeSnapshot: async () => snapshot(at, addresses), maxGapMs: 5 * MIN, memory, ...extra }, target)
  return { counted, poll, memory }
}

async function openNow(store: Store): Promise<string[]> {
  return (await store.holdings.currentOfTarget(target.accountId, target.region)).map((h) => h.address).sort()
}

for (const backend of BACKENDS) {
  t.test(`${backend}: a steady poll reads only what it may change`, async (t) => {
    const { store } = await openTestStore(t, backend)
    const a = collector(store)
    await a.poll(1 * MIN, [X, Y])
    t.equal(a.counted.fullReads, 1, 'the first poll reads the target in full')
    const steady = await a.poll(2 * MIN, [X, Y])
    t.match(steady, { opened: 0, closed: 0, refined: 0 })
    const changed = await a.poll(3 * MIN, [Y])
    t.match(changed, { opened: 0, closed: 1 })
    t.equal(a.counted.fullReads, 1, 'later polls read no more in full')
    t.equal(a.memory.size().holdings, 1, 'what is kept follows the writes')
    t.same(await openNow(store), [Y])
  })

  t.test(`${backend}: a process that lost and regained a lease reads again before it writes`, async (t) => {
    const { store } = await openTestStore(t, backend)
    let now = 10 * MIN
    const keeper = (me: string) => new LeaseKeeper(store.leases, { me, shards: 1, periodMs: PERIOD, now: () => now })
    const [ka, kb] = [keeper('a'), keeper('b')]
    const a = collector(store, { tenure: (x) => ka.tenure(x) })
    await ka.tick()
    await a.poll(now, [X])
    await a.poll((now += MIN / 2), [X])
    t.equal(a.counted.fullReads, 1)

    // a stops renewing (a long pause); b takes the shard and polls: X is gone, so b closes it. b dies
    // between writing the holdings and writing the target's state, so the state still reads as a left it.
    now += 2 * PERIOD
    await kb.tick()
    t.equal(ka.tenure(target), a.memory.tenure(target), 'a has not ticked: it does not know yet')
    const b = collector(store, { tenure: (x) => kb.tenure(x) })
    const stateBefore = await store.targets.get(target)
    await t.rejects(b.poll(now, [], { store: { holdings: store.holdings, targets: { ...store.targets, getOrFresh: (x: Target) => store.targets.getOrFresh(x), put: async () => { throw new Error('killed') } } as unknown as Store['targets'] } }))
    t.same(await store.targets.get(target), stateBefore, 'the stored state does not show b\'s write')
    t.same(await openNow(store), [], 'b closed X')
    await kb.stop()

    // a ticks again and takes the shard back; X is back on its ENI.
    await ka.tick()
    t.ok(ka.owns(target), 'a holds the lease again')
    const back = await a.poll((now += MIN / 2), [X])
    t.equal(a.counted.fullReads, 2, 'a read the target again in full')
    t.match(back, { opened: 1, closed: 0 }, 'and opened X anew, rather than keep the X b closed')
    t.same(await openNow(store), [X])
  })

  t.test(`${backend}: a state written by another process means reading again`, async (t) => {
    const { store } = await openTestStore(t, backend)
    const a = collector(store)
    const c = collector(store)
    await a.poll(1 * MIN, [X])
    await c.poll(2 * MIN, [])
    t.same(await openNow(store), [], 'c closed X')
    const back = await a.poll(3 * MIN, [X])
    t.equal(a.counted.fullReads, 2, 'a saw c\'s version in the state and read again')
    t.match(back, { opened: 1 })
    t.same(await openNow(store), [X])
  })

  t.test(`${backend}: after a failed write, the next poll reads again`, async (t) => {
    const { store } = await openTestStore(t, backend)
    let fail = false
    const a = collector(store, { failApply: () => fail })
    await a.poll(1 * MIN, [X])
    fail = true
    await t.rejects(a.poll(2 * MIN, []), /the write failed/)
    fail = false
    t.same(await openNow(store), [], 'the close was written all the same')
    const back = await a.poll(3 * MIN, [X])
    t.equal(a.counted.fullReads, 2, 'nothing kept was trusted after the failure')
    t.match(back, { opened: 1 })
    t.same(await openNow(store), [X])
  })
}
