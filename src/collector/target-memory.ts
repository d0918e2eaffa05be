// What the collector process keeps of the targets it polls, between polls, so that a steady poll reads
// from the store only what it may change, instead of every open holding, instance record and
// description of its target.
//
// Kept per target: a summary per open holding (reconcile.ts's OpenSummary under its openKey), and the
// content hash per listed instance record and per current description; about 150 bytes each with its
// key, never the holdings or records themselves (at 100,000 ENIs those would not fit the collector's
// heap). A poll reads in full, by key and with consistent reads, the few its snapshot may change, and
// checks them against what was kept.
//
// What is kept is trusted only while nobody else can have written the target since it was made: the
// target's lease has been held throughout (the same tenure, lease-keeper.ts), and its stored state
// still carries the version and writer this process last read or wrote (model/target.ts). Otherwise,
// and after any failed write, the target is read again in full (open holdings with the store's crash
// repair). A process that restarts starts with nothing kept.
import { randomUUID } from 'node:crypto'
import type { StoreOperation, StoredHolding } from '../model/stored-holding.ts'
import type { Target, TargetState } from '../model/target.ts'
import type { KnownDescriptions } from '../store/descriptions.ts'
import type { HoldingStore } from '../store/holdings.ts'
import { openKey, type OpenSummary, openSummary } from './reconcile.ts'

interface Kept {
  readonly tenure: number | undefined
  version: number | undefined
  writer: string | undefined
  readonly open: Map<string, OpenSummary>
  /** Listed instance records: id → content hash (store/instances.ts). */
  instances?: ReadonlyMap<string, string>
  /** Current descriptions per kind: id → content hash (store/descriptions.ts). */
  descriptions?: KnownDescriptions
}

/** What is known, besides its open holdings, of a target whose open holdings were just read. */
export interface KnownRecords {
  readonly instances?: ReadonlyMap<string, string>
  readonly descriptions?: KnownDescriptions
}

export interface TargetMemoryOptions {
  /** This process's name in the target states it writes (default: a random one per instance). */
  readonly me?: string
  /** Which tenure of the target's lease this process is in (LeaseKeeper.tenure); none without leases. */
  readonly tenure?: (target: Target) => number | undefined
}

export interface OpenRead {
  /** Every open holding of the target, summarised. */
  readonly open: ReadonlyMap<string, OpenSummary>
  /** The open holdings that were asked for, in full. */
  readonly read: readonly StoredHolding[]
  /** Whether the target's open holdings were read again in full (nothing kept, or nothing trusted). */
  readonly full: boolean
}

const targetKey = (t: Target) => `${t.accountId}/${t.region}`

export class TargetMemory {
  readonly me: string
  private readonly kept = new Map<string, Kept>()

  constructor(
    private readonly store: Pick<HoldingStore, 'openHoldingsOfTarget' | 'openHoldingsByKey'>,
    private readonly options: TargetMemoryOptions = {},
  ) {
    this.me = options.me ?? `collector-${randomUUID()}`
  }

  /** The target's lease tenure now: taken before its state is read, checked again before writing. */
  tenure(target: Target): number | undefined {
    return this.options.tenure?.(target)
  }

  /**
   * The target's open holdings that `pick` names (by openKey) among all of them, read in full. From
   * the kept summaries when they can be trusted (see the header) and agree with what was read; else
   * from a full read, which is kept.
   */
  async read(target: Target, state: TargetState, tenure: number | undefined, pick: (open: ReadonlyMap<string, OpenSummary>) => ReadonlySet<string>): Promise<OpenRead> {
    const k = targetKey(target)
    const kept = this.kept.get(k)
    if (kept && kept.tenure === tenure && kept.version === state.version && kept.writer === state.writer) {
      const wanted = pick(kept.open)
      const read = await this.store.openHoldingsByKey([...wanted].map(keyParts))
      if (read.length === wanted.size && read.every((h) => agrees(kept.open.get(openKey(h)), h))) return { open: kept.open, read, full: false }
      // Not what was kept: read everything again rather than reconcile against a wrong picture.
    }
    this.kept.delete(k)
    const all = await this.store.openHoldingsOfTarget(target.accountId, target.region)
    const open = new Map(all.map((h) => [openKey(h), openSummary(h)]))
    this.kept.set(k, { tenure, version: state.version, writer: state.writer, open })
    const wanted = pick(open)
    return { open, read: all.filter((h) => wanted.has(openKey(h))), full: true }
  }

  /** Operations were applied to the target's holdings: its kept summaries follow them. */
  applied(target: Target, operations: readonly StoreOperation[]): void {
    const open = this.kept.get(targetKey(target))?.open
    if (!open) return
    for (const op of operations) {
      if (op.kind === 'open') open.set(openKey(op.holding), openSummary(op.holding))
      else if (op.kind === 'close') open.delete(openKey(op.holding))
      else if (op.kind === 'refine' || op.kind === 'split') {
        if (!op.previous.end) open.delete(openKey(op.previous))
        if (!op.next.end) open.set(openKey(op.next), openSummary(op.next))
      }
      // A record is of a closed holding: no open one changes.
    }
  }

  /** What is kept of the target's instance records and descriptions: valid once `read` has been called in this poll. */
  known(target: Target): KnownRecords {
    const kept = this.kept.get(targetKey(target))
    return { ...(kept?.instances ? { instances: kept.instances } : {}), ...(kept?.descriptions ? { descriptions: kept.descriptions } : {}) }
  }

  /** The target's instance records and descriptions were brought in line with a poll: keep what is stored now. */
  keep(target: Target, records: KnownRecords): void {
    const kept = this.kept.get(targetKey(target))
    if (!kept) return
    if (records.instances) kept.instances = records.instances
    if (records.descriptions) kept.descriptions = records.descriptions
  }

  /**
   * The target's state was written over `previous` (after its holdings, if any were): the kept summaries
   * are in step with it, if they were with `previous`. Otherwise another process wrote in between.
   */
  wrote(target: Target, state: TargetState, previous: TargetState): void {
    const kept = this.kept.get(targetKey(target))
    if (!kept) return
    if (kept.version !== previous.version || kept.writer !== previous.writer) {
      this.forget(target)
      return
    }
    kept.version = state.version
    kept.writer = state.writer
  }

  /** The state to write after the target's holdings were written: the next version, by this process. */
  stamp(state: TargetState, previous: TargetState): TargetState {
    return { ...state, version: (previous.version ?? 0) + 1, writer: this.me }
  }

  /** A write failed, or the lease went: what is kept of the target can no longer be trusted. */
  forget(target: Target): void {
    this.kept.delete(targetKey(target))
  }

  /** Keep only the targets `keep` says (those whose leases this process still holds). */
  retain(keep: (target: Target) => boolean): void {
    for (const k of this.kept.keys()) {
      const [accountId, region] = k.split('/') as [string, string]
      if (!keep({ accountId, region })) this.kept.delete(k)
    }
  }

  /** How many open holdings, instance records and descriptions are kept, over every target. */
  size(): { holdings: number; instances: number; descriptions: number } {
    const n = { holdings: 0, instances: 0, descriptions: 0 }
    for (const kept of this.kept.values()) {
      n.holdings += kept.open.size
      n.instances += kept.instances?.size ?? 0
      for (const ids of kept.descriptions?.values() ?? []) n.descriptions += ids.size
    }
    return n
  }
}

function keyParts(key: string): { address: string; scope: string; eniId: string } {
  const [address, scope, eniId] = key.split('|') as [string, string, string]
  return { address, scope, eniId }
}

function agrees(kept: OpenSummary | undefined, h: StoredHolding): boolean {
  return kept === openSummary(h)
}
