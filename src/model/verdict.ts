// The answer to the question itself: at T exactly (not T ± window), who held the address. An answer's
// window may show several holdings, some of them certain within the window; only the bounds of a
// holding that contains T say who held it at T. Pure.
//
// Rules:
// - `held` names the holdings proven to contain T ([start.by, end.after], an open one up to its last
//   complete poll, minus its target's gaps): classifyWatched at the point T. Nothing else is `certain`.
// - Every holding whose bounds may contain T (start.after <= T <= end.by) is named: as held, or as one
//   that may have held it. A verdict never leaves out a holding that contains T, however unlikely.
// - `none` only when no holding may contain T and every target was watched at T; without that watch,
//   an empty answer is `unknown`, never "nobody" (a wrong "nobody held it" sends the desk away).
import { classifyWatched, type Gap, type Holding } from './holding.ts'

/** Where T lies in a holding: proven inside, inside an uncertainty window, or outside its bounds. */
export type AtT = 'certain' | 'possible' | 'outside'

export interface Watch {
  /** An open holding is proven up to its target's last complete poll. */
  readonly openUntil?: number | undefined
  /** The target's unwatched stretches. */
  readonly gaps?: readonly Gap[] | undefined
}

export interface Placed {
  readonly atT: AtT
  /** How far T lies outside the holding's bounds [start.after, end.by], in ms; 0 when they may contain it. */
  readonly distanceMs: number
}

/** A holding placed against the time asked about. */
export function placeAt(holding: Pick<Holding, 'start' | 'end'>, at: number, watch: Watch = {}): Placed {
  const atT = classifyWatched(holding, at, at, watch) ?? 'outside'
  const last = holding.end ? holding.end.by : Number.POSITIVE_INFINITY
  const distanceMs = at < holding.start.after ? holding.start.after - at : at > last ? at - last : 0
  return { atT, distanceMs }
}

const RANK: Record<AtT, number> = { certain: 0, possible: 1, outside: 2 }

/** Nearest to T first; at one distance, proven before possible; then the earlier start. */
export function byDistance(a: Placed & { readonly start: { readonly after: number } }, b: Placed & { readonly start: { readonly after: number } }): number {
  return a.distanceMs - b.distanceMs || RANK[a.atT] - RANK[b.atT] || a.start.after - b.start.after
}

export type VerdictState = 'held' | 'possible' | 'none' | 'unknown'

export interface Verdict {
  /**
   * held: at least one holding is proven to contain T; possible: some may, none is proven;
   * none: no holding may contain T and every target was watched then; unknown: none recorded, not watched.
   */
  readonly state: VerdictState
  /** Indices (into the list given) of the holdings proven to hold the address at T. */
  readonly held: readonly number[]
  /** Indices of the holdings that may have held it at T (T lies in an uncertainty window of theirs). */
  readonly mayHave: readonly number[]
}

/** The verdict over placed holdings, given whether every target in scope was watched at T. */
export function verdictOf(placed: readonly Pick<Placed, 'atT'>[], watchedAtT: boolean): Verdict {
  const held: number[] = []
  const mayHave: number[] = []
  placed.forEach((p, i) => {
    if (p.atT === 'certain') held.push(i)
    else if (p.atT === 'possible') mayHave.push(i)
  })
  const state: VerdictState = held.length > 0 ? 'held' : mayHave.length > 0 ? 'possible' : watchedAtT ? 'none' : 'unknown'
  return { state, held, mayHave }
}

/**
 * The longest stretch in which the holding is proven to hold its address: [start.by, end.after] (an
 * open one up to its last complete poll), less its target's gaps (whose own ends were watched). Any
 * time in it is `certain` for this holding. Undefined when the bounds prove no instant: a holding known
 * only from sources that disagree can have start.by later than end.after.
 */
export function provenStretch(holding: Pick<Holding, 'start' | 'end'>, watch: Watch = {}): Gap | undefined {
  const from = holding.start.by
  const to = holding.end ? holding.end.after : Math.max(holding.start.by, watch.openUntil ?? holding.start.by)
  if (to < from) return undefined
  let pieces: Gap[] = [{ from, to }]
  for (const g of watch.gaps ?? []) {
    pieces = pieces.flatMap((p) => (g.to <= p.from || g.from >= p.to ? [p] : [...(g.from > p.from ? [{ from: p.from, to: g.from }] : []), ...(g.to < p.to ? [{ from: g.to, to: p.to }] : [])]))
  }
  return pieces.sort((a, b) => b.to - b.from - (a.to - a.from))[0]
}
