// What happens to a fleet over time: one churn event at a time, chosen by weight. Events that add ENIs
// are favoured while the fleet is below its desired size and vice versa, so a long run stays near it.
import { spawnEndpoint, spawnInstance, spawnLambdaEni, spawnLoadBalancer, spawnNat } from './build.ts'
import type { Eni, Instance, Owner, Target } from './entities.ts'
import type { FleetContext } from './fleet.ts'
import {
  allocateEip,
  assignIpv4Prefix,
  assignIpv6,
  assignIpv6Prefix,
  assignPrivateIp,
  attachEipToInstance,
  createOwnerEni,
  deleteOwner,
  deleteOwnerEni,
  detachEipFromInstance,
  releaseEip,
  startInstance,
  stopInstance,
  terminateInstance,
  unassignIpv4Prefix,
  unassignIpv6,
  unassignIpv6Prefix,
  unassignPrivateIp,
} from './fleet.ts'
import type { LedgerEntry } from './ledger.ts'
import type { Rng } from './rng.ts'
import type { ResolvedWorldOptions } from './world-options.ts'

/** +1 adds ENIs, -1 removes them, 0 changes addresses only. */
type Direction = -1 | 0 | 1

interface ChurnEvent {
  readonly name: string
  readonly weight: number
  readonly direction: Direction
  readonly run: (ctx: FleetContext, target: Target, t: number) => void
}

export const CHURN_EVENTS: readonly ChurnEvent[] = [
  { name: 'instance-launch', weight: 10, direction: 1, run: (c, tg, t) => void spawnInstance(c, tg, t, { eks: false }) },
  { name: 'instance-terminate', weight: 8, direction: -1, run: (c, tg, t) => withInstance(tg, (i) => !i.isEksNode, (i) => terminateInstance(c, i, t)) },
  { name: 'instance-stop', weight: 6, direction: 0, run: (c, tg, t) => withInstance(tg, (i) => i.state === 'running' && !i.isEksNode, (i) => stopInstance(c, i, t)) },
  { name: 'instance-start', weight: 6, direction: 0, run: (c, tg, t) => withInstance(tg, (i) => i.state === 'stopped', (i) => startInstance(c, i, t)) },
  { name: 'secondary-ip-assign', weight: 4, direction: 0, run: (c, tg, t) => withInstance(tg, (i) => !i.isEksNode && i.primaryEni.privateIps.length < 4, (i) => void assignPrivateIp(c, i.primaryEni, t)) },
  {
    name: 'secondary-ip-unassign',
    weight: 4,
    direction: 0,
    run: (c, tg, t) => withInstance(tg, (i) => i.primaryEni.privateIps.length > 1, (i) => unassignPrivateIp(c, i.primaryEni, pickSecondary(tg.rng, i.primaryEni), t)),
  },
  { name: 'eip-associate', weight: 4, direction: 0, run: (c, tg, t) => withInstance(tg, (i) => i.state === 'running' && !i.eip && !i.isEksNode, (i) => void attachEipToInstance(c, i, t, idleEip(tg))) },
  {
    name: 'eip-move',
    weight: 3,
    direction: 0,
    run: (c, tg, t) => {
      const from = pickInstance(tg, (i) => i.eip !== undefined)
      const to = pickInstance(tg, (i) => i.state === 'running' && !i.eip && !i.isEksNode)
      if (from?.eip && to) attachEipToInstance(c, to, t, from.eip)
    },
  },
  {
    name: 'eip-release',
    weight: 3,
    direction: 0,
    run: (c, tg, t) => {
      const holder = pickInstance(tg, (i) => i.eip !== undefined)
      const eip = holder ? detachEipFromInstance(c, holder, t) : idleEip(tg)
      if (eip) releaseEip(c, eip, t)
    },
  },
  { name: 'lb-scale-out', weight: 4, direction: 1, run: (c, tg, t) => withOwner(tg, (o) => isLb(o) && o.enis.length < 6, (o) => void createOwnerEni(c, o, tg.rng.pick(lbSubnets(o)), t)) },
  { name: 'lb-scale-in', weight: 4, direction: -1, run: (c, tg, t) => withOwner(tg, (o) => isLb(o) && o.enis.length > 1, (o) => deleteOwnerEni(c, o, tg.rng.pick(o.enis), t)) },
  { name: 'lb-create', weight: 1, direction: 1, run: (c, tg, t) => void spawnLoadBalancer(c, tg, t, tg.rng.chance(0.75) ? 'alb' : 'nlb') },
  { name: 'lb-delete', weight: 1, direction: -1, run: (c, tg, t) => withOwner(tg, isLb, (o) => deleteOwner(c, o, t)) },
  { name: 'nat-create', weight: 1, direction: 1, run: (c, tg, t) => void spawnNat(c, tg, t) },
  {
    name: 'nat-delete',
    weight: 1,
    direction: -1,
    run: (c, tg, t) =>
      withOwner(tg, (o) => o.kind === 'nat', (o) => {
        deleteOwner(c, o, t)
        // Usually the Elastic IP is released with the gateway; sometimes it lingers unassociated.
        if (o.eip && tg.rng.chance(0.7)) releaseEip(c, o.eip, t)
      }),
  },
  { name: 'lambda-eni-create', weight: 4, direction: 1, run: (c, tg, t) => void spawnLambdaEni(c, tg, t) },
  {
    name: 'lambda-eni-delete',
    weight: 4,
    direction: -1,
    run: (c, tg, t) =>
      withOwner(tg, (o) => o.kind === 'lambda' && o.enis.length > 0, (o) => {
        deleteOwnerEni(c, o, tg.rng.pick(o.enis), t)
        if (o.enis.length === 0) deleteOwner(c, o, t)
      }),
  },
  { name: 'endpoint-create', weight: 1, direction: 1, run: (c, tg, t) => void spawnEndpoint(c, tg, t) },
  { name: 'endpoint-delete', weight: 1, direction: -1, run: (c, tg, t) => withOwner(tg, (o) => o.kind === 'endpoint', (o) => deleteOwner(c, o, t)) },
  { name: 'eks-prefix-assign', weight: 3, direction: 0, run: (c, tg, t) => withEksEni(tg, (e) => e.ipv4Prefixes.length < 4, (e) => {
    if (tg.eksIpv6 && e.attachment?.deviceIndex === 0 && tg.rng.chance(0.3)) assignIpv6Prefix(c, e, t)
    else assignIpv4Prefix(c, e, t)
  }) },
  { name: 'eks-prefix-unassign', weight: 3, direction: 0, run: (c, tg, t) => withEksEni(tg, (e) => e.ipv4Prefixes.length + e.ipv6Prefixes.length > 1, (e) => {
    if (e.ipv6Prefixes.length > 0 && tg.rng.chance(0.3)) unassignIpv6Prefix(c, e, tg.rng.pick(e.ipv6Prefixes), t)
    else if (e.ipv4Prefixes.length > 0) unassignIpv4Prefix(c, e, tg.rng.pick(e.ipv4Prefixes), t)
  }) },
  { name: 'eks-node-launch', weight: 1, direction: 1, run: (c, tg, t) => void spawnInstance(c, tg, t, { eks: true }) },
  { name: 'eks-node-terminate', weight: 1, direction: -1, run: (c, tg, t) => withInstance(tg, (i) => i.isEksNode, (i) => terminateInstance(c, i, t)) },
  { name: 'ipv6-assign', weight: 1, direction: 0, run: (c, tg, t) => withInstance(tg, (i) => !i.isEksNode && i.primaryEni.ipv6.length < 2, (i) => void assignIpv6(c, i.primaryEni, t)) },
  { name: 'ipv6-unassign', weight: 1, direction: 0, run: (c, tg, t) => withInstance(tg, (i) => i.primaryEni.ipv6.length > 0, (i) => unassignIpv6(c, i.primaryEni, tg.rng.pick(i.primaryEni.ipv6), t)) },
  { name: 'eip-allocate-idle', weight: 0.5, direction: 0, run: (c, tg, t) => void allocateEip(c, tg, t) },
]

/** Applies one seeded churn event to the target at time t. */
export function churnOnce(ctx: FleetContext, target: Target, t: number, _options: ResolvedWorldOptions): string {
  const rng = target.rng
  const ratio = target.desiredEnis / Math.max(1, target.liveEniCount)
  const balance = Math.min(5, Math.max(0.2, ratio))
  let total = 0
  const weights = CHURN_EVENTS.map((e) => {
    const w = e.weight * (e.direction === 1 ? balance : e.direction === -1 ? 1 / balance : 1)
    total += w
    return w
  })
  let roll = rng.float() * total
  let chosen = CHURN_EVENTS[CHURN_EVENTS.length - 1] as ChurnEvent
  for (let i = 0; i < CHURN_EVENTS.length; i++) {
    roll -= weights[i] as number
    if (roll < 0) {
      chosen = CHURN_EVENTS[i] as ChurnEvent
      break
    }
  }
  chosen.run(ctx, target, t)
  return chosen.name
}

function pickInstance(target: Target, ok: (i: Instance) => boolean): Instance | undefined {
  const candidates = target.liveInstances.filter(ok)
  return candidates.length > 0 ? target.rng.pick(candidates) : undefined
}

function withInstance(target: Target, ok: (i: Instance) => boolean, fn: (i: Instance) => void): void {
  const instance = pickInstance(target, ok)
  if (instance) fn(instance)
}

function withOwner(target: Target, ok: (o: Owner) => boolean, fn: (o: Owner) => void): void {
  const candidates = target.owners.filter(ok)
  if (candidates.length > 0) fn(target.rng.pick(candidates))
}

function withEksEni(target: Target, ok: (e: Eni) => boolean, fn: (e: Eni) => void): void {
  const candidates: Eni[] = []
  for (const i of target.liveInstances) if (i.isEksNode) for (const e of i.enis) if (ok(e)) candidates.push(e)
  if (candidates.length > 0) fn(target.rng.pick(candidates))
}

function pickSecondary(rng: Rng, eni: Eni): LedgerEntry {
  return eni.privateIps[1 + rng.int(eni.privateIps.length - 1)] as LedgerEntry
}

function idleEip(target: Target): ReturnType<typeof allocateEip> {
  for (const eip of target.eips.values()) if (!eip.association) return eip
  return undefined
}

function isLb(o: Owner): boolean {
  return o.kind === 'alb' || o.kind === 'nlb'
}

function lbSubnets(o: Owner): Owner['vpc']['subnets'] {
  const wanted = o.vpc.subnets.filter((s) => s.mapPublicIpOnLaunch === o.internetFacing && !s.forEks)
  return wanted.length > 0 ? wanted : o.vpc.subnets
}
