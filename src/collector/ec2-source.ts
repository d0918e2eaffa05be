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
  type Reservation,
} from '@aws-sdk/client-ec2'
import { describedOnce } from '../model/description.ts'
import type { Snapshot } from '../model/observation.ts'
import { transformEc2 } from './ec2-transform.ts'
import { instanceRecords } from './instance-source.ts'

export { awsTime, EC2_PLACES, type Ec2Pages, type Ec2Place, transformEc2, transitionTime } from './ec2-transform.ts'

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
  /** Ends the read early (the collector is stopping): every call made with it fails, the snapshot is incomplete. */
  readonly abortSignal?: AbortSignal
}

/** Read one target. Never throws: a failure anywhere gives an incomplete snapshot with the reason. */
export async function takeEc2Snapshot(ec2: EC2Client, ctx: SnapshotContext): Promise<Snapshot> {
  const skew = ctx.clockSkewMs ?? 0
  const startedAt = ctx.now() - skew
  const pages = { networkInterfaces: [] as NetworkInterface[], instances: [] as Instance[], addresses: [] as Address[] }
  // Each instance's reservation (without its Instances), which DescribeInstances lists it within.
  const reservations = new Map<Instance, Omit<Reservation, 'Instances'>>()
  let error: string | undefined
  try {
    // MaxResults draws on the paginated calls' larger throttling bucket.
    const pageSize = ctx.pageSize ?? 1000
    const send = ctx.abortSignal ? { abortSignal: ctx.abortSignal } : {}
    for await (const page of paginateDescribeNetworkInterfaces({ client: ec2, pageSize }, {}, send)) {
      pages.networkInterfaces.push(...(page.NetworkInterfaces ?? []))
    }
    for await (const page of paginateDescribeInstances({ client: ec2, pageSize }, {}, send)) {
      for (const { Instances, ...reservation } of page.Reservations ?? []) {
        for (const i of Instances ?? []) {
          pages.instances.push(i)
          reservations.set(i, reservation)
        }
      }
    }
    // DescribeAddresses has no pagination: one call returns every Elastic IP of the region.
    pages.addresses.push(...((await ec2.send(new DescribeAddressesCommand({}), send)).Addresses ?? []))
  } catch (err) {
    const e = err as Error & { $metadata?: { httpStatusCode?: number } }
    error = `${e.name}: ${e.message}`
  }
  const finishedAt = ctx.now() + skew
  const { observations, instanceStops, disagreements } = transformEc2(pages, ctx)
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
    instances: instanceRecords(pages.instances, { accountId: ctx.accountId, region: ctx.region, seenAt: startedAt }),
    // A partial read disagrees with itself by construction (a failed call states nothing).
    ...(error === undefined && disagreements.total > 0 ? { disagreements } : {}),
    ...(error === undefined
      ? {
          descriptions: {
            instance: describedOnce('instance', pages.instances, (i) => reservations.get(i)),
            'network-interface': describedOnce('network-interface', pages.networkInterfaces),
            address: describedOnce('address', pages.addresses),
          },
        }
      : {}),
  }
}
