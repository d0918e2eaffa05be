// The EC2 snapshot transform: the pages of one poll → observations. Pure.
//
// AWS states most facts in several places, and implementations differ in which they fill: an Elastic
// IP's association may be on the ENI (`NetworkInterface.Association`), on its private address
// (`PrivateIpAddresses[].Association`), in DescribeAddresses, and on the instance (`PublicIpAddress`,
// `NetworkInterfaces[].Association`). Reading one of them once missed every Elastic IP of a real
// implementation and answered "none of ours" with complete coverage. So every place is read
// (EC2_PLACES), each holding is the union of what they say (never the intersection: a missed holding
// is a wrong "nobody"), and where the sources that should agree do not, the disagreement is counted.
import type { Address, Instance, InstanceNetworkInterface, NetworkInterface } from '@aws-sdk/client-ec2'
import type { AddressKind, Bound, Evidence } from '../model/holding.ts'
import { normalizeIp, parseCidr, parseIp, scopeFor } from '../model/ip.ts'
import type { Disagreements, Observation } from '../model/observation.ts'
import { type EniRecord, holderFor, tagRecord } from './holder.ts'

/** What one poll read: the raw pages, kept apart from the transform so it can be tested on recordings. */
export interface Ec2Pages {
  readonly networkInterfaces: readonly NetworkInterface[]
  readonly instances: readonly Instance[]
  readonly addresses: readonly Address[]
}

/** Every field an address may be stated in. `eni.` is DescribeNetworkInterfaces, `instance.` DescribeInstances. */
export const EC2_PLACES = [
  'eni.PrivateIpAddress',
  'eni.PrivateIpAddresses',
  'eni.Association',
  'eni.PrivateIpAddresses.Association',
  'eni.Ipv6Address',
  'eni.Ipv6Addresses',
  'eni.Ipv4Prefixes',
  'eni.Ipv6Prefixes',
  'instance.PrivateIpAddress',
  'instance.PublicIpAddress',
  'instance.Ipv6Address',
  'instance.NetworkInterfaces.PrivateIpAddresses',
  'instance.NetworkInterfaces.Association',
  'instance.NetworkInterfaces.PrivateIpAddresses.Association',
  'instance.NetworkInterfaces.Ipv6Addresses',
  'instance.NetworkInterfaces.Ipv4Prefixes',
  'instance.NetworkInterfaces.Ipv6Prefixes',
  'addresses',
] as const
export type Ec2Place = (typeof EC2_PLACES)[number]

type Source = 'eni' | 'instance' | 'addresses'
const sourceOf = (place: Ec2Place): Source => (place.startsWith('eni.') ? 'eni' : place.startsWith('instance.') ? 'instance' : 'addresses')

export interface TransformOptions {
  /** Read only these places (tests show what a single place misses); default every one. */
  readonly places?: readonly Ec2Place[]
}

/** One place saying an ENI holds an address. */
interface Claim {
  readonly address: string
  readonly kind: 'private-ipv4' | 'public' | 'ipv6' | 'ipv4-prefix' | 'ipv6-prefix'
  readonly place: Ec2Place
  /** Private IPv4: the place says it is the ENI's primary address. */
  readonly primary?: boolean
  /** Public: the private IPv4 it is associated with, or `primary` when the place ties it to the primary one. */
  readonly via?: string
  readonly allocationId?: string | undefined
  readonly associationId?: string | undefined
  readonly ipOwnerId?: string | undefined
}

/** One ENI as every source stated it. */
interface EniView {
  readonly id: string
  eni?: NetworkInterface
  instance?: Instance
  /** Its record inside the instance's DescribeInstances entry. */
  ni?: InstanceNetworkInterface
  /** Only DescribeAddresses named it (by id, or by an instance whose ENIs are not listed). */
  fromAddresses?: { readonly instanceId?: string | undefined }
  readonly claims: Claim[]
}

export function transformEc2(
  pages: Ec2Pages,
  ctx: { readonly accountId: string; readonly region: string; readonly pollId?: string },
  options: TransformOptions = {},
): { observations: Observation[]; instanceStops: Map<string, Bound>; disagreements: Disagreements } {
  const reading = new Set<Ec2Place>(options.places ?? EC2_PLACES)
  const reads = (place: Ec2Place) => reading.has(place)
  const instances = new Map(pages.instances.filter((i) => i.InstanceId).map((i) => [i.InstanceId!, i]))
  const views = new Map<string, EniView>()
  const view = (id: string): EniView => {
    let v = views.get(id)
    if (!v) views.set(id, (v = { id, claims: [] }))
    return v
  }
  for (const eni of pages.networkInterfaces) {
    if (!eni.NetworkInterfaceId) continue
    const v = view(eni.NetworkInterfaceId)
    v.eni = eni
    const attached = eni.Attachment?.InstanceId ? instances.get(eni.Attachment.InstanceId) : undefined
    if (attached) v.instance = attached
  }
  for (const instance of pages.instances) {
    for (const ni of instance.NetworkInterfaces ?? []) {
      if (!ni.NetworkInterfaceId) continue
      const v = view(ni.NetworkInterfaceId)
      v.ni = ni
      v.instance ??= instance
    }
  }
  const primaryEniOf = (instanceId: string | undefined): string | undefined => {
    if (!instanceId) return undefined
    const listed = instances.get(instanceId)?.NetworkInterfaces ?? []
    const byIndex = listed.find((ni) => ni.Attachment?.DeviceIndex === 0) ?? (listed.length === 1 ? listed[0] : undefined)
    if (byIndex?.NetworkInterfaceId) return byIndex.NetworkInterfaceId
    return pages.networkInterfaces.find((e) => e.Attachment?.InstanceId === instanceId && e.Attachment.DeviceIndex === 0)?.NetworkInterfaceId
  }

  // DescribeNetworkInterfaces.
  for (const eni of pages.networkInterfaces) {
    if (!eni.NetworkInterfaceId) continue
    const claims = view(eni.NetworkInterfaceId).claims
    if (reads('eni.PrivateIpAddress') && eni.PrivateIpAddress) claims.push({ address: eni.PrivateIpAddress, kind: 'private-ipv4', place: 'eni.PrivateIpAddress', primary: true })
    for (const p of eni.PrivateIpAddresses ?? []) {
      if (!p.PrivateIpAddress) continue
      if (reads('eni.PrivateIpAddresses')) claims.push({ address: p.PrivateIpAddress, kind: 'private-ipv4', place: 'eni.PrivateIpAddresses', primary: p.Primary === true })
      if (reads('eni.PrivateIpAddresses.Association')) claims.push(...associationClaims(p.Association, 'eni.PrivateIpAddresses.Association', p.PrivateIpAddress))
    }
    // The interface's own association is its primary private address's.
    if (reads('eni.Association')) claims.push(...associationClaims(eni.Association, 'eni.Association', 'primary'))
    if (reads('eni.Ipv6Address') && eni.Ipv6Address) claims.push({ address: eni.Ipv6Address, kind: 'ipv6', place: 'eni.Ipv6Address' })
    if (reads('eni.Ipv6Addresses')) for (const a of eni.Ipv6Addresses ?? []) if (a.Ipv6Address) claims.push({ address: a.Ipv6Address, kind: 'ipv6', place: 'eni.Ipv6Addresses' })
    if (reads('eni.Ipv4Prefixes')) for (const p of eni.Ipv4Prefixes ?? []) if (p.Ipv4Prefix) claims.push({ address: p.Ipv4Prefix, kind: 'ipv4-prefix', place: 'eni.Ipv4Prefixes' })
    if (reads('eni.Ipv6Prefixes')) for (const p of eni.Ipv6Prefixes ?? []) if (p.Ipv6Prefix) claims.push({ address: p.Ipv6Prefix, kind: 'ipv6-prefix', place: 'eni.Ipv6Prefixes' })
  }

  // DescribeInstances: the instance's own fields are its primary ENI's, then each ENI's record.
  for (const instance of pages.instances) {
    const primaryId = primaryEniOf(instance.InstanceId)
    if (primaryId) {
      const claims = view(primaryId).claims
      if (reads('instance.PrivateIpAddress') && instance.PrivateIpAddress) claims.push({ address: instance.PrivateIpAddress, kind: 'private-ipv4', place: 'instance.PrivateIpAddress', primary: true })
      if (reads('instance.PublicIpAddress') && instance.PublicIpAddress) claims.push({ address: instance.PublicIpAddress, kind: 'public', place: 'instance.PublicIpAddress', via: 'primary' })
      if (reads('instance.Ipv6Address') && instance.Ipv6Address) claims.push({ address: instance.Ipv6Address, kind: 'ipv6', place: 'instance.Ipv6Address' })
    }
    for (const ni of instance.NetworkInterfaces ?? []) {
      if (!ni.NetworkInterfaceId) continue
      const claims = view(ni.NetworkInterfaceId).claims
      if (reads('instance.NetworkInterfaces.PrivateIpAddresses')) {
        if (ni.PrivateIpAddress) claims.push({ address: ni.PrivateIpAddress, kind: 'private-ipv4', place: 'instance.NetworkInterfaces.PrivateIpAddresses', primary: true })
        for (const p of ni.PrivateIpAddresses ?? []) {
          if (p.PrivateIpAddress) claims.push({ address: p.PrivateIpAddress, kind: 'private-ipv4', place: 'instance.NetworkInterfaces.PrivateIpAddresses', primary: p.Primary === true })
        }
      }
      if (reads('instance.NetworkInterfaces.PrivateIpAddresses.Association')) {
        for (const p of ni.PrivateIpAddresses ?? []) {
          if (p.PrivateIpAddress) claims.push(...associationClaims(p.Association, 'instance.NetworkInterfaces.PrivateIpAddresses.Association', p.PrivateIpAddress))
        }
      }
      if (reads('instance.NetworkInterfaces.Association')) claims.push(...associationClaims(ni.Association, 'instance.NetworkInterfaces.Association', 'primary'))
      if (reads('instance.NetworkInterfaces.Ipv6Addresses')) for (const a of ni.Ipv6Addresses ?? []) if (a.Ipv6Address) claims.push({ address: a.Ipv6Address, kind: 'ipv6', place: 'instance.NetworkInterfaces.Ipv6Addresses' })
      if (reads('instance.NetworkInterfaces.Ipv4Prefixes')) for (const p of ni.Ipv4Prefixes ?? []) if (p.Ipv4Prefix) claims.push({ address: p.Ipv4Prefix, kind: 'ipv4-prefix', place: 'instance.NetworkInterfaces.Ipv4Prefixes' })
      if (reads('instance.NetworkInterfaces.Ipv6Prefixes')) for (const p of ni.Ipv6Prefixes ?? []) if (p.Ipv6Prefix) claims.push({ address: p.Ipv6Prefix, kind: 'ipv6-prefix', place: 'instance.NetworkInterfaces.Ipv6Prefixes' })
    }
  }

  // DescribeAddresses: an Elastic IP names the ENI (or, alone, the instance) and the private address it is on.
  const elastic = new Map<string, Address>()
  for (const a of pages.addresses) {
    for (const ip of [a.PublicIp, a.CarrierIp, a.CustomerOwnedIp]) {
      const text = ip ? readable(ip, 'public') : undefined
      if (text) elastic.set(text, a)
    }
    if (!reads('addresses')) continue
    const eniId = a.NetworkInterfaceId ?? primaryEniOf(a.InstanceId) ?? a.InstanceId
    if (!eniId) continue
    const v = view(eniId)
    if (!v.eni && !v.ni) v.fromAddresses = { instanceId: a.InstanceId }
    for (const ip of [a.PublicIp, a.CarrierIp, a.CustomerOwnedIp]) {
      if (ip) v.claims.push({ address: ip, kind: 'public', place: 'addresses', via: a.PrivateIpAddress ?? 'primary', allocationId: a.AllocationId, associationId: a.AssociationId, ipOwnerId: ctx.accountId })
    }
  }

  const observations: Observation[] = []
  const counted = { total: 0, byKind: {} as Record<string, number>, examples: [] as string[] }
  const unreadable: string[] = []
  for (const v of views.values()) {
    // An address that does not parse (AWS's own NAT gateway example prints 198.11.222.333) is left
    // out and reported; it must not sink the poll, or one bad record would leave the target unwatched.
    const claims: Claim[] = []
    for (const c of v.claims) {
      const text = readable(c.address, c.kind)
      if (text) claims.push({ ...c, address: text })
      else unreadable.push(`${v.id}: ${c.place} states "${c.address}", not an address`)
    }
    v.claims.splice(0, v.claims.length, ...claims)
    if (v.claims.length === 0) continue
    const built = observe(v, ctx, instances, elastic)
    observations.push(...built.observations)
    // Disagreement needs every place read: with a chosen few, the rest are silent by choice.
    if (options.places === undefined) {
      for (const d of built.disagreements) {
        counted.total++
        counted.byKind[d.kind] = (counted.byKind[d.kind] ?? 0) + 1
        if (counted.examples.length < 5) counted.examples.push(d.sentence)
      }
    }
  }

  for (const sentence of unreadable) {
    counted.total++
    counted.byKind.unreadable = (counted.byKind.unreadable ?? 0) + 1
    if (counted.examples.length < 5) counted.examples.push(sentence)
  }

  const instanceStops = new Map<string, Bound>()
  for (const i of pages.instances) {
    const state = i.State?.Name
    if (!i.InstanceId || !state || !['stopping', 'stopped', 'shutting-down', 'terminated'].includes(state)) continue
    const at = transitionTime(i.StateTransitionReason)
    if (at !== undefined) {
      instanceStops.set(i.InstanceId, { after: at, by: Number.POSITIVE_INFINITY, evidence: [{ source: 'ec2-state-transition', at, ref: `${i.InstanceId}: ${i.StateTransitionReason}` }] })
    }
  }
  return { observations, instanceStops, disagreements: counted }
}

function associationClaims(
  association: { PublicIp?: string | undefined; CarrierIp?: string | undefined; CustomerOwnedIp?: string | undefined; AllocationId?: string | undefined; AssociationId?: string | undefined; IpOwnerId?: string | undefined } | undefined,
  place: Ec2Place,
  via: string,
): Claim[] {
  if (!association) return []
  const out: Claim[] = []
  for (const ip of [association.PublicIp, association.CarrierIp, association.CustomerOwnedIp]) {
    if (ip) out.push({ address: ip, kind: 'public', place, via, allocationId: association.AllocationId, associationId: association.AssociationId, ipOwnerId: association.IpOwnerId })
  }
  return out
}

/** The canonical text of an address or prefix, or undefined when it is not one. */
function readable(text: string, kind: Claim['kind']): string | undefined {
  try {
    return kind === 'ipv4-prefix' || kind === 'ipv6-prefix' ? parseCidr(text).text : normalizeIp(text)
  } catch {
    return undefined
  }
}

/** One ENI's claims → one observation per (address, scope), and where its sources disagreed. */
function observe(
  v: EniView,
  ctx: { readonly accountId: string; readonly region: string },
  instances: ReadonlyMap<string, Instance>,
  elastic: ReadonlyMap<string, Address>,
): { observations: Observation[]; disagreements: { kind: AddressKind; sentence: string }[] } {
  const { eni, ni } = v
  const instanceId = eni?.Attachment?.InstanceId ?? (ni ? v.instance?.InstanceId : undefined) ?? v.fromAddresses?.instanceId
  const instance = instanceId ? (v.instance ?? instances.get(instanceId)) : undefined
  // Every ENI is in a VPC; the placeholder only keeps a record with none from sinking the poll.
  const vpc = eni?.VpcId ?? ni?.VpcId ?? 'vpc-unknown'
  const record: EniRecord = {
    eniId: v.id,
    interfaceType: eni?.InterfaceType ?? ni?.InterfaceType,
    description: eni?.Description ?? ni?.Description,
    requesterId: eni?.RequesterId,
    requesterManaged: eni?.RequesterManaged,
    ownerId: eni?.OwnerId ?? ni?.OwnerId,
    attachment: instanceId ? { instanceId, instanceOwnerId: eni?.Attachment?.InstanceOwnerId } : eni?.Attachment ? { instanceOwnerId: eni.Attachment.InstanceOwnerId } : undefined,
    tags: tagRecord(eni?.TagSet),
    vpcId: vpc === 'vpc-unknown' ? undefined : vpc,
    subnetId: eni?.SubnetId ?? ni?.SubnetId,
  }
  const holder = holderFor(record, ctx, instance ? { instanceType: instance.InstanceType, imageId: instance.ImageId, tags: tagRecord(instance.Tags) } : undefined)

  const attachTime = instanceId ? (eni?.Attachment?.AttachTime ?? ni?.Attachment?.AttachTime) : undefined
  const attach = attachTime ? awsTime(attachTime, 'ec2-attach-time', v.id) : undefined
  const notBefore = (b: Bound | undefined): Bound | undefined => (b ? { after: b.after, by: Number.POSITIVE_INFINITY, evidence: b.evidence } : undefined)
  const launch = instance?.LaunchTime ? awsTime(instance.LaunchTime, 'ec2-launch-time', instance.InstanceId!) : undefined

  // The primary private address, as any place states it.
  const primary = v.claims.find((c) => c.kind === 'private-ipv4' && c.primary)?.address

  // The sources that should state each of this ENI's addresses: DescribeNetworkInterfaces always, its
  // record inside the instance's when DescribeInstances lists it there (DescribeAddresses only for
  // Elastic IPs, below).
  const expected: Source[] = ['eni', ...(ni ? (['instance'] as const) : [])]

  const groups = new Map<string, Claim[]>()
  for (const c of v.claims) {
    const key = `${c.kind}|${c.address}`
    const list = groups.get(key)
    if (list) list.push(c)
    else groups.set(key, [c])
  }
  const observations: Observation[] = []
  const disagreements: { kind: AddressKind; sentence: string }[] = []
  for (const claims of groups.values()) {
    const first = claims[0]!
    let observation: Observation
    if (first.kind === 'ipv4-prefix') {
      observation = { address: first.address, addressKind: 'ipv4-prefix', scope: vpc, holder, ...start(notBefore(attach)) }
    } else if (first.kind === 'ipv6-prefix') {
      observation = { address: first.address, addressKind: 'ipv6-prefix', scope: 'global', holder, ...start(notBefore(attach)) }
    } else if (first.kind === 'ipv6') {
      observation = { address: first.address, addressKind: 'ipv6', scope: 'global', holder, ...start(notBefore(attach)) }
    } else if (first.kind === 'private-ipv4') {
      const ip = parseIp(first.address)
      const scope = scopeFor(ip, vpc)
      // The primary private IPv4 is the ENI's from its creation, so the (ENI, instance) pair held it
      // from the attach time exactly; a secondary one may have been assigned later.
      const isPrimary = claims.some((c) => c.primary)
      observation = { address: ip.text, addressKind: scope === 'global' ? 'public-ipv4' : 'private-ipv4', scope, holder, ...start(isPrimary ? attach : notBefore(attach)) }
    } else {
      const ip = parseIp(first.address)
      const scope = scopeFor(ip, vpc)
      const eip = elastic.get(ip.text)
      const allocationId = claims.find((c) => c.allocationId)?.allocationId ?? eip?.AllocationId
      // Only from the places that put it on this ENI (the instance's own view has no association id).
      // Two different ids here mean it was associated again while the pages were read: either is a
      // later association than the last poll's, which is all reconcile needs.
      const associationId = claims.find((c) => c.associationId)?.associationId
      // An auto-assigned public IPv4 is given at every start, but also later (when an Elastic IP is
      // disassociated, the instance gets a new one), so the launch time is only a lower bound, and only
      // when some place says Amazon owns the address (an Elastic IP stays through stops and starts, so
      // its start may be before the launch). An Elastic IP may have been associated any time after the attach.
      const elasticIp = allocationId !== undefined || eip !== undefined || claims.some((c) => c.ipOwnerId !== undefined && c.ipOwnerId !== 'amazon')
      const autoAssigned = !elasticIp && claims.some((c) => c.ipOwnerId === 'amazon')
      const onPrimary = claims.some((c) => c.via === 'primary' || (primary !== undefined && c.via === primary))
      const from = autoAssigned && onPrimary && launch ? notBefore(launch) : notBefore(attach)
      observation = {
        address: ip.text,
        addressKind: scope === 'global' ? 'public-ipv4' : 'private-ipv4',
        scope,
        holder: { ...holder, ...(allocationId ? { allocationId } : {}), ...(associationId ? { associationId } : {}) },
        ...start(from),
      }
      if (elasticIp && eip) {
        // DescribeAddresses lists this Elastic IP: it should say it is on this ENI.
        const named = eip.NetworkInterfaceId ?? eip.InstanceId
        if (!claims.some((c) => c.place === 'addresses') && named !== v.id) {
          disagreements.push({ kind: observation.addressKind, sentence: `${ip.text}: on ${v.id} by ${places(claims)}, but DescribeAddresses says ${named ? `it is on ${named}` : 'it is not associated'}` })
        }
      }
    }
    const stated = new Set(claims.map((c) => sourceOf(c.place)))
    for (const source of expected) {
      if (!stated.has(source)) {
        const missing = source === 'instance' ? 'its DescribeInstances record' : eni ? 'its DescribeNetworkInterfaces record' : 'DescribeNetworkInterfaces, which does not list the ENI'
        disagreements.push({ kind: observation.addressKind, sentence: `${observation.address}: on ${v.id} by ${places(claims)}, not by ${missing}` })
      }
    }
    observations.push(observation)
  }
  return { observations, disagreements }
}

function places(claims: readonly Claim[]): string {
  return [...new Set(claims.map((c) => c.place))].join(', ')
}

function start(bound: Bound | undefined): { start?: Bound } {
  return bound ? { start: bound } : {}
}

/**
 * A time from AWS as a bound. EC2 prints times to the second (`…T10:00:00.000Z`), so a time with no
 * sub-second part means somewhere in that second.
 */
export function awsTime(date: Date, source: Evidence['source'], ref: string): Bound {
  const at = date.getTime()
  return { after: at, by: at % 1000 === 0 ? at + 999 : at, evidence: [{ source, at, ref }] }
}

/**
 * The time in a StateTransitionReason such as `User initiated (2026-11-20 10:00:00 GMT)`. AWS writes
 * `GMT`; other EC2 implementations write `UTC`; both are the same zone.
 */
export function transitionTime(reason: string | undefined): number | undefined {
  const m = reason?.match(/\((\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2}:\d{2})(?:\.\d+)? ?(?:GMT|UTC|Z)\)/)
  if (!m) return undefined
  const t = Date.parse(`${m[1]}T${m[2]}Z`)
  return Number.isNaN(t) ? undefined : t
}
