// The collector process: discovers targets, keeps its share of the leases, and polls its targets on
// schedule (continuous), or polls every target once (`--once`). Sources and the store come in as
// dependencies, so tests run it against the simulated organisation and either DynamoDB.
import type { Disagreements, Snapshot } from '../model/observation.ts'
import type { Store } from '../store/open.ts'
import { LeaseKeeper } from './lease-keeper.ts'
import { shardOf } from './lease-plan.ts'
import type { PollResult } from '../model/poll-result.ts'
import type { Target } from '../model/target.ts'
import { TargetMemory } from './target-memory.ts'
import { pollTarget } from './poll.ts'
import { Scheduler } from './scheduler.ts'

export interface DiscoveryResult {
  readonly targets: readonly Target[]
  readonly failures: readonly { readonly accountId: string; readonly region?: string; readonly error: string }[]
}

export interface CollectorDeps {
  /** Leases are used only when options.leases shares the targets with other processes; without instances, polls keep holdings only. */
  readonly store: Pick<Store, 'holdings' | 'targets' | 'leases'> & Partial<Pick<Store, 'instances'>>
  readonly discover: () => Promise<DiscoveryResult>
  /** `signal`: aborted when the collector stops; the snapshot's AWS calls end with it (an incomplete snapshot). */
  readonly takeSnapshot: (target: Target, signal?: AbortSignal) => Promise<Snapshot>
  readonly onChanged?: (addresses: readonly string[]) => Promise<void>
  readonly onResult?: (result: PollResult) => void
  readonly log?: (message: string) => void
  /** Reads AWS Config history for a target (see config-pass.ts); run in the target's turn, when due. */
  readonly configPass?: (target: Target, stillOwned: () => boolean, signal?: AbortSignal, memory?: TargetMemory) => Promise<{ readonly abandoned?: boolean }>
  /**
   * What is kept of the targets between polls (target-memory.ts), for `collectOnce` (a run of several passes; without it each
   * poll reads its target's in full). `startCollector` keeps its own, tied to its leases.
   */
  readonly memory?: TargetMemory
}

export interface CollectorOptions {
  readonly intervalMs: number
  /** Complete polls further apart than this record a gap (see poll-state.ts). */
  readonly maxGapMs: number
  /** How often a quiet target is polled (cadence.ts); absent, every target every interval. */
  readonly quietEveryMs?: number
  readonly concurrency: number
  /** Share targets with other processes through leases; absent: this process polls everything. */
  readonly leases?: { readonly me: string; readonly shards: number; readonly periodMs: number }
  /** How often the list of accounts and regions is read again. */
  readonly rediscoverMs?: number
  /** How often each target's AWS Config history is read (after a complete poll). */
  readonly configEveryMs?: number
}

/** Poll every target once, `concurrency` at a time. Never throws for one target's failure. */
export async function collectOnce(
  deps: CollectorDeps,
  options: Pick<CollectorOptions, 'maxGapMs' | 'quietEveryMs' | 'concurrency'>,
  targets: readonly Target[],
  onProgress?: (result: PollResult) => void,
): Promise<PollResult[]> {
  const results: PollResult[] = []
  const queue = [...targets]
  const worker = async () => {
    for (let target = queue.shift(); target; target = queue.shift()) {
      const result = await pollOne(deps, options, target)
      results.push(result)
      onProgress?.(result)
    }
  }
  await Promise.all(Array.from({ length: Math.max(1, Math.min(options.concurrency, targets.length)) }, worker))
  return results
}

async function pollOne(deps: CollectorDeps, options: Pick<CollectorOptions, 'maxGapMs' | 'quietEveryMs'>, target: Target, stillOwner?: (t: Target) => boolean): Promise<PollResult> {
  try {
    const { maxGapMs, quietEveryMs } = options
    return await pollTarget({ ...deps, maxGapMs, ...(quietEveryMs ? { quietEveryMs } : {}), ...(stillOwner ? { stillOwner } : {}) }, target)
  } catch (err) {
    // The store failed (the snapshot never throws): nothing was proven, nothing is closed.
    const error = `store: ${(err as Error).message}`
    return {
      target, complete: false, error, observations: 0, opened: 0, closed: 0, refined: 0, durationMs: 0,
      state: { accountId: target.accountId, region: target.region, consecutiveFailures: 1, lastError: error },
    }
  }
}

/** One log line per target and poll whose places disagreed. */
export function disagreementLine(target: string, d: Disagreements): string {
  const kinds = Object.entries(d.byKind).map(([kind, n]) => `${n} ${kind}`).join(', ')
  return `poll ${target}: the EC2 responses disagreed on ${d.total} address${d.total === 1 ? '' : 'es'} (${kinds}), kept as held: ${d.examples.join('; ')}`
}

export interface RunningCollector {
  targets(): readonly Target[]
  shardsOwned(): number[]
  /**
   * Start no more polls, let those in flight finish, give the leases back. With `graceMs`, polls still
   * running after it are abandoned: their AWS calls are aborted and they write nothing.
   */
  stop(options?: { readonly graceMs?: number }): Promise<void>
}

export async function startCollector(deps: CollectorDeps, options: CollectorOptions): Promise<RunningCollector> {
  const log = deps.log ?? (() => {})
  let targets: readonly Target[] = []
  const discover = async () => {
    const found = await deps.discover()
    targets = found.targets
    for (const f of found.failures) log(`discovery: ${f.accountId}${f.region ? ` ${f.region}` : ''}: ${f.error}`)
    log(`discovery: ${targets.length} targets`)
  }
  await discover()
  // A shard is handed over once its polls in flight have finished (the scheduler is made below).
  const polls: { scheduler?: Scheduler } = {}
  const keeper = options.leases
    ? new LeaseKeeper(deps.store.leases, {
        ...options.leases,
        settled: (shard) => polls.scheduler?.settled((t) => shardOf(t, options.leases!.shards) === shard) ?? Promise.resolve(),
      })
    : undefined
  if (keeper) await keeper.tick()
  const owns = keeper ? (t: Target) => keeper.owns(t) : undefined
  // Kept only for the targets whose leases this process holds, and trusted only within one tenure.
  const memory = new TargetMemory(deps.store.holdings, keeper ? { tenure: (t) => keeper.tenure(t) } : {})
  // Aborted when a stop's grace time runs out: a poll or Config pass still reading AWS then ends, and
  // the check before writing (the same as for a lost lease) makes it write nothing, not half a result.
  const abandon = new AbortController()
  const mayWrite = (t: Target) => !abandon.signal.aborted && (owns?.(t) ?? true)
  const pollDeps: CollectorDeps = { ...deps, memory, takeSnapshot: (t) => deps.takeSnapshot(t, abandon.signal) }
  // Config history is read in the target's poll turn, so it never races that target's poll.
  const configDue = new Map<string, number>()
  let stopping = false
  const pollAndConfig = async (target: Target) => {
    const result = await pollOne(pollDeps, options, target, mayWrite)
    const k = `${target.accountId}/${target.region}`
    if (result.abandoned && abandon.signal.aborted) log(`poll ${k}: abandoned, stopping (nothing written)`)
    if (result.disagreements) log(disagreementLine(k, result.disagreements))
    if (deps.configPass && result.complete && !stopping && (configDue.get(k) ?? 0) <= Date.now()) {
      configDue.set(k, Date.now() + (options.configEveryMs ?? 15 * 60_000))
      const pass = await deps.configPass(target, () => mayWrite(target), abandon.signal, memory).catch((err: unknown) => log(`config ${k}: ${abandon.signal.aborted ? 'abandoned, stopping (nothing written)' : (err as Error).message}`))
      // A pass that lost the lease before writing kept nothing: it is due again in the target's next turn.
      if (pass?.abandoned) {
        configDue.delete(k)
        log(`config ${k}: ${abandon.signal.aborted ? 'abandoned, stopping (nothing written)' : 'the lease was lost before writing; read again in the next turn'}`)
      }
    }
    return result
  }
  const scheduler = new Scheduler({
    targets: () => targets,
    ...(owns ? { owns } : {}),
    poll: pollAndConfig,
    intervalMs: options.intervalMs,
    concurrency: options.concurrency,
    ...(deps.onResult ? { onResult: deps.onResult } : {}),
    onError: (target, err) => log(`poll ${target.accountId} ${target.region}: ${(err as Error).message}`),
  })
  polls.scheduler = scheduler
  scheduler.start()
  const timers: NodeJS.Timeout[] = []
  if (keeper && options.leases) {
    timers.push(
      setInterval(
        () =>
          keeper
            .tick()
            .then(() => memory.retain((t) => keeper.tenure(t) !== undefined))
            .catch((err: unknown) => log(`leases: ${(err as Error).message}`)),
        options.leases.periodMs / 3,
      ),
    )
  }
  timers.push(setInterval(() => discover().catch((err: unknown) => log(`discovery: ${(err as Error).message}`)), options.rediscoverMs ?? 10 * 60_000))
  for (const t of timers) t.unref()
  return {
    targets: () => targets,
    shardsOwned: () => keeper?.shardsOwned() ?? [],
    async stop(stopOptions = {}) {
      stopping = true
      for (const t of timers) clearInterval(t)
      const stopped = scheduler.stop()
      if (stopOptions.graceMs !== undefined) {
        let timer: NodeJS.Timeout | undefined
        const graceOver = new Promise<'grace over'>((resolve) => (timer = setTimeout(resolve, stopOptions.graceMs, 'grace over')))
        if ((await Promise.race([stopped, graceOver])) === 'grace over') {
          log(`stopping: polls still running after ${stopOptions.graceMs} ms are abandoned`)
          abandon.abort(new Error('the collector is stopping'))
        }
        clearTimeout(timer)
      }
      await stopped
      await keeper?.stop()
    },
  }
}
