// Building a target's fleet, and the spawners churn reuses to add to it later. A target starts with
// resources created at seeded times in the past, so LaunchTime and AttachTime look like a real fleet's.
import { AddressPool, intToIpv4, ipv4ToInt, ipv6Text } from './addresses.ts'
import type { Account, Instance, Owner, RegionInfo, Subnet, Target, Vpc } from './entities.ts'
import { SeqList } from './entities.ts'
import type { FleetContext } from './fleet.ts'
import {
  allocateEip,
  assignEphemeralPublic,
  associateEip,
  attachEipToInstance,
  createOwnerEni,
  launchInstance,
  startInstance,
  stopInstance,
} from './fleet.ts'
import { azIdPrefix } from './regions.ts'
import { Rng } from './rng.ts'
import type { ResolvedWorldOptions } from './world-options.ts'

const HOUR = 3_600_000
const DAY = 24 * HOUR

const INSTANCE_TYPES = ['t3.micro', 't3.small', 'm5.large', 'c6i.xlarge', 'r6g.large', 'm7g.medium']
const NAME_WORDS = ['web', 'api', 'worker', 'batch', 'db', 'cache', 'bastion', 'ingest', 'search', 'auth']
const FUNCTION_WORDS = ['thumbnailer', 'webhook', 'etl', 'notifier', 'resizer', 'exporter', 'auditor']

export function buildTarget(ctx: FleetContext, account: Account, region: RegionInfo, options: ResolvedWorldOptions): Target {
  const rng = new Rng('target', options.seed, account.id, region.name)
  const e = options.enisPerRegion
  const target: Target = {
    key: `${account.id}/${region.name}`,
    account,
    region,
    rng,
    vpcs: [],
    enis: new SeqList((eni) => eni.deletedAt !== undefined),
    eniById: new Map(),
    eniLog: [],
    instances: new SeqList((i) => i.vanished),
    instanceById: new Map(),
    instanceLog: [],
    eips: new Map(),
    liveInstances: [],
    owners: [],
    desiredEnis: e,
    liveEniCount: 0,
    eksIpv6: rng.chance(0.5),
    lambdaFunctions: Array.from({ length: rng.between(2, 5) }, (_, i) => `${rng.pick(FUNCTION_WORDS)}-${i}`),
  }
  buildVpcs(ctx, target, e)
  if (e === 0) return target

  const t0 = options.startTime
  const past = (): number => t0 - Math.floor(rng.between(HOUR, 90 * DAY) / 1000) * 1000
  const count = (fraction: number): number => Math.round(e * fraction)

  for (const vpc of target.vpcs) if (!vpc.isDefault) spawnNat(ctx, target, past(), vpc)
  for (let i = 0; i < count(0.02); i++) spawnEndpoint(ctx, target, past())
  for (let i = 0; i < Math.max(e >= 10 ? 1 : 0, count(0.04)); i++) spawnLoadBalancer(ctx, target, past(), 'alb')
  for (let i = 0; i < count(0.015); i++) spawnLoadBalancer(ctx, target, past(), 'nlb')
  for (let i = 0; i < count(0.12); i++) spawnLambdaEni(ctx, target, past())
  if (e >= 20) for (let i = 0; i < count(0.04); i++) spawnInstance(ctx, target, past(), { eks: true })
  // Instances fill the rest; a few start stopped or were restarted since they were created.
  let guard = e * 4
  while (target.liveEniCount < e && guard-- > 0) {
    const createdAt = past()
    const instance = spawnInstance(ctx, target, createdAt, { eks: false, deferPublic: true })
    if (!instance) continue
    const roll = rng.float()
    if (roll < 0.1) {
      stopInstance(ctx, instance, createdAt + rng.int(t0 - createdAt))
    } else if (roll < 0.4) {
      const stoppedAt = createdAt + rng.int(Math.floor((t0 - createdAt) / 2))
      stopInstance(ctx, instance, stoppedAt)
      startInstance(ctx, instance, stoppedAt + 1000 + rng.int(t0 - stoppedAt - 1000))
    } else if (rng.chance(0.12)) {
      attachEipToInstance(ctx, instance, createdAt)
    } else if (instance.autoPublicIp) {
      assignEphemeralPublic(ctx, instance.primaryEni, createdAt)
    }
  }
  for (let i = 0; i < rng.between(0, 2); i++) allocateEip(ctx, target, past())
  return target
}

function buildVpcs(ctx: FleetContext, target: Target, e: number): void {
  const vpcCount = e < 60 ? 2 : 3
  const subnetCounts = [3, ...Array.from({ length: vpcCount - 1 }, () => 4)]
  const totalSubnets = subnetCounts.reduce((a, b) => a + b, 0)
  // Subnets about twice as large as their expected demand (prefixes included): busy enough that freed
  // private addresses are soon handed out again.
  const wanted = Math.max(64, (8 * e) / totalSubnets)
  const size = Math.min(4096, 2 ** Math.ceil(Math.log2(wanted)))
  const azPrefix = azIdPrefix(target.region.name)
  for (let v = 0; v < vpcCount; v++) {
    const isDefault = v === 0
    const base = ipv4ToInt(isDefault ? '172.31.0.0' : '10.0.0.0')
    const n = ctx.nextSeq()
    const v6 = [0x2600, 0x1f10 + target.region.index, (n >>> 8) & 0xffff, (n & 0xff) << 8]
    const vpc: Vpc = {
      id: ctx.ids.next('vpc'),
      cidr: `${intToIpv4(base)}/16`,
      isDefault,
      ipv6Cidr: `${ipv6Text([...v6, 0, 0, 0, 0])}/56`,
      securityGroupId: ctx.ids.next('sg'),
      subnets: [],
    }
    const count = subnetCounts[v] as number
    const eksSize = Math.min(8192, Math.max(256, 2 ** Math.ceil(Math.log2(Math.max(1, e) * 2))))
    const layout: Array<{ offset: number; size: number; forEks: boolean }> = []
    for (let s = 0; s < count; s++) layout.push({ offset: s * size, size, forEks: false })
    if (!isDefault) layout.push({ offset: Math.ceil((count * size) / eksSize) * eksSize, size: eksSize, forEks: true })
    layout.forEach(({ offset, size: subnetSize, forEks }, s) => {
      const subnetBase = base + offset
      const az = s % 3
      const subnet: Subnet = {
        id: ctx.ids.next('subnet'),
        vpc,
        cidr: `${intToIpv4(subnetBase)}/${32 - Math.log2(subnetSize)}`,
        availabilityZone: `${target.region.name}${'abc'[az]}`,
        availabilityZoneId: `${azPrefix}-az${az + 1}`,
        // AWS reserves the network address, the next three, and the last one in every subnet.
        pool: new AddressPool(subnetBase, subnetSize, [0, 1, 2, 3, subnetSize - 1]),
        ipv6Groups: [v6[0] as number, v6[1] as number, v6[2] as number, (v6[3] as number) | s],
        mapPublicIpOnLaunch: !forEks && (isDefault || s < 2),
        forEks,
        ipv6Used: new Set(),
      }
      vpc.subnets.push(subnet)
    })
    target.vpcs.push(vpc)
  }
}

function publicSubnets(vpc: Vpc): Subnet[] {
  return vpc.subnets.filter((s) => s.mapPublicIpOnLaunch)
}

function privateSubnets(vpc: Vpc): Subnet[] {
  const list = vpc.subnets.filter((s) => !s.mapPublicIpOnLaunch && !s.forEks)
  return list.length > 0 ? list : vpc.subnets
}

function eksSubnets(vpc: Vpc): Subnet[] {
  const list = vpc.subnets.filter((s) => s.forEks)
  return list.length > 0 ? list : privateSubnets(vpc)
}

function ordinarySubnets(vpc: Vpc): Subnet[] {
  return vpc.subnets.filter((s) => !s.forEks)
}

export interface SpawnInstanceOptions {
  readonly eks: boolean
  /**
   * Build only: no public address at launch, so the builder can choose between an auto-assigned one
   * and an Elastic IP without ever releasing an address at a past time (which could overlap a later holder).
   */
  readonly deferPublic?: boolean
}

export function spawnInstance(ctx: FleetContext, target: Target, t: number, opts: SpawnInstanceOptions): Instance | undefined {
  const rng = target.rng
  const vpc = opts.eks ? (target.vpcs.find((v) => !v.isDefault) ?? rng.pick(target.vpcs)) : rng.pick(target.vpcs)
  const subnet = opts.eks ? rng.pick(eksSubnets(vpc)) : rng.pick(ordinarySubnets(vpc))
  const autoPublicIp = !opts.eks && subnet.mapPublicIpOnLaunch && rng.chance(0.85)
  const name = opts.eks ? 'eks-node' : `${rng.pick(NAME_WORDS)}-${rng.int(100)}`
  const tags: Array<[string, string]> = [['Name', name]]
  if (opts.eks) tags.push(['eks:cluster-name', 'main'], ['kubernetes.io/cluster/main', 'owned'])
  return launchInstance(ctx, target, t, {
    subnet,
    instanceType: opts.eks ? 'm5.xlarge' : rng.pick(INSTANCE_TYPES),
    imageId: `ami-0${ctx.ids.hex('ami', 16)}`,
    isEksNode: opts.eks,
    autoPublicIp,
    publicAtLaunch: autoPublicIp && !opts.deferPublic,
    secondaryIps: !opts.eks && rng.chance(0.15) ? rng.between(1, 2) : 0,
    ipv6Count: !opts.eks && rng.chance(0.15) ? 1 : 0,
    tags,
    ...(opts.eks
      ? {
          ipv4Prefixes: rng.between(1, 2),
          ipv6Prefixes: target.eksIpv6 ? 1 : 0,
          ...(rng.chance(0.5)
            ? { secondEni: { subnet: rng.pick(eksSubnets(vpc)), secondaryIps: 0, ipv4Prefixes: rng.between(1, 3), ipv6Prefixes: 0 } }
            : {}),
        }
      : rng.chance(0.05)
        ? { secondEni: { subnet: rng.pick(ordinarySubnets(vpc).filter((s) => s.availabilityZone === subnet.availabilityZone)), secondaryIps: 0, ipv4Prefixes: 0, ipv6Prefixes: 0 } }
        : {}),
  })
}

function newOwner(target: Target, kind: Owner['kind'], id: string, name: string, vpc: Vpc, internetFacing: boolean): Owner {
  const owner: Owner = { kind, target, id, name, vpc, enis: [], internetFacing }
  target.owners.push(owner)
  return owner
}

export function spawnNat(ctx: FleetContext, target: Target, t: number, vpc?: Vpc): Owner | undefined {
  const rng = target.rng
  const inVpc = vpc ?? rng.pick(target.vpcs)
  const owner = newOwner(target, 'nat', ctx.ids.next('nat'), '', inVpc, true)
  const eni = createOwnerEni(ctx, owner, rng.pick(publicSubnets(inVpc)), t)
  const eip = eni ? allocateEip(ctx, target, t) : undefined
  if (!eni || !eip) return owner
  associateEip(ctx, eip, eni, t)
  owner.eip = eip
  return owner
}

export function spawnEndpoint(ctx: FleetContext, target: Target, t: number): Owner {
  const rng = target.rng
  const vpc = rng.pick(target.vpcs)
  const owner = newOwner(target, 'endpoint', ctx.ids.next('vpce'), '', vpc, false)
  const subnets = privateSubnets(vpc)
  for (let i = 0; i < Math.min(2, subnets.length); i++) createOwnerEni(ctx, owner, subnets[i] as Subnet, t)
  return owner
}

export function spawnLoadBalancer(ctx: FleetContext, target: Target, t: number, kind: 'alb' | 'nlb'): Owner {
  const rng = target.rng
  const vpc = rng.pick(target.vpcs)
  const internetFacing = rng.chance(0.7)
  const lbName = `${rng.pick(NAME_WORDS)}-${kind}-${rng.int(1000)}`
  const name = `${kind === 'alb' ? 'app' : 'net'}/${lbName}/${ctx.ids.hex('elb', 16)}`
  const owner = newOwner(target, kind, `arn:aws:elasticloadbalancing:${target.region.name}:${target.account.id}:loadbalancer/${name}`, name, vpc, internetFacing)
  const subnets = internetFacing ? publicSubnets(vpc) : privateSubnets(vpc)
  const n = Math.min(subnets.length, rng.between(2, 3))
  for (let i = 0; i < n; i++) createOwnerEni(ctx, owner, subnets[i] as Subnet, t)
  return owner
}

export function spawnLambdaEni(ctx: FleetContext, target: Target, t: number): Owner | undefined {
  const rng = target.rng
  const fn = rng.pick(target.lambdaFunctions)
  let owner = target.owners.find((o) => o.kind === 'lambda' && o.name === fn)
  if (!owner) {
    const vpc = target.vpcs.find((v) => !v.isDefault) ?? rng.pick(target.vpcs)
    owner = newOwner(target, 'lambda', `arn:aws:lambda:${target.region.name}:${target.account.id}:function:${fn}`, fn, vpc, false)
  }
  createOwnerEni(ctx, owner, rng.pick(privateSubnets(owner.vpc)), t)
  return owner
}

