// One pass of Config history over one target: read what was captured since the cursor (back to the
// horizon on first sight), turn it into intervals, add what the polls missed and narrow what they
// saw, then move the cursor. Runs in the target's poll turn, so it never races that target's poll.
import type { ConfigServiceClient } from '@aws-sdk/client-config-service'
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb'
import type { HoldingStore } from '../store/holdings.ts'
import { getTargetState, putTargetState, targetStateOrNew } from '../store/targets.ts'
import { refineWithConfig } from './config-refine.ts'
import { configIntervals, readEniHistory } from './config-source.ts'
import { changedAddresses, type Target } from './poll.ts'

export interface ConfigPassDeps {
  readonly store: HoldingStore
  readonly client: DynamoDBClient
  readonly tableName: string
  readonly configClient: (target: Target) => ConfigServiceClient
  readonly maxCaptureDelayMs: number
  readonly horizonMs: number
  readonly now: () => number
  readonly onChanged?: (addresses: readonly string[]) => Promise<void>
}

export interface ConfigPassResult {
  readonly available: boolean
  readonly reason?: string
  readonly items: number
  readonly recorded: number
  readonly refined: number
}

/**
 * `stillOwned`: whether this process still holds the target's lease. Reading Config takes long; a process
 * that lost the lease meanwhile writes nothing (the new owner's pass will do the work).
 */
export async function configPass(deps: ConfigPassDeps, target: Target, stillOwned: () => boolean = () => true): Promise<ConfigPassResult> {
  const now = deps.now()
  const state = await targetStateOrNew(deps.client, deps.tableName, target)
  // Re-read a little before the cursor: an item is captured up to maxCaptureDelay after its change.
  const from = Math.max(0, (state.configCursor ?? now - deps.horizonMs) - deps.maxCaptureDelayMs)
  const read = await readEniHistory(deps.configClient(target), { from, to: now })
  if (!read.available) {
    await putTargetState(deps.client, deps.tableName, { ...state, configUnavailable: read.reason })
    return { available: false, reason: read.reason, items: 0, recorded: 0, refined: 0 }
  }
  const intervals = configIntervals(read.items, target, { maxCaptureDelayMs: deps.maxCaptureDelayMs })
  // One after the other: reading the open holdings finishes any split a crash interrupted, whose
  // pieces the closed ones must then include.
  const open = await deps.store.openHoldingsOfTarget(target.accountId, target.region, state.lastCompletePoll ?? 0)
  const closed = await deps.store.closedOfTarget(target.accountId, target.region, from, Number.MAX_SAFE_INTEGER)
  const ops = refineWithConfig([...open, ...closed], intervals)
  if (!stillOwned()) return { available: true, reason: 'lease lost before writing', items: read.items.length, recorded: 0, refined: 0 }
  if (ops.length > 0) {
    await deps.store.apply(ops)
    await deps.onChanged?.(changedAddresses(ops))
  }
  // Re-read the state: the poll may have written it while Config was being read.
  const latest = (await getTargetState(deps.client, deps.tableName, target.accountId, target.region)) ?? state
  if (!stillOwned()) return { available: true, reason: 'lease lost before writing', items: read.items.length, recorded: 0, refined: 0 }
  const { configUnavailable: _gone, ...rest } = latest
  await putTargetState(deps.client, deps.tableName, { ...rest, configCursor: now })
  return {
    available: true,
    items: read.items.length,
    recorded: ops.reduce((n, o) => n + (o.kind === 'record' ? 1 : o.kind === 'split' ? o.pieces.length : 0), 0),
    refined: ops.filter((o) => o.kind === 'refine' || o.kind === 'split').length,
  }
}
