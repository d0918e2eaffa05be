// An instance as whohad keeps it: what DescribeInstances said of it at its latest change. Holdings are
// about ENIs; this is the metadata other services ask instead of calling DescribeInstances, and where
// an instance's own state and subnet come from (an ENI's holding says neither: a stopped instance keeps
// its ENIs, and a second ENI may sit in another subnet).
import type { Bound } from './holding.ts'

/** The instance states EC2 reports (`InstanceStateName`). */
export const INSTANCE_STATES = ['pending', 'running', 'shutting-down', 'terminated', 'stopping', 'stopped'] as const
export type InstanceState = (typeof INSTANCE_STATES)[number]

/** One ENI attached to the instance. Device index 0 is the primary, whose subnet is the instance's. */
export interface InstanceEni {
  readonly eniId: string
  readonly deviceIndex?: number
}

export interface InstanceRecord {
  readonly accountId: string
  readonly region: string
  readonly instanceId: string
  readonly state: InstanceState
  /**
   * When the transition that led to this state was initiated: the time AWS writes in
   * StateTransitionReason, printed to the second, so `[t, t + 999]`. Absent where AWS gives none (a
   * running instance's reason is usually empty). A stopped or terminated state began some time after.
   */
  readonly stateSince?: Bound
  /** The instance's own (`Instance.SubnetId`/`VpcId`: its primary ENI's), not any other ENI's. */
  readonly subnetId?: string
  readonly vpcId?: string
  readonly availabilityZone?: string
  readonly instanceType?: string
  readonly imageId?: string
  /** Epoch ms; EC2 moves it at every start, not only the first launch. */
  readonly launchTime?: number
  /** `PlatformDetails` (`Linux/UNIX`, `Windows`, …), else `Platform` (set only for Windows). */
  readonly platform?: string
  readonly architecture?: string
  readonly privateIpAddress?: string
  readonly publicIpAddress?: string
  readonly tags?: Readonly<Record<string, string>>
  /** The Name tag. */
  readonly name?: string
  /** Attached ENIs, primary first. */
  readonly enis: readonly InstanceEni[]
  readonly keyName?: string
  /**
   * Start of the poll that wrote this record (epoch ms). A record is rewritten only when its content
   * changes, so a listed instance was also seen by every later complete poll of its target.
   */
  readonly lastSeen: number
  /** End of the first complete poll that no longer listed it (epoch ms): it went in (lastSeen, gone]. */
  readonly gone?: number
}

export function isInstanceState(value: unknown): value is InstanceState {
  return typeof value === 'string' && (INSTANCE_STATES as readonly string[]).includes(value)
}
