// What a source saw: the contract between the sources (ec2 snapshot, config history) and the pure
// reconciler. A source never decides bounds from poll times; it only reports what AWS said, with the
// evidence AWS gave for when a holding began or ended. Reconcile turns that into holdings.
import type { DescriptionSet } from './description.ts'
import type { AddressKind, Bound, Holder } from './holding.ts'
import type { InstanceRecord } from './instance.ts'

/**
 * Where the places that state one fact did not all state it in one complete snapshot (DescribeAddresses
 * puts an Elastic IP on an ENI whose own record does not show it, or the reverse). The holding is kept
 * (the union of the places); the disagreement is counted and logged, never a reason to drop it.
 */
export interface Disagreements {
  readonly total: number
  /** By address kind, and `unreadable` for a value that is not an address at all. */
  readonly byKind: Readonly<Partial<Record<AddressKind | 'unreadable', number>>>
  /** The first few, as sentences for the log. */
  readonly examples: readonly string[]
}

/** One holder seen holding one address in one scope by one snapshot. */
export interface Observation {
  /** Canonical IP text, or canonical CIDR text for a delegated prefix. */
  readonly address: string
  readonly addressKind: AddressKind
  /** `global`, or the VPC id for private IPv4 and IPv4 prefixes. */
  readonly scope: string
  readonly holder: Holder
  /**
   * What AWS says about when this holding began, as a bound the true start lies in. An exact time is
   * `{after: t, by: t}` (or `by: t + 999` when AWS printed whole seconds); "not before t" is
   * `{after: t, by: Infinity}`. Absent when AWS says nothing. Reconcile intersects it with the poll window.
   */
  readonly start?: Bound
}

/** One poll of one target: DescribeNetworkInterfaces (+ Instances, Addresses), all pages. */
export interface Snapshot {
  readonly accountId: string
  readonly region: string
  /** Unique per poll; evidence refers to it. */
  readonly pollId: string
  /**
   * When the first request was sent (epoch ms), less the clock-skew allowance. Everything absent was
   * absent at some time after this.
   */
  readonly startedAt: number
  /** When the last page arrived, plus the clock-skew allowance. Everything present was present at some time before this. */
  readonly finishedAt: number
  /** True only when every page of every call succeeded. Only a complete snapshot proves absence. */
  readonly complete: boolean
  /** Why the snapshot is incomplete (AccessDenied, throttled, a 500 on page 3, …). */
  readonly error?: string
  readonly observations: readonly Observation[]
  /**
   * Instances seen stopped, stopping, shutting-down or terminated, with the time their
   * StateTransitionReason gives as a bound: holdings of theirs that a complete poll finds gone ended
   * no earlier than this (the public IPv4 is released, the ENIs deleted, after the transition began).
   */
  readonly instanceStops: ReadonlyMap<string, Bound>
  /** Only on a complete snapshot whose places disagreed. */
  readonly disagreements?: Disagreements
  /**
   * What DescribeInstances said of each instance it listed. Absent when the source does not read
   * instances: absent is not empty, and marks nothing gone.
   */
  readonly instances?: readonly InstanceRecord[]
  /**
   * The SDK's objects as returned, one per resource id: only on a complete snapshot (a partial one
   * would remove what it failed to read), and absent when the source does not keep them.
   */
  readonly descriptions?: DescriptionSet
}
