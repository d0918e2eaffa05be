// Descriptions in the store, on both DynamoDB implementations: AWS's own examples as the real EC2
// client parses them, stored and read back field for field (Dates as Dates); written only when they
// change (a kind whose digest is unchanged costs no request); a resource no longer listed moved aside
// with its last description and when it was last seen, under the retention TTL.
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Address, Instance, NetworkInterface } from '@aws-sdk/client-ec2'
import t from 'tap'
import { type DescriptionSet, describedOnce } from '../../src/model/description.ts'
import { decodeBody, encodeBody, planDescriptionWrites, setDigest } from '../../src/store/descriptions.ts'
import { descriptionPk, descriptionSk, TTL_ATTRIBUTE } from '../../src/store/table.ts'
import { readEc2Fixtures } from '../../support/recorded-aws.ts'
import { BACKENDS, openTestStore } from '../../support/stores.ts'

const dir = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'collector', 'fixtures', 'aws')
const T0 = Date.UTC(2026, 10, 20, 10, 0, 0)
const MIN = 60_000
const DAY = 86_400_000
const target = { accountId: '123456789012', region: 'eu-west-1' }

/** The API reference's examples, and copies of each under other ids: a small fleet of real shapes. */
async function examples() {
  const pages = await readEc2Fixtures({
    instances: path.join(dir, 'ec2-apiref-describe-instances.xml'),
    networkInterfaces: path.join(dir, 'ec2-apiref-describe-network-interfaces.xml'),
    addresses: path.join(dir, 'ec2-apiref-describe-addresses.xml'),
  })
  const n = (i: number) => i.toString(16).padStart(4, '0')
  const instances: Instance[] = [...pages.instances, ...Array.from({ length: 12 }, (_, i) => ({ ...pages.instances[0]!, InstanceId: `i-${n(i)}` }))]
  const networkInterfaces: NetworkInterface[] = [...pages.networkInterfaces, ...Array.from({ length: 12 }, (_, i) => ({ ...pages.networkInterfaces[0]!, NetworkInterfaceId: `eni-${n(i)}` }))]
  const addresses: Address[] = [...pages.addresses, ...Array.from({ length: 4 }, (_, i) => ({ ...pages.addresses[0]!, AllocationId: `eipalloc-${n(i)}`, PublicIp: `198.51.100.${i + 1}` }))]
  return { instances, networkInterfaces, addresses }
}

/** The reservation each instance is listed within: two instances in each. */
const reservationOf = (i: object) => {
  const id = (i as Instance).InstanceId ?? ''
  return { ReservationId: `r-${id.slice(-1) < '8' ? 'low' : 'high'}`, OwnerId: target.accountId, Groups: [] }
}

function describedSet(pages: { instances: Instance[]; networkInterfaces: NetworkInterface[]; addresses: Address[] }): DescriptionSet {
  return { instance: describedOnce('instance', pages.instances, reservationOf), 'network-interface': describedOnce('network-interface', pages.networkInterfaces), address: describedOnce('address', pages.addresses) }
}

const byId = <T>(list: T[], id: (x: T) => string | undefined) => [...list].sort((a, b) => (id(a) ?? '').localeCompare(id(b) ?? ''))

t.test('a body keeps its Dates at any depth, and its hash does not depend on key order', async (t) => {
  const body = { InstanceId: 'i-1', LaunchTime: new Date(T0), NetworkInterfaces: [{ Attachment: { AttachTime: new Date(T0 + 1000), DeviceIndex: 0 } }], Gone: undefined }
  const back = decodeBody(encodeBody(body)) as typeof body
  t.ok(back.LaunchTime instanceof Date)
  t.equal(back.LaunchTime.getTime(), T0)
  t.ok(back.NetworkInterfaces[0]!.Attachment.AttachTime instanceof Date)
  t.equal(back.NetworkInterfaces[0]!.Attachment.AttachTime.getTime(), T0 + 1000)
  t.notOk('Gone' in back, 'undefined members are left out, as the SDK never sends them')
  t.equal(setDigest([{ id: 'a', hash: '1' }, { id: 'b', hash: '2' }]), setDigest([{ id: 'b', hash: '2' }, { id: 'a', hash: '1' }]))
  t.not(setDigest([{ id: 'a', hash: '1' }]), setDigest([{ id: 'a', hash: '2' }]))
})

t.test('the plan: new and changed are put, what is not listed is removed, a replay plans nothing', async (t) => {
  const stored = new Map([['a', { hash: 'h1', lastSeen: T0 }], ['b', { hash: 'h2', lastSeen: T0 }], ['c', { hash: 'h3', lastSeen: T0 }]])
  const seen = [{ id: 'a', hash: 'h1', body: {} }, { id: 'b', hash: 'h2x', body: {} }, { id: 'd', hash: 'h4', body: {} }]
  const plan = planDescriptionWrites(stored, seen)
  t.same(plan.puts.map((d) => d.id), ['b', 'd'])
  t.same(plan.removed, ['c'])
  const after = new Map(seen.map((d) => [d.id, { hash: d.hash, lastSeen: T0 + MIN }]))
  t.same(planDescriptionWrites(after, seen), { puts: [], removed: [] })
})

for (const backend of BACKENDS) {
  t.test(`${backend}: stored as the SDK gave them, written only on change, removed kept for history`, async (t) => {
    const { store, requests } = await openTestStore(t, backend, { retentionMs: 400 * DAY })
    const d = store.descriptions
    const fleet = await examples()
    const first = await d.sync(target, describedSet(fleet), { seenAt: T0, removedAt: T0 + 1000 })
    t.equal(first.written, fleet.instances.length + fleet.networkInterfaces.length + fleet.addresses.length, 'the first poll writes every description')
    t.equal(first.removed, 0)

    t.same(await d.list('instance', target.accountId, target.region), byId(fleet.instances, (i) => i.InstanceId), 'instances field for field, Dates included')
    t.same(await d.list('network-interface', target.accountId, target.region), byId(fleet.networkInterfaces, (i) => i.NetworkInterfaceId))
    t.same(await d.list('address', target.accountId, target.region), byId(fleet.addresses, (a) => a.AllocationId ?? a.PublicIp))
    const one = await d.get('instance', target.accountId, target.region, fleet.instances[0]!.InstanceId!)
    t.same(one, fleet.instances[0])
    t.ok(one?.LaunchTime instanceof Date, 'LaunchTime is a Date again')
    const reservations = await d.reservations(target.accountId, target.region)
    t.same(
      reservations.map((r) => [r.ReservationId, r.OwnerId, r.Instances?.map((i) => i.InstanceId)]).sort(),
      [...new Set(fleet.instances.map((i) => reservationOf(i).ReservationId))].sort().map((rid) => [
        rid,
        target.accountId,
        byId(fleet.instances.filter((i) => reservationOf(i).ReservationId === rid), (i) => i.InstanceId).map((i) => i.InstanceId),
      ]),
      'instances come back in their reservations',
    )
    t.equal(await d.get('instance', '999999999999', target.region, fleet.instances[0]!.InstanceId!), undefined, 'another account has its own partition')

    requests.reset()
    const steady = await d.sync(target, describedSet(fleet), { seenAt: T0 + MIN, removedAt: T0 + MIN + 1000, lastCompletePoll: T0 }, first.digests)
    t.same({ written: steady.written, removed: steady.removed, digests: steady.digests }, { written: 0, removed: 0, digests: first.digests })
    t.equal(requests.total, 0, 'a steady poll with the digests from its state: not one request')

    requests.reset()
    const replay = await d.sync(target, describedSet(fleet), { seenAt: T0 + MIN, removedAt: T0 + MIN + 1000, lastCompletePoll: T0 })
    t.equal(replay.written, 0, 'without the digests (a crash before the state was written): read, and nothing written')
    t.equal(requests.count('BatchWriteItemCommand') + requests.count('PutItemCommand'), 0)
    t.equal(requests.count('QueryCommand'), 3, 'one Query per kind (one page each)')

    // One instance changes a tag, one ENI is deleted, one address released: four writes, two of them removals.
    const goneEni = fleet.networkInterfaces[1]!.NetworkInterfaceId!
    const goneAddress = fleet.addresses[1]!.AllocationId!
    const next = {
      instances: fleet.instances.map((i, k) => (k === 2 ? { ...i, Tags: [{ Key: 'Name', Value: 'renamed' }] } : i)),
      networkInterfaces: fleet.networkInterfaces.filter((e) => e.NetworkInterfaceId !== goneEni),
      addresses: fleet.addresses.filter((a) => a.AllocationId !== goneAddress),
    }
    requests.reset()
    // With what the collector keeps of the target (each current description's hash): only the removed are read.
    const changed = await d.sync(target, describedSet(next), { seenAt: T0 + 2 * MIN, removedAt: T0 + 2 * MIN + 1000, lastCompletePoll: T0 + MIN }, first.digests, steady.current)
    t.same({ written: changed.written, removed: changed.removed }, { written: 3, removed: 2 })
    t.equal(requests.count('QueryCommand'), 0, 'nothing listed: the removed ones read by key')
    t.same([...changed.current.get('network-interface')!.keys()].sort(), next.networkInterfaces.map((e) => e.NetworkInterfaceId).sort(), 'what is current now, to keep')
    t.equal(changed.digests.instance === first.digests.instance, false)
    t.equal(requests.count('BatchWriteItemCommand'), 5, 'per kind that changed: its puts (changed, and removed copies), then its deletes')
    t.same((await d.get('instance', target.accountId, target.region, fleet.instances[2]!.InstanceId!))?.Tags, [{ Key: 'Name', Value: 'renamed' }])
    t.equal(await d.get('network-interface', target.accountId, target.region, goneEni), undefined, 'a deleted ENI is not current')
    t.notOk((await d.list('network-interface', target.accountId, target.region)).some((e) => e.NetworkInterfaceId === goneEni))
    const removedEni = await d.removed('network-interface', target.accountId, target.region, goneEni)
    t.same(removedEni, { description: fleet.networkInterfaces[1], lastSeen: T0 + MIN, removedAt: T0 + 2 * MIN + 1000 }, 'its last description, last seen by the previous complete poll')
    t.match(await d.removed('address', target.accountId, target.region, goneAddress), { description: { AllocationId: goneAddress }, removedAt: T0 + 2 * MIN + 1000 })
    const items = await store.holdings.scanAll()
    const raw = items.find((i) => i.pk?.S === descriptionPk(target.accountId, target.region, 'address') && i.sk?.S === descriptionSk('removed', goneAddress))
    t.equal(raw?.[TTL_ATTRIBUTE]?.N, String(Math.ceil((T0 + 2 * MIN + 1000 + 400 * DAY) / 1000)), 'removed descriptions expire with retention')
    t.notOk(items.some((i) => i.pk?.S?.startsWith('D#') && i.sk?.S?.startsWith('c#') && i[TTL_ATTRIBUTE] !== undefined), 'current ones never expire')

    requests.reset()
    const again = await d.sync(target, describedSet(next), { seenAt: T0 + 3 * MIN, removedAt: T0 + 3 * MIN + 1000, lastCompletePoll: T0 + 2 * MIN })
    t.equal(again.written, 0, 'steady again: nothing removed twice')
    t.equal(requests.count('BatchWriteItemCommand'), 0)
  })
}
