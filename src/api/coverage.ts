// Whether whohad was watching when it answers: an empty answer must say whether it means "none of
// ours held it" or "we were not looking then". Pure.
import type { TargetState } from '../store/targets.ts'

export interface Coverage {
  /** complete: every target watched the whole window; partial: some did not; not-watching: none did. */
  readonly state: 'complete' | 'partial' | 'not-watching'
  readonly detail: string
  readonly targets: number
  readonly watching: number
  /** Targets not watched over the window, and why. */
  readonly unwatched: readonly { readonly accountId: string; readonly region: string; readonly reason: string }[]
}

export function coverageOf(states: readonly TargetState[], from: number, to: number, maxGapMs: number): Coverage {
  const unwatched: { accountId: string; region: string; reason: string }[] = []
  for (const s of states) {
    let reason: string | undefined
    if (s.firstCompletePoll === undefined) reason = `never polled completely${s.lastError ? ` (${s.lastError})` : ''}`
    else if (s.firstCompletePoll > from) reason = `watched only since ${new Date(s.firstCompletePoll).toISOString()}`
    else if (s.lastCompletePoll !== undefined && s.lastCompletePoll + maxGapMs < to) {
      reason = `not polled completely since ${new Date(s.lastCompletePoll).toISOString()}${s.lastError ? ` (${s.lastError})` : ''}`
    } else if (s.gaps?.some((g) => g.from < to && g.to > from)) reason = 'unwatched during part of this time (an outage or failing polls)'
    if (reason) unwatched.push({ accountId: s.accountId, region: s.region, reason })
  }
  const watching = states.length - unwatched.length
  if (states.length === 0) return { state: 'not-watching', detail: 'no account or region has been polled yet', targets: 0, watching: 0, unwatched }
  if (watching === 0) {
    return { state: 'not-watching', detail: 'no account or region was being watched then (before collection began, or every target was failing)', targets: states.length, watching, unwatched }
  }
  if (unwatched.length > 0) {
    const names = unwatched.slice(0, 5).map((u) => `${u.accountId} ${u.region}: ${u.reason}`).join('; ')
    return { state: 'partial', detail: `${unwatched.length} of ${states.length} targets were not watched then: ${names}${unwatched.length > 5 ? '; …' : ''}`, targets: states.length, watching, unwatched }
  }
  return { state: 'complete', detail: `all ${states.length} targets were watched by complete polls`, targets: states.length, watching, unwatched }
}
