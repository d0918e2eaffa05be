// transformEc2 takes every fact from the union of the places AWS states it in. Pure, so the cases are
// hand-made pages; the same is checked through the real SDK against the simulated organisation's
// variants (variants.test.ts) and on AWS's own example responses (aws-examples.test.ts).
import type { Address, Instance, NetworkInterface } from '@aws-sdk/client-ec2'
import fc from 'fast-check'
import t from 'tap'
import { EC2_PLACES, type Ec2Place, transformEc2, transitionTime } from '../../src/collector/ec2-transform.ts'

const ctx = { accountId: '111111111111', region: 'eu-west-1', pollId: 'p1' }
const ATTACH = new Date('2026-11-01T09:00:00.000Z')
const LAUNCH = new Date('2026-11-20T08:00:00.000Z')

/** One instance's primary ENI as the truth, rendered with each fact in a chosen subset of its places. */
interface Truth {
  readonly primary: string
  readonly secondaries: readonly string[]
  /** The public IPv4 on the primary private address, an Elastic IP or not. */
  readonly publicIp?: { readonly ip: string; readonly allocationId?: string }
  readonly ipv6: readonly string[]
}

type PublicPlace = 'eni.Association' | 'eni.PrivateIpAddresses.Association' | 'addresses' | 'instance.PublicIpAddress' | 'instance.NetworkInterfaces.Association' | 'instance.NetworkInterfaces.PrivateIpAddresses.Association'
const PUBLIC_PLACES: readonly PublicPlace[] = ['eni.Association', 'eni.PrivateIpAddresses.Association', 'addresses', 'instance.PublicIpAddress', 'instance.NetworkInterfaces.Association', 'instance.NetworkInterfaces.PrivateIpAddresses.Association']

function render(truth: Truth, publicIn: ReadonlySet<PublicPlace>): { networkInterfaces: NetworkInterface[]; instances: Instance[]; addresses: Address[] } {
  const pub = truth.publicIp
  const association = pub ? { PublicIp: pub.ip, IpOwnerId: pub.allocationId ? ctx.accountId : 'amazon', ...(pub.allocationId ? { AllocationId: pub.allocationId } : {}) } : undefined
  const privates = [truth.primary, ...truth.secondaries].map((ip, i) => ({
    PrivateIpAddress: ip,
    Primary: i === 0,
    ...(i === 0 && association && publicIn.has('eni.PrivateIpAddresses.Association') ? { Association: association } : {}),
  }))
  const eni: NetworkInterface = {
    NetworkInterfaceId: 'eni-0a',
    VpcId: 'vpc-1',
    SubnetId: 'subnet-1',
    InterfaceType: 'interface',
    Attachment: { InstanceId: 'i-0a', DeviceIndex: 0, AttachTime: ATTACH, InstanceOwnerId: ctx.accountId },
    PrivateIpAddress: truth.primary,
    PrivateIpAddresses: privates,
    Ipv6Addresses: truth.ipv6.map((Ipv6Address) => ({ Ipv6Address })),
    ...(association && publicIn.has('eni.Association') ? { Association: association } : {}),
  }
  const instance: Instance = {
    InstanceId: 'i-0a',
    LaunchTime: LAUNCH,
    State: { Name: 'running', Code: 16 },
    PrivateIpAddress: truth.primary,
    ...(pub && publicIn.has('instance.PublicIpAddress') ? { PublicIpAddress: pub.ip } : {}),
    NetworkInterfaces: [
      {
        NetworkInterfaceId: 'eni-0a',
        Attachment: { DeviceIndex: 0, AttachTime: ATTACH },
        PrivateIpAddress: truth.primary,
        PrivateIpAddresses: [truth.primary, ...truth.secondaries].map((ip, i) => ({
          PrivateIpAddress: ip,
          Primary: i === 0,
          ...(i === 0 && association && publicIn.has('instance.NetworkInterfaces.PrivateIpAddresses.Association') ? { Association: { PublicIp: association.PublicIp, IpOwnerId: association.IpOwnerId } } : {}),
        })),
        Ipv6Addresses: truth.ipv6.map((Ipv6Address) => ({ Ipv6Address })),
        ...(association && publicIn.has('instance.NetworkInterfaces.Association') ? { Association: { PublicIp: association.PublicIp, IpOwnerId: association.IpOwnerId } } : {}),
      },
    ],
  }
  const addresses: Address[] =
    pub?.allocationId !== undefined
      ? [{ PublicIp: pub.ip, AllocationId: pub.allocationId, Domain: 'vpc', ...(publicIn.has('addresses') ? { NetworkInterfaceId: 'eni-0a', PrivateIpAddress: truth.primary, InstanceId: 'i-0a', AssociationId: 'eipassoc-1' } : {}) }]
      : []
  return { networkInterfaces: [eni], instances: [instance], addresses }
}

const expected = (truth: Truth) =>
  [truth.primary, ...truth.secondaries].map((ip) => `${ip}|vpc-1`).concat(truth.publicIp ? [`${truth.publicIp.ip}|global`] : [], truth.ipv6.map((ip) => `${ip}|global`)).sort()
const observed = (pages: ReturnType<typeof render>, places?: readonly Ec2Place[]) =>
  transformEc2(pages, ctx, places ? { places } : {}).observations.filter((o) => o.holder.eniId === 'eni-0a').map((o) => `${o.address}|${o.scope}`).sort()

const octet = fc.integer({ min: 1, max: 254 })
const truthArb = fc.record({
  primary: octet.map((n) => `10.0.1.${n}`),
  secondaries: fc.uniqueArray(octet.map((n) => `10.0.2.${n}`), { maxLength: 3 }),
  publicIp: fc.option(fc.record({ ip: octet.map((n) => `203.0.113.${n}`), allocationId: fc.option(fc.constant('eipalloc-1'), { nil: undefined }) }, { requiredKeys: ['ip'] }), { nil: undefined }),
  ipv6: fc.uniqueArray(fc.integer({ min: 1, max: 0xffff }).map((n) => `2600:1f18::${n.toString(16)}`), { maxLength: 2 }),
})

t.test('every address is observed whichever non-empty set of places states the public IPv4', async () => {
  fc.assert(
    fc.property(truthArb, fc.subarray([...PUBLIC_PLACES], { minLength: 1 }), (truth, places) => {
      // DescribeAddresses states only Elastic IPs; an auto-assigned address needs another place.
      const usable = truth.publicIp?.allocationId ? places : places.filter((p) => p !== 'addresses')
      if (usable.length === 0) return
      const pages = render(truth, new Set(usable))
      if (observed(pages).join() !== expected(truth).join()) throw new Error(`${observed(pages).join()} ≠ ${expected(truth).join()} with ${usable.join(', ')}`)
    }),
  )
})

t.test('reading any single place instead of the union misses the public IPv4 when that place is the one left empty', async (t) => {
  const truth: Truth = { primary: '10.0.1.5', secondaries: [], publicIp: { ip: '203.0.113.9', allocationId: 'eipalloc-1' }, ipv6: [] }
  for (const only of PUBLIC_PLACES) {
    const pages = render(truth, new Set(PUBLIC_PLACES.filter((p) => p !== only)))
    t.ok(observed(pages).includes('203.0.113.9|global'), `the union finds it with ${only} empty`)
    t.notOk(observed(pages, [only, 'eni.PrivateIpAddresses']).includes('203.0.113.9|global'), `${only} alone misses it`)
  }
})

t.test('an Elastic IP only DescribeAddresses states is held, and the disagreement is counted', async (t) => {
  const truth: Truth = { primary: '10.0.1.5', secondaries: [], publicIp: { ip: '203.0.113.9', allocationId: 'eipalloc-1' }, ipv6: [] }
  const out = transformEc2(render(truth, new Set(['addresses'])), ctx)
  const held = out.observations.find((o) => o.address === '203.0.113.9')
  t.ok(held, 'held')
  t.equal(held?.holder.allocationId, 'eipalloc-1')
  t.equal(held?.holder.instanceId, 'i-0a')
  t.equal(out.disagreements.byKind['public-ipv4'], 2, 'both the ENI and the instance record left it out')
  t.match(out.disagreements.examples[0], /203\.0\.113\.9: on eni-0a by addresses, not by its DescribeNetworkInterfaces record/)
  const agreed = transformEc2(render(truth, new Set(PUBLIC_PLACES)), ctx)
  t.equal(agreed.disagreements.total, 0, 'nothing counted when every place states it')
})

t.test('an Elastic IP on an ENI that DescribeNetworkInterfaces does not list is still held', async (t) => {
  const out = transformEc2(
    { networkInterfaces: [], instances: [], addresses: [{ PublicIp: '198.51.100.4', AllocationId: 'eipalloc-9', NetworkInterfaceId: 'eni-0gone', PrivateIpAddress: '10.0.3.3' }] },
    ctx,
  )
  t.same(out.observations.map((o) => [o.address, o.scope, o.holder.eniId, o.holder.allocationId]), [['198.51.100.4', 'global', 'eni-0gone', 'eipalloc-9']])
  t.equal(out.disagreements.total, 1)
})

t.test('carrier and customer-owned addresses are held too', async (t) => {
  const eni: NetworkInterface = {
    NetworkInterfaceId: 'eni-0c',
    VpcId: 'vpc-1',
    PrivateIpAddress: '10.0.1.9',
    PrivateIpAddresses: [{ PrivateIpAddress: '10.0.1.9', Primary: true, Association: { CarrierIp: '155.146.1.2', IpOwnerId: ctx.accountId } }],
    Association: { CustomerOwnedIp: '192.0.2.77', IpOwnerId: ctx.accountId },
  }
  const got = transformEc2({ networkInterfaces: [eni], instances: [], addresses: [] }, ctx).observations.map((o) => `${o.address}|${o.scope}`)
  t.same(got.sort(), ['10.0.1.9|vpc-1', '155.146.1.2|global', '192.0.2.77|global'])
})

t.test('start bounds: exact attach for the primary address, launch only for an address Amazon owns', async (t) => {
  const truth = (allocationId?: string): Truth => ({ primary: '10.0.1.5', secondaries: ['10.0.2.6'], publicIp: { ip: '203.0.113.9', ...(allocationId ? { allocationId } : {}) }, ipv6: [] })
  const find = (pages: ReturnType<typeof render>, ip: string) => transformEc2(pages, ctx).observations.find((o) => o.address === ip)!
  const auto = render(truth(), new Set(PUBLIC_PLACES.filter((p) => p !== 'addresses')))
  t.same([find(auto, '10.0.1.5').start?.after, find(auto, '10.0.1.5').start?.by], [ATTACH.getTime(), ATTACH.getTime() + 999], 'primary: the attach second')
  t.same([find(auto, '10.0.2.6').start?.after, find(auto, '10.0.2.6').start?.by], [ATTACH.getTime(), Number.POSITIVE_INFINITY], 'secondary: not before the attach')
  t.equal(find(auto, '203.0.113.9').start?.after, LAUNCH.getTime(), 'auto-assigned: not before the launch')
  // An Elastic IP survives stop and start, so it may predate the launch: only the attach bounds it,
  // whether the allocation id is stated on the ENI or only in DescribeAddresses.
  const elastic = render(truth('eipalloc-1'), new Set(['instance.PublicIpAddress', 'addresses']))
  t.equal(find(elastic, '203.0.113.9').start?.after, ATTACH.getTime())
  // Nothing says who owns it: the weaker bound.
  const unknown = render(truth(), new Set(['instance.PublicIpAddress']))
  t.equal(find(unknown, '203.0.113.9').start?.after, ATTACH.getTime())
})

t.test('every place named in EC2_PLACES is read by default', async (t) => {
  t.equal(new Set(EC2_PLACES).size, EC2_PLACES.length)
})

t.test('StateTransitionReason times in GMT (AWS) and UTC (other implementations)', async (t) => {
  const at = Date.UTC(2013, 7, 19, 20, 35, 5)
  t.equal(transitionTime('User initiated (2013-08-19 20:35:05 GMT)'), at)
  t.equal(transitionTime('User initiated (2013-08-19 20:35:05 UTC)'), at)
  t.equal(transitionTime('Service initiated (2013-08-19T20:35:05Z)'), at)
  t.equal(transitionTime('Server.SpotInstanceTermination'), undefined)
  t.equal(transitionTime(''), undefined)
  t.equal(transitionTime(undefined), undefined)
})
