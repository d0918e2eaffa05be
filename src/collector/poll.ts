// One poll of one target, from snapshot to stored holdings: the only I/O around the pure reconcile.
// Order matters for crashes: operations (and then the instance records and descriptions that changed) are applied before
// the target's state is written, so a crash in between replays the poll against the old state on
// restart, which reconcile makes harmless and which finds the instance records already as it left them.
import type { Snapshot } from '../model/observation.ts'
import type { PollResult } from '../model/poll-result.ts'
import type { StoreOperation } from '../model/stored-holding.ts'
import type { Target } from '../model/target.ts'
import type { Store } from '../store/open.ts'
import { mayBeQuiet, QUIET_AFTER_POLLS } from './cadence.ts'
import { afterPoll } from './poll-state.ts'
import { reconcile } from './reconcile.ts'

export interface PollDeps {
  /** Where holdings and target states go, and instance records and descriptions: without them a poll keeps holdings only. */
  readonly store: Pick<Store, 'holdings' | 'targets'> & Partial<Pick<Store, 'instances' | 'descriptions'>>
  readonly takeSnapshot: (target: Target) => Promise<Snapshot>
  /** Told which addresses changed, after they are written (the cache invalidates them). */
  readonly onChanged?: (addresses: readonly string[]) => Promise<void>
  readonly maxGapMs: number
  /** How often a quiet target is polled (cadence.ts); absent, every target every interval. */
  readonly quietEveryMs?: number
  /** Checked just before writing: a process that lost its lease mid-poll must not write. */
  readonly stillOwner?: (target: Target) => boolean
}

export async function pollTarget(deps: PollDeps, target: Target): Promise<PollResult> {
  const began = Date.now()
  const state = await deps.store.targets.getOrFresh(target)
  const open = await deps.store.holdings.openHoldingsOfTarget(target.accountId, target.region, state.lastCompletePoll ?? 0)
  const snapshot = await deps.takeSnapshot(target)
  const ops = reconcile(open, snapshot, { lastCompletePoll: state.lastCompletePoll })
  const count = (kind: StoreOperation['kind']) => ops.filter((o) => o.kind === kind).length
  const result = {
    target,
    complete: snapshot.complete,
    ...(snapshot.error !== undefined ? { error: snapshot.error } : {}),
    observations: snapshot.observations.length,
    opened: count('open'),
    closed: count('close'),
    refined: count('refine'),
    ...(snapshot.disagreements ? { disagreements: snapshot.disagreements } : {}),
  }
  if (deps.stillOwner && !deps.stillOwner(target)) {
    return { ...result, abandoned: true, durationMs: Date.now() - began, state }
  }
  if (ops.length > 0) {
    await deps.store.holdings.apply(ops)
    await deps.onChanged?.(changedAddresses(ops))
  }
  // Only a complete snapshot proves an instance gone, and a snapshot that read no instances says nothing.
  const instancesWritten =
    deps.store.instances && snapshot.complete && snapshot.instances
      ? await deps.store.instances.sync(target, snapshot.instances, { goneAt: snapshot.finishedAt, lastCompletePoll: state.lastCompletePoll })
      : 0
  // The same for descriptions; their digests go into the state written next, so a crash before it
  // makes the replayed poll compare item by item (and find them written).
  const described =
    deps.store.descriptions && snapshot.complete && snapshot.descriptions
      ? await deps.store.descriptions.sync(target, snapshot.descriptions, { seenAt: snapshot.startedAt, removedAt: snapshot.finishedAt, lastCompletePoll: state.lastCompletePoll }, state.descriptionDigests)
      : undefined
  const quiet = deps.quietEveryMs && mayBeQuiet(state, snapshot.observations.length) ? { quiet: { afterPolls: QUIET_AFTER_POLLS, everyMs: deps.quietEveryMs } } : {}
  const polled = afterPoll(state, snapshot, { maxGapMs: deps.maxGapMs, changed: ops.length > 0, ...quiet })
  const next = described ? { ...polled, descriptionDigests: described.digests } : polled
  await deps.store.targets.put(next)
  return { ...result, instancesWritten, ...(described ? { descriptionsWritten: described.written } : {}), durationMs: Date.now() - began, state: next }
}

export function changedAddresses(ops: readonly StoreOperation[]): string[] {
  const out = new Set<string>()
  for (const op of ops) out.add(op.kind === 'refine' || op.kind === 'split' ? op.next.address : op.holding.address)
  return [...out]
}
