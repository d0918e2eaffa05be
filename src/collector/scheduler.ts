// Runs polls on time: node-cron wakes the scheduler every second, and each owned target whose turn
// has come is polled, with jitter so that hundreds of targets don't fire in the same second, never
// two polls of one target at once, and a bounded number in flight. A failing target backs off
// (an account that denies access is not hammered) but keeps being tried.
import { schedule, type ScheduledTask } from 'node-cron'
import type { PollResult } from '../model/poll-result.ts'
import type { Target } from '../model/target.ts'
import { nextCompleteDue } from './cadence.ts'

export interface SchedulerOptions {
  readonly targets: () => readonly Target[]
  /** Whether this process may poll the target (its lease); all when absent. */
  readonly owns?: (target: Target) => boolean
  readonly poll: (target: Target) => Promise<PollResult>
  readonly intervalMs: number
  /** Polls in flight at most. */
  readonly concurrency: number
  readonly onResult?: (result: PollResult) => void
  readonly onError?: (target: Target, err: unknown) => void
  readonly now?: () => number
  readonly random?: () => number
}

const key = (t: Target) => `${t.accountId}/${t.region}`
const MAX_BACKOFF_MS = 15 * 60_000

export class Scheduler {
  private readonly due = new Map<string, number>()
  private readonly inFlight = new Map<string, { readonly target: Target; readonly run: Promise<void> }>()
  private task: ScheduledTask | undefined
  private readonly now: () => number
  private readonly random: () => number

  constructor(private readonly options: SchedulerOptions) {
    this.now = options.now ?? Date.now
    this.random = options.random ?? Math.random
  }

  start(): void {
    this.task = schedule('* * * * * *', () => this.tick(), { name: 'whohad-collector', noOverlap: true })
  }

  /** Start every poll that is due; returns how many started. */
  tick(): number {
    const now = this.now()
    let started = 0
    const ready: { target: Target; k: string; due: number }[] = []
    for (const target of this.options.targets()) {
      const k = key(target)
      let due = this.due.get(k)
      // Most targets are not due in a given second: that is asked first, as it costs least (a target
      // whose turn is still to come is not polled, whoever owns it).
      if (due !== undefined && due > now) continue
      if (this.inFlight.has(k) || (this.options.owns && !this.options.owns(target))) continue
      if (due === undefined) {
        // A target seen for the first time (owned for the first time) is spread over the first interval.
        due = now + Math.floor(this.random() * this.options.intervalMs * 0.5)
        this.due.set(k, due)
      }
      if (due <= now) ready.push({ target, k, due })
    }
    // Longest overdue first: when more are due than slots are free, the list's order must not decide,
    // or the targets listed first would be polled every turn and the last ones never.
    ready.sort((a, b) => a.due - b.due)
    for (const { target, k } of ready) {
      if (this.inFlight.size >= this.options.concurrency) break
      started++
      const run = this.options
        .poll(target)
        .then((result) => {
          // A complete poll's state says whether the target is quiet (polled less often, cadence.ts).
          this.due.set(k, result.complete ? nextCompleteDue(result.state, this.options, this.now(), this.random()) : this.nextDue(result.state.consecutiveFailures))
          this.options.onResult?.(result)
        })
        .catch((err: unknown) => {
          this.due.set(k, this.nextDue(3))
          this.options.onError?.(target, err)
        })
        .finally(() => this.inFlight.delete(k))
      this.inFlight.set(k, { target, run })
    }
    return started
  }

  private nextDue(failures: number): number {
    const interval = this.options.intervalMs
    const base = failures === 0 ? interval : Math.min(MAX_BACKOFF_MS, interval * 2 ** Math.min(failures - 1, 10))
    // ±10% jitter keeps targets from falling into step.
    return this.now() + Math.round(base * (0.9 + 0.2 * this.random()))
  }

  /** When the polls in flight of the targets `which` picks have finished (a poll never fails this). */
  async settled(which: (target: Target) => boolean): Promise<void> {
    await Promise.all([...this.inFlight.values()].filter((f) => which(f.target)).map((f) => f.run))
  }

  /** Stop starting polls and wait for those in flight. */
  async stop(): Promise<void> {
    await this.task?.stop()
    await this.task?.destroy()
    await this.settled(() => true)
  }
}
