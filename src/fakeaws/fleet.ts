// The only code that changes who holds what. Each operation updates the ENI and the ledger in the same
// step, so the API (rendered from ENIs) and the ground truth (the ledger) agree by construction.
import { intToIpv4, ipv4ToInt, ipv6Text } from './addresses.ts'
import type {
  Attachment,
  Eip,
  Eni,
  EniRole,
  Instance,
  InstanceState,
  Owner,
  Subnet,
  Target,
} from './entities.ts'
import { GLOBAL_SCOPE, IPV4_PREFIX_LENGTH, IPV6_PREFIX_LENGTH } from './ledger.ts'
import type { AddressKind, Ledger, LedgerEntry } from './ledger.ts'
import type { IdFactory } from './rng.ts'

/** What fleet operations need from the world around them. */
export interface FleetContext {
  readonly ids: IdFactory
  readonly ledger: Ledger
  readonly terminatedVisibleMs: number
  nextSeq(): number
  scheduleVanish(instance: Instance, at: number): void
}

export interface EniSpec {
  readonly subnet: Subnet
  readonly role: EniRole
  readonly interfaceType: string
  readonly description: string
  readonly requesterManaged: boolean
  readonly requesterId?: string
  readonly attachment?: Omit<Attachment, 'id'>
  readonly tags?: ReadonlyArray<readonly [string, string]>
  /** Secondary private IPv4 addresses besides the primary. */
  readonly secondaryIps?: number
  readonly ipv6Count?: number
  readonly ipv4Prefixes?: number
  readonly ipv6Prefixes?: number
  readonly ephemeralPublic?: boolean
}

const IPV4_BLOCK = 2 ** (32 - IPV4_PREFIX_LENGTH)

/** Creates an ENI with its addresses; undefined (and no change at all) when the subnet has no room. */
export function createEni(ctx: FleetContext, target: Target, t: number, spec: EniSpec): Eni | undefined {
  const { subnet } = spec
  const rng = target.rng
  const primaryOffset = subnet.pool.allocate(rng)
  if (primaryOffset === undefined) return undefined
  const eni: Eni = {
    seq: ctx.nextSeq(),
    id: ctx.ids.next('eni'),
    target,
    subnet,
    role: spec.role,
    interfaceType: spec.interfaceType,
    description: spec.description,
    requesterManaged: spec.requesterManaged,
    ...(spec.requesterId === undefined ? {} : { requesterId: spec.requesterId }),
    macAddress: macAddress(target),
    createdAt: t,
    ...(spec.attachment ? { attachment: { id: ctx.ids.next('eni-attach'), ...spec.attachment } } : {}),
    tags: spec.tags ?? [],
    privateIps: [],
    ipv6: [],
    ipv4Prefixes: [],
    ipv6Prefixes: [],
    history: [],
  }
  eni.privateIps.push(openEntry(ctx, eni, t, intToIpv4(subnet.pool.base + primaryOffset), 'private-ipv4'))
  for (let i = 0; i < (spec.secondaryIps ?? 0); i++) assignPrivateIp(ctx, eni, t)
  for (let i = 0; i < (spec.ipv6Count ?? 0); i++) assignIpv6(ctx, eni, t)
  for (let i = 0; i < (spec.ipv4Prefixes ?? 0); i++) assignIpv4Prefix(ctx, eni, t)
  for (let i = 0; i < (spec.ipv6Prefixes ?? 0); i++) assignIpv6Prefix(ctx, eni, t)
  if (spec.ephemeralPublic) assignEphemeralPublic(ctx, eni, t)
  target.enis.add(eni)
  target.eniById.set(eni.id, eni)
  target.eniLog.push(eni)
  target.liveEniCount++
  return eni
}

/** Deletes an ENI: every address it held is released at `t`; an Elastic IP stays allocated, unassociated. */
export function deleteEni(ctx: FleetContext, eni: Eni, t: number): void {
  if (eni.deletedAt !== undefined) throw new Error(`${eni.id} deleted twice`)
  releasePublic(ctx, eni, t)
  while (eni.ipv6Prefixes.length > 0) unassignIpv6Prefix(ctx, eni, eni.ipv6Prefixes[0] as LedgerEntry, t)
  while (eni.ipv4Prefixes.length > 0) unassignIpv4Prefix(ctx, eni, eni.ipv4Prefixes[0] as LedgerEntry, t)
  while (eni.ipv6.length > 0) unassignIpv6(ctx, eni, eni.ipv6[0] as LedgerEntry, t)
  for (const entry of eni.privateIps) {
    ctx.ledger.end(entry, t)
    eni.subnet.pool.release(ipv4ToInt(entry.ip) - eni.subnet.pool.base)
  }
  eni.privateIps.length = 0
  eni.deletedAt = t
  eni.target.enis.noteRemoved()
  eni.target.liveEniCount--
}

export function assignPrivateIp(ctx: FleetContext, eni: Eni, t: number): LedgerEntry | undefined {
  const off = eni.subnet.pool.allocate(eni.target.rng)
  if (off === undefined) return undefined
  const entry = openEntry(ctx, eni, t, intToIpv4(eni.subnet.pool.base + off), 'private-ipv4')
  eni.privateIps.push(entry)
  return entry
}

/** Unassigns a secondary private IPv4 (the primary goes only with the ENI). */
export function unassignPrivateIp(ctx: FleetContext, eni: Eni, entry: LedgerEntry, t: number): void {
  const i = eni.privateIps.indexOf(entry)
  if (i <= 0) throw new Error(`${entry.ip} is not a secondary address of ${eni.id}`)
  eni.privateIps.splice(i, 1)
  ctx.ledger.end(entry, t)
  eni.subnet.pool.release(ipv4ToInt(entry.ip) - eni.subnet.pool.base)
}

export function assignIpv6(ctx: FleetContext, eni: Eni, t: number): LedgerEntry {
  const rng = eni.target.rng
  let text: string
  // The top bit of group 4 is clear for addresses and set for /80 prefixes, so they never overlap.
  do {
    text = ipv6Text([...eni.subnet.ipv6Groups, rng.int(0x8000), rng.int(0x10000), rng.int(0x10000), rng.int(0x10000)])
  } while (eni.subnet.ipv6Used.has(text))
  eni.subnet.ipv6Used.add(text)
  const entry = openEntry(ctx, eni, t, text, 'ipv6')
  eni.ipv6.push(entry)
  return entry
}

export function unassignIpv6(ctx: FleetContext, eni: Eni, entry: LedgerEntry, t: number): void {
  removeFrom(eni.ipv6, entry)
  ctx.ledger.end(entry, t)
  eni.subnet.ipv6Used.delete(entry.ip)
}

export function assignIpv4Prefix(ctx: FleetContext, eni: Eni, t: number): LedgerEntry | undefined {
  const first = eni.subnet.pool.allocateBlock(IPV4_BLOCK, eni.target.rng)
  if (first === undefined) return undefined
  const entry = openEntry(ctx, eni, t, `${intToIpv4(eni.subnet.pool.base + first)}/${IPV4_PREFIX_LENGTH}`, 'ipv4-prefix')
  eni.ipv4Prefixes.push(entry)
  return entry
}

export function unassignIpv4Prefix(ctx: FleetContext, eni: Eni, entry: LedgerEntry, t: number): void {
  removeFrom(eni.ipv4Prefixes, entry)
  ctx.ledger.end(entry, t)
  const network = entry.ip.slice(0, entry.ip.indexOf('/'))
  eni.subnet.pool.releaseBlock(ipv4ToInt(network) - eni.subnet.pool.base, IPV4_BLOCK)
}

export function assignIpv6Prefix(ctx: FleetContext, eni: Eni, t: number): LedgerEntry {
  const rng = eni.target.rng
  let text: string
  do {
    text = `${ipv6Text([...eni.subnet.ipv6Groups, 0x8000 | rng.int(0x8000), 0, 0, 0])}/${IPV6_PREFIX_LENGTH}`
  } while (eni.subnet.ipv6Used.has(text))
  eni.subnet.ipv6Used.add(text)
  const entry = openEntry(ctx, eni, t, text, 'ipv6-prefix')
  eni.ipv6Prefixes.push(entry)
  return entry
}

export function unassignIpv6Prefix(ctx: FleetContext, eni: Eni, entry: LedgerEntry, t: number): void {
  removeFrom(eni.ipv6Prefixes, entry)
  ctx.ledger.end(entry, t)
  eni.subnet.ipv6Used.delete(entry.ip)
}

/** An auto-assigned public IPv4 from the region's shared pool, mapped to the primary private address. */
export function assignEphemeralPublic(ctx: FleetContext, eni: Eni, t: number): LedgerEntry | undefined {
  if (eni.publicIp) return undefined
  const pool = eni.target.region.publicPool
  const off = pool.allocate(eni.target.rng)
  if (off === undefined) return undefined
  const entry = openEntry(ctx, eni, t, intToIpv4(pool.base + off), 'public-ipv4')
  eni.publicIp = { entry }
  return entry
}

/** Drops the ENI's public IPv4: an auto-assigned one goes back to the pool, an Elastic IP stays allocated. */
export function releasePublic(ctx: FleetContext, eni: Eni, t: number): void {
  const assoc = eni.publicIp
  if (!assoc) return
  ctx.ledger.end(assoc.entry, t)
  eni.publicIp = undefined
  if (assoc.eip) {
    assoc.eip.association = undefined
  } else {
    const pool = eni.target.region.publicPool
    pool.release(ipv4ToInt(assoc.entry.ip) - pool.base)
  }
}

export function allocateEip(ctx: FleetContext, target: Target, t: number): Eip | undefined {
  const pool = target.region.publicPool
  const off = pool.allocate(target.rng)
  if (off === undefined) return undefined
  const eip: Eip = {
    allocationId: ctx.ids.next('eipalloc'),
    publicIp: intToIpv4(pool.base + off),
    poolOffset: off,
    target,
    allocatedAt: t,
  }
  target.eips.set(eip.allocationId, eip)
  return eip
}

/** Associates an Elastic IP with an ENI's primary address, moving it if it is associated elsewhere. */
export function associateEip(ctx: FleetContext, eip: Eip, eni: Eni, t: number): LedgerEntry {
  if (eip.releasedAt !== undefined) throw new Error(`${eip.allocationId} is released`)
  if (eip.association) releasePublic(ctx, eip.association.eni, t)
  releasePublic(ctx, eni, t)
  const id = ctx.ids.next('eipassoc')
  const entry = openEntry(ctx, eni, t, eip.publicIp, 'public-ipv4', eip.allocationId, id)
  eni.publicIp = { entry, eip }
  eip.association = { id, eni }
  return entry
}

export function releaseEip(ctx: FleetContext, eip: Eip, t: number): void {
  if (eip.association) releasePublic(ctx, eip.association.eni, t)
  eip.releasedAt = t
  eip.target.eips.delete(eip.allocationId)
  eip.target.region.publicPool.release(eip.poolOffset)
}

export interface LaunchSpec {
  readonly subnet: Subnet
  readonly instanceType: string
  readonly imageId: string
  readonly isEksNode: boolean
  /** Gets an auto-assigned public IPv4 whenever it runs without an Elastic IP. */
  readonly autoPublicIp: boolean
  /** Whether to assign it right at launch (default: autoPublicIp). */
  readonly publicAtLaunch?: boolean
  readonly secondaryIps: number
  readonly ipv6Count: number
  readonly tags: ReadonlyArray<readonly [string, string]>
  /** EKS prefix delegation on the primary ENI. */
  readonly ipv4Prefixes?: number
  readonly ipv6Prefixes?: number
  /** A second ENI (device index 1) and its prefixes, for EKS nodes and multi-homed instances. */
  readonly secondEni?: { readonly subnet: Subnet; readonly secondaryIps: number; readonly ipv4Prefixes: number; readonly ipv6Prefixes: number }
}

/** Launches an instance; undefined (and no change) when its subnet has no address left. */
export function launchInstance(ctx: FleetContext, target: Target, t: number, spec: LaunchSpec): Instance | undefined {
  const instanceId = ctx.ids.next('i')
  const account = target.account.id
  const primary = createEni(ctx, target, t, {
    subnet: spec.subnet,
    role: spec.isEksNode ? 'eks' : 'instance',
    interfaceType: 'interface',
    description: spec.isEksNode ? '' : 'Primary network interface',
    requesterManaged: false,
    attachment: { instanceId, instanceOwnerId: account, deviceIndex: 0, attachTime: t, deleteOnTermination: true },
    secondaryIps: spec.secondaryIps,
    ipv6Count: spec.ipv6Count,
    ipv4Prefixes: spec.ipv4Prefixes ?? 0,
    ipv6Prefixes: spec.ipv6Prefixes ?? 0,
    ephemeralPublic: spec.publicAtLaunch ?? spec.autoPublicIp,
  })
  if (!primary) return undefined
  const enis = [primary]
  if (spec.secondEni) {
    const second = createEni(ctx, target, t, {
      subnet: spec.secondEni.subnet,
      role: spec.isEksNode ? 'eks' : 'instance',
      interfaceType: 'interface',
      description: spec.isEksNode ? `aws-K8S-${instanceId}` : '',
      requesterManaged: false,
      attachment: { instanceId, instanceOwnerId: account, deviceIndex: 1, attachTime: t, deleteOnTermination: true },
      tags: spec.isEksNode ? [['node.k8s.amazonaws.com/instance_id', instanceId]] : [],
      secondaryIps: spec.secondEni.secondaryIps,
      ipv4Prefixes: spec.secondEni.ipv4Prefixes,
      ipv6Prefixes: spec.secondEni.ipv6Prefixes,
    })
    if (second) enis.push(second)
  }
  const instance: Instance = {
    seq: ctx.nextSeq(),
    id: instanceId,
    target,
    subnet: spec.subnet,
    reservationId: ctx.ids.next('r'),
    imageId: spec.imageId,
    instanceType: spec.instanceType,
    keyName: 'ops',
    isEksNode: spec.isEksNode,
    autoPublicIp: spec.autoPublicIp,
    tags: spec.tags,
    createdAt: t,
    state: 'running',
    launchTime: t,
    stateTransitionReason: '',
    enis,
    primaryEni: primary,
    allEnis: [...enis],
    vanished: false,
    history: [{ at: t, state: 'running', launchTime: t, reason: '' }],
  }
  target.instances.add(instance)
  target.instanceById.set(instance.id, instance)
  target.instanceLog.push(instance)
  target.liveInstances.push(instance)
  return instance
}

export function stopInstance(ctx: FleetContext, instance: Instance, t: number): void {
  if (instance.state !== 'running') throw new Error(`${instance.id} is ${instance.state}, not running`)
  // A stopped instance loses its auto-assigned public address; an Elastic IP stays associated.
  if (!instance.eip) releasePublic(ctx, instance.primaryEni, t)
  transition(instance, t, 'stopped', userInitiated(t))
}

export function startInstance(ctx: FleetContext, instance: Instance, t: number): void {
  if (instance.state !== 'stopped') throw new Error(`${instance.id} is ${instance.state}, not stopped`)
  instance.launchTime = t
  if (!instance.eip && instance.autoPublicIp) assignEphemeralPublic(ctx, instance.primaryEni, t)
  transition(instance, t, 'running', '')
}

export function terminateInstance(ctx: FleetContext, instance: Instance, t: number): void {
  if (instance.state === 'terminated') throw new Error(`${instance.id} terminated twice`)
  // The Elastic IP is disassociated but stays allocated to the account.
  for (const eni of instance.enis) deleteEni(ctx, eni, t)
  instance.eip = undefined
  instance.enis = []
  instance.terminatedAt = t
  instance.vanishAt = t + ctx.terminatedVisibleMs
  transition(instance, t, 'terminated', userInitiated(t))
  removeFrom(instance.target.liveInstances, instance)
  ctx.scheduleVanish(instance, instance.vanishAt)
}

/** A terminated instance drops out of DescribeInstances. */
export function vanishInstance(instance: Instance): void {
  if (instance.vanished) return
  instance.vanished = true
  instance.target.instances.noteRemoved()
}

/** Gives an instance an Elastic IP (allocating one when none is given). */
export function attachEipToInstance(ctx: FleetContext, instance: Instance, t: number, eip?: Eip): Eip | undefined {
  const chosen = eip ?? allocateEip(ctx, instance.target, t)
  if (!chosen) return undefined
  const previous = chosen.association?.eni
  associateEip(ctx, chosen, instance.primaryEni, t)
  instance.eip = chosen
  if (previous) afterEipLeft(ctx, previous, t)
  return chosen
}

/** Takes an instance's Elastic IP away; the instance falls back to an auto-assigned address if it had one. */
export function detachEipFromInstance(ctx: FleetContext, instance: Instance, t: number): Eip | undefined {
  const eip = instance.eip
  if (!eip) return undefined
  releasePublic(ctx, instance.primaryEni, t)
  instance.eip = undefined
  if (instance.state === 'running' && instance.autoPublicIp) assignEphemeralPublic(ctx, instance.primaryEni, t)
  return eip
}

function afterEipLeft(ctx: FleetContext, eni: Eni, t: number): void {
  const instance = eni.attachment?.instanceId ? eni.target.instanceById.get(eni.attachment.instanceId) : undefined
  if (instance && instance.primaryEni === eni) {
    instance.eip = undefined
    if (instance.state === 'running' && instance.autoPublicIp) assignEphemeralPublic(ctx, eni, t)
  }
}

/** Creates the service-managed ENI of a load balancer, NAT gateway, Lambda function or endpoint. */
export function createOwnerEni(ctx: FleetContext, owner: Owner, subnet: Subnet, t: number): Eni | undefined {
  if (subnet.vpc !== owner.vpc) throw new Error(`subnet ${subnet.id} is not in ${owner.id}'s VPC`)
  const eni = createEni(ctx, owner.target, t, ownerEniSpec(ctx, owner, subnet, t))
  if (!eni) return undefined
  eni.owner = owner
  owner.enis.push(eni)
  return eni
}

export function deleteOwnerEni(ctx: FleetContext, owner: Owner, eni: Eni, t: number): void {
  removeFrom(owner.enis, eni)
  deleteEni(ctx, eni, t)
}

/** Deletes a service and its ENIs; a NAT gateway's Elastic IP stays allocated (released separately). */
export function deleteOwner(ctx: FleetContext, owner: Owner, t: number): void {
  while (owner.enis.length > 0) deleteOwnerEni(ctx, owner, owner.enis[0] as Eni, t)
  removeFrom(owner.target.owners, owner)
}

function ownerEniSpec(ctx: FleetContext, owner: Owner, subnet: Subnet, t: number): EniSpec {
  // Service-managed ENIs report an attachment owned by the service, not an instance.
  const attached = (ownerId: string): Omit<Attachment, 'id'> => ({
    instanceOwnerId: ownerId,
    deviceIndex: 1,
    attachTime: t,
    deleteOnTermination: false,
  })
  switch (owner.kind) {
    case 'alb':
    case 'nlb':
      return {
        subnet,
        role: owner.kind,
        // Application load balancers' ENIs say `interface`; only NLBs have their own type.
        interfaceType: owner.kind === 'alb' ? 'interface' : 'network_load_balancer',
        description: `ELB ${owner.name}`,
        requesterManaged: true,
        requesterId: 'amazon-elb',
        ephemeralPublic: owner.internetFacing,
        attachment: attached('amazon-elb'),
      }
    case 'nat':
      return {
        subnet,
        role: 'nat',
        // The wire says nat_gateway although the SDK model's enum says natGateway.
        interfaceType: 'nat_gateway',
        description: `Interface for NAT Gateway ${owner.id}`,
        requesterManaged: true,
        attachment: attached('amazon-aws'),
      }
    case 'lambda':
      return {
        subnet,
        role: 'lambda',
        interfaceType: 'lambda',
        description: `AWS Lambda VPC ENI-${owner.name}-${uuidLike(ctx)}`,
        requesterManaged: true,
        attachment: attached('amazon-aws'),
      }
    case 'endpoint':
      return {
        subnet,
        role: 'endpoint',
        interfaceType: 'vpc_endpoint',
        description: `VPC Endpoint Interface ${owner.id}`,
        requesterManaged: true,
      }
  }
}

function uuidLike(ctx: FleetContext): string {
  const h = ctx.ids.hex('uuid', 32)
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`
}

function openEntry(ctx: FleetContext, eni: Eni, t: number, ip: string, kind: AddressKind, allocationId?: string, associationId?: string): LedgerEntry {
  const vpcId = eni.subnet.vpc.id
  const scope = kind === 'private-ipv4' || kind === 'ipv4-prefix' ? vpcId : GLOBAL_SCOPE
  const entry = ctx.ledger.begin({
    ip,
    kind,
    scope,
    eniId: eni.id,
    ...(eni.attachment?.instanceId === undefined ? {} : { instanceId: eni.attachment.instanceId }),
    accountId: eni.target.account.id,
    region: eni.target.region.name,
    vpcId,
    subnetId: eni.subnet.id,
    ...(allocationId === undefined ? {} : { allocationId }),
    ...(associationId === undefined ? {} : { associationId }),
    start: t,
  })
  eni.history.push(entry)
  return entry
}

function transition(instance: Instance, t: number, state: InstanceState, reason: string): void {
  instance.state = state
  instance.stateTransitionReason = reason
  instance.history.push({ at: t, state, launchTime: instance.launchTime, reason })
}

/** `User initiated (2026-11-20 10:00:00 GMT)`, as EC2 writes StateTransitionReason. */
export function userInitiated(t: number): string {
  return `User initiated (${new Date(t).toISOString().slice(0, 19).replace('T', ' ')} GMT)`
}

function macAddress(target: Target): string {
  const bytes = [0x0e]
  for (let i = 0; i < 5; i++) bytes.push(target.rng.int(256))
  return bytes.map((b) => b.toString(16).padStart(2, '0')).join(':')
}

function removeFrom<T>(list: T[], item: T): void {
  const i = list.indexOf(item)
  if (i < 0) throw new Error('item not in list')
  list.splice(i, 1)
}
