// Instance records in the store, on both DynamoDB implementations: written only when they change (a
// steady poll writes nothing), marked gone only by a complete poll that no longer lists them, kept,
// idempotent under replay, and apart from holdings in every index they share.
import t from 'tap'
import { pollTarget } from '../../src/collector/poll.ts'
import type { InstanceRecord } from '../../src/model/instance.ts'
import type { Snapshot } from '../../src/model/observation.ts'
import { planInstanceWrites } from '../../src/store/instances.ts'
import { TTL_ATTRIBUTE } from '../../src/store/table.ts'
import { makeHolding } from '../../support/holdings.ts'
import { BACKENDS, openTestStore } from '../../support/stores.ts'

const T0 = Date.UTC(2026, 10, 20, 10, 0, 0)
const MIN = 60_000
const DAY = 86_400_000
const target = { accountId: '111111111111', region: 'eu-west-1' }

function record(id: string, seenAt: number, extra: Partial<InstanceRecord> = {}): InstanceRecord {
  return {
    ...target,
    instanceId: id,
    state: 'running',
    subnetId: 'subnet-0a',
    vpcId: 'vpc-0aaa',
    availabilityZone: 'eu-west-1a',
    instanceType: 't3.micro',
    launchTime: T0 - DAY,
    privateIpAddress: '10.0.0.10',
    tags: { Name: id, team: 'x' },
    name: id,
    enis: [{ eniId: `eni-${id.slice(2)}`, deviceIndex: 0 }],
    lastSeen: seenAt,
    ...extra,
  }
}

const fleet = (seenAt: number) => Array.from({ length: 30 }, (_, i) => record(`i-${(i + 1).toString(16).padStart(4, '0')}`, seenAt))

for (const backend of BACKENDS) {
  t.test(`${backend}: changes cost writes, not fleet size`, async (t) => {
    const { store, requests } = await openTestStore(t, backend, { retentionMs: 400 * DAY })
    const instances = store.instances
    t.equal(await instances.sync(target, fleet(T0), { goneAt: T0 + 1000 }), 30, 'the first poll writes every instance')

    requests.reset()
    t.equal(await instances.sync(target, fleet(T0 + MIN), { goneAt: T0 + MIN + 1000, lastCompletePoll: T0 }), 0, 'a steady poll writes nothing')
    t.equal(requests.count('BatchWriteItemCommand') + requests.count('PutItemCommand'), 0, 'not one write request')
    t.equal(requests.count('QueryCommand'), 1, 'one Query reads the listed records of the target')

    // One stops, one loses a tag, one is gone: three writes.
    const next = fleet(T0 + 2 * MIN)
      .filter((r) => r.instanceId !== 'i-0003')
      .map((r) =>
        r.instanceId === 'i-0001'
          ? { ...r, state: 'stopped' as const, stateSince: { after: T0 + 90_000, by: T0 + 90_999, evidence: [{ source: 'ec2-state-transition' as const, at: T0 + 90_000, ref: 'i-0001: User initiated' }] } }
          : r.instanceId === 'i-0002'
            ? { ...r, tags: { Name: r.instanceId } }
            : r,
      )
    requests.reset()
    t.equal(await instances.sync(target, next, { goneAt: T0 + 2 * MIN + 1000, lastCompletePoll: T0 + MIN }), 3)
    t.equal(requests.count('BatchWriteItemCommand'), 1)
    t.match(await instances.get('i-0001'), { state: 'stopped', lastSeen: T0 + 2 * MIN, stateSince: { after: T0 + 90_000 } })
    t.same((await instances.get('i-0002'))?.tags, { Name: 'i-0002' })
    t.match(await instances.get('i-0003'), { state: 'running', lastSeen: T0 + MIN, gone: T0 + 2 * MIN + 1000 }, 'gone, last seen by the previous complete poll')
    t.equal((await instances.get('i-0004'))?.lastSeen, T0, 'an unchanged record is not rewritten')

    requests.reset()
    t.equal(await instances.sync(target, next, { goneAt: T0 + 3 * MIN + 1000, lastCompletePoll: T0 + 2 * MIN }), 0, 'steady again: the gone one is not marked twice')
    t.equal(requests.count('BatchWriteItemCommand'), 0)
  })

  t.test(`${backend}: with the listed records' hashes known, a poll reads only the records it may change`, async (t) => {
    const { store, requests } = await openTestStore(t, backend, { retentionMs: 400 * DAY })
    const instances = store.instances
    const first = await instances.syncKnown(target, fleet(T0), { goneAt: T0 + 1000 })
    t.equal(first.written, 30)
    requests.reset()
    const steady = await instances.syncKnown(target, fleet(T0 + MIN), { goneAt: T0 + MIN + 1000, lastCompletePoll: T0 }, first.listed)
    t.equal(steady.written, 0)
    t.equal(requests.total, 0, 'a steady poll: not one request')
    const next = fleet(T0 + 2 * MIN).filter((r) => r.instanceId !== 'i-0003').map((r) => (r.instanceId === 'i-0002' ? { ...r, tags: { Name: r.instanceId } } : r))
    requests.reset()
    const changed = await instances.syncKnown(target, next, { goneAt: T0 + 2 * MIN + 1000, lastCompletePoll: T0 + MIN }, steady.listed)
    t.equal(changed.written, 2)
    t.equal(requests.count('QueryCommand'), 0, 'the listed part is not read')
    t.equal(requests.count('BatchGetItemCommand'), 1, 'the changed and the missing record, read by key')
    t.match(await instances.get('i-0003'), { lastSeen: T0 + MIN, gone: T0 + 2 * MIN + 1000 }, 'gone, last seen by the previous complete poll')
    t.same([...changed.listed.keys()].sort(), next.map((r) => r.instanceId).sort(), 'what is listed now, to keep')
    // What was kept disagrees with the table (another writer): the listed part is read after all.
    requests.reset()
    const wrong = new Map(changed.listed)
    wrong.set('i-0004', 'not its hash')
    t.equal((await instances.syncKnown(target, next, { goneAt: T0 + 3 * MIN + 1000, lastCompletePoll: T0 + 2 * MIN }, wrong)).written, 0)
    t.equal(requests.count('QueryCommand'), 1, 'read in full when the kept hashes disagree')
  })

  t.test(`${backend}: gone is kept, found by id and by target, and comes back when listed again`, async (t) => {
    const { store } = await openTestStore(t, backend, { retentionMs: 400 * DAY })
    const instances = store.instances
    await instances.sync(target, [record('i-0a', T0), record('i-0b', T0)], { goneAt: T0 + 1000 })
    await instances.sync(target, [record('i-0a', T0 + MIN)], { goneAt: T0 + MIN + 1000, lastCompletePoll: T0 })
    const ids = async (part: 'listed' | 'gone' | 'all') => (await instances.pageOfTarget(target.accountId, target.region, part, { limit: 100 })).records.map((r) => r.instanceId)
    t.same(await ids('listed'), ['i-0a'])
    t.same(await ids('gone'), ['i-0b'])
    t.same((await ids('all')).sort(), ['i-0a', 'i-0b'])
    const items = await store.holdings.scanAll()
    const gone = items.find((i) => i.pk?.S === 'I#i-0b')
    t.equal(gone?.[TTL_ATTRIBUTE]?.N, String(Math.ceil((T0 + MIN + 1000 + 400 * DAY) / 1000)), 'a gone record expires with retention, like a closed holding')
    t.notOk(items.find((i) => i.pk?.S === 'I#i-0a')?.[TTL_ATTRIBUTE], 'a listed one never expires')
    t.equal(items.filter((i) => i.kind?.S === 'instance').length, 2, 'one item per instance')

    // Listed again (an eventually consistent DescribeInstances can leave one out and bring it back).
    t.equal(await instances.sync(target, [record('i-0a', T0 + 2 * MIN), record('i-0b', T0 + 2 * MIN)], { goneAt: T0 + 2 * MIN + 1000, lastCompletePoll: T0 + MIN }), 1)
    t.same((await ids('listed')).sort(), ['i-0a', 'i-0b'])
    t.notOk((await instances.get('i-0b'))?.gone)
    t.equal((await store.holdings.scanAll()).filter((i) => i.kind?.S === 'instance').length, 2, 'still one item per instance')
  })

  t.test(`${backend}: replaying a poll leaves the same items`, async (t) => {
    const { store } = await openTestStore(t, backend, { retentionMs: 400 * DAY })
    const instances = store.instances
    const polls = [fleet(T0), fleet(T0 + MIN).slice(5), fleet(T0 + 2 * MIN).slice(3).map((r) => ({ ...r, state: 'stopping' as const }))]
    let previous: number | undefined
    for (const [k, seen] of polls.entries()) {
      const poll = { goneAt: T0 + k * MIN + 1000, lastCompletePoll: previous }
      await instances.sync(target, seen, poll)
      const once = await store.holdings.scanAll()
      t.equal(await instances.sync(target, seen, poll), 0, `poll ${k} replayed writes nothing`)
      t.same(await store.holdings.scanAll(), once, `poll ${k}: the same items`)
      previous = T0 + k * MIN
    }
    t.same((await instances.get('i-0004'))?.state, 'stopping', 'reappeared with its new state')
  })

  t.test(`${backend}: holdings and instance records share indexes without meeting`, async (t) => {
    const { store } = await openTestStore(t, backend)
    const instances = store.instances
    await store.holdings.apply([{ kind: 'open', holding: makeHolding({ address: '10.0.0.10', eni: 'eni-0a', instance: 'i-0a', start: [T0 - MIN, T0] }) }])
    await instances.sync(target, [record('i-0a', T0)], { goneAt: T0 + 1000 })
    t.same((await store.holdings.holdingsOfInstance('i-0a')).map((h) => h.address), ['10.0.0.10'])
    t.same((await store.holdings.currentOfTarget(target.accountId, target.region)).map((h) => h.address), ['10.0.0.10'])
    t.same((await store.holdings.openHoldingsOfTarget(target.accountId, target.region)).length, 1)
    t.same((await instances.listedOfTarget(target.accountId, target.region)).map((s) => s.record.instanceId), ['i-0a'])
  })

  t.test(`${backend}: listing pages through a target`, async (t) => {
    const { store, requests } = await openTestStore(t, backend)
    const instances = store.instances
    await instances.sync(target, fleet(T0), { goneAt: T0 + 1000 })
    const seen: string[] = []
    let after: string | undefined
    requests.reset()
    do {
      const page = await instances.pageOfTarget(target.accountId, target.region, 'listed', { ...(after ? { after } : {}), limit: 7 })
      t.ok(page.records.length <= 7)
      seen.push(...page.records.map((r) => r.instanceId))
      after = page.next
    } while (after)
    t.same(seen, fleet(T0).map((r) => r.instanceId), 'every instance once, in id order')
    t.ok(requests.count('QueryCommand') <= 6, `${requests.count('QueryCommand')} queries for 30 instances in pages of 7`)
    t.equal(await instances.get('i-ffff'), undefined)
  })

  t.test(`${backend}: only a complete poll writes instance records`, async (t) => {
    const { store, requests } = await openTestStore(t, backend)
    const instances = store.instances
    let clock = T0
    let next: Partial<Snapshot> = {}
    const deps = {
      store, maxGapMs: 5 * MIN,
      takeSnapshot: async (): Promise<Snapshot> => ({
        ...target, pollId: `p${clock}`, startedAt: clock, finishedAt: clock + 1000, complete: true, observations: [], instanceStops: new Map(), instances: [record('i-0a', clock), record('i-0b', clock)], ...next,
      }),
    }
    t.equal((await pollTarget(deps, target)).instancesWritten, 2)
    clock += MIN
    // A failed DescribeInstances: page 2 never came, so i-0b and i-0a's change are unproven.
    next = { complete: false, error: 'ThrottlingException: Rate exceeded', instances: [record('i-0a', clock, { state: 'stopped' })] }
    requests.reset()
    t.equal((await pollTarget(deps, target)).instancesWritten, 0)
    t.equal(requests.count('BatchWriteItemCommand'), 0, 'a partial poll writes no instance record')
    // A source that reads no instances says nothing of them.
    next = { instances: undefined }
    t.equal((await pollTarget(deps, target)).instancesWritten, 0)
    t.same((await instances.listedOfTarget(target.accountId, target.region)).map((s) => s.record.state), ['running', 'running'], 'nothing changed, nothing gone')
    clock += MIN
    next = { instances: [record('i-0a', clock, { state: 'stopped' })] }
    const result = await pollTarget(deps, target)
    t.equal(result.instancesWritten, 2, 'a complete poll: one changed, one gone')
    t.match(await instances.get('i-0b'), { gone: clock + 1000, lastSeen: T0 + MIN }, 'last seen by the previous complete poll (the failed one proves nothing)')
  })
}

t.test('planInstanceWrites: where EC2 stops stating a placement, the stored one is kept', async (t) => {
  const running = record('i-0a', T0)
  const stored = [{ record: running, hash: 'whatever' }]
  const { subnetId: _s, vpcId: _v, availabilityZone: _z, ...bare } = record('i-0a', T0 + MIN, { state: 'terminated', enis: [] })
  const [terminated] = planInstanceWrites(stored, [bare], { goneAt: T0 + MIN + 1000, lastCompletePoll: T0 })
  t.match(terminated, { state: 'terminated', subnetId: 'subnet-0a', vpcId: 'vpc-0aaa', availabilityZone: 'eu-west-1a', enis: [] })
})
