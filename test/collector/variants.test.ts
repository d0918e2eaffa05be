// The EC2 transform against the simulator's variants (src/fakeaws/ec2-variants.ts), through the real
// SDK: reading every place (the union) observes each current ledger entry of the target in every
// variant, and each variant defeats the reader of a single place, so a transform that trusted one place
// (as whohad once trusted the private address's association) fails here.
import type { Address, EC2Client, Instance, NetworkInterface } from '@aws-sdk/client-ec2'
import { DescribeAddressesCommand, paginateDescribeInstances, paginateDescribeNetworkInterfaces } from '@aws-sdk/client-ec2'
import type { Test } from 'tap'
import t from 'tap'
import { EC2_PLACES, type Ec2Place, takeEc2Snapshot, transformEc2 } from '../../src/collector/ec2-source.ts'
import { EC2_VARIANTS, startFakeAws } from '../../src/fakeaws/index.ts'
import type { Ec2Variant, Ec2VariantsOption, FakeAws, LedgerEntry } from '../../src/fakeaws/index.ts'
import type { Observation } from '../../src/model/observation.ts'
import { ec2For } from '../fakeaws/fixtures/sdk.ts'

const MINUTE = 60_000

const PUBLIC_PLACES: readonly Ec2Place[] = [
  'eni.Association',
  'eni.PrivateIpAddresses.Association',
  'instance.PublicIpAddress',
  'instance.NetworkInterfaces.Association',
  'instance.NetworkInterfaces.PrivateIpAddresses.Association',
  'addresses',
]
const PRIVATE_PLACES: readonly Ec2Place[] = ['eni.PrivateIpAddress', 'eni.PrivateIpAddresses', 'instance.PrivateIpAddress', 'instance.NetworkInterfaces.PrivateIpAddresses']

/**
 * The single places each variant makes miss entries that AWS's full answer states there. (Some places
 * miss entries in every answer: the instance's only for ENIs of instances, DescribeAddresses only
 * Elastic IPs; a variant is what defeats the places that are otherwise complete.)
 */
const DEFEATS: Record<Exclude<Ec2Variant, 'transition-utc'>, readonly Ec2Place[]> = {
  'eni-association-only': ['eni.PrivateIpAddresses.Association', 'instance.NetworkInterfaces.PrivateIpAddresses.Association'],
  'private-association-only': ['eni.Association', 'instance.NetworkInterfaces.Association'],
  'instance-ip-absent': ['instance.PublicIpAddress'],
  'eip-addresses-only': ['eni.Association', 'eni.PrivateIpAddresses.Association', 'instance.PublicIpAddress', 'instance.NetworkInterfaces.Association', 'instance.NetworkInterfaces.PrivateIpAddresses.Association'],
  'eip-interfaces-only': ['addresses'],
  'primary-top-only': ['eni.PrivateIpAddresses', 'eni.PrivateIpAddresses.Association', 'instance.NetworkInterfaces.PrivateIpAddresses.Association'],
  'primary-set-only': ['eni.PrivateIpAddress'],
}

const key = (address: string, scope: string, eni: string) => `${address}|${scope}|${eni}`
const observed = (obs: readonly Observation[]) => new Set(obs.map((o) => key(o.address, o.scope, o.holder.eniId)))
const truthKey = (e: LedgerEntry) => key(e.ip, e.scope, e.eniId)

async function pagesOf(client: EC2Client) {
  const pages = { networkInterfaces: [] as NetworkInterface[], instances: [] as Instance[], addresses: [] as Address[] }
  for await (const page of paginateDescribeNetworkInterfaces({ client, pageSize: 25 }, {})) pages.networkInterfaces.push(...(page.NetworkInterfaces ?? []))
  for await (const page of paginateDescribeInstances({ client, pageSize: 10 }, {})) {
    for (const r of page.Reservations ?? []) pages.instances.push(...(r.Instances ?? []))
  }
  pages.addresses.push(...((await client.send(new DescribeAddressesCommand({}))).Addresses ?? []))
  return pages
}

interface Sweep {
  /** Current ledger entries nobody observed, reading every place (takeEc2Snapshot, the collector's own path). */
  readonly unionMissed: string[]
  /** Observed by the union but not in the ledger: a false holding. */
  readonly unionFalse: string[]
  /** Per single place, the ledger entries of its kind (public or private IPv4) it alone misses. */
  readonly missedBy: Map<Ec2Place, string[]>
  readonly truth: number
}

async function sweep(fake: FakeAws): Promise<Sweep> {
  const unionMissed: string[] = []
  const unionFalse: string[] = []
  const missedBy = new Map<Ec2Place, string[]>()
  let truth = 0
  for (const accountId of fake.activeAccountIds) {
    for (const region of fake.regions) {
      const client = ec2For(fake, accountId, region)
      const ctx = { accountId, region, pollId: `p${fake.clock.now()}`, now: () => fake.clock.now() }
      const snapshot = await takeEc2Snapshot(client, { ...ctx, pageSize: 25 })
      if (!snapshot.complete) throw new Error(`incomplete snapshot: ${snapshot.error}`)
      const open = fake.ledger.current().filter((e) => e.accountId === accountId && e.region === region)
      truth += open.length
      const seen = observed(snapshot.observations)
      const expected = new Set(open.map(truthKey))
      unionMissed.push(...[...expected].filter((k) => !seen.has(k)))
      unionFalse.push(...[...seen].filter((k) => !expected.has(k)))
      const pages = await pagesOf(client)
      for (const place of [...PUBLIC_PLACES, ...PRIVATE_PLACES]) {
        const kind = PUBLIC_PLACES.includes(place) ? 'public-ipv4' : 'private-ipv4'
        const alone = observed(transformEc2(pages, ctx, { places: [place] }).observations)
        const missed = open.filter((e) => e.kind === kind && !alone.has(truthKey(e))).map(truthKey)
        missedBy.set(place, [...(missedBy.get(place) ?? []), ...missed])
      }
    }
  }
  return { unionMissed, unionFalse, missedBy, truth }
}

async function world(t: Test, variants?: Ec2VariantsOption) {
  const fake = await startFakeAws({ seed: 31, accounts: 3, regions: 1, enisPerRegion: 40, churn: 120, throttling: 'off', ...(variants === undefined ? {} : { variants }) })
  t.teardown(() => fake.close())
  fake.clock.advance(120 * MINUTE)
  return fake
}

function checkUnion(t: Test, s: Sweep, label: string): void {
  t.ok(s.truth > 100, `${label}: ${s.truth} current ledger entries`)
  t.same(s.unionMissed.slice(0, 10), [], `${label}: the union observes every current ledger entry (${s.unionMissed.length} missed)`)
  t.same(s.unionFalse.slice(0, 10), [], `${label}: and nothing else`)
}

t.test('every place is one the transform knows', async (t) => {
  for (const p of [...PUBLIC_PLACES, ...PRIVATE_PLACES]) t.ok(EC2_PLACES.includes(p), p)
})

t.test('each forced variant: the union observes everything, the places it defeats alone miss entries', async (t) => {
  const fake = await world(t)
  const full = await sweep(fake)
  checkUnion(t, full, 'AWS\'s full answer')
  for (const place of ['eni.Association', 'eni.PrivateIpAddresses.Association', 'eni.PrivateIpAddresses'] as const) {
    t.same(full.missedBy.get(place), [], `AWS's full answer: ${place} alone is complete (so only a variant can defeat it)`)
  }
  const defeated = new Set<Ec2Place>()
  for (const variant of Object.keys(DEFEATS) as Array<keyof typeof DEFEATS>) {
    await t.test(variant, async (t) => {
      fake.world.ec2Variants.set(variant)
      const s = await sweep(fake)
      checkUnion(t, s, variant)
      for (const place of DEFEATS[variant]) {
        const missed = s.missedBy.get(place) ?? []
        const before = new Set(full.missedBy.get(place) ?? [])
        const more = missed.filter((k) => !before.has(k))
        t.ok(more.length > 0, `${place} alone misses ${more.length} entries it has in AWS's full answer`)
        if (more.length > 0) defeated.add(place)
      }
    })
  }
  fake.world.ec2Variants.set(false)
  for (const place of PUBLIC_PLACES) {
    t.ok(defeated.has(place) || (full.missedBy.get(place)?.length ?? 0) > 0, `no single public-IPv4 place survives every variant: ${place}`)
  }
})

t.test('the seeded mix: every single public-IPv4 place misses entries, the union none', async (t) => {
  const fake = await world(t, true)
  for (let poll = 0; poll < 3; poll++) {
    const s = await sweep(fake)
    checkUnion(t, s, `mix, poll ${poll}`)
    for (const place of PUBLIC_PLACES) t.ok((s.missedBy.get(place)?.length ?? 0) > 0, `poll ${poll}: ${place} alone misses ${s.missedBy.get(place)?.length} public addresses`)
    fake.clock.advance(10 * MINUTE)
  }
})

t.test('StateTransitionReason written in UTC gives the same stop times as in GMT', async (t) => {
  const fake = await world(t)
  const stops = async () => {
    const out = new Map<string, number>()
    for (const accountId of fake.activeAccountIds) {
      for (const region of fake.regions) {
        const snapshot = await takeEc2Snapshot(ec2For(fake, accountId, region), { accountId, region, pollId: 'p', now: () => fake.clock.now() })
        for (const [id, bound] of snapshot.instanceStops) out.set(id, bound.after)
      }
    }
    return out
  }
  // The truth: the time each stopped or terminated instance (still listed) last changed state.
  const truth = new Map<string, number>()
  for (const target of fake.world.targets.values()) {
    for (const i of target.instances.after(0)) {
      const last = i.history[i.history.length - 1]
      if (i.state !== 'running' && last && last.state === i.state) truth.set(i.id, last.at - (last.at % 1000))
    }
  }
  t.ok(truth.size > 0, `${truth.size} stopped or terminated instances`)
  const gmt = await stops()
  fake.world.ec2Variants.set('transition-utc')
  const utc = await stops()
  t.same([...utc].sort(), [...truth].sort(), 'every stop time read from the UTC form, exactly')
  t.same([...utc].sort(), [...gmt].sort(), 'the same as from AWS\'s GMT form')
})

t.test('every variant is covered here', async (t) => {
  t.same([...Object.keys(DEFEATS), 'transition-utc'].sort(), [...EC2_VARIANTS].sort())
})
