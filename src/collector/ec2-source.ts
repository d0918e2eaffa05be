// The EC2 snapshot source: get (every page of DescribeNetworkInterfaces, DescribeInstances and
// DescribeAddresses for one target) → transform (pure) → observations. The network interface is the
// unit: every address is held by an ENI, whoever owns it; instances and Elastic IPs add metadata.
import {
  type Address,
  DescribeAddressesCommand,
  type EC2Client,
  type Instance,
  type NetworkInterface,
  paginateDescribeInstances,
  paginateDescribeNetworkInterfaces,
} from '@aws-sdk/client-ec2'
import type { Bound, Evidence, Holder, HolderKind } from '../model/holding.ts'
import { normalizeIp, parseCidr, parseIp, scopeFor } from '../model/ip.ts'
import type { Observation, Snapshot } from '../model/observation.ts'

/** What one poll read: the raw pages, kept apart from the transform so it can be tested on recordings. */
export interface Ec2Pages {
  readonly networkInterfaces: readonly NetworkInterface[]
  readonly instances: readonly Instance[]
  readonly addresses: readonly Address[]
}

export interface SnapshotContext {
  readonly accountId: string
  readonly region: string
  readonly pollId: string
  readonly now: () => number
  /** MaxResults per page; 1000 unless a test wants many pages. */
  readonly pageSize?: number
  /**
   * How far `now` may be from AWS's clock, whose times (attach and launch times, Config captures) the
   * holdings also carry and abuse reports quote. The window the snapshot read in is widened by it on
   * both sides, so that its bounds hold in AWS's time too.
   */
  readonly clockSkewMs?: number
}

/** Read one target. Never throws: a failure anywhere gives an incomplete snapshot with the reason. */
export async function takeEc2Snapshot(ec2: EC2Client, ctx: SnapshotContext): Promise<Snapshot> {
  const skew = ctx.clockSkewMs ?? 0
  const startedAt = ctx.now() - skew
  const pages = { networkInterfaces: [] as NetworkInterface[], instances: [] as Instance[], addresses: [] as Address[] }
  let error: string | undefined
  try {
    // MaxResults draws on the paginated calls' larger throttling bucket.
    const pageSize = ctx.pageSize ?? 1000
    for await (const page of paginateDescribeNetworkInterfaces({ client: ec2, pageSize }, {})) {
      pages.networkInterfaces.push(...(page.NetworkInterfaces ?? []))
    }
    for await (const page of paginateDescribeInstances({ client: ec2, pageSize }, {})) {
      for (const r of page.Reservations ?? []) pages.instances.push(...(r.Instances ?? []))
    }
    // DescribeAddresses has no pagination: one call returns every Elastic IP of the region.
    pages.addresses.push(...((await ec2.send(new DescribeAddressesCommand({}))).Addresses ?? []))
  } catch (err) {
    const e = err as Error & { $metadata?: { httpStatusCode?: number } }
    error = `${e.name}: ${e.message}`
  }
  const finishedAt = ctx.now() + skew
  const { observations, instanceStops } = transformEc2(pages, ctx)
  return {
    accountId: ctx.accountId,
    region: ctx.region,
    pollId: ctx.pollId,
    startedAt,
    finishedAt,
    complete: error === undefined,
    ...(error !== undefined ? { error } : {}),
    observations,
    instanceStops,
  }
}

/** One observation per (address, scope, ENI) in the pages. Pure. */
export function transformEc2(
  pages: Ec2Pages,
  ctx: Pick<SnapshotContext, 'accountId' | 'region' | 'pollId'>,
): { observations: Observation[]; instanceStops: Map<string, Bound> } {
  const instances = new Map(pages.instances.filter((i) => i.InstanceId).map((i) => [i.InstanceId!, i]))
  const eips = new Map(pages.addresses.filter((a) => a.PublicIp).map((a) => [a.PublicIp!, a]))
  const observations: Observation[] = []
  for (const eni of pages.networkInterfaces) {
    if (!eni.NetworkInterfaceId) continue
    const instance = eni.Attachment?.InstanceId ? instances.get(eni.Attachment.InstanceId) : undefined
    const holder = holderOf(eni, instance, ctx)
    const attachTime = eni.Attachment?.InstanceId ? eni.Attachment.AttachTime : undefined
    const attach = attachTime ? awsTime(attachTime, 'ec2-attach-time', eni.NetworkInterfaceId) : undefined
    const notBeforeAttach = attach ? { after: attach.after, by: Number.POSITIVE_INFINITY, evidence: attach.evidence } : undefined
    const launch = instance?.LaunchTime ? awsTime(instance.LaunchTime, 'ec2-launch-time', instance.InstanceId!) : undefined
    // Every ENI is in a VPC; the placeholder only keeps a malformed record from sinking the poll.
    const vpc = eni.VpcId ?? 'vpc-unknown'
    for (const p of eni.PrivateIpAddresses ?? []) {
      if (!p.PrivateIpAddress) continue
      const ip = parseIp(p.PrivateIpAddress)
      // The primary private IPv4 is the ENI's from its creation, so the (ENI, instance) pair held it
      // from the attach time exactly; a secondary one may have been assigned later.
      const start = p.Primary ? attach : notBeforeAttach
      const scope = scopeFor(ip, vpc)
      observations.push(observation(ip.text, scope, scope === 'global' ? 'public-ipv4' : 'private-ipv4', holder, start))
      const pub = p.Association?.PublicIp
      if (pub) {
        const eip = eips.get(pub)
        const allocationId = p.Association?.AllocationId ?? eip?.AllocationId
        // An auto-assigned public IPv4 is given at every start, but also later (when an Elastic IP is
        // disassociated, the instance gets a new one), so the launch time is only a lower bound; an
        // Elastic IP may have been associated at any time after the attach.
        const pubStart = !allocationId && p.Primary && launch ? { after: launch.after, by: Number.POSITIVE_INFINITY, evidence: launch.evidence } : notBeforeAttach
        observations.push(
          observation(normalizeIp(pub), 'global', 'public-ipv4', allocationId ? { ...holder, allocationId } : holder, pubStart),
        )
      }
    }
    for (const v6 of eni.Ipv6Addresses ?? []) {
      if (v6.Ipv6Address) observations.push(observation(normalizeIp(v6.Ipv6Address), 'global', 'ipv6', holder, notBeforeAttach))
    }
    for (const p of eni.Ipv4Prefixes ?? []) {
      if (p.Ipv4Prefix) observations.push(observation(parseCidr(p.Ipv4Prefix).text, vpc, 'ipv4-prefix', holder, notBeforeAttach))
    }
    for (const p of eni.Ipv6Prefixes ?? []) {
      if (p.Ipv6Prefix) observations.push(observation(parseCidr(p.Ipv6Prefix).text, 'global', 'ipv6-prefix', holder, notBeforeAttach))
    }
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
  return { observations, instanceStops }
}

function observation(address: string, scope: string, addressKind: Observation['addressKind'], holder: Holder, start: Bound | undefined): Observation {
  return { address, addressKind, scope, holder, ...(start ? { start } : {}) }
}

/**
 * A time from AWS as a bound. EC2 prints times to the second (`…T10:00:00.000Z`), so a time with no
 * sub-second part means somewhere in that second.
 */
export function awsTime(date: Date, source: Evidence['source'], ref: string): Bound {
  const at = date.getTime()
  return { after: at, by: at % 1000 === 0 ? at + 999 : at, evidence: [{ source, at, ref }] }
}

/** The time in a StateTransitionReason such as `User initiated (2026-11-20 10:00:00 GMT)`. */
export function transitionTime(reason: string | undefined): number | undefined {
  const m = reason?.match(/\((\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2}) GMT\)/)
  if (!m) return undefined
  const t = Date.parse(`${m[1]}T${m[2]}Z`)
  return Number.isNaN(t) ? undefined : t
}

function tagsOf(list: readonly { Key?: string | undefined; Value?: string | undefined }[] | undefined) {
  const tags: Record<string, string> = {}
  for (const t of list ?? []) if (t.Key !== undefined) tags[t.Key] = t.Value ?? ''
  return tags
}

/** What the ENI belongs to, from the fields AWS gives (interfaceType, description, requester). */
export function holderOf(eni: NetworkInterface, instance: Instance | undefined, ctx: Pick<SnapshotContext, 'accountId' | 'region'>): Holder {
  const description = eni.Description ?? ''
  const type = eni.InterfaceType as string | undefined
  const eniTags = tagsOf(eni.TagSet)
  let kind: HolderKind
  let name: string | undefined
  const elb = description.match(/^ELB (?:app|net|gwy)\/([^/]+)\//) ?? description.match(/^ELB ([^\s/]+)$/)
  if (eni.Attachment?.InstanceId) {
    kind = 'instance'
    name = tagsOf(instance?.Tags).Name
  } else if (type === 'nat_gateway' || type === 'natGateway') {
    kind = 'nat-gateway'
    name = description.match(/nat-[0-9a-f]+/)?.[0]
  } else if (elb || type === 'network_load_balancer' || type === 'gateway_load_balancer') {
    kind = 'load-balancer'
    name = elb?.[1]
  } else if (type === 'lambda' || description.startsWith('AWS Lambda VPC ENI')) {
    kind = 'lambda'
    name = description.match(/^AWS Lambda VPC ENI-(.+)-[0-9a-f-]{36}$/)?.[1]
  } else if (type === 'vpc_endpoint' || description.startsWith('VPC Endpoint Interface')) {
    kind = 'vpc-endpoint'
    name = description.match(/vpce-[0-9a-f]+/)?.[0]
  } else if (description === 'RDSNetworkInterface') {
    kind = 'rds'
  } else if (eni.RequesterManaged) {
    kind = 'requester-managed'
  } else {
    kind = 'interface'
  }
  const tags = instance ? { ...eniTags, ...tagsOf(instance.Tags) } : eniTags
  return {
    eniId: eni.NetworkInterfaceId!,
    kind,
    accountId: ctx.accountId,
    region: ctx.region,
    ...(eni.VpcId ? { vpcId: eni.VpcId } : {}),
    ...(eni.SubnetId ? { subnetId: eni.SubnetId } : {}),
    ...(type ? { interfaceType: type } : {}),
    ...(eni.RequesterManaged !== undefined ? { requesterManaged: eni.RequesterManaged } : {}),
    ...(description ? { description } : {}),
    ...(eni.Attachment?.InstanceId ? { instanceId: eni.Attachment.InstanceId } : {}),
    ...(name ? { name } : {}),
    ...(instance?.InstanceType ? { instanceType: instance.InstanceType } : {}),
    ...(instance?.ImageId ? { imageId: instance.ImageId } : {}),
    ...(Object.keys(tags).length > 0 ? { tags } : {}),
  }
}
