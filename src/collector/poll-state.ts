// What one poll changes in a target's state. Pure: the collector stores the result after applying the
// poll's operations (so a crash in between replays the poll against the old state, which is safe).
import type { Snapshot } from '../model/observation.ts'
import type { QuietSpell, TargetState } from '../model/target.ts'

export interface PollStateOptions {
  /**
   * Two complete polls further apart than this leave a gap: an address could have left and come back
   * between them unseen, so holdings are not proven inside it. A few poll intervals.
   */
  readonly maxGapMs: number
  /** How many gaps a target keeps (oldest dropped first; older gaps fall out of retention anyway). */
  readonly maxGaps?: number
  /** Whether the poll changed anything (opened, closed or refined a holding). */
  readonly changed?: boolean
  /**
   * A target whose last `afterPolls` complete polls changed nothing is polled every `everyMs` (see
   * cadence.ts) until one does; absent, every target is polled every interval.
   */
  readonly quiet?: { readonly afterPolls: number; readonly everyMs: number }
}

/**
 * Quiet spells a target keeps. Every answer's coverage reads every target's spells, so they are few:
 * a spell that begins within MERGE_WITHIN_MS of the last one's end joins it, and past the bound the
 * two oldest become one. Both widen a spell over time the target was in fact polled every interval,
 * which only makes answers there less sure (partial, possible), never more: nothing is forgotten.
 */
const MAX_QUIET_SPELLS = 100
const MERGE_WITHIN_MS = 3_600_000

function addSpell(spells: readonly QuietSpell[], spell: QuietSpell): QuietSpell[] {
  const last = spells.at(-1)
  const joined = (a: QuietSpell, b: QuietSpell): QuietSpell => ({ from: Math.min(a.from, b.from), to: Math.max(a.to, b.to), everyMs: Math.max(a.everyMs, b.everyMs) })
  let out = last && spell.from - last.to <= MERGE_WITHIN_MS ? [...spells.slice(0, -1), joined(last, spell)] : [...spells, spell]
  while (out.length > MAX_QUIET_SPELLS) out = [joined(out[0]!, out[1]!), ...out.slice(2)]
  return out
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
  const { lastError: _lastError, unchangedPolls: _unchanged, quietSince: _since, quietEveryMs: _every, quietSpells: _spells, ...rest } = previous
  return {
    ...rest,
    firstCompletePoll: previous.firstCompletePoll ?? snapshot.startedAt,
    lastCompletePoll: snapshot.startedAt,
    lastAttempt: snapshot.startedAt,
    consecutiveFailures: 0,
    ...(gaps.length > 0 ? { gaps } : {}),
    ...quietAfter(previous, snapshot, options),
  }
}

/**
 * Whether the target is quiet after this complete poll, and the quiet spells it has had. A spell
 * begins at the poll whose streak of unchanged polls reaches `afterPolls` (the next poll comes
 * `everyMs` later) and ends at the end of the first poll that changes something, or when quiet
 * polling is turned off: until then, polls were up to `everyMs` apart, and answers over that
 * stretch say so (api/coverage.ts).
 */
function quietAfter(previous: TargetState, snapshot: Snapshot, options: PollStateOptions): Pick<TargetState, 'unchangedPolls' | 'quietSince' | 'quietEveryMs' | 'quietSpells'> {
  const unchangedPolls = options.changed ? 0 : (previous.unchangedPolls ?? 0) + 1
  let spells = previous.quietSpells ?? []
  let since = previous.quietSince
  let everyMs = previous.quietEveryMs
  const stays = !options.changed && options.quiet !== undefined && options.quiet.everyMs === everyMs
  if (since !== undefined && !stays) {
    // Ended by a change, or the quiet interval changed (or quiet polling went off): the spell closes here.
    spells = addSpell(spells, { from: since, to: snapshot.finishedAt, everyMs: everyMs ?? 0 })
    since = undefined
    everyMs = undefined
  }
  if (since === undefined && options.quiet && !options.changed && unchangedPolls >= options.quiet.afterPolls) {
    since = snapshot.startedAt
    everyMs = options.quiet.everyMs
  }
  return {
    unchangedPolls,
    ...(since !== undefined ? { quietSince: since, quietEveryMs: everyMs } : {}),
    ...(spells.length > 0 ? { quietSpells: spells } : {}),
  }
}
