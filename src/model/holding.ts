// A holding: one holder (an ENI) holding one address in one scope over an interval whose ends are
// known only within bounds. Every bound keeps the evidence that set it, so an answer can be defended.
import type { HolderKind, Resource } from './eni-class.ts'

/** Where a piece of evidence came from. */
export type EvidenceSource =
  | 'ec2-poll' // a complete DescribeNetworkInterfaces snapshot of the target saw (or did not see) it
  | 'ec2-attach-time' // the ENI's Attachment.AttachTime
  | 'ec2-launch-time' // the instance's LaunchTime
  | 'ec2-state-transition' // the time inside the instance's StateTransitionReason
  | 'config-item' // an AWS Config configuration item (capture time)
  | 'config-deletion' // AWS Config's resourceDeletionTime

export interface Evidence {
  readonly source: EvidenceSource
  /** The time the evidence speaks of (epoch ms, UTC). */
  readonly at: number
  /** What to look up to check it: a poll id, a config item's resource id and capture time, an instance id. */
  readonly ref: string
}

/** The true time lies in [after, by]. `after === by` is an exact time. */
export interface Bound {
  readonly after: number
  readonly by: number
  readonly evidence: readonly Evidence[]
}

export type { HolderKind, Resource, ResourceType } from './eni-class.ts'

/** What holds an address: always an ENI, described by what it belongs to. */
export interface Holder {
  readonly eniId: string
  readonly kind: HolderKind
  readonly accountId: string
  readonly region: string
  readonly vpcId?: string
  readonly subnetId?: string
  readonly interfaceType?: string
  readonly requesterManaged?: boolean
  readonly description?: string
  readonly instanceId?: string
  /**
   * What the ENI is part of (type, id, name; an instance's Name tag as its name). Absent on holdings
   * stored before it was recorded: readers fall back to `kind`, `instanceId` and `name`.
   */
  readonly resource?: Resource
  /** The instance's Name tag, the load balancer's name, the NAT gateway's id: what a person calls it. */
  readonly name?: string
  readonly instanceType?: string
  readonly imageId?: string
  /** The Elastic IP allocation, when the address is one. */
  readonly allocationId?: string
  /**
   * The Elastic IP's association, where AWS stated it. Each association gets a new id, so a changed id
   * on the same ENI means the address left and came back between two polls (reconcile.ts).
   */
  readonly associationId?: string
  readonly tags?: Readonly<Record<string, string>>
}

export type AddressKind = 'private-ipv4' | 'public-ipv4' | 'ipv6' | 'ipv4-prefix' | 'ipv6-prefix'

export interface Holding {
  /** Canonical IP text, or canonical CIDR text for a delegated prefix. */
  readonly address: string
  readonly addressKind: AddressKind
  /** `global`, or the VPC id for private IPv4. */
  readonly scope: string
  readonly holder: Holder
  readonly start: Bound
  /** Absent while the holding is open (current). */
  readonly end?: Bound
}

export type Certainty = 'certain' | 'possible'

/**
 * Whether a holding held its address at some time in [from, to] (a point when from === to).
 *
 * - `certain`: the window meets [start.by, end.after], where the holding is proven to hold it.
 * - `possible`: the window meets only an uncertainty window, [start.after, start.by) or (end.after, end.by].
 * - `undefined`: the window lies wholly outside [start.after, end.by].
 *
 * An open holding is proven only up to `openUntil` (the last complete poll of its target that saw it);
 * past that it may have ended unobserved, so it is `possible` there, never `certain`.
 */
export function classify(
  holding: Pick<Holding, 'start' | 'end'>,
  from: number,
  to: number = from,
  openUntil?: number,
): Certainty | undefined {
  const { start, end } = holding
  const supportEnd = end ? end.by : Number.POSITIVE_INFINITY
  if (to < start.after || from > supportEnd) return undefined
  const coreEnd = end ? end.after : Math.max(start.by, openUntil ?? start.by)
  const coreStart = start.by
  if (coreStart <= coreEnd && from <= coreEnd && to >= coreStart) return 'certain'
  return 'possible'
}

/** A stretch of time during which a target was not observed by complete polls (a failure streak, downtime). */
export interface Gap {
  readonly from: number
  readonly to: number
}

/**
 * The stretches a target was not watched: its recorded gaps, and everything before its first complete
 * poll (all of time, if it never had one). Before the first complete poll a holding may have been seen
 * by a partial poll, but nothing proves it held on between that sighting and the first complete poll.
 */
export function unwatched(state: { readonly firstCompletePoll?: number; readonly gaps?: readonly Gap[] } | undefined): Gap[] {
  return [{ from: Number.NEGATIVE_INFINITY, to: state?.firstCompletePoll ?? Number.POSITIVE_INFINITY }, ...(state?.gaps ?? [])]
}

/**
 * `classify`, knowing when the holder's target went unwatched. Between two complete polls that both saw
 * a holding, whohad takes it to have held its address throughout; that is reasonable a poll interval
 * apart but not across an outage of hours, when the address may have left and come back unseen. So
 * the proven part of a holding excludes the target's gaps: a window that meets the proven part only
 * inside gaps is `possible`, not `certain`.
 */
export function classifyWatched(
  holding: Pick<Holding, 'start' | 'end'>,
  from: number,
  to: number,
  watch: { readonly openUntil?: number | undefined; readonly gaps?: readonly Gap[] | undefined },
): Certainty | undefined {
  const c = classify(holding, from, to, watch.openUntil)
  if (c !== 'certain' || !watch.gaps?.length) return c
  const { start, end } = holding
  const coreEnd = end ? end.after : Math.max(start.by, watch.openUntil ?? start.by)
  // The part of the window where the holding is proven, minus the gaps (open intervals: the polls at
  // their ends did watch).
  let lo = Math.max(from, start.by)
  const hi = Math.min(to, coreEnd)
  for (const gap of [...watch.gaps].sort((a, b) => a.from - b.from)) {
    if (gap.to <= lo || gap.from >= hi) continue
    if (gap.from >= lo) return 'certain' // [lo, gap.from] is watched
    lo = gap.to
    if (lo > hi) return 'possible'
  }
  return 'certain'
}

/** The bound known from both: the intersection, or undefined when they contradict each other. */
export function narrowBound(a: Bound, b: Bound): Bound | undefined {
  const after = Math.max(a.after, b.after)
  const by = Math.min(a.by, b.by)
  if (after > by) return undefined
  // Keep the evidence of whichever bound supplied each end; both when they agree.
  const evidence = [
    ...(after === a.after || by === a.by ? a.evidence : []),
    ...(after === b.after || by === b.by ? b.evidence : []),
  ]
  return { after, by, evidence: dedupeEvidence(evidence) }
}

function dedupeEvidence(list: readonly Evidence[]): Evidence[] {
  const seen = new Set<string>()
  const out: Evidence[] = []
  for (const e of list) {
    const key = `${e.source}|${e.at}|${e.ref}`
    if (!seen.has(key)) {
      seen.add(key)
      out.push(e)
    }
  }
  return out
}

/** Problems with a holding's bounds, as sentences; empty when they are consistent. */
export function boundsProblems(holding: Pick<Holding, 'start' | 'end'>): string[] {
  const problems: string[] = []
  const { start, end } = holding
  if (!(start.after <= start.by)) problems.push('start.after is later than start.by')
  if (end) {
    if (!(end.after <= end.by)) problems.push('end.after is later than end.by')
    if (!(start.after <= end.by)) problems.push('the holding ends before it can have started')
  }
  for (const t of [start.after, start.by, end?.after ?? 0, end?.by ?? 0]) {
    if (!Number.isSafeInteger(t) || t < 0) problems.push(`bound time ${t} is not a whole epoch millisecond`)
  }
  return problems
}

/** The span the holding may cover, end.by - start.after; Infinity while open. */
export function maxSpan(holding: Pick<Holding, 'start' | 'end'>): number {
  return holding.end ? holding.end.by - holding.start.after : Number.POSITIVE_INFINITY
}
