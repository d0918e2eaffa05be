// The collector records what AWS said: after each complete poll of the simulated organisation (through
// the real SDK, into DynamoDB Local), the stored descriptions equal, field for field, what the SDK reads
// from the same EC2 endpoint; an unchanged organisation costs no description write; terminated
// instances, deleted ENIs and released addresses are moved aside with their last description; a poll
// that is not complete changes none of them.
import {
  type Address,
  DescribeAddressesCommand,
  type EC2Client,
  type Instance,
  type NetworkInterface,
  paginateDescribeInstances,
  paginateDescribeNetworkInterfaces,
  type Reservation,
} from '@aws-sdk/client-ec2'
import t from 'tap'
import { discoverTargets } from '../../src/collector/discover.ts'
import { takeEc2Snapshot } from '../../src/collector/ec2-source.ts'
import { type PollDeps, pollTarget } from '../../src/collector/poll.ts'
import { TargetMemory } from '../../src/collector/target-memory.ts'
import { startFakeAws } from '../../src/fakeaws/index.ts'
import { DESCRIPTION_KINDS, type DescriptionKind, descriptionId } from '../../src/model/description.ts'
import type { Target } from '../../src/model/target.ts'
import type { Store } from '../../src/store/open.ts'
import { fakeSession } from '../../support/fake-session.ts'
import { openTestStore } from '../../support/stores.ts'

const MIN = 60_000

type View = Record<DescriptionKind | 'reservation', object[]>

/** Reservations by id, each instance once and in id order: a page boundary may split one reservation in two. */
function merged(reservations: readonly Reservation[]): Reservation[] {
  const byId = new Map<string, Reservation & { Instances: Instance[] }>()
  for (const { Instances, ...r } of reservations) {
    const group = byId.get(r.ReservationId!) ?? { ...r, Instances: [] }
    group.Instances.push(...(Instances ?? []))
    byId.set(r.ReservationId!, group)
  }
  return [...byId.values()]
    .map((r) => ({ ...r, Instances: sorted('instance', r.Instances) as Instance[] }))
    .sort((a, b) => (a.ReservationId! < b.ReservationId! ? -1 : 1))
}

/** One kind's objects, one per id (as a snapshot keeps them), in id order (as the store lists them). */
function sorted(kind: DescriptionKind, list: readonly object[]): object[] {
  const once = new Map<string, object>()
  for (const o of list) {
    const id = descriptionId(kind, o as Record<string, unknown>)
    if (id !== undefined && !once.has(id)) once.set(id, o)
  }
  return [...once.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, o]) => o)
}

/** What the SDK reads from the simulated organisation's own EC2 endpoint, now. */
async function fromEc2(ec2: EC2Client): Promise<View> {
  const nis: NetworkInterface[] = []
  const instances: Instance[] = []
  const reservations: Reservation[] = []
  for await (const p of paginateDescribeNetworkInterfaces({ client: ec2 }, {})) nis.push(...(p.NetworkInterfaces ?? []))
  for await (const p of paginateDescribeInstances({ client: ec2 }, {})) {
    for (const r of p.Reservations ?? []) {
      instances.push(...(r.Instances ?? []))
      reservations.push(r)
    }
  }
  const addresses: Address[] = (await ec2.send(new DescribeAddressesCommand({}))).Addresses ?? []
  return { instance: sorted('instance', instances), 'network-interface': sorted('network-interface', nis), address: sorted('address', addresses), reservation: merged(reservations) }
}

async function fromStore(store: Store, target: Target): Promise<View> {
  const view = { reservation: merged(await store.descriptions.reservations(target.accountId, target.region)) } as View
  for (const kind of DESCRIPTION_KINDS) view[kind] = await store.descriptions.list(kind, target.accountId, target.region)
  return view
}

const ids = (kind: DescriptionKind, view: View) => new Set(view[kind].map((o) => descriptionId(kind, o as Record<string, unknown>)!))

t.test('descriptions follow the organisation, written only on change, removed kept, untouched by an incomplete poll', async (t) => {
  const fake = await startFakeAws({ seed: 31, accounts: 2, regions: 2, enisPerRegion: 30, churn: 240, throttleClock: 'virtual' })
  t.teardown(() => fake.close())
  fake.faults.setDefaultThrottling(false)
  const { store, requests } = await openTestStore(t, 'dynamodb-local', { retentionMs: 30 * 86_400_000 })
  const session = fakeSession(fake)
  t.teardown(() => session.destroy())
  const { targets } = await discoverTargets(session, { homeRegion: fake.regions[0]! })
  t.ok(targets.length >= 4, `${targets.length} targets`)
  let poll = 0
  const deps: PollDeps = {
    store,
    takeSnapshot: (target) => takeEc2Snapshot(session.ec2(target), { ...target, pollId: `p${poll}`, now: () => fake.clock.now(), pageSize: 7 }),
    maxGapMs: 24 * 60 * MIN,
    // As the continuous collector polls: what it keeps of each target between polls spares it reading them.
    memory: new TargetMemory(store.holdings),
  }
  const pollAll = async () => {
    poll++
    const results = []
    for (const target of targets) results.push(await pollTarget(deps, target))
    return results
  }
  const agree = async (what: string) => {
    const views = new Map<string, View>()
    for (const target of targets) {
      const expected = await fromEc2(session.ec2(target))
      const stored = await fromStore(store, target)
      for (const kind of [...DESCRIPTION_KINDS, 'reservation' as const]) t.same(stored[kind], expected[kind], `${what}: ${target.accountId} ${target.region} ${kind} (${expected[kind].length})`)
      views.set(`${target.accountId}/${target.region}`, stored)
    }
    return views
  }

  const first = await pollAll()
  t.ok(first.every((r) => r.complete), 'the first poll is complete')
  t.ok(first.every((r) => (r.descriptionsWritten ?? 0) > 0), 'and writes descriptions in every target')
  const before = await agree('after the first poll')
  for (const kind of DESCRIPTION_KINDS) t.ok([...before.values()].some((v) => v[kind].length > 0), `the organisation has ${kind}s`)

  requests.reset()
  const steady = await pollAll()
  t.ok(steady.every((r) => r.complete && r.descriptionsWritten === 0), 'an unchanged organisation: no description written')
  t.equal(requests.count('BatchWriteItemCommand'), 0, 'not one batch write (holdings are unchanged too)')
  t.equal(requests.count('PutItemCommand'), targets.length, 'one put per target: its state')

  // Two hours of churn: instances terminate (and drop out of DescribeInstances), ENIs go, addresses are released.
  for (let i = 0; i < 8; i++) {
    fake.clock.advance(15 * MIN)
    t.ok((await pollAll()).every((r) => r.complete), `churn poll ${i + 1} complete`)
  }
  const after = await agree('after two hours of churn')
  const removedSeen = new Map<DescriptionKind, number>()
  for (const target of targets) {
    const key = `${target.accountId}/${target.region}`
    for (const kind of DESCRIPTION_KINDS) {
      const now = ids(kind, after.get(key)!)
      for (const id of ids(kind, before.get(key)!)) {
        if (now.has(id)) continue
        const removed = await store.descriptions.removed(kind, target.accountId, target.region, id)
        if (!removed) {
          t.fail(`${kind} ${id} is gone from ${key} but kept nowhere`)
          continue
        }
        t.equal(descriptionId(kind, removed.description as Record<string, unknown>), id)
        t.ok(removed.lastSeen < removed.removedAt, `${kind} ${id}: last seen before it was removed`)
        removedSeen.set(kind, (removedSeen.get(kind) ?? 0) + 1)
      }
    }
  }
  for (const kind of DESCRIPTION_KINDS) t.ok((removedSeen.get(kind) ?? 0) > 0, `${removedSeen.get(kind) ?? 0} ${kind}s removed and kept`)

  // A poll that fails on its last call: complete never, so it writes no description and removes none.
  fake.faults.add({ kind: 'error', match: { service: 'ec2', action: 'DescribeAddresses' } })
  fake.clock.advance(60 * MIN)
  const failed = await pollAll()
  t.ok(failed.every((r) => !r.complete && r.descriptionsWritten === undefined), 'incomplete polls, no descriptions written')
  for (const target of targets) {
    t.same(await fromStore(store, target), after.get(`${target.accountId}/${target.region}`), `${target.accountId} ${target.region}: unchanged by the incomplete poll`)
  }
})
