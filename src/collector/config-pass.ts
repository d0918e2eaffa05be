// One pass of Config history over one target: check that Config records the target's ENIs usably
// (config-recorder.ts), read what was captured since the cursor (back to the horizon on first sight),
// turn it into intervals, add what the polls missed and narrow what they saw, then move the cursor.
// What the check found is kept in the target state either way, for /readyz, /metrics and coverage.
// Runs in the target's poll turn, so it never races that target's poll.
import type { ConfigServiceClient, ConfigurationItem } from '@aws-sdk/client-config-service'
import { type ConfigRecording, configHistoryUsable } from '../model/config-recording.ts'
import type { Store } from '../store/open.ts'
import { configRecordingOf, configRecordingOfReadFailure, readConfigRecorders } from './config-recorder.ts'
import { refineWithConfig } from './config-refine.ts'
import { configIntervals, readEniHistory } from './config-source.ts'
import { CONFIG_COVERAGE } from '../cache/types.ts'
import type { InstanceFacts } from './holder.ts'
import type { Target } from '../model/target.ts'
import { TargetMemory } from './target-memory.ts'
import { changedAddresses } from './poll.ts'
import { openKey } from './reconcile.ts'

export interface ConfigPassDeps {
  /** Holdings and target states; instance records, when given, say what Config's ENI items do not about their instance. */
  readonly store: Pick<Store, 'holdings' | 'targets'> & Partial<Pick<Store, 'instances'>>
  readonly configClient: (target: Target) => ConfigServiceClient
  readonly maxCaptureDelayMs: number
  readonly horizonMs: number
  readonly now: () => number
  readonly onChanged?: (addresses: readonly string[]) => Promise<void>
  /** What the collector keeps of its targets between polls (target-memory.ts); without it, the pass reads its target in full. */
  readonly memory?: TargetMemory
}

export interface ConfigPassResult {
  readonly available: boolean
  /** The lease was lost before writing: nothing was kept, and the pass is still due. */
  readonly abandoned?: boolean
  readonly reason?: string
  /** How Config records the target's ENIs (absent when the lease was lost before the check was kept). */
  readonly config?: ConfigRecording
  readonly items: number
  readonly recorded: number
  readonly refined: number
}

/**
 * `stillOwned`: whether this process still holds the target's lease. Reading Config takes long; a process
 * that lost the lease meanwhile writes nothing (the new owner's pass will do the work). `signal` aborts
 * the Config reads (the collector is stopping): the pass then throws before writing anything.
 */
export async function configPass(deps: ConfigPassDeps, target: Target, stillOwned: () => boolean = () => true, signal?: AbortSignal): Promise<ConfigPassResult> {
  const now = deps.now()
  const memory = deps.memory ?? new TargetMemory(deps.store.holdings)
  const tenure = memory.tenure(target)
  const client = deps.configClient(target)
  const found = configRecordingOf(await readConfigRecorders(client, signal), now)
  const unusable = async (why: ConfigRecording): Promise<ConfigPassResult> => {
    if (!stillOwned()) return { available: false, reason: 'lease lost before writing', abandoned: true, items: 0, recorded: 0, refined: 0 }
    // Read just before the write: the poll may have written the state since.
    const latest = await deps.store.targets.getOrFresh(target)
    await deps.store.targets.put({ ...latest, config: why })
    await announce(deps, latest.config, why)
    return { available: false, reason: `${why.state}: ${why.detail}`, config: why, items: 0, recorded: 0, refined: 0 }
  }
  if (!configHistoryUsable(found.state)) return unusable(found)
  const state = await deps.store.targets.getOrFresh(target)
  const previous = state.config
  const usableSince = previous === undefined || configHistoryUsable(previous.state) ? previous?.usableSince : now
  const config: ConfigRecording = usableSince === undefined ? found : { ...found, usableSince }
  // Re-read a little before the cursor: an item is captured up to maxCaptureDelay after its change.
  const from = Math.max(0, usableSince ?? 0, (state.configCursor ?? now - deps.horizonMs) - deps.maxCaptureDelayMs)
  const read = await readEniHistory(client, { from, to: now }, signal)
  if (!read.available) return unusable(configRecordingOfReadFailure(read.reason, now))
  const facts = await instanceFacts(deps.store.instances, read.items)
  const intervals = configIntervals(read.items, target, { maxCaptureDelayMs: deps.maxCaptureDelayMs, instance: (id) => facts.get(id) })
  // One after the other: reading the open holdings finishes any split a crash interrupted, whose
  // pieces the closed ones must then include. Of the open ones, only those of an address, scope and ENI
  // that Config speaks of can change (refineWithConfig decides per holder of an address).
  const spoken = new Set(intervals.map(openKey))
  const { read: open } = await memory.read(target, state, tenure, (kept) => new Set([...spoken].filter((k) => kept.has(k))))
  // Of the closed ones likewise: those of the ENIs Config speaks of, closed since the read began.
  const closed = await deps.store.holdings.closedOfEnis(intervals.map((c) => c.holder.eniId), from)
  const ops = refineWithConfig([...open, ...closed], intervals, from)
  const lost = () => !stillOwned() || memory.tenure(target) !== tenure
  if (lost()) {
    memory.forget(target)
    return { available: true, reason: 'lease lost before writing', abandoned: true, items: read.items.length, recorded: 0, refined: 0 }
  }
  let before: ConfigRecording | undefined
  try {
    if (ops.length > 0) {
      await deps.store.holdings.apply(ops)
      memory.applied(target, ops)
      await deps.onChanged?.(changedAddresses(ops))
    }
    // Re-read the state: the poll may have written it while Config was being read.
    const latest = (await deps.store.targets.get(target)) ?? state
    if (lost()) {
      memory.forget(target)
      return { available: true, reason: 'lease lost before writing', abandoned: true, items: read.items.length, recorded: 0, refined: 0 }
    }
    // Holdings written: the state says so (a new version), so another process's kept ones are not trusted.
    const next = ops.length > 0 ? memory.stamp({ ...latest, configCursor: now, config }, latest) : { ...latest, configCursor: now, config }
    await deps.store.targets.put(next)
    memory.wrote(target, next, latest)
    before = latest.config
  } catch (err) {
    memory.forget(target)
    throw err
  }
  await announce(deps, before, config)
  return {
    available: true,
    config,
    items: read.items.length,
    recorded: ops.reduce((n, o) => n + (o.kind === 'record' ? 1 : o.kind === 'split' ? o.pieces.length : 0), 0),
    refined: ops.filter((o) => o.kind === 'refine' || o.kind === 'split').length,
  }
}

/**
 * What DescribeInstances said of each instance the items name (its Name tag, type, image, tags), from
 * the stored instance records: Config's ENI items do not say, and a holding must have the same holder
 * record whichever source recorded it.
 */
async function instanceFacts(store: Store['instances'] | undefined, items: readonly ConfigurationItem[]): Promise<Map<string, InstanceFacts>> {
  const ids = new Set<string>()
  for (const item of items) {
    for (const m of item.configuration?.matchAll(/"instanceId"\s*:\s*"(i-[0-9a-f]+)"/g) ?? []) ids.add(m[1]!)
  }
  const out = new Map<string, InstanceFacts>()
  if (!store) return out
  for (const id of ids) {
    const r = await store.get(id)
    if (r) out.set(id, { instanceType: r.instanceType, imageId: r.imageId, tags: r.tags })
  }
  return out
}

/** Every answer's coverage states each target's Config state: a change of it voids cached answers. */
async function announce(deps: ConfigPassDeps, before: ConfigRecording | undefined, after: ConfigRecording): Promise<void> {
  if (before?.state !== after.state || before.detail !== after.detail) await deps.onChanged?.([CONFIG_COVERAGE])
}
