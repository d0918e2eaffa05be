// DescribeInstances → instance records: what the EC2 snapshot read of each instance, as whohad keeps it
// (model/instance.ts). Pure; the snapshot source calls it on the pages it read, and the store writes
// only the records that changed.
import type { Instance } from '@aws-sdk/client-ec2'
import type { Bound } from '../model/holding.ts'
import { type InstanceEni, type InstanceRecord, type InstanceState, isInstanceState } from '../model/instance.ts'
import { normalizeIp } from '../model/ip.ts'
import { transitionTime } from './ec2-transform.ts'

export interface InstanceContext {
  readonly accountId: string
  readonly region: string
  /** Start of the poll that read the pages: each record's `lastSeen`. */
  readonly seenAt: number
}

/**
 * The low byte of `InstanceState.Code` (the API reference says to ignore the high byte), for an
 * implementation that sends a code without a name or a name EC2 does not use.
 */
const STATE_BY_CODE: Readonly<Record<number, InstanceState>> = { 0: 'pending', 16: 'running', 32: 'shutting-down', 48: 'terminated', 64: 'stopping', 80: 'stopped' }

/**
 * One record per instance id (the first listing wins: an instance a page boundary repeated is the same
 * instance). An instance whose state neither its name nor its code states is left out; AWS always
 * states it, and a guessed state would be a confident wrong answer.
 */
export function instanceRecords(instances: readonly Instance[], ctx: InstanceContext): InstanceRecord[] {
  const out = new Map<string, InstanceRecord>()
  for (const i of instances) {
    if (!i.InstanceId || out.has(i.InstanceId)) continue
    const state = stateOf(i)
    if (!state) continue
    out.set(i.InstanceId, recordOf(i, i.InstanceId, state, ctx))
  }
  return [...out.values()]
}

function stateOf(i: Instance): InstanceState | undefined {
  const name = i.State?.Name
  if (isInstanceState(name)) return name
  return i.State?.Code === undefined ? undefined : STATE_BY_CODE[i.State.Code & 0xff]
}

function recordOf(i: Instance, instanceId: string, state: InstanceState, ctx: InstanceContext): InstanceRecord {
  const enis: InstanceEni[] = (i.NetworkInterfaces ?? [])
    .filter((ni) => ni.NetworkInterfaceId)
    .map((ni) => ({ eniId: ni.NetworkInterfaceId!, ...(ni.Attachment?.DeviceIndex !== undefined ? { deviceIndex: ni.Attachment.DeviceIndex } : {}) }))
    .sort((a, b) => (a.deviceIndex ?? Number.MAX_SAFE_INTEGER) - (b.deviceIndex ?? Number.MAX_SAFE_INTEGER) || a.eniId.localeCompare(b.eniId))
  // Instance.SubnetId is the primary ENI's; the primary's own record stands in where an implementation
  // leaves the instance's out. Never another ENI's: a second ENI may be in another subnet.
  const primary = (i.NetworkInterfaces ?? []).find((ni) => ni.Attachment?.DeviceIndex === 0)
  const subnetId = i.SubnetId || primary?.SubnetId
  const vpcId = i.VpcId || primary?.VpcId
  const tags: Record<string, string> = {}
  for (const t of [...(i.Tags ?? [])].sort((a, b) => (a.Key ?? '').localeCompare(b.Key ?? ''))) if (t.Key !== undefined) tags[t.Key] = t.Value ?? ''
  const launchTime = i.LaunchTime?.getTime()
  const stateSince = stateSinceOf(i, instanceId, state, launchTime)
  const platform = i.PlatformDetails || i.Platform
  return {
    accountId: ctx.accountId,
    region: ctx.region,
    instanceId,
    state,
    ...(stateSince ? { stateSince } : {}),
    ...(subnetId ? { subnetId } : {}),
    ...(vpcId ? { vpcId } : {}),
    ...(i.Placement?.AvailabilityZone ? { availabilityZone: i.Placement.AvailabilityZone } : {}),
    ...(i.InstanceType ? { instanceType: i.InstanceType } : {}),
    ...(i.ImageId ? { imageId: i.ImageId } : {}),
    ...(launchTime !== undefined && !Number.isNaN(launchTime) ? { launchTime } : {}),
    ...(platform ? { platform } : {}),
    ...(i.Architecture ? { architecture: i.Architecture } : {}),
    ...(ip(i.PrivateIpAddress) ? { privateIpAddress: ip(i.PrivateIpAddress)! } : {}),
    ...(ip(i.PublicIpAddress) ? { publicIpAddress: ip(i.PublicIpAddress)! } : {}),
    ...(Object.keys(tags).length > 0 ? { tags } : {}),
    ...(tags.Name !== undefined ? { name: tags.Name } : {}),
    enis,
    ...(i.KeyName ? { keyName: i.KeyName } : {}),
    lastSeen: ctx.seenAt,
  }
}

/**
 * The time in StateTransitionReason, where AWS gives one (`User initiated (2026-11-20 10:00:00 GMT)`;
 * other implementations write `UTC`), to the second. A pending or running instance's reason may still
 * speak of the stop before its latest start; a time before its launch time is that, and says nothing
 * of when it began to run.
 */
function stateSinceOf(i: Instance, instanceId: string, state: InstanceState, launchTime: number | undefined): Bound | undefined {
  const at = transitionTime(i.StateTransitionReason)
  if (at === undefined) return undefined
  if ((state === 'pending' || state === 'running') && launchTime !== undefined && at < Math.floor(launchTime / 1000) * 1000) return undefined
  return { after: at, by: at + 999, evidence: [{ source: 'ec2-state-transition', at, ref: `${instanceId}: ${i.StateTransitionReason}` }] }
}

/** The address in canonical text; an unreadable one is dropped rather than sink the record. */
function ip(text: string | undefined): string | undefined {
  if (!text) return undefined
  try {
    return normalizeIp(text)
  } catch {
    return undefined
  }
}
