// Keeps this process's share of the lease shards: heartbeat, read, plan (pure), claim and release.
// Run `tick()` every third of a lease period; a process that dies stops renewing and its shards are
// taken by the others within one lease period.
import type { LeaseStore } from '../store/leases.ts'
import { planLeases, shardOf } from './lease-plan.ts'
import type { Target } from '../model/target.ts'

export interface LeaseKeeperOptions {
  readonly me: string
  readonly shards: number
  readonly periodMs: number
  readonly now?: () => number
  /**
   * Resolves when this process's polls of a shard's targets that are in flight have finished: a shard
   * handed over is released only then (or when its lease would have run out anyway), so that a poll
   * already past its check of the lease never writes after another process may have taken it.
   */
  readonly settled?: (shard: number) => Promise<void>
}

export class LeaseKeeper {
  private readonly owned = new Map<number, number>() // shard → lease valid until
  // shard → which of this process's tenures of it is current: a new one each time the shard is taken
  // rather than renewed, since another process may have held it (and written its targets) in between.
  private readonly tenures = new Map<number, number>()
  private lastTenure = 0
  private readonly now: () => number
  private stopped = false
  private ticking: Promise<void> = Promise.resolve()
  // Target → its shard: the scheduler asks for every due target every second, and a SHA-1 each time
  // was most of its tick at 17,000 targets. The shard of a target never changes (the count is fixed).
  private readonly shardByTarget = new Map<string, number>()

  constructor(
    private readonly store: LeaseStore,
    private readonly options: LeaseKeeperOptions,
  ) {
    this.now = options.now ?? Date.now
  }

  /** One round; rounds never overlap, and none starts after stop(). */
  tick(): Promise<void> {
    // A failed round (the store unreachable) is reported to this caller and does not stop the next.
    this.ticking = this.ticking.catch(() => {}).then(() => (this.stopped ? undefined : this.round()))
    return this.ticking
  }

  private async round(): Promise<void> {
    const { me, shards, periodMs } = this.options
    const now = this.now()
    await this.store.heartbeat(me, now + periodMs)
    // Two processes reading the same leases at once may still both go for a shard; the one that lost
    // reads again and tries others, so that a dead process's shards move within this tick, not the next.
    for (let attempt = 0; attempt < 3; attempt++) {
      const [members, leases] = await Promise.all([this.store.members(now), this.store.leases()])
      const plan = planLeases({ me, now, shards, members, leases })
      for (const shard of plan.release) await this.handOver(shard)
      let lost = false
      for (const shard of [...plan.renew, ...plan.acquire]) {
        const until = now + periodMs
        const claimed = await this.store.claim(shard, me, now, until)
        if (claimed) {
          if (claimed === 'taken' || !this.owned.has(shard)) this.tenures.set(shard, ++this.lastTenure)
          this.owned.set(shard, until)
        } else {
          this.owned.delete(shard)
          lost = true
        }
      }
      if (!lost) return
    }
  }

  /**
   * Give a shard to the others: stop polling it at once (owns() is false from here on, so a poll not
   * yet at its check writes nothing), let the polls past that check finish, then release the lease.
   * The wait is bounded by what is left of the lease, and by a third of a period so the renewals of
   * the other shards are never late: past either, the lease is released anyway (it runs out then).
   */
  private async handOver(shard: number): Promise<void> {
    const until = this.owned.get(shard)
    this.owned.delete(shard)
    if (until !== undefined && this.options.settled) {
      const waitMs = Math.min(until - this.now(), this.options.periodMs / 3)
      let timer: NodeJS.Timeout | undefined
      await Promise.race([this.options.settled(shard), new Promise<void>((resolve) => (timer = setTimeout(resolve, Math.max(0, waitMs))))])
      clearTimeout(timer)
    }
    await this.store.release(shard, this.options.me)
  }

  /** Whether this process may poll the target now: its shard's lease is ours with time to spare. */
  owns(target: Target): boolean {
    const until = this.owned.get(this.shard(target))
    return until !== undefined && until - this.now() > this.options.periodMs / 3
  }

  /**
   * Which tenure of the target's shard this process is in (undefined while it does not hold it): two
   * equal answers mean it held the shard throughout in between, so nobody else polled the target.
   */
  tenure(target: Target): number | undefined {
    const shard = this.shard(target)
    return this.owned.has(shard) ? this.tenures.get(shard) : undefined
  }

  private shard(target: Target): number {
    const k = `${target.accountId}#${target.region}`
    let shard = this.shardByTarget.get(k)
    if (shard === undefined) {
      shard = shardOf(target, this.options.shards)
      this.shardByTarget.set(k, shard)
    }
    return shard
  }

  shardsOwned(): number[] {
    return [...this.owned.keys()].sort((a, b) => a - b)
  }

  /** Give every lease back and leave, so the others take over at once rather than after expiry. */
  async stop(): Promise<void> {
    // A round in flight could claim again after the release: let it finish first.
    this.stopped = true
    await this.ticking.catch(() => {})
    const shards = [...this.owned.keys()]
    this.owned.clear()
    for (const shard of shards) await this.store.release(shard, this.options.me)
    await this.store.leave(this.options.me)
  }
}
