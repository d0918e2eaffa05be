// The membership filter: every API process keeps, in memory, every address (and delegated-prefix block)
// that any holding ever contained, overall and per account, so that a lookup of an address never held
// (most of what a SIEM asks about) is answered without a store request. Built at start from the member
// registry (store/members.ts, one Query per day that has entries) and kept current by reading the
// registry's newest entries every half staleness bound.
//
// Its rule: no address whose first holding was written more than the staleness bound ago is ever
// answered "not a member". The registry gets an address before its first holding is written, and the
// filter says "no" only while its last successful catch-up began within the staleness bound; past that
// (the store unreachable, a catch-up slow), and before its first load, it says "maybe" to everything
// and lookups read the store as they did without it. A Bloom filter errs only towards "maybe".
import { GrowingBloom } from '../model/bloom.ts'
import { type Member, type MemberRegistry, REGISTRY_MARGIN_MS } from '../store/members.ts'

export interface MembershipOptions {
  readonly registry: Pick<MemberRegistry, 'state' | 'entriesOf' | 'entriesSince'>
  /** The staleness bound: the filter answers "no" only while its last catch-up began within it. */
  readonly staleMs: number
  /**
   * How far before the last catch-up's start the next one reads: an entry is filed under its writer's
   * clock at the time it began writing, so this covers clock skew between processes and slow writes
   * (default REGISTRY_MARGIN_MS: the registry files a slow write again, store/members.ts).
   */
  readonly marginMs?: number
  readonly log?: (message: string) => void
  readonly now?: () => number
}

/** Beyond this many accounts a scoped question asks the whole organisation's set (still never a false "no"). */
const MAX_SCOPED_ACCOUNTS = 32

export interface MembershipStats {
  readonly trusted: boolean
  readonly members: number
  readonly bytes: number
}

export class Membership {
  private readonly all = new GrowingBloom()
  private readonly scoped = new GrowingBloom()
  private complete = false
  /** When the last successful load or catch-up began (the filter holds every entry visible then). */
  private caughtUpAt: number | undefined
  private timer: NodeJS.Timeout | undefined
  private running: Promise<void> | undefined
  private failing = false
  /** Addresses just written (told by invalidations), "maybe" in every scope until a catch-up has them. */
  private readonly recent = new Map<string, number>()

  constructor(private readonly o: MembershipOptions) {}

  private now(): number {
    return (this.o.now ?? Date.now)()
  }

  /** Load the registry, then keep catching up every half staleness bound until stop(). */
  async start(): Promise<void> {
    await this.refresh()
    this.timer = setInterval(() => void this.refresh(), Math.max(100, Math.floor(this.o.staleMs / 2)))
    this.timer.unref()
  }

  /** Stop catching up, once the read in flight (if any) has finished: the store may close next. */
  async stop(): Promise<void> {
    clearInterval(this.timer)
    this.timer = undefined
    await this.running
  }

  /** One load (the first time) or catch-up; concurrent calls share one. Never throws. */
  refresh(): Promise<void> {
    this.running ??= this.readRegistry().finally(() => (this.running = undefined))
    return this.running
  }

  private async readRegistry(): Promise<void> {
    const began = this.now()
    const add = (m: Member) => this.add(m)
    try {
      if (this.caughtUpAt === undefined) {
        const state = await this.o.registry.state()
        this.complete = state.complete
        await this.o.registry.entriesOf(state.days, add)
      } else {
        // A registry being backfilled becomes complete later; until it is, the filter never says "no".
        if (!this.complete) this.complete = (await this.o.registry.state()).complete
        await this.o.registry.entriesSince(this.caughtUpAt - (this.o.marginMs ?? REGISTRY_MARGIN_MS), add)
      }
      this.caughtUpAt = began
      this.pruneRecent()
      if (this.failing) this.o.log?.('membership filter: caught up with the member registry again')
      this.failing = false
    } catch (err) {
      // The filter lapses to "maybe" once the staleness bound passes; the next catch-up reads from where
      // the last good one began, so nothing written meanwhile is skipped.
      if (!this.failing) this.o.log?.(`membership filter: cannot read the member registry (${(err as Error).message}); lookups read the store until it can`)
      this.failing = true
    }
  }

  /**
   * Addresses the collector has just written (an invalidation reached this process): answered "maybe"
   * at once rather than after the next catch-up. Their registry entries were written before them, so a
   * catch-up that begins from now on has them; they are kept for two staleness bounds.
   */
  noteWritten(addresses: readonly string[]): void {
    const until = this.now() + 2 * this.o.staleMs
    for (const a of addresses) this.recent.set(a, until)
    if (this.recent.size > 10_000) this.pruneRecent()
  }

  private pruneRecent(): void {
    const now = this.now()
    for (const [a, until] of this.recent) if (until < now) this.recent.delete(a)
  }

  private add(m: Member): void {
    this.all.add(m.address)
    this.scoped.add(`${m.accountId}|${m.address}`)
  }

  /**
   * Resolves once the filter is current again, or after `maxWaitMs`: when a catch-up is only late (a
   * busy store), a batch waits for it rather than sending every lookup to the store, which would make
   * the store busier and the catch-up later still. A filter that cannot catch up (the store away)
   * costs one wait of `maxWaitMs` a batch, then the lookups read the store.
   */
  async whenCurrent(maxWaitMs: number): Promise<void> {
    if (this.trusted() || !this.complete) return
    let timer: NodeJS.Timeout | undefined
    await Promise.race([this.refresh(), new Promise<void>((resolve) => (timer = setTimeout(resolve, maxWaitMs)))])
    clearTimeout(timer)
  }

  /** Whether the filter may answer "no" now: the registry is complete and was read within the staleness bound. */
  trusted(): boolean {
    return this.complete && this.caughtUpAt !== undefined && this.now() - this.caughtUpAt <= this.o.staleMs
  }

  /**
   * False only when the filter is trusted and none of `keys` (an address and the blocks containing it,
   * as the store files holdings) ever had a holding in any of `accounts` (every account when undefined).
   */
  mayHold(keys: readonly string[], accounts?: readonly string[]): boolean {
    if (!this.trusted()) return true
    const scoped = accounts !== undefined && accounts.length <= MAX_SCOPED_ACCOUNTS
    for (const key of keys) {
      if (this.recent.size > 0 && this.recent.has(key)) return true
      if (!scoped) {
        if (this.all.mayHave(key)) return true
      } else {
        for (const a of accounts) if (this.scoped.mayHave(`${a}|${key}`)) return true
      }
    }
    return false
  }

  stats(): MembershipStats {
    return { trusted: this.trusted(), members: this.all.size, bytes: this.all.bytes + this.scoped.bytes }
  }
}
