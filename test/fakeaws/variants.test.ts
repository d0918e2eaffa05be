// The EC2 variants (src/fakeaws/ec2-variants.ts), read through the real @aws-sdk/client-ec2: each
// forced variant leaves out exactly what it says, every variant (and the seeded mix) still states each
// current ledger entry somewhere and nothing that is false, and the mix replays for a seed.
import type { Address, Instance, NetworkInterface } from '@aws-sdk/client-ec2'
import { DescribeAddressesCommand, paginateDescribeInstances, paginateDescribeNetworkInterfaces } from '@aws-sdk/client-ec2'
import type { Test } from 'tap'
import t from 'tap'
import { parseFlags } from '../../src/cli/fakeaws.ts'
import { Ec2Variants, resolveEc2Variants } from '../../src/fakeaws/ec2-variants.ts'
import type { Eip } from '../../src/fakeaws/entities.ts'
import { EC2_VARIANTS, startFakeAws } from '../../src/fakeaws/index.ts'
import type { Ec2Variant, FakeAws } from '../../src/fakeaws/index.ts'
import { ec2For, entryKey } from './fixtures/sdk.ts'

const MINUTE = 60_000

interface Pages {
  readonly enis: NetworkInterface[]
  readonly instances: Instance[]
  readonly addresses: Address[]
}

async function read(fake: FakeAws, accountId: string, region: string): Promise<Pages> {
  const client = ec2For(fake, accountId, region)
  const enis: NetworkInterface[] = []
  for await (const page of paginateDescribeNetworkInterfaces({ client, pageSize: 25 }, {})) enis.push(...(page.NetworkInterfaces ?? []))
  const instances: Instance[] = []
  for await (const page of paginateDescribeInstances({ client, pageSize: 10 }, {})) {
    for (const r of page.Reservations ?? []) instances.push(...(r.Instances ?? []))
  }
  const addresses = (await client.send(new DescribeAddressesCommand({}))).Addresses ?? []
  return { enis, instances, addresses }
}

/**
 * Every place of the answer that states an address, as `ip|scope|eni` (the ledger's terms). Written
 * here, apart from the collector's transform, so the fake is judged by what the wire says.
 */
function places(p: Pages): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>()
  const add = (place: string, ip: string | undefined, scope: string | undefined, eni: string | undefined) => {
    if (!ip || !scope || !eni) return
    let set = out.get(place)
    if (!set) out.set(place, (set = new Set()))
    set.add(`${ip}|${scope}|${eni}`)
  }
  for (const e of p.enis) {
    const id = e.NetworkInterfaceId
    add('eni.PrivateIpAddress', e.PrivateIpAddress, e.VpcId, id)
    add('eni.Association', e.Association?.PublicIp, 'global', id)
    for (const a of e.PrivateIpAddresses ?? []) {
      add('eni.PrivateIpAddresses', a.PrivateIpAddress, e.VpcId, id)
      add('eni.PrivateIpAddresses.Association', a.Association?.PublicIp, 'global', id)
    }
    for (const a of e.Ipv6Addresses ?? []) add('eni.Ipv6Addresses', a.Ipv6Address, 'global', id)
    for (const a of e.Ipv4Prefixes ?? []) add('eni.Ipv4Prefixes', a.Ipv4Prefix, e.VpcId, id)
    for (const a of e.Ipv6Prefixes ?? []) add('eni.Ipv6Prefixes', a.Ipv6Prefix, 'global', id)
  }
  for (const i of p.instances) {
    const primary = i.NetworkInterfaces?.find((n) => n.Attachment?.DeviceIndex === 0)
    add('instance.PrivateIpAddress', i.PrivateIpAddress, primary?.VpcId, primary?.NetworkInterfaceId)
    add('instance.PublicIpAddress', i.PublicIpAddress, 'global', primary?.NetworkInterfaceId)
    for (const n of i.NetworkInterfaces ?? []) {
      const id = n.NetworkInterfaceId
      add('instance.NetworkInterfaces.PrivateIpAddress', n.PrivateIpAddress, n.VpcId, id)
      add('instance.NetworkInterfaces.Association', n.Association?.PublicIp, 'global', id)
      for (const a of n.PrivateIpAddresses ?? []) {
        add('instance.NetworkInterfaces.PrivateIpAddresses', a.PrivateIpAddress, n.VpcId, id)
        add('instance.NetworkInterfaces.PrivateIpAddresses.Association', a.Association?.PublicIp, 'global', id)
      }
      for (const a of n.Ipv6Addresses ?? []) add('instance.NetworkInterfaces.Ipv6Addresses', a.Ipv6Address, 'global', id)
      for (const a of n.Ipv4Prefixes ?? []) add('instance.NetworkInterfaces.Ipv4Prefixes', a.Ipv4Prefix, n.VpcId, id)
      for (const a of n.Ipv6Prefixes ?? []) add('instance.NetworkInterfaces.Ipv6Prefixes', a.Ipv6Prefix, 'global', id)
    }
  }
  for (const a of p.addresses) add('addresses', a.PublicIp, 'global', a.NetworkInterfaceId)
  return out
}

function union(byPlace: Map<string, Set<string>>): Set<string> {
  return new Set([...byPlace.values()].flatMap((s) => [...s]))
}

const sorted = (s: Iterable<string>) => [...s].sort()

interface Read {
  readonly accountId: string
  readonly region: string
  readonly pages: Pages
  readonly byPlace: Map<string, Set<string>>
  /** `ip|scope|eni` of every open ledger entry of the target. */
  readonly truth: Set<string>
  /** Of those, the public IPv4 ones, and which of them are Elastic IPs. */
  readonly publicTruth: Set<string>
  readonly elasticTruth: Set<string>
}

async function readAll(fake: FakeAws): Promise<Read[]> {
  const out: Read[] = []
  for (const accountId of fake.activeAccountIds) {
    for (const region of fake.regions) {
      const pages = await read(fake, accountId, region)
      const open = fake.ledger.current().filter((e) => e.accountId === accountId && e.region === region)
      out.push({
        accountId,
        region,
        pages,
        byPlace: places(pages),
        truth: new Set(open.map(entryKey)),
        publicTruth: new Set(open.filter((e) => e.kind === 'public-ipv4').map(entryKey)),
        elasticTruth: new Set(open.filter((e) => e.kind === 'public-ipv4' && e.allocationId !== undefined).map(entryKey)),
      })
    }
  }
  return out
}

/** The union of places is the ledger, and no single place states anything the ledger does not. */
function checkTrue(t: Test, reads: readonly Read[], label: string): void {
  for (const r of reads) {
    t.same(sorted(union(r.byPlace)), sorted(r.truth), `${label} ${r.accountId}/${r.region}: the union of places is the ledger's current entries`)
    for (const [place, keys] of r.byPlace) {
      const made = [...keys].filter((k) => !r.truth.has(k))
      if (made.length > 0) t.same(made, [], `${label}: ${place} states only true facts`)
    }
  }
}

const keysOf = (reads: readonly Read[], place: string) => new Set(reads.flatMap((r) => [...(r.byPlace.get(place) ?? [])]))
const all = (reads: readonly Read[], pick: (r: Read) => Set<string>) => new Set(reads.flatMap((r) => [...pick(r)]))
const missing = (from: Set<string>, wanted: Set<string>) => sorted([...wanted].filter((k) => !from.has(k)))
const enis = (reads: readonly Read[]) => reads.flatMap((r) => r.pages.enis)
const instanceEnis = (reads: readonly Read[]) => reads.flatMap((r) => r.pages.instances.flatMap((i) => i.NetworkInterfaces ?? []))
const instances = (reads: readonly Read[]) => reads.flatMap((r) => r.pages.instances)

// A world with every kind of fact: Elastic IPs on instances and NAT gateways, auto-assigned addresses,
// secondary private addresses, prefixes, and (after two hours of churn) stopped and terminated instances.
async function world(t: Test, variants?: boolean) {
  const fake = await startFakeAws({ seed: 31, accounts: 3, regions: 1, enisPerRegion: 40, churn: 120, throttling: 'off', ...(variants === undefined ? {} : { variants }) })
  t.teardown(() => fake.close())
  fake.clock.advance(120 * MINUTE)
  return fake
}

t.test('AWS\'s full answer: every place filled, and the world has every kind of fact', async (t) => {
  const fake = await world(t)
  const reads = await readAll(fake)
  checkTrue(t, reads, 'full')
  const publicTruth = all(reads, (r) => r.publicTruth)
  const elastic = all(reads, (r) => r.elasticTruth)
  t.ok(elastic.size >= 3, `Elastic IPs (${elastic.size})`)
  t.ok(publicTruth.size - elastic.size >= 3, `auto-assigned public addresses (${publicTruth.size - elastic.size})`)
  t.ok(enis(reads).some((e) => (e.PrivateIpAddresses?.length ?? 0) > 1), 'secondary private addresses')
  t.ok(enis(reads).some((e) => !e.Attachment?.InstanceId && e.Association), 'public addresses on ENIs of no instance (NAT gateways, load balancers)')
  t.ok(instances(reads).some((i) => /\(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d GMT\)$/.test(i.StateTransitionReason ?? '')), 'stopped or terminated instances with a transition time')
  for (const place of ['eni.Association', 'eni.PrivateIpAddresses.Association', 'instance.NetworkInterfaces.Association', 'instance.NetworkInterfaces.PrivateIpAddresses.Association']) {
    t.same(missing(keysOf(reads, place), new Set([...publicTruth].filter((k) => place.startsWith('eni.') || instanceEnis(reads).some((n) => k.endsWith(`|${n.NetworkInterfaceId}`))))), [], `${place} has every public address it could`)
  }
  t.same(missing(keysOf(reads, 'addresses'), elastic), [], 'DescribeAddresses has every associated Elastic IP')
})

t.test('each forced variant leaves out what it says and keeps every fact somewhere', async (t) => {
  const fake = await world(t)
  const full = await readAll(fake)
  const publicTruth = all(full, (r) => r.publicTruth)
  const elastic = all(full, (r) => r.elasticTruth)
  const autoAssigned = new Set([...publicTruth].filter((k) => !elastic.has(k)))
  const withPublic = (n: { Association?: unknown; PrivateIpAddresses?: Array<{ Association?: unknown }> }) => n.Association !== undefined || (n.PrivateIpAddresses ?? []).some((p) => p.Association)

  const expectations: Record<Ec2Variant, (t: Test, reads: Read[]) => void> = {
    'eni-association-only': (t, reads) => {
      const records = [...enis(reads), ...instanceEnis(reads)]
      t.same(records.flatMap((n) => (n.PrivateIpAddresses ?? []).filter((p) => p.Association).map((p) => p.PrivateIpAddress)), [], 'no private address carries an association')
      t.same(missing(keysOf(reads, 'eni.Association'), publicTruth), [], 'the interface carries every public address')
      t.ok(records.filter(withPublic).length >= publicTruth.size, 'in DescribeInstances\' ENI records too')
    },
    'private-association-only': (t, reads) => {
      const records = [...enis(reads), ...instanceEnis(reads)]
      t.same(records.filter((n) => n.Association).map((n) => n.NetworkInterfaceId), [], 'no interface carries an association')
      t.same(missing(keysOf(reads, 'eni.PrivateIpAddresses.Association'), publicTruth), [], 'the private address carries every public address')
    },
    'instance-ip-absent': (t, reads) => {
      t.same(instances(reads).filter((i) => i.PublicIpAddress || i.PublicDnsName).map((i) => i.InstanceId), [], 'no instance states its own public address or name')
      const onInstances = [...publicTruth].filter((k) => instanceEnis(reads).some((n) => k.endsWith(`|${n.NetworkInterfaceId}`)))
      t.ok(onInstances.length > 0)
      t.same(missing(keysOf(reads, 'instance.NetworkInterfaces.Association'), new Set(onInstances)), [], 'the instance\'s ENI records still do')
    },
    'eip-addresses-only': (t, reads) => {
      const onRecords = new Set([...keysOf(reads, 'eni.Association'), ...keysOf(reads, 'eni.PrivateIpAddresses.Association'), ...keysOf(reads, 'instance.PublicIpAddress'), ...keysOf(reads, 'instance.NetworkInterfaces.Association'), ...keysOf(reads, 'instance.NetworkInterfaces.PrivateIpAddresses.Association')])
      t.same([...elastic].filter((k) => onRecords.has(k)), [], 'no ENI or instance record states an Elastic IP')
      t.same(missing(onRecords, autoAssigned), [], 'they still state every auto-assigned address')
      t.same(missing(keysOf(reads, 'addresses'), elastic), [], 'DescribeAddresses states every Elastic IP on its ENI')
    },
    'eip-interfaces-only': (t, reads) => {
      const addresses = reads.flatMap((r) => r.pages.addresses)
      t.ok(addresses.length >= elastic.size, 'the Elastic IPs are still listed')
      t.same(addresses.filter((a) => a.AssociationId || a.NetworkInterfaceId || a.InstanceId || a.PrivateIpAddress).map((a) => a.PublicIp), [], 'with no association')
      t.same(missing(keysOf(reads, 'eni.Association'), elastic), [], 'the ENI records state every Elastic IP')
    },
    'transition-utc': (t, reads) => {
      const gmt = new Map(instances(full).map((i) => [i.InstanceId, i.StateTransitionReason ?? '']))
      const timed = instances(reads).filter((i) => /\(.*\)$/.test(i.StateTransitionReason ?? ''))
      t.ok(timed.length > 0)
      for (const i of timed) {
        t.match(i.StateTransitionReason, /^User initiated \(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC\)$/)
        t.equal(i.StateTransitionReason?.replace(/UTC\)$/, 'GMT)'), gmt.get(i.InstanceId), 'the same instant as AWS writes it')
      }
    },
    'primary-top-only': (t, reads) => {
      const records = [...enis(reads), ...instanceEnis(reads)]
      t.same(records.flatMap((n) => (n.PrivateIpAddresses ?? []).filter((p) => p.Primary !== false).map((p) => p.PrivateIpAddress)), [], 'no set lists a primary address')
      t.same(records.filter((n) => !n.PrivateIpAddress).map((n) => n.NetworkInterfaceId), [], 'every record states it as privateIpAddress')
      const secondaries = full.flatMap((r) => r.pages.enis).reduce((n, e) => n + (e.PrivateIpAddresses?.length ?? 1) - 1, 0)
      t.equal(enis(reads).reduce((n, e) => n + (e.PrivateIpAddresses?.length ?? 0), 0), secondaries, 'every secondary address is still listed')
    },
    'primary-set-only': (t, reads) => {
      const records = [...enis(reads), ...instanceEnis(reads)]
      t.same(records.filter((n) => n.PrivateIpAddress || n.PrivateDnsName).map((n) => n.NetworkInterfaceId), [], 'no record states privateIpAddress')
      t.same(records.filter((n) => (n.PrivateIpAddresses ?? []).filter((p) => p.Primary).length !== 1).map((n) => n.NetworkInterfaceId), [], 'every set lists its primary item')
    },
  }

  for (const variant of EC2_VARIANTS) {
    await t.test(variant, async (t) => {
      fake.world.ec2Variants.set(variant)
      const reads = await readAll(fake)
      checkTrue(t, reads, variant)
      expectations[variant](t, reads)
    })
  }
  fake.world.ec2Variants.set(false)
  t.same((await readAll(fake)).map((r) => r.pages), full.map((r) => r.pages), 'off again: AWS\'s full answer, unchanged')
})

t.test('the seeded mix: every variant occurs, every poll stays true, a seed replays it', async (t) => {
  const a = await world(t, true)
  const b = await world(t, true)
  const seen = { interface: 0, private: 0, both: 0, none: 0, topOnly: 0, setOnly: 0, noInstanceIp: 0, utc: 0, gmt: 0, unassociatedAddress: 0 }
  for (let poll = 0; poll < 8; poll++) {
    const reads = await readAll(a)
    checkTrue(t, reads, `poll ${poll}`)
    t.same((await readAll(b)).map((r) => r.pages), reads.map((r) => r.pages), `poll ${poll}: the same seed answers the same`)
    const elastic = all(reads, (r) => r.elasticTruth)
    for (const n of [...enis(reads), ...instanceEnis(reads)]) {
      const onPrivate = (n.PrivateIpAddresses ?? []).some((p) => p.Association)
      const primary = (n.PrivateIpAddresses ?? []).some((p) => p.Primary)
      if (n.Association && onPrivate) seen.both++
      else if (n.Association) seen.interface++
      else if (onPrivate) seen.private++
      if (n.PrivateIpAddress && !primary) seen.topOnly++
      if (!n.PrivateIpAddress && primary) seen.setOnly++
    }
    for (const r of reads) {
      const stated = new Set([...(r.byPlace.get('eni.Association') ?? []), ...(r.byPlace.get('eni.PrivateIpAddresses.Association') ?? [])])
      seen.none += [...r.elasticTruth].filter((k) => !stated.has(k)).length
    }
    seen.unassociatedAddress += reads.flatMap((r) => r.pages.addresses).filter((x) => !x.NetworkInterfaceId && [...elastic].some((k) => k.startsWith(`${x.PublicIp}|`))).length
    for (const i of instances(reads)) {
      if (i.State?.Name === 'running' && i.NetworkInterfaces?.some((n) => n.Association) && !i.PublicIpAddress) seen.noInstanceIp++
      if (/UTC\)$/.test(i.StateTransitionReason ?? '')) seen.utc++
      if (/GMT\)$/.test(i.StateTransitionReason ?? '')) seen.gmt++
    }
    a.clock.advance(10 * MINUTE)
    b.clock.advance(10 * MINUTE)
  }
  for (const [what, n] of Object.entries(seen)) t.ok(n > 0, `${what}: ${n}`)

  const other = await startFakeAws({ seed: 31, accounts: 3, regions: 1, enisPerRegion: 40, churn: 120, throttling: 'off' })
  t.teardown(() => other.close())
  other.clock.advance(200 * MINUTE)
  other.world.ec2Variants.set(true)
  const mixed = (await readAll(other)).map((r) => r.pages)
  t.same(a.world.serialize(), other.world.serialize(), 'the variants change answers, never the world')
  other.world.ec2Variants.set(false)
  t.not(JSON.stringify((await readAll(other)).map((r) => r.pages)), JSON.stringify(mixed), 'the mix is not AWS\'s full answer')
})

t.test('an Elastic IP never lags on both sides, whatever instants the calls land on', async (t) => {
  const variants = new Ec2Variants(5, resolveEc2Variants(true))
  let lagged = { addresses: 0, interfaces: 0 }
  for (let n = 0; n < 300; n++) {
    const eip = { allocationId: `eipalloc-${n}`, association: { id: `eipassoc-${n}` } } as unknown as Eip
    const eni = { id: `eni-${n}`, publicIp: { eip } } as never
    let interfaces = false
    let addresses = false
    for (let now = 0; now < 40; now++) {
      if (variants.eniShape(eni, 'DescribeNetworkInterfaces', now).association === 'none') interfaces = true
      if (!variants.addressAssociated(eip, now)) addresses = true
    }
    if (interfaces && addresses) t.fail(`${eip.allocationId} left out of both DescribeAddresses and the ENI records`)
    lagged = { addresses: lagged.addresses + (addresses ? 1 : 0), interfaces: lagged.interfaces + (interfaces ? 1 : 0) }
  }
  t.ok(lagged.addresses > 50 && lagged.interfaces > 50, `both sides lag, for different addresses (${JSON.stringify(lagged)})`)
})

t.test('options: names are checked, contradictions refused, the CLI flag sets them', async (t) => {
  t.same(resolveEc2Variants(undefined), { mode: 'off' })
  t.same(resolveEc2Variants(true), { mode: 'mix' })
  t.same(resolveEc2Variants('transition-utc'), { mode: 'forced', variants: ['transition-utc'] })
  t.throws(() => resolveEc2Variants('association-nowhere' as Ec2Variant), /unknown EC2 variant/)
  t.throws(() => resolveEc2Variants(['eni-association-only', 'private-association-only']), /both decide association/)
  t.throws(() => resolveEc2Variants(['private-association-only', 'primary-top-only']), /drop the public address/)
  await t.rejects(startFakeAws({ variants: ['eip-addresses-only', 'eip-interfaces-only'] }), /invalid fake AWS options: .*both decide elasticIp/)
  t.match(parseFlags(['--variants']), { variants: true })
  t.match(parseFlags(['--variant', 'eni-association-only', '--variant', 'transition-utc']), { variants: ['eni-association-only', 'transition-utc'] })
  t.notOk('variants' in (parseFlags([]) as object), 'off unless asked')
  t.throws(() => parseFlags(['--variant', 'nope']), /--variant must be one of/)
  t.throws(() => parseFlags(['--variants', '--variant', 'transition-utc']), /exclude each other/)
})
