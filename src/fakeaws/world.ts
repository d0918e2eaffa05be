// The simulated organisation: accounts × regions (targets), their fleets, the event queue that churns
// them on the clock, and the ledger of who held what. Deterministic: the seed, the options and the
// sequence of advances decide everything.
import { AddressPool, ipv4ToInt } from './addresses.ts'
import { buildTarget } from './build.ts'
import { churnOnce } from './churn.ts'
import { ConfigRecorders } from './config-recorders.ts'
import type { Clock } from './clock.ts'
import { Ec2Variants } from './ec2-variants.ts'
import type { Account, AccountState, Instance, RegionInfo, Target } from './entities.ts'
import type { FleetContext } from './fleet.ts'
import { vanishInstance } from './fleet.ts'
import { EventHeap } from './heap.ts'
import { Ledger } from './ledger.ts'
import { publicBlock } from './regions.ts'
import { IdFactory, Rng } from './rng.ts'
import { type ResolvedWorldOptions, resolveWorldOptions, type WorldOptions } from './world-options.ts'

interface WorldEvent {
  readonly at: number
  readonly seq: number
  readonly kind: 'churn' | 'vanish'
  readonly target: Target
  readonly instance?: Instance
}

export class World implements FleetContext {
  readonly options: ResolvedWorldOptions
  readonly seed: number
  readonly ids: IdFactory
  readonly ledger: Ledger
  readonly accounts: readonly Account[]
  readonly regions: readonly RegionInfo[]
  /** Active account × region, keyed `${accountId}/${region}`, in account then region order. */
  readonly targets = new Map<string, Target>()
  readonly organizationId: string
  readonly terminatedVisibleMs: number
  /** How Config records in each account-region; tests change it as they go. */
  readonly configRecorders: ConfigRecorders
  /** Which redundant places EC2 answers fill; tests may pin another variant as they go. */
  readonly ec2Variants: Ec2Variants
  /** The time the world has been brought up to. */
  now: number
  private seqCounter = 0
  private eventSeq = 0
  private readonly events = new EventHeap<WorldEvent>()
  private readonly meanChurnGapMs: number
  private clock: Clock | undefined

  constructor(options: WorldOptions = {}) {
    this.options = resolveWorldOptions(options)
    this.seed = this.options.seed
    this.now = this.options.startTime
    this.terminatedVisibleMs = this.options.terminatedVisibleMs
    this.ids = new IdFactory(this.seed)
    this.ledger = new Ledger(() => this.catchUp())
    this.configRecorders = new ConfigRecorders({ mode: this.options.configRecording, since: this.now }, () => this.now)
    this.ec2Variants = new Ec2Variants(this.seed, this.options.variants)
    this.meanChurnGapMs = this.options.churn > 0 ? 3_600_000 / this.options.churn : Number.POSITIVE_INFINITY
    const rng = new Rng('world', this.seed)
    this.organizationId = `o-${this.ids.hex('org', 10)}`
    this.accounts = makeAccounts(this.options, rng)
    this.regions = this.options.regions.map((name, index) => makeRegion(name, index, this.options))
    for (const account of this.accounts) {
      if (account.state !== 'ACTIVE') continue
      for (const region of this.regions) {
        // An empty region has its default VPC and nothing else, and nothing happens there.
        const empty = this.options.emptyShare > 0 && new Rng('empty', this.seed, account.id, region.name).float() < this.options.emptyShare
        const target = buildTarget(this, account, region, empty ? { ...this.options, enisPerRegion: 0 } : this.options)
        this.targets.set(target.key, target)
        if (!empty) this.scheduleChurn(target, this.now)
      }
    }
  }

  nextSeq(): number {
    return ++this.seqCounter
  }

  scheduleVanish(instance: Instance, at: number): void {
    this.events.push({ at, seq: ++this.eventSeq, kind: 'vanish', target: instance.target, instance })
  }

  /** Ties the world to a clock: reads (ledger, API) first bring the world up to the clock's now. */
  attachClock(clock: Clock): void {
    this.clock = clock
  }

  /** Brings the world up to the attached clock's time (a no-op without a clock). */
  catchUp(): void {
    if (this.clock) this.advanceTo(this.clock.now())
  }

  /** Applies every event due at or before `t`, in time order. */
  advanceTo(t: number): void {
    if (t < this.now) return
    for (;;) {
      const next = this.events.peek()
      if (!next || next.at > t) break
      this.events.pop()
      this.now = next.at
      if (next.kind === 'vanish' && next.instance) {
        vanishInstance(next.instance)
      } else if (next.kind === 'churn') {
        churnOnce(this, next.target, next.at, this.options)
        this.scheduleChurn(next.target, next.at)
      }
    }
    this.now = t
  }

  target(accountId: string, region: string): Target | undefined {
    return this.targets.get(`${accountId}/${region}`)
  }

  account(accountId: string): Account | undefined {
    return this.accounts.find((a) => a.id === accountId)
  }

  get managementAccount(): Account {
    return this.accounts[0] as Account
  }

  /** Counts for a one-line summary. */
  stats(): { accounts: number; targets: number; enis: number; instances: number; addresses: number; ledgerEntries: number } {
    let enis = 0
    let instances = 0
    for (const t of this.targets.values()) {
      enis += t.liveEniCount
      instances += t.liveInstances.length
    }
    return {
      accounts: this.accounts.length,
      targets: this.targets.size,
      enis,
      instances,
      addresses: this.ledger.openSize,
      ledgerEntries: this.ledger.size,
    }
  }

  /**
   * A canonical text of the whole world (fleets and ledger) at its current time: equal texts mean equal
   * worlds. For determinism tests; it is large.
   */
  serialize(): string {
    const out: string[] = [`now ${this.now}`, `org ${this.organizationId}`]
    for (const a of this.accounts) out.push(`account ${a.id} ${a.state} ${a.name} ${a.joinedAt}`)
    for (const t of this.targets.values()) {
      out.push(`target ${t.key}`)
      for (const v of t.vpcs) {
        out.push(` vpc ${v.id} ${v.cidr} ${v.ipv6Cidr}`)
        for (const s of v.subnets) out.push(`  subnet ${s.id} ${s.cidr} ${s.availabilityZone} ${s.pool.free}`)
      }
      for (const e of t.enis.after(0)) {
        const addrs = [...e.privateIps, ...(e.publicIp ? [e.publicIp.entry] : []), ...e.ipv6, ...e.ipv4Prefixes, ...e.ipv6Prefixes]
        out.push(` eni ${e.id} ${e.interfaceType} ${e.attachment?.instanceId ?? '-'} ${addrs.map((x) => x.ip).join(',')}`)
      }
      for (const i of t.instances.after(0)) out.push(` instance ${i.id} ${i.state} ${i.launchTime} ${i.eip?.allocationId ?? '-'}`)
      for (const eip of t.eips.values()) out.push(` eip ${eip.allocationId} ${eip.publicIp} ${eip.association?.eni.id ?? '-'}`)
    }
    for (const e of this.ledger.entries()) {
      out.push(`ledger ${e.id} ${e.ip} ${e.kind} ${e.scope} ${e.eniId} ${e.instanceId ?? '-'} ${e.start} ${e.end ?? '-'} ${e.allocationId ?? '-'}`)
    }
    return out.join('\n')
  }

  private scheduleChurn(target: Target, from: number): void {
    if (!Number.isFinite(this.meanChurnGapMs)) return
    const gap = Math.max(1, Math.round(target.rng.exponential(this.meanChurnGapMs)))
    this.events.push({ at: from + gap, seq: ++this.eventSeq, kind: 'churn', target })
  }
}

function makeAccounts(options: ResolvedWorldOptions, rng: Rng): Account[] {
  const seen = new Set<string>()
  const accounts: Account[] = []
  for (let index = 0; index < options.accounts; index++) {
    let id: string
    do {
      id = String(100_000_000_000 + rng.int(900_000_000) * 1000 + rng.int(1000))
    } while (seen.has(id))
    seen.add(id)
    const fromEnd = options.accounts - 1 - index
    const state: AccountState =
      fromEnd < options.suspendedAccounts
        ? 'SUSPENDED'
        : fromEnd < options.suspendedAccounts + options.pendingClosureAccounts
          ? 'PENDING_CLOSURE'
          : 'ACTIVE'
    const n = String(index).padStart(3, '0')
    accounts.push({
      index,
      id,
      name: index === 0 ? 'management' : `workload-${n}`,
      email: `aws+${index === 0 ? 'management' : `workload-${n}`}@example.com`,
      state,
      joinedAt: options.startTime - (400 - index) * 86_400_000 - rng.int(86_400_000),
      joinedMethod: index === 0 ? 'CREATED' : rng.chance(0.8) ? 'CREATED' : 'INVITED',
      isManagement: index === 0,
    })
  }
  return accounts
}

function makeRegion(name: string, index: number, options: ResolvedWorldOptions): RegionInfo {
  const activeAccounts = options.accounts - options.suspendedAccounts - options.pendingClosureAccounts
  // About a third of ENIs carry a public address; a pool only ~30% larger than demand keeps it busy, so
  // a released address is soon handed to someone else (often in another account).
  const demand = activeAccounts * options.enisPerRegion * 0.4
  const size = Math.min(2 ** 20, Math.ceil(demand * 1.3) + 32)
  return { index, name, publicPool: new AddressPool(ipv4ToInt(publicBlock(index)), size) }
}
