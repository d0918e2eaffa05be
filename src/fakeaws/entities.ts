// The nouns of the simulated organisation. Plain mutable records: the world (fleet.ts) is the only
// writer, the protocol renderers only read them.
import type { AddressPool } from './addresses.ts'
import type { LedgerEntry } from './ledger.ts'
import type { Rng } from './rng.ts'

export type AccountState = 'ACTIVE' | 'SUSPENDED' | 'PENDING_CLOSURE'

export interface Account {
  readonly index: number
  readonly id: string
  readonly name: string
  readonly email: string
  readonly state: AccountState
  readonly joinedAt: number
  readonly joinedMethod: 'CREATED' | 'INVITED'
  readonly isManagement: boolean
}

export interface RegionInfo {
  readonly index: number
  readonly name: string
  /** Public IPv4 addresses shared by every account in the region: the source of cross-account reuse. */
  readonly publicPool: AddressPool
}

export interface Vpc {
  readonly id: string
  readonly cidr: string
  readonly isDefault: boolean
  readonly ipv6Cidr: string
  readonly securityGroupId: string
  readonly subnets: Subnet[]
}

export interface Subnet {
  readonly id: string
  readonly vpc: Vpc
  readonly cidr: string
  readonly availabilityZone: string
  readonly availabilityZoneId: string
  readonly pool: AddressPool
  /** First four groups of the subnet's IPv6 /64. */
  readonly ipv6Groups: readonly number[]
  readonly mapPublicIpOnLaunch: boolean
  /** A larger private subnet reserved for EKS nodes, whose /28 prefixes need aligned free blocks. */
  readonly forEks: boolean
  /** IPv6 addresses and /80 prefixes in use, so random ones never collide. */
  readonly ipv6Used: Set<string>
}

/** What an ENI belongs to; decides its interfaceType, description and how churn treats it. */
export type EniRole = 'instance' | 'eks' | 'nat' | 'alb' | 'nlb' | 'lambda' | 'endpoint'

export interface Attachment {
  readonly id: string
  readonly instanceId?: string
  /** Account id for instances; `amazon-elb` / `amazon-aws` for service-managed ENIs. */
  readonly instanceOwnerId: string
  readonly deviceIndex: number
  readonly attachTime: number
  readonly deleteOnTermination: boolean
}

export interface PublicAssociation {
  readonly entry: LedgerEntry
  /** Set when the address is an Elastic IP. */
  readonly eip?: Eip
}

export interface Eni {
  readonly seq: number
  readonly id: string
  readonly target: Target
  readonly subnet: Subnet
  readonly role: EniRole
  readonly interfaceType: string
  readonly description: string
  readonly requesterManaged: boolean
  readonly requesterId?: string
  readonly macAddress: string
  readonly createdAt: number
  readonly attachment?: Attachment
  readonly tags: ReadonlyArray<readonly [string, string]>
  deletedAt?: number
  /** Open private IPv4 entries; [0] is the primary address. */
  readonly privateIps: LedgerEntry[]
  publicIp?: PublicAssociation
  readonly ipv6: LedgerEntry[]
  readonly ipv4Prefixes: LedgerEntry[]
  readonly ipv6Prefixes: LedgerEntry[]
  /** Every entry this ENI ever held, in opening order: the source of its Config history. */
  readonly history: LedgerEntry[]
  /** What the ENI serves (load balancer, NAT gateway, Lambda function, endpoint) for churn bookkeeping. */
  owner?: Owner
}

export type InstanceState = 'running' | 'stopped' | 'terminated'

export interface InstanceChange {
  readonly at: number
  readonly state: InstanceState
  readonly launchTime: number
  readonly reason: string
}

export interface Instance {
  readonly seq: number
  readonly id: string
  readonly target: Target
  readonly subnet: Subnet
  readonly reservationId: string
  readonly imageId: string
  readonly instanceType: string
  readonly keyName: string
  readonly isEksNode: boolean
  /** Whether the instance gets an auto-assigned public IPv4 while running without an Elastic IP. */
  readonly autoPublicIp: boolean
  readonly tags: ReadonlyArray<readonly [string, string]>
  readonly createdAt: number
  state: InstanceState
  launchTime: number
  stateTransitionReason: string
  /** ENIs attached now (primary first); empty once terminated. */
  enis: Eni[]
  /** The primary ENI, kept after termination so history can still be rendered. */
  readonly primaryEni: Eni
  /** Every ENI ever attached (for Config history). */
  readonly allEnis: Eni[]
  eip?: Eip
  terminatedAt?: number
  /** When a terminated instance stops being listed by DescribeInstances. */
  vanishAt?: number
  vanished: boolean
  readonly history: InstanceChange[]
}

export interface Eip {
  readonly allocationId: string
  readonly publicIp: string
  readonly poolOffset: number
  readonly target: Target
  readonly allocatedAt: number
  releasedAt?: number
  association?: { readonly id: string; readonly eni: Eni }
}

/** A service that owns ENIs: a load balancer, NAT gateway, Lambda function or interface endpoint. */
export interface Owner {
  readonly kind: 'alb' | 'nlb' | 'nat' | 'lambda' | 'endpoint'
  readonly target: Target
  readonly id: string
  readonly name: string
  readonly vpc: Vpc
  readonly enis: Eni[]
  /** Internet-facing load balancers get public addresses on their ENIs. */
  readonly internetFacing: boolean
  eip?: Eip
}

/** Ordered by creation (seq), supporting "everything after seq" in O(log n) for pagination tokens. */
export class SeqList<T extends { readonly seq: number }> {
  private items: T[] = []
  private removedCount = 0

  constructor(private readonly isRemoved: (item: T) => boolean) {}

  add(item: T): void {
    const last = this.items[this.items.length - 1]
    if (last && last.seq >= item.seq) throw new Error('SeqList items must be added in seq order')
    this.items.push(item)
  }

  /** Records that an item became removed; compacts when removed items dominate. */
  noteRemoved(): void {
    this.removedCount++
    if (this.removedCount > 64 && this.removedCount * 2 > this.items.length) {
      this.items = this.items.filter((i) => !this.isRemoved(i))
      this.removedCount = 0
    }
  }

  /** Live items with seq > after, in seq order. */
  *after(after: number): Generator<T> {
    let lo = 0
    let hi = this.items.length
    while (lo < hi) {
      const mid = (lo + hi) >> 1
      if ((this.items[mid] as T).seq <= after) lo = mid + 1
      else hi = mid
    }
    for (let i = lo; i < this.items.length; i++) {
      const item = this.items[i] as T
      if (!this.isRemoved(item)) yield item
    }
  }

  get liveCount(): number {
    let n = 0
    for (const i of this.items) if (!this.isRemoved(i)) n++
    return n
  }
}

/** One (account, region): what a collector polls. */
export interface Target {
  readonly key: string
  readonly account: Account
  readonly region: RegionInfo
  readonly rng: Rng
  readonly vpcs: Vpc[]
  /** ENIs that exist now, by creation. */
  readonly enis: SeqList<Eni>
  /** Every ENI ever created here (deleted ones too), by id: Config history and ListDiscoveredResources. */
  readonly eniById: Map<string, Eni>
  readonly eniLog: Eni[]
  /** Instances DescribeInstances lists (running, stopped, terminated until they vanish). */
  readonly instances: SeqList<Instance>
  readonly instanceById: Map<string, Instance>
  readonly instanceLog: Instance[]
  /** Elastic IPs currently allocated, by allocation id. */
  readonly eips: Map<string, Eip>
  /** Live instances that churn may stop/start/terminate, and the services that own ENIs. */
  readonly liveInstances: Instance[]
  readonly owners: Owner[]
  /** The ENI count churn steers towards. */
  readonly desiredEnis: number
  liveEniCount: number
  /** Whether this target's EKS cluster runs IPv6 (gets /80 prefixes) as well as IPv4 /28 prefixes. */
  readonly eksIpv6: boolean
  readonly lambdaFunctions: readonly string[]
}
