// Time for the simulated organisation. A test owns a virtual clock and moves it explicitly; the demo
// uses real time. Either way the world only changes when it is asked to catch up with `now()`.

export type ClockMode = 'virtual' | 'realtime'

export interface Clock {
  readonly mode: ClockMode
  /** Epoch milliseconds, UTC. */
  now(): number
  /** Moves time forward by `ms` (realtime mode too: it jumps ahead of the wall clock). Returns the new now. */
  advance(ms: number): number
}

/** The default start of a virtual world: fixed, so a seed always gives the same timestamps. */
export const DEFAULT_START_TIME = Date.UTC(2026, 10, 20, 0, 0, 0)

export function virtualClock(start: number = DEFAULT_START_TIME): Clock {
  let now = Math.floor(start)
  return {
    mode: 'virtual',
    now: () => now,
    advance(ms: number): number {
      checkAdvance(ms)
      now += Math.floor(ms)
      return now
    },
  }
}

export function realtimeClock(start: number = Date.now(), wallNow: () => number = () => performance.now()): Clock {
  const origin = wallNow()
  let offset = 0
  const now = (): number => Math.floor(start + (wallNow() - origin) + offset)
  return {
    mode: 'realtime',
    now,
    advance(ms: number): number {
      checkAdvance(ms)
      offset += Math.floor(ms)
      return now()
    },
  }
}

function checkAdvance(ms: number): void {
  if (!Number.isFinite(ms) || ms < 0) throw new RangeError(`cannot advance the clock by ${ms} ms: time only moves forward`)
}
