// The transforms on AWS's own example responses (fixtures/aws, provenance in fixtures/aws/SOURCES.md),
// played through the real SDK clients so that the SDK's deserialiser, not our reading of the wire
// format, makes the typed objects. Each case lists what a careful reader of the example knows was held,
// taking every field that states a fact (one fact, every field that states it): an Elastic IP stated
// only on `NetworkInterface.Association`, or only in DescribeAddresses, or only on the instance, is
// still held. A missed holding here is the confident wrong "nobody held it" this product must not give.
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import t, { type Test } from 'tap'
import { configIntervals } from '../../src/collector/config-source.ts'
import { takeEc2Snapshot, transformEc2, transitionTime } from '../../src/collector/ec2-source.ts'
import { readConfigHistoryFixture, readEc2Fixtures, recordedEc2 } from '../../support/recorded-aws.ts'
import { STATE_TRANSITION_REASONS } from './fixtures/aws/state-transition-reasons.ts'
import { EXPECTED_HOLDERS } from './fixtures/aws/expected-holders.ts'

const dir = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures', 'aws')
const fixture = (name: string) => path.join(dir, name)
const ctx = { accountId: '123456789012', region: 'us-east-1', pollId: 'aws-example' }

type Kind = 'private-ipv4' | 'public-ipv4' | 'ipv6' | 'ipv4-prefix' | 'ipv6-prefix'

/** One holding the example states. `eniId: null`: the example names no ENI, so any holder ENI will do. */
interface Held {
  readonly address: string
  readonly kind: Kind
  readonly scope: string
  readonly eniId: string | null
  readonly instanceId?: string
  readonly allocationId?: string
  /** The Elastic IP's association id, where the example states it on this ENI (reconcile tells re-associations by it). */
  readonly associationId?: string
}

interface Seen {
  readonly address: string
  readonly addressKind: string
  readonly scope: string
  readonly holder: { readonly eniId: string; readonly instanceId?: string; readonly allocationId?: string; readonly associationId?: string }
}

const show = (h: { address: string; scope: string; kind?: string; eniId?: string | null; instanceId?: string | undefined; allocationId?: string | undefined; associationId?: string | undefined }) =>
  `${h.address} [${h.kind ?? ''}] in ${h.scope} on ${h.eniId ?? 'any ENI'}${h.instanceId ? ` of ${h.instanceId}` : ''}${h.allocationId ? ` as ${h.allocationId}` : ''}${h.associationId ? ` by ${h.associationId}` : ''}`

const showSeen = (s: Seen) => show({ ...s, kind: s.addressKind, eniId: s.holder.eniId, instanceId: s.holder.instanceId, allocationId: s.holder.allocationId, associationId: s.holder.associationId })

const matches = (held: Held, seen: Seen) =>
  seen.address === held.address &&
  seen.addressKind === held.kind &&
  seen.scope === held.scope &&
  (held.eniId === null || seen.holder.eniId === held.eniId) &&
  seen.holder.instanceId === held.instanceId &&
  seen.holder.allocationId === held.allocationId &&
  seen.holder.associationId === held.associationId

/**
 * Every stated holding is seen exactly once, with its scope, ENI, instance and allocation; with
 * `exact`, nothing else is seen either. Whatever the example, a private IPv4 address or IPv4 prefix
 * is never scoped `global` (it would answer for every VPC at once).
 */
function assertHoldings(tt: Test, seen: readonly Seen[], held: readonly Held[], exact: boolean) {
  for (const h of held) {
    const found = seen.filter((s) => matches(h, s))
    tt.equal(found.length, 1, `held: ${show(h)}`, { seen: seen.map(showSeen) })
  }
  if (exact) {
    const extra = seen.filter((s) => !held.some((h) => matches(h, s)))
    tt.same(extra.map(showSeen), [], 'nothing held that the example does not state')
  }
  const privateInGlobal = seen.filter((s) => (s.addressKind === 'private-ipv4' || s.addressKind === 'ipv4-prefix') && s.scope === 'global')
  tt.same(privateInGlobal.map((s) => s.address), [], 'no private IPv4 address or prefix is scoped global')
}

interface Ec2Case {
  readonly name: string
  readonly files: { networkInterfaces?: string; instances?: string; addresses?: string }
  readonly held: readonly Held[]
  /** False where the example states facts the transform may or may not turn into more holdings (an Elastic IP's private address with no VPC). */
  readonly exact: boolean
}

const EC2_CASES: readonly Ec2Case[] = [
  {
    name: 'EC2 API reference, DescribeNetworkInterfaces: two instance ENIs, secondary private IPv4s, IPv6',
    files: { networkInterfaces: fixture('ec2-apiref-describe-network-interfaces.xml') },
    exact: true,
    held: [
      { address: '10.0.0.146', kind: 'private-ipv4', scope: 'vpc-cc3c87a5', eniId: 'eni-0f62d866', instanceId: 'i-1234567890abcdef0' },
      { address: '10.0.0.148', kind: 'private-ipv4', scope: 'vpc-cc3c87a5', eniId: 'eni-0f62d866', instanceId: 'i-1234567890abcdef0' },
      { address: '10.0.0.150', kind: 'private-ipv4', scope: 'vpc-cc3c87a5', eniId: 'eni-0f62d866', instanceId: 'i-1234567890abcdef0' },
      { address: '10.0.1.233', kind: 'private-ipv4', scope: 'vpc-f28a359b', eniId: 'eni-a66ed5cf', instanceId: 'i-0598c7d356eba48d7' },
      { address: '10.0.1.20', kind: 'private-ipv4', scope: 'vpc-f28a359b', eniId: 'eni-a66ed5cf', instanceId: 'i-0598c7d356eba48d7' },
      { address: '2001:db8:1234:1a00::123', kind: 'ipv6', scope: 'global', eniId: 'eni-a66ed5cf', instanceId: 'i-0598c7d356eba48d7' },
      { address: '2001:db8:1234:1a00::456', kind: 'ipv6', scope: 'global', eniId: 'eni-a66ed5cf', instanceId: 'i-0598c7d356eba48d7' },
    ],
  },
  {
    name: 'EC2 API reference, DescribeInstances alone: the public IPv4 and IPv6 are stated only on the instance',
    files: { instances: fixture('ec2-apiref-describe-instances.xml') },
    exact: true,
    held: [
      { address: '192.168.1.88', kind: 'private-ipv4', scope: 'vpc-11112222', eniId: 'eni-551ba033', instanceId: 'i-1234567890abcdef0' },
      { address: '54.194.252.215', kind: 'public-ipv4', scope: 'global', eniId: 'eni-551ba033', instanceId: 'i-1234567890abcdef0' },
      { address: '2001:db8:1234:1a2b::123', kind: 'ipv6', scope: 'global', eniId: 'eni-551ba033', instanceId: 'i-1234567890abcdef0' },
    ],
  },
  {
    name: 'EC2 API reference, DescribeAddresses alone: an Elastic IP on an ENI no other page lists',
    files: { addresses: fixture('ec2-apiref-describe-addresses.xml') },
    exact: false,
    held: [
      { address: '203.0.113.41', kind: 'public-ipv4', scope: 'global', eniId: 'eni-ef229886', instanceId: 'i-0598c7d356eba48d7', allocationId: 'eipalloc-08229861', associationId: 'eipassoc-f0229899' },
    ],
  },
  {
    name: 'AWS CLI describe-network-interfaces: an Elastic IP (account-owned) and an auto-assigned public IPv4 (amazon-owned)',
    files: { networkInterfaces: fixture('cli-describe-network-interfaces.xml') },
    exact: true,
    held: [
      { address: '10.0.1.17', kind: 'private-ipv4', scope: 'vpc-a01106c2', eniId: 'eni-e5aa89a3', instanceId: 'i-1234567890abcdef0' },
      // The example states no allocation id for this Elastic IP, so none may be invented.
      { address: '203.0.113.12', kind: 'public-ipv4', scope: 'global', eniId: 'eni-e5aa89a3', instanceId: 'i-1234567890abcdef0', associationId: 'eipassoc-0fbb766a' },
      { address: '10.0.1.149', kind: 'private-ipv4', scope: 'vpc-a01106c2', eniId: 'eni-f9ba99bf', instanceId: 'i-0598c7d356eba48d7' },
      { address: '198.51.100.0', kind: 'public-ipv4', scope: 'global', eniId: 'eni-f9ba99bf', instanceId: 'i-0598c7d356eba48d7' },
    ],
  },
  {
    name: 'derived from the CLI example: the Elastic IP only on NetworkInterface.Association, as a real EC2 implementation sends it',
    files: { networkInterfaces: fixture('derived-eip-only-on-eni-association.xml') },
    exact: true,
    held: [
      { address: '10.0.1.17', kind: 'private-ipv4', scope: 'vpc-a01106c2', eniId: 'eni-e5aa89a3', instanceId: 'i-1234567890abcdef0' },
      { address: '203.0.113.12', kind: 'public-ipv4', scope: 'global', eniId: 'eni-e5aa89a3', instanceId: 'i-1234567890abcdef0', associationId: 'eipassoc-0fbb766a' },
    ],
  },
  {
    name: 'AWS CLI describe-network-interfaces with a tag filter: an unattached ENI with a secondary private IPv4',
    files: { networkInterfaces: fixture('cli-describe-network-interfaces-tag-filter.xml') },
    exact: true,
    held: [
      { address: '10.0.1.55', kind: 'private-ipv4', scope: 'vpc-8941ebec', eniId: 'eni-b9a5ac93' },
      { address: '10.0.1.117', kind: 'private-ipv4', scope: 'vpc-8941ebec', eniId: 'eni-b9a5ac93' },
    ],
  },
  {
    name: 'AWS CLI describe-addresses alone: a VPC Elastic IP on an ENI, and an EC2-Classic one on an instance with no ENI',
    files: { addresses: fixture('cli-describe-addresses.xml') },
    exact: false,
    held: [
      { address: '203.0.113.0', kind: 'public-ipv4', scope: 'global', eniId: 'eni-12345678', instanceId: 'i-1234567890abcdef0', allocationId: 'eipalloc-12345678', associationId: 'eipassoc-12345678' },
      { address: '198.51.100.0', kind: 'public-ipv4', scope: 'global', eniId: null, instanceId: 'i-1234567890abcdef0' },
    ],
  },
  {
    name: 'AWS CLI describe-instances alone: a pending instance with one private IPv4',
    files: { instances: fixture('cli-describe-instances.xml') },
    exact: true,
    held: [{ address: '10.0.0.157', kind: 'private-ipv4', scope: 'vpc-1234567890abcdef0', eniId: 'eni-0c0a29997760baee7', instanceId: 'i-1234567890abcdef0' }],
  },
  {
    name: 'EC2 User Guide, prefixes: delegated IPv4 and IPv6 prefixes on unattached ENIs',
    files: { networkInterfaces: fixture('ug-describe-network-interfaces-prefixes.xml') },
    exact: true,
    held: [
      { address: '10.0.0.62', kind: 'private-ipv4', scope: 'vpc-0e12f52b2146bf252', eniId: 'eni-02b80b4668EXAMPLE' },
      { address: '10.0.0.208/28', kind: 'ipv4-prefix', scope: 'vpc-0e12f52b2146bf252', eniId: 'eni-02b80b4668EXAMPLE' },
      // AWS's example gives the second ENI another VPC id than the first; kept as printed.
      { address: '10.0.0.73', kind: 'private-ipv4', scope: 'vpc-0e12f52b21EXAMPLE', eniId: 'eni-006edbcfa4EXAMPLE' },
      { address: '2600:1f13:fc2:a700:1768::/80', kind: 'ipv6-prefix', scope: 'global', eniId: 'eni-006edbcfa4EXAMPLE' },
    ],
  },
  {
    name: 'constructed from the describe-nat-gateways example: a NAT gateway ENI and its Elastic IP',
    files: { networkInterfaces: fixture('constructed-nat-gateway-describe-network-interfaces.xml'), addresses: fixture('constructed-nat-gateway-describe-addresses.xml') },
    exact: true,
    held: [
      { address: '10.0.0.77', kind: 'private-ipv4', scope: 'vpc-11aa22bb', eniId: 'eni-71ec7621' },
      { address: '1.2.3.12', kind: 'public-ipv4', scope: 'global', eniId: 'eni-71ec7621', allocationId: 'eipalloc-5d42583f' },
    ],
  },
  {
    name: 'constructed from the requester-managed ENI example: a VPC endpoint ENI',
    files: { networkInterfaces: fixture('constructed-vpc-endpoint-describe-network-interfaces.xml') },
    exact: true,
    held: [{ address: '10.0.0.50', kind: 'private-ipv4', scope: 'vpc-1a2b3c4d', eniId: 'eni-0d11e3ccd2c0e6c57' }],
  },
]

const wantIn = (fixtureNames: string, files: readonly string[]) => fixtureNames.split(' + ').every((f) => files.includes(f))

for (const c of EC2_CASES) {
  t.test(c.name, async (tt) => {
    const pages = await readEc2Fixtures(c.files)
    const { observations } = transformEc2(pages, ctx)
    assertHoldings(tt, observations, c.held, c.exact)
    // What each ENI is, as a careful reader of the example sees it (expected-holders.ts).
    const files = Object.values(c.files).map((f) => path.basename(f))
    for (const want of EXPECTED_HOLDERS.filter((h) => h.eniId !== null && wantIn(h.fixture, files))) {
      const holder = observations.find((o) => o.holder.eniId === want.eniId)?.holder
      tt.same(holder && { kind: holder.kind, type: holder.resource?.type, id: holder.resource?.id, ...(want.resource.name ? { name: holder.resource?.name } : {}) }, { kind: want.kind, type: want.resource.type, id: want.resource.id, ...(want.resource.name ? { name: want.resource.name } : {}) }, `${want.eniId} is ${want.kind} ${want.resource.type} (${want.because})`)
    }
    const keys = observations.map((o) => `${o.address}|${o.scope}|${o.holder.eniId}|${o.holder.instanceId ?? ''}`)
    tt.equal(new Set(keys).size, keys.length, 'one observation per (address, scope, ENI): the places that state a fact are merged, not repeated')

    // The collector's own read (paginators, reservations flattened) sees the same pages.
    const recorded = await recordedEc2(c.files)
    try {
      const snapshot = await takeEc2Snapshot(recorded.ec2, { ...ctx, now: () => 0 })
      tt.ok(snapshot.complete, `the snapshot read every call${snapshot.error ? `: ${snapshot.error}` : ''}`)
      tt.same(snapshot.observations, observations, 'the snapshot observes what the transform of the pages does')
    } finally {
      await recorded.close()
    }
  })
}

t.test('constructed from the first describe-nat-gateways example, whose public IP AWS printed as 198.11.222.333: one unreadable address does not sink the poll', async (tt) => {
  // A snapshot that throws records nothing for the whole target, so every other holding in it goes
  // unwatched for as long as the record stays; the readable addresses of the ENI are still held.
  const recorded = await recordedEc2({ networkInterfaces: fixture('constructed-nat-gateway-malformed-public-ip.xml') })
  try {
    const snapshot = await takeEc2Snapshot(recorded.ec2, { ...ctx, now: () => 0 }).catch((err: unknown) => {
      tt.fail(`the snapshot threw: ${String(err)}`)
      return undefined
    })
    if (snapshot) assertHoldings(tt, snapshot.observations, [{ address: '10.0.0.149', kind: 'private-ipv4', scope: 'vpc-1a2b3c4d', eniId: 'eni-9dec76cd' }], false)
  } finally {
    await recorded.close()
  }
})

t.test('constructed Config history of the CLI example ENI: the Elastic IP stated only in configuration.association', async (tt) => {
  const items = await readConfigHistoryFixture(fixture('constructed-config-eni-history.json'), { resourceType: 'AWS::EC2::NetworkInterface', resourceId: 'eni-e5aa89a3' })
  tt.equal(items.length, 3, 'the real Config client parsed every item')
  const discovered = Date.parse('2013-11-30T23:37:10.000Z')
  const associated = Date.parse('2013-12-01T10:00:00.000Z')
  const deleted = Date.parse('2013-12-02T10:00:00.000Z')
  const intervals = configIntervals(items, { accountId: ctx.accountId, region: ctx.region }, { maxCaptureDelayMs: 120_000 })
  assertHoldings(
    tt,
    intervals,
    [
      { address: '10.0.1.17', kind: 'private-ipv4', scope: 'vpc-a01106c2', eniId: 'eni-e5aa89a3', instanceId: 'i-1234567890abcdef0' },
      { address: '203.0.113.12', kind: 'public-ipv4', scope: 'global', eniId: 'eni-e5aa89a3', instanceId: 'i-1234567890abcdef0', associationId: 'eipassoc-0fbb766a' },
    ],
    true,
  )
  const privateIp = intervals.find((i) => i.address === '10.0.1.17')
  const eip = intervals.find((i) => i.address === '203.0.113.12')
  tt.equal(privateIp?.start.by, discovered, 'the private address was held from the item that discovered the ENI')
  tt.equal(eip?.start.by, associated, 'the Elastic IP was held by the item that first states it')
  tt.ok(eip && eip.start.after < associated, 'and possibly a little earlier: the capture lags the change')
  tt.equal(privateIp?.end?.by, deleted, 'the deletion item ends the private address')
  tt.equal(eip?.end?.by, deleted, 'the deletion item ends the Elastic IP')
})

t.test('transitionTime reads every StateTransitionReason in the table', async (tt) => {
  for (const r of STATE_TRANSITION_REASONS) tt.equal(transitionTime(r.reason), r.at, `${JSON.stringify(r.reason)} (${r.source})`)
})
