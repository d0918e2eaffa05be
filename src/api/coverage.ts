// Whether whohad was watching when it answers: an empty answer must say whether it means "none of
// ours held it" or "we were not looking then", and over a range, when it was looking. Beside it, what
// AWS Config added: where Config history is unavailable, holdings shorter than a poll may be missing
// and bounds are poll-wide, so a `complete` answer there is complete only at poll resolution. Pure.
import { configHistoryUsable, type ConfigRecordingState } from '../model/config-recording.ts'
import type { QuietSpell, TargetState } from '../model/target.ts'
import { formatTime } from '../model/time.ts'
import { unwatched } from '../model/holding.ts'
import type { Watch } from '../model/verdict.ts'

export interface Coverage {
  /**
   * complete: every target watched the whole range; partial: part of it was watched (by some targets,
   * or by all of them for part of the time); not-watching: no target watched any of it.
   */
  readonly state: 'complete' | 'partial' | 'not-watching'
  readonly detail: string
  readonly targets: number
  readonly watching: number
  /** Targets not watched over the whole range, and why. */
  readonly unwatched: readonly { readonly accountId: string; readonly region: string; readonly reason: string }[]
  /** The parts of the range (ISO times, oldest first) during which every target was watched by complete polls. */
  readonly watched: readonly { readonly from: string; readonly to: string }[]
  /**
   * Targets polled less often than the poll interval during part of the range, because nothing changed
   * there: complete polls up to `everyMs` apart. Where AWS Config history is read, it sees what falls
   * between two polls; where it is not, such a target is also in `unwatched` for that time.
   */
  readonly quiet: readonly { readonly accountId: string; readonly region: string; readonly everyMs: number }[]
  readonly config: ConfigCoverage
}

export interface ConfigCoverage {
  /** available: Config history is read for every target in scope; partial: for some; unavailable: for none. */
  readonly state: 'available' | 'partial' | 'unavailable'
  readonly detail: string
  /** Targets in scope whose Config history is not read, and why. */
  readonly unavailable: readonly { readonly accountId: string; readonly region: string; readonly state: ConfigRecordingState | 'unchecked'; readonly detail: string }[]
}

interface Span {
  readonly from: number
  readonly to: number
}

/**
 * `scope.account`: the answer is about this account only, so only its targets' Config matters. Poll
 * coverage stays over every target (as it always was): a narrower claim is not needed to be true.
 */
export function coverageOf(states: readonly TargetState[], from: number, to: number, maxGapMs: number, scope: { readonly account?: string | undefined } = {}): Coverage {
  const config = configCoverage(scope.account ? states.filter((s) => s.accountId === scope.account) : states)
  const unwatched: { accountId: string; region: string; reason: string }[] = []
  const quiet: { accountId: string; region: string; everyMs: number }[] = []
  // With no target, nothing was watched.
  let all: Span[] = states.length > 0 ? [{ from, to }] : []
  let anyWatched = false
  for (const s of states) {
    const spells = quietSpellsIn(s, from, to)
    const everyMs = Math.max(0, ...spells.map((q) => q.everyMs))
    // Polled less often with no Config history to see between polls: a holding shorter than the longer
    // interval may be missing there, which the poll interval would have caught. Not watched then.
    const coarse = spells.length > 0 && !configHistoryUsable(s.config?.state)
    if (spells.length > 0) quiet.push({ accountId: s.accountId, region: s.region, everyMs })
    let reason: string | undefined
    if (s.firstCompletePoll === undefined) reason = `never polled completely${s.lastError ? ` (${s.lastError})` : ''}`
    else if (s.firstCompletePoll > from) reason = `watched only since ${new Date(s.firstCompletePoll).toISOString()}`
    else if (s.lastCompletePoll !== undefined && s.lastCompletePoll + maxGapMs < to) {
      reason = `not polled completely since ${new Date(s.lastCompletePoll).toISOString()}${s.lastError ? ` (${s.lastError})` : ''}`
    } else if (s.gaps?.some((g) => g.from < to && g.to > from)) reason = 'unwatched during part of this time (an outage or failing polls)'
    else if (coarse) {
      reason = `polled only every ${Math.round(everyMs / 1000)} s during part of this time (nothing changed there), with no AWS Config history: a holding shorter than that may be missing`
    }
    if (reason) unwatched.push({ accountId: s.accountId, region: s.region, reason })
    // Watched at all (a quiet target too, only more coarsely): what tells partial from not-watching.
    const polled = watchedSpans(s, from, to, maxGapMs)
    if (polled.some((w) => w.to > w.from || from === to)) anyWatched = true
    const mine = coarse ? subtract(polled, spells) : polled
    all = intersect(all, mine)
  }
  const watched = all.filter((w) => w.to > w.from || from === to)
  const iso = (t: number) => new Date(t).toISOString()
  const base = { targets: states.length, watching: states.length - unwatched.length, unwatched, watched: watched.map((w) => ({ from: iso(w.from), to: iso(w.to) })), quiet, config }
  if (states.length === 0) return { state: 'not-watching', detail: 'no account or region has been polled yet', ...base }
  if (!anyWatched) {
    return { state: 'not-watching', detail: 'no account or region was being watched then (before collection began, or every target was failing)', ...base }
  }
  if (unwatched.length > 0) {
    const names = unwatched.slice(0, 5).map((u) => `${u.accountId} ${u.region}: ${u.reason}`).join('; ')
    const stretches = watched.length === 0
      ? 'no part of this time was watched by every target'
      : `every target was watched ${watched.slice(0, 3).map((w) => (w.from === w.to ? `at ${iso(w.from)}` : `from ${iso(w.from)} to ${iso(w.to)}`)).join(', ')}${watched.length > 3 ? ', …' : ''}`
    return { state: 'partial', detail: `${unwatched.length} of ${states.length} targets were not watched throughout: ${names}${unwatched.length > 5 ? '; …' : ''}; ${stretches}`, ...base }
  }
  const slower = quiet.length === 0 ? '' : `; ${quiet.length} polled less often (up to every ${Math.round(Math.max(...quiet.map((q) => q.everyMs)) / 1000)} s) where nothing changed, AWS Config history seeing between polls`
  return { state: 'complete', detail: `all ${states.length} targets were watched by complete polls${slower}`, ...base }
}

/**
 * The quiet spells of a target that meet [from, to] (the current one runs on). A spell is closed at
 * both ends like the range: the poll that began it and the one that ended it were apart by up to its
 * interval too.
 */
export function quietSpellsIn(s: Pick<TargetState, 'quietSince' | 'quietEveryMs' | 'quietSpells'>, from: number, to: number): QuietSpell[] {
  const spells = [...(s.quietSpells ?? [])]
  if (s.quietSince !== undefined) spells.push({ from: s.quietSince, to: Number.POSITIVE_INFINITY, everyMs: s.quietEveryMs ?? 0 })
  return spells.filter((q) => q.from <= to && q.to >= from)
}

/**
 * The quiet spells of a target that count as unwatched: those with no AWS Config history to see between
 * its polls (a spell's polls were further apart than the poll interval, so an address could have left
 * and come back unseen where the interval would have caught it). Answers treat them as gaps: a holding
 * is not `certain` inside one.
 */
export function coarseSpells(s: Pick<TargetState, 'quietSince' | 'quietEveryMs' | 'quietSpells' | 'config'> | undefined): QuietSpell[] {
  if (!s || configHistoryUsable(s.config?.state)) return []
  return quietSpellsIn(s, Number.NEGATIVE_INFINITY, Number.POSITIVE_INFINITY)
}

/**
 * What a holding's certainty is judged against: proven up to its target's last complete poll while
 * open, never `certain` inside its target's gaps or inside a quiet spell no AWS Config history sees.
 * One rule for answers and for the demo's stories.
 */
export function watchOfHolding(h: { readonly end?: unknown }, state: TargetState | undefined): Watch {
  return { openUntil: h.end ? undefined : state?.lastCompletePoll, gaps: [...unwatched(state), ...coarseSpells(state)] }
}

/** `spans` less the open interior of each of `holes` (a gap's or a quiet spell's: the polls at their ends did watch). Sorted, disjoint. */
function subtract(spans: readonly Span[], holes: readonly Span[]): Span[] {
  let out = [...spans]
  for (const q of holes) {
    const next: Span[] = []
    for (const w of out) {
      if (q.to <= w.from || q.from >= w.to) next.push(w)
      else {
        if (q.from >= w.from) next.push({ from: w.from, to: q.from })
        if (q.to <= w.to) next.push({ from: q.to, to: w.to })
      }
    }
    out = next
  }
  return out.sort((a, b) => a.from - b.from)
}

/**
 * The closed stretches of [from, to] one target was watched: from its first complete poll to its last
 * one plus the longest allowed gap (later, an ongoing outage), less its recorded gaps. A gap is open at
 * both ends: the complete polls that bound it did watch. Oldest first, disjoint.
 */
export function watchedSpans(s: Pick<TargetState, 'firstCompletePoll' | 'lastCompletePoll' | 'gaps'>, from: number, to: number, maxGapMs: number): Span[] {
  if (s.firstCompletePoll === undefined) return []
  const lo = Math.max(from, s.firstCompletePoll)
  const hi = Math.min(to, s.lastCompletePoll === undefined ? to : s.lastCompletePoll + maxGapMs)
  if (lo > hi) return []
  return subtract([{ from: lo, to: hi }], (s.gaps ?? []).filter((g) => g.from < g.to))
}

/** Where both lists of closed stretches hold; each is sorted and disjoint, and so is the result. */
function intersect(a: readonly Span[], b: readonly Span[]): Span[] {
  const out: Span[] = []
  let i = 0
  let j = 0
  while (i < a.length && j < b.length) {
    const from = Math.max(a[i]!.from, b[j]!.from)
    const to = Math.min(a[i]!.to, b[j]!.to)
    if (from <= to) out.push({ from, to })
    if (a[i]!.to < b[j]!.to) i++
    else j++
  }
  return out
}

function configCoverage(states: readonly TargetState[]): ConfigCoverage {
  const unavailable = states
    .filter((s) => !configHistoryUsable(s.config?.state))
    .map((s) => ({
      accountId: s.accountId,
      region: s.region,
      state: s.config?.state ?? ('unchecked' as const),
      // No check time here: answers are cached until the state itself changes (/readyz has the time).
      detail: s.config ? `${s.config.state}: ${s.config.detail}` : 'AWS Config not checked yet',
    }))
  if (unavailable.length === 0) {
    return { state: 'available', detail: states.length === 0 ? 'no target in scope' : `AWS Config history is read for all ${states.length} targets`, unavailable }
  }
  const names = unavailable.slice(0, 5).map((u) => `${u.accountId} ${u.region} (${u.detail})`).join('; ')
  return {
    state: unavailable.length === states.length ? 'unavailable' : 'partial',
    detail: `AWS Config history unavailable for ${unavailable.length} of ${states.length} targets: ${names}${unavailable.length > 5 ? '; …' : ''}: holdings shorter than a poll interval may be missing there, and bounds are poll-wide`,
    unavailable,
  }
}

/** A stretch's coverage, and its JSON text split around `watched` (CoverageOverTime.stretchOf). */
export interface Stretch {
  /** As computed for the first range asked in the stretch: `watched` is that range's. */
  readonly coverage: Coverage
  /** Whether every target watched the stretch (its ranges' `watched` is the range itself, else empty). */
  readonly watching: boolean
  readonly before: string
  readonly after: string
}

/**
 * `coverageOf` for many ranges over the same target states, as a batch asks it. A target's watch
 * record changes only at its edges (its first complete poll, its last one plus the allowed gap, each
 * gap's and each quiet spell's ends). Between two neighbouring edges, or at one, every range has the same coverage except
 * `watched`, which is the range itself or nothing (a target watches all of such a stretch or none of
 * it). So the coverage is computed once per stretch, and kept as JSON text split around `watched`;
 * a range that crosses an edge is computed whole. Equal to `coverageOf` (test/api/coverage.test.ts).
 */
export class CoverageOverTime {
  private readonly edges: number[]
  private readonly byStretch = new Map<number, Stretch>()

  constructor(
    private readonly states: readonly TargetState[],
    private readonly maxGapMs: number,
    private readonly scope: { readonly account?: string | undefined } = {},
  ) {
    const edges: number[] = []
    for (const s of states) {
      if (s.firstCompletePoll !== undefined) edges.push(s.firstCompletePoll)
      if (s.lastCompletePoll !== undefined) edges.push(s.lastCompletePoll + maxGapMs)
      for (const g of s.gaps ?? []) edges.push(g.from, g.to)
      if (s.quietSince !== undefined) edges.push(s.quietSince)
      for (const q of s.quietSpells ?? []) edges.push(q.from, q.to)
    }
    this.edges = [...new Set(edges)].sort((a, b) => a - b)
  }

  /** The coverage of [from, to]. */
  of(from: number, to: number): Coverage {
    const stretch = this.stretch(from, to)
    if (!stretch) return coverageOf(this.states, from, to, this.maxGapMs, this.scope)
    return { ...stretch.coverage, watched: stretch.coverage.watched.length === 0 ? [] : [{ from: formatTime(from), to: formatTime(to) }] }
  }

  /** `JSON.stringify(this.of(from, to))`, without building it. */
  json(from: number, to: number): string {
    const stretch = this.stretch(from, to)
    if (!stretch) return JSON.stringify(coverageOf(this.states, from, to, this.maxGapMs, this.scope))
    if (stretch.coverage.watched.length === 0) return stretch.before + stretch.after
    const fromIso = formatTime(from)
    return `${stretch.before}{"from":"${fromIso}","to":"${from === to ? fromIso : formatTime(to)}"}${stretch.after}`
  }

  /**
   * The coverage of [from, to] when it lies within one stretch (undefined when it crosses an edge): the
   * same object for every range of the stretch, whose `watched` is that range if `watching`, else none.
   * Its JSON text is `before`, then `{"from":…,"to":…}` if `watching`, then `after`.
   */
  stretchOf(from: number, to: number): Stretch | undefined {
    return this.stretch(from, to)
  }

  private stretch(from: number, to: number): Stretch | undefined {
    const at = this.place(from)
    if (at !== this.place(to)) return undefined
    let stretch = this.byStretch.get(at)
    if (!stretch) {
      const coverage = coverageOf(this.states, from, to, this.maxGapMs, this.scope)
      // `watched` is the one array after `unwatched` at the top level; a string's quotes are escaped in JSON.
      const text = JSON.stringify({ ...coverage, watched: [] })
      const cut = text.indexOf('"watched":[]') + '"watched":['.length
      stretch = { coverage, watching: coverage.watched.length > 0, before: text.slice(0, cut), after: text.slice(cut) }
      this.byStretch.set(at, stretch)
    }
    return stretch
  }

  /** 2i for an edge i, 2i+1 for the open stretch between edge i and edge i+1 (-1: before the first). */
  private place(t: number): number {
    let lo = 0
    let hi = this.edges.length
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      if (this.edges[mid]! < t) lo = mid + 1
      else hi = mid
    }
    return lo < this.edges.length && this.edges[lo] === t ? 2 * lo : 2 * lo - 1
  }
}

