// The collector process: discovers targets, keeps its share of the leases, and polls its targets on
// schedule (continuous), or polls every target once (`--once`). Sources and the store come in as
// dependencies, so tests run it against the simulated organisation and either DynamoDB.
import type { Disagreements, Snapshot } from '../model/observation.ts'
import type { Store } from '../store/open.ts'
import { LeaseKeeper } from './lease-keeper.ts'
import type { PollResult } from '../model/poll-result.ts'
import type { Target } from '../model/target.ts'
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
  readonly takeSnapshot: (target: Target) => Promise<Snapshot>
  readonly onChanged?: (addresses: readonly string[]) => Promise<void>
  readonly onResult?: (result: PollResult) => void
  readonly log?: (message: string) => void
  /** Reads AWS Config history for a target (see config-pass.ts); run in the target's turn, when due. */
  readonly configPass?: (target: Target, stillOwned: () => boolean) => Promise<{ readonly abandoned?: boolean }>
}

export interface CollectorOptions {
  readonly intervalMs: number
  /** Complete polls further apart than this record a gap (see poll-state.ts). */
  readonly maxGapMs: number
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
  options: Pick<CollectorOptions, 'maxGapMs' | 'concurrency'>,
  targets: readonly Target[],
  onProgress?: (result: PollResult) => void,
): Promise<PollResult[]> {
  const results: PollResult[] = []
  const queue = [...targets]
  const worker = async () => {
    for (let target = queue.shift(); target; target = queue.shift()) {
      const result = await pollOne(deps, options.maxGapMs, target)
      results.push(result)
      onProgress?.(result)
    }
  }
  await Promise.all(Array.from({ length: Math.max(1, Math.min(options.concurrency, targets.length)) }, worker))
  return results
}

async function pollOne(deps: CollectorDeps, maxGapMs: number, target: Target, stillOwner?: (t: Target) => boolean): Promise<PollResult> {
  try {
    return await pollTarget({ ...deps, maxGapMs, ...(stillOwner ? { stillOwner } : {}) }, target)
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
  stop(): Promise<void>
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
  const keeper = options.leases
    ? new LeaseKeeper(deps.store.leases, options.leases)
    : undefined
  if (keeper) await keeper.tick()
  const owns = keeper ? (t: Target) => keeper.owns(t) : undefined
  // Config history is read in the target's poll turn, so it never races that target's poll.
  const configDue = new Map<string, number>()
  const pollAndConfig = async (target: Target) => {
    const result = await pollOne(deps, options.maxGapMs, target, owns)
    const k = `${target.accountId}/${target.region}`
    if (result.disagreements) log(disagreementLine(k, result.disagreements))
    if (deps.configPass && result.complete && (configDue.get(k) ?? 0) <= Date.now()) {
      configDue.set(k, Date.now() + (options.configEveryMs ?? 15 * 60_000))
      const pass = await deps.configPass(target, () => owns?.(target) ?? true).catch((err: unknown) => log(`config ${k}: ${(err as Error).message}`))
      // A pass that lost the lease before writing kept nothing: it is due again in the target's next turn.
      if (pass?.abandoned) {
        configDue.delete(k)
        log(`config ${k}: the lease was lost before writing; read again in the next turn`)
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
  scheduler.start()
  const timers: NodeJS.Timeout[] = []
  if (keeper && options.leases) {
    timers.push(setInterval(() => keeper.tick().catch((err: unknown) => log(`leases: ${(err as Error).message}`)), options.leases.periodMs / 3))
  }
  timers.push(setInterval(() => discover().catch((err: unknown) => log(`discovery: ${(err as Error).message}`)), options.rediscoverMs ?? 10 * 60_000))
  for (const t of timers) t.unref()
  return {
    targets: () => targets,
    shardsOwned: () => keeper?.shardsOwned() ?? [],
    async stop() {
      for (const t of timers) clearInterval(t)
      await scheduler.stop()
      await keeper?.stop()
    },
  }
}
