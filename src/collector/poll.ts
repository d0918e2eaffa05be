// One poll of one target, from snapshot to stored holdings: the only I/O around the pure reconcile.
// Order matters for crashes: operations, and the instance records and descriptions that changed, are
// applied (side by side) before the target's state is written, so a crash in between replays the poll
// against the old state on restart, which reconcile makes harmless and which finds the instance records
// already as it left them.
import type { Snapshot } from '../model/observation.ts'
import type { PollResult } from '../model/poll-result.ts'
import type { StoreOperation } from '../model/stored-holding.ts'
import type { Target } from '../model/target.ts'
import type { Store } from '../store/open.ts'
import { mayBeQuiet, QUIET_AFTER_POLLS } from './cadence.ts'
import { afterPoll } from './poll-state.ts'
import { TargetMemory } from './target-memory.ts'
import { holdingsToRead, openKey, reconcileSummarised } from './reconcile.ts'

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
  /** What is kept of the targets between polls (target-memory.ts); without it, this poll reads its target in full and keeps nothing. */
  readonly memory?: TargetMemory
}

export async function pollTarget(deps: PollDeps, target: Target): Promise<PollResult> {
  const began = Date.now()
  const memory = deps.memory ?? new TargetMemory(deps.store.holdings)
  const tenure = memory.tenure(target)
  // Only this process writes the target's state while it holds the lease: read it while AWS answers.
  const [state, snapshot] = await Promise.all([deps.store.targets.getOrFresh(target), deps.takeSnapshot(target)])
  const history = { lastCompletePoll: state.lastCompletePoll }
  // Only the open holdings this snapshot may change are read in full (see target-memory.ts).
  const { open, read } = await memory.read(target, state, tenure, (kept) => holdingsToRead(kept, snapshot, history))
  const ops = reconcileSummarised(open, read, snapshot, history)
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
  // A lease lost, or lost and taken again, since the poll began: another process may have written.
  if ((deps.stillOwner && !deps.stillOwner(target)) || memory.tenure(target) !== tenure) {
    memory.forget(target)
    return { ...result, abandoned: true, durationMs: Date.now() - began, state }
  }
  try {
    // Only a complete snapshot proves an instance gone, and a snapshot that read no instances says nothing.
    // What is kept of the records is as trusted as the open holdings read above (the same checks).
    const known = memory.known(target)
    // The same for descriptions; their digests go into the state written next, so a crash before it
    // makes the replayed poll compare item by item (and find them written). Holdings, instance records
    // and descriptions are apart in the table and each is replayed on its own: they go side by side.
    const [, instances, described] = await Promise.all([
      ops.length > 0
        ? deps.store.holdings.apply(ops, { settledEnis: settledEnis(open.keys(), ops) }).then(async () => {
            memory.applied(target, ops)
            await deps.onChanged?.(changedAddresses(ops))
          })
        : undefined,
      deps.store.instances && snapshot.complete && snapshot.instances
        ? deps.store.instances.syncKnown(target, snapshot.instances, { goneAt: snapshot.finishedAt, lastCompletePoll: state.lastCompletePoll }, known.instances)
        : undefined,
      deps.store.descriptions && snapshot.complete && snapshot.descriptions
        ? deps.store.descriptions.sync(target, snapshot.descriptions, { seenAt: snapshot.startedAt, removedAt: snapshot.finishedAt, lastCompletePoll: state.lastCompletePoll }, state.descriptionDigests, known.descriptions)
        : undefined,
    ])
    memory.keep(target, { ...(instances ? { instances: instances.listed } : {}), ...(described ? { descriptions: described.current } : {}) })
    const instancesWritten = instances?.written ?? 0
    const quiet = deps.quietEveryMs && mayBeQuiet(state, snapshot.observations.length) ? { quiet: { afterPolls: QUIET_AFTER_POLLS, everyMs: deps.quietEveryMs } } : {}
    const polled = afterPoll(state, snapshot, { maxGapMs: deps.maxGapMs, changed: ops.length > 0, ...quiet })
    const next = memory.stamp(described ? { ...polled, descriptionDigests: described.digests } : polled, state)
    await deps.store.targets.put(next)
    memory.wrote(target, next, state)
    return { ...result, instancesWritten, ...(described ? { descriptionsWritten: described.written } : {}), durationMs: Date.now() - began, state: next }
  } catch (err) {
    // Some of the writes may have been made: what is kept no longer says what is stored.
    memory.forget(target)
    throw err
  }
}

/**
 * The ENIs that keep one of the target's open holdings (`openKeys`, reconcile's keys) through `ops`:
 * the holder directory already has their entries (store/holder-directory.ts).
 */
export function settledEnis(openKeys: Iterable<string>, ops: readonly StoreOperation[]): Set<string> {
  const touched = new Set<string>()
  for (const op of ops) {
    if (op.kind === 'close') touched.add(openKey(op.holding))
    else if (op.kind === 'refine' || op.kind === 'split') touched.add(openKey(op.previous))
  }
  const settled = new Set<string>()
  for (const key of openKeys) if (!touched.has(key)) settled.add(key.slice(key.lastIndexOf('|') + 1))
  return settled
}

export function changedAddresses(ops: readonly StoreOperation[]): string[] {
  const out = new Set<string>()
  for (const op of ops) out.add(op.kind === 'refine' || op.kind === 'split' ? op.next.address : op.holding.address)
  return [...out]
}
