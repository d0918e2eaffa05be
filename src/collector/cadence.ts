// How often a target is polled. Pure. Most of an Organization's targets are empty regions or fleets
// that did not change: polling them every interval costs AWS requests and collector CPU for nothing.
// A target whose last QUIET_AFTER_POLLS complete polls changed nothing, and which has AWS Config
// history or nothing at all (mayBeQuiet), is polled every `quietEveryMs` instead, until a poll changes
// something. The longer interval stays inside WHOHAD_MAX_GAP (config.ts checks it leaves one poll
// interval to spare, for a poll's own time and a wait for a free slot), so a quiet target never leaves
// a gap; answers over a quiet spell say the target was polled less often (api/coverage.ts), and where
// no AWS Config history sees between polls, that it was not watched at the poll interval's
// resolution then.
import { configHistoryUsable } from '../model/config-recording.ts'
import type { TargetState } from '../model/target.ts'

/** Unchanged complete polls in a row before a target is polled less often: one is a coincidence, three a quiet target. */
export const QUIET_AFTER_POLLS = 3

/**
 * Whether a target may be polled less often after this complete poll, if it changed nothing: where AWS
 * Config history is read (it sees what falls between two polls, and splits a holding at an absence it
 * saw), or where the poll found nothing at all (no holding whose `certain` stretch a longer interval
 * could stretch). A target with holdings and no Config history stays at the poll interval: polled
 * less often, none of its holdings could be `certain` between polls (api/answers.ts).
 */
export function mayBeQuiet(state: Pick<TargetState, 'config'>, observations: number): boolean {
  return configHistoryUsable(state.config?.state) || observations === 0
}

/**
 * When a target is next due after a complete poll that ended at `now`: its state says whether it is
 * quiet (poll-state.ts decides, so that the state written and the cadence agree). Jitter keeps targets from
 * falling into step: ±10% around the interval, and for a quiet target only earlier (up to 20%), never
 * later than the quiet interval that the gap check leaves room for.
 */
export function nextCompleteDue(state: Pick<TargetState, 'quietSince' | 'quietEveryMs'>, cadence: { readonly intervalMs: number }, now: number, random: number): number {
  if (state.quietSince !== undefined && state.quietEveryMs !== undefined) return now + Math.round(state.quietEveryMs * (0.8 + 0.2 * random))
  return now + Math.round(cadence.intervalMs * (0.9 + 0.2 * random))
}
