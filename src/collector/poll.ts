// One poll of one target, from snapshot to stored holdings: the only I/O around the pure reconcile.
// Order matters for crashes: operations (and then the instance records that changed) are applied before
// the target's state is written, so a crash in between replays the poll against the old state on
// restart, which reconcile makes harmless and which finds the instance records already as it left them.
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb'
import type { Disagreements, Snapshot } from '../model/observation.ts'
import type { HoldingStore, StoreOperation } from '../store/holdings.ts'
import type { InstanceStore } from '../store/instances.ts'
import { putTargetState, targetStateOrNew, type TargetState } from '../store/targets.ts'
import { afterPoll } from './poll-state.ts'
import { reconcile } from './reconcile.ts'

export interface Target {
  readonly accountId: string
  readonly region: string
}

export interface PollDeps {
  readonly store: HoldingStore
  /** Where instance records go; without it a poll keeps holdings only. */
  readonly instances?: InstanceStore
  readonly client: DynamoDBClient
  readonly tableName: string
  readonly takeSnapshot: (target: Target) => Promise<Snapshot>
  /** Told which addresses changed, after they are written (the cache invalidates them). */
  readonly onChanged?: (addresses: readonly string[]) => Promise<void>
  readonly maxGapMs: number
  /** Checked just before writing: a process that lost its lease mid-poll must not write. */
  readonly stillOwner?: (target: Target) => boolean
}

export interface PollResult {
  readonly target: Target
  readonly complete: boolean
  readonly error?: string
  /** Holdings seen by the snapshot. */
  readonly observations: number
  readonly opened: number
  readonly closed: number
  readonly refined: number
  readonly durationMs: number
  /** The poll was dropped because the lease was lost before writing. */
  readonly abandoned?: boolean
  /** Where the snapshot's places disagreed (see Disagreements): counted in metrics, logged once. */
  readonly disagreements?: Disagreements
  /** Instance records written (new, changed or gone); 0 in a steady state. */
  readonly instancesWritten?: number
  readonly state: TargetState
}

export async function pollTarget(deps: PollDeps, target: Target): Promise<PollResult> {
  const began = Date.now()
  const state = await targetStateOrNew(deps.client, deps.tableName, target)
  const open = await deps.store.openHoldingsOfTarget(target.accountId, target.region, state.lastCompletePoll ?? 0)
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
    await deps.store.apply(ops)
    await deps.onChanged?.(changedAddresses(ops))
  }
  // Only a complete snapshot proves an instance gone, and a snapshot that read no instances says nothing.
  const instancesWritten =
    deps.instances && snapshot.complete && snapshot.instances
      ? await deps.instances.sync(target, snapshot.instances, { goneAt: snapshot.finishedAt, lastCompletePoll: state.lastCompletePoll })
      : 0
  const next = afterPoll(state, snapshot, { maxGapMs: deps.maxGapMs })
  await putTargetState(deps.client, deps.tableName, next)
  return { ...result, instancesWritten, durationMs: Date.now() - began, state: next }
}

export function changedAddresses(ops: readonly StoreOperation[]): string[] {
  const out = new Set<string>()
  for (const op of ops) out.add(op.kind === 'refine' || op.kind === 'split' ? op.next.address : op.holding.address)
  return [...out]
}
