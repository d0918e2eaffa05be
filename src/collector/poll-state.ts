// What one poll changes in a target's state. Pure: the collector stores the result after applying the
// poll's operations (so a crash in between replays the poll against the old state, which is safe).
import type { Snapshot } from '../model/observation.ts'
import type { TargetState } from '../model/target.ts'

export interface PollStateOptions {
  /**
   * Two complete polls further apart than this leave a gap: an address could have left and come back
   * between them unseen, so holdings are not proven inside it. A few poll intervals.
   */
  readonly maxGapMs: number
  /** How many gaps a target keeps (oldest dropped first; older gaps fall out of retention anyway). */
  readonly maxGaps?: number
}

export function afterPoll(previous: TargetState, snapshot: Snapshot, options: PollStateOptions): TargetState {
  if (!snapshot.complete) {
    return {
      ...previous,
      lastAttempt: snapshot.startedAt,
      lastError: snapshot.error ?? 'incomplete snapshot',
      consecutiveFailures: previous.consecutiveFailures + 1,
    }
  }
  let gaps = previous.gaps ?? []
  const last = previous.lastCompletePoll
  if (last !== undefined && snapshot.startedAt - last > options.maxGapMs) {
    // Seen at some instant of the last complete poll (which began at `last`) and of this one (which
    // ends at finishedAt): everything strictly between is unwatched.
    gaps = [...gaps, { from: last, to: snapshot.finishedAt }].slice(-(options.maxGaps ?? 500))
  }
  const { lastError: _lastError, ...rest } = previous
  return {
    ...rest,
    firstCompletePoll: previous.firstCompletePoll ?? snapshot.startedAt,
    lastCompletePoll: snapshot.startedAt,
    lastAttempt: snapshot.startedAt,
    consecutiveFailures: 0,
    ...(gaps.length > 0 ? { gaps } : {}),
  }
}
