// AWS Config's view of an ENI or instance, derived on demand from the world's own history, so it can
// never disagree with the ledger and costs no memory until asked for.
//
// Every change to a resource yields exactly one configuration item, in order. The item shows the state
// right after the change, but Config captures it later: captureTime = changeTime + a seeded delay
// (ResolvedWorldOptions.configDelayMs), made non-decreasing per resource. Items are invisible until
// their capture time has passed. Tests reason about the lag through `changeTime` on each item.
import type { Eni, Instance } from './entities.ts'
import type { LedgerEntry } from './ledger.ts'
import { privateDnsName, publicDnsName } from './regions.ts'
import { hashUnit } from './rng.ts'

export const ENI_TYPE = 'AWS::EC2::NetworkInterface'
export const INSTANCE_TYPE = 'AWS::EC2::Instance'
export type ConfigResourceType = typeof ENI_TYPE | typeof INSTANCE_TYPE

export type ConfigItemStatus = 'ResourceDiscovered' | 'OK' | 'ResourceDeleted' | 'ResourceDeletedNotRecorded'

export interface ConfigSettings {
  readonly seed: number
  readonly delayMs: readonly [number, number]
  readonly notRecordedRate: number
}

/** One configuration item with the truth about it: when the change really happened. */
export interface ConfigChange {
  readonly resourceType: ConfigResourceType
  readonly resourceId: string
  readonly changeTime: number
  readonly captureTime: number
  readonly status: ConfigItemStatus
}

export function eniChanges(eni: Eni, settings: ConfigSettings): ConfigChange[] {
  const times = new Set<number>([eni.createdAt])
  for (const e of eni.history) {
    times.add(e.start)
    if (e.end !== undefined) times.add(e.end)
  }
  if (eni.deletedAt !== undefined) times.add(eni.deletedAt)
  return toChanges(ENI_TYPE, eni.id, [...times], eni.deletedAt, settings)
}

export function instanceChanges(instance: Instance, settings: ConfigSettings): ConfigChange[] {
  const times = new Set<number>([instance.createdAt])
  for (const h of instance.history) times.add(h.at)
  for (const eni of instance.allEnis) for (const t of eniChangeTimes(eni)) times.add(t)
  return toChanges(INSTANCE_TYPE, instance.id, [...times], instance.terminatedAt, settings)
}

function eniChangeTimes(eni: Eni): number[] {
  const times = [eni.createdAt]
  for (const e of eni.history) {
    times.push(e.start)
    if (e.end !== undefined) times.push(e.end)
  }
  return times
}

function toChanges(
  resourceType: ConfigResourceType,
  resourceId: string,
  times: number[],
  deletedAt: number | undefined,
  settings: ConfigSettings,
): ConfigChange[] {
  times.sort((a, b) => a - b)
  const [lo, hi] = settings.delayMs
  const out: ConfigChange[] = []
  let lastCapture = Number.NEGATIVE_INFINITY
  for (let i = 0; i < times.length; i++) {
    const changeTime = times[i] as number
    if (deletedAt !== undefined && changeTime > deletedAt) break
    const delay = lo + Math.floor(hashUnit('config-delay', settings.seed, resourceId, changeTime) * (hi - lo + 1))
    const captureTime = Math.max(changeTime + delay, lastCapture)
    lastCapture = captureTime
    let status: ConfigItemStatus = i === 0 ? 'ResourceDiscovered' : 'OK'
    if (changeTime === deletedAt) {
      status = hashUnit('config-not-recorded', settings.seed, resourceId) < settings.notRecordedRate ? 'ResourceDeletedNotRecorded' : 'ResourceDeleted'
    }
    out.push({ resourceType, resourceId, changeTime, captureTime, status })
  }
  return out
}

const iso = (t: number): string => new Date(t).toISOString()

function heldAt(entries: readonly LedgerEntry[], t: number): LedgerEntry[] {
  return entries.filter((e) => e.start <= t && (e.end === undefined || e.end > t))
}

/** The ENI as Config records it (the `configuration` JSON of AWS::EC2::NetworkInterface) right after `t`. */
export function eniConfiguration(eni: Eni, t: number): Record<string, unknown> {
  const region = eni.target.region.name
  const held = heldAt(eni.history, t)
  const privateIps = held.filter((e) => e.kind === 'private-ipv4')
  const publicEntry = held.find((e) => e.kind === 'public-ipv4')
  const association = publicEntry
    ? {
        ...(publicEntry.allocationId ? { allocationId: publicEntry.allocationId } : {}),
        ...(publicEntry.associationId ? { associationId: publicEntry.associationId } : {}),
        ipOwnerId: publicEntry.allocationId ? eni.target.account.id : 'amazon',
        publicDnsName: publicDnsName(publicEntry.ip, region),
        publicIp: publicEntry.ip,
      }
    : null
  const primary = privateIps[0]
  return {
    association,
    attachment: eni.attachment
      ? {
          attachTime: iso(eni.attachment.attachTime),
          attachmentId: eni.attachment.id,
          deleteOnTermination: eni.attachment.deleteOnTermination,
          deviceIndex: eni.attachment.deviceIndex,
          networkCardIndex: 0,
          instanceId: eni.attachment.instanceId ?? null,
          instanceOwnerId: eni.attachment.instanceOwnerId,
          status: 'attached',
        }
      : null,
    availabilityZone: eni.subnet.availabilityZone,
    description: eni.description,
    groups: [{ groupName: 'default', groupId: eni.subnet.vpc.securityGroupId }],
    interfaceType: eni.interfaceType,
    ipv6Addresses: held.filter((e) => e.kind === 'ipv6').map((e) => ({ ipv6Address: e.ip })),
    macAddress: eni.macAddress,
    networkInterfaceId: eni.id,
    outpostArn: null,
    ownerId: eni.target.account.id,
    privateDnsName: primary ? privateDnsName(primary.ip, region) : null,
    privateIpAddress: primary?.ip ?? null,
    privateIpAddresses: privateIps.map((e, i) => ({
      association: i === 0 ? association : null,
      primary: i === 0,
      privateDnsName: privateDnsName(e.ip, region),
      privateIpAddress: e.ip,
    })),
    ipv4Prefixes: held.filter((e) => e.kind === 'ipv4-prefix').map((e) => ({ ipv4Prefix: e.ip })),
    ipv6Prefixes: held.filter((e) => e.kind === 'ipv6-prefix').map((e) => ({ ipv6Prefix: e.ip })),
    requesterId: eni.requesterId ?? null,
    requesterManaged: eni.requesterManaged,
    sourceDestCheck: !eni.requesterManaged,
    status: eni.attachment ? 'in-use' : 'available',
    subnetId: eni.subnet.id,
    tagSet: eni.tags.map(([key, value]) => ({ key, value })),
    vpcId: eni.subnet.vpc.id,
  }
}

export const STATE_CODES: Readonly<Record<string, number>> = {
  pending: 0,
  running: 16,
  'shutting-down': 32,
  terminated: 48,
  stopping: 64,
  stopped: 80,
}

/** The instance as Config records it (AWS::EC2::Instance) right after `t`. */
export function instanceConfiguration(instance: Instance, t: number): Record<string, unknown> {
  const region = instance.target.region.name
  let change = instance.history[0]
  for (const h of instance.history) if (h.at <= t) change = h
  const state = change?.state ?? instance.state
  const enis = instance.allEnis.filter((e) => e.createdAt <= t && (e.deletedAt === undefined || e.deletedAt > t))
  const primary = enis.find((e) => e === instance.primaryEni)
  const primaryHeld = primary ? heldAt(primary.history, t) : []
  const privateIp = primaryHeld.find((e) => e.kind === 'private-ipv4')?.ip
  const publicIp = primaryHeld.find((e) => e.kind === 'public-ipv4')?.ip
  const vpc = instance.subnet.vpc
  return {
    amiLaunchIndex: 0,
    architecture: instance.instanceType.includes('g.') ? 'arm64' : 'x86_64',
    blockDeviceMappings: [],
    clientToken: '',
    ebsOptimized: false,
    enaSupport: true,
    hypervisor: 'xen',
    imageId: instance.imageId,
    instanceId: instance.id,
    instanceType: instance.instanceType,
    keyName: instance.keyName,
    launchTime: iso(change?.launchTime ?? instance.launchTime),
    monitoring: { state: 'disabled' },
    networkInterfaces: enis.map((e) => {
      const c = eniConfiguration(e, t)
      return {
        association: c.association,
        attachment: c.attachment,
        description: c.description,
        groups: c.groups,
        interfaceType: c.interfaceType,
        ipv4Prefixes: c.ipv4Prefixes,
        ipv6Addresses: c.ipv6Addresses,
        ipv6Prefixes: c.ipv6Prefixes,
        macAddress: c.macAddress,
        networkInterfaceId: c.networkInterfaceId,
        ownerId: c.ownerId,
        privateDnsName: c.privateDnsName,
        privateIpAddress: c.privateIpAddress,
        privateIpAddresses: c.privateIpAddresses,
        sourceDestCheck: c.sourceDestCheck,
        status: c.status,
        subnetId: c.subnetId,
        vpcId: c.vpcId,
      }
    }),
    placement: { availabilityZone: instance.subnet.availabilityZone, groupName: '', tenancy: 'default' },
    privateDnsName: privateIp ? privateDnsName(privateIp, region) : '',
    privateIpAddress: privateIp ?? null,
    productCodes: [],
    publicDnsName: publicIp ? publicDnsName(publicIp, region) : '',
    publicIpAddress: publicIp ?? null,
    rootDeviceName: '/dev/xvda',
    rootDeviceType: 'ebs',
    securityGroups: [{ groupName: 'default', groupId: vpc.securityGroupId }],
    sourceDestCheck: true,
    state: { code: STATE_CODES[state], name: state },
    stateReason: state === 'running' ? null : { code: 'Client.UserInitiatedShutdown', message: 'Client.UserInitiatedShutdown: User initiated shutdown' },
    stateTransitionReason: change?.reason ?? '',
    subnetId: instance.subnet.id,
    tags: instance.tags.map(([key, value]) => ({ key, value })),
    virtualizationType: 'hvm',
    vpcId: vpc.id,
  }
}
