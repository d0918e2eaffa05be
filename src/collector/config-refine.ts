// What Config history adds to the holdings the polls made: pure. Config records every change, so it
// knows what happened between two polls; its times are capture times, a little after each change.
// For one holder of one address (same address, scope, ENI, instance), holdings whose proven parts
// (cores: [start.by, end.after]) meet describe the same stretch of holding, because one holder's
// stretches never overlap. From that:
// - split: a stored holding whose core spans an absence Config saw (the address left and came back
//   between two polls) is cut there, so it is not `certain` across the absence;
// - pair: a stored holding and a Config interval describe the same stretch when their cores meet, or
//   when the holding's witness (an instant polls saw it held lies there: its core, or for a holding
//   one poll saw, the span between that poll's ends) meets the interval's support and no other's:
//   Config records every change in the range it read, so the stretch the polls saw is one of its
//   intervals, and the only candidate is it. (Cores alone miss the common case: a stretch shorter
//   than Config's assumed capture delay has an empty core, and was recorded a second time, one
//   interval listed twice.) Only where the history read is complete (after its start), and never
//   with an interval whose start is unknown (it began before the read): the stretch the polls saw
//   may then be an earlier one Config was not asked about;
// - narrow: a pair that pairs with nothing else gets each end narrowed to what both allow;
// - record: a closed Config interval that pairs with no stored holding is one the polls missed
//   (it lived between two polls, or before whohad ran), unless its start is unknown (it began
//   before the history read, and an earlier pass or the polls had it).
import { type Bound, type Holding, narrowBound } from '../model/holding.ts'
import type { ConfigInterval } from '../model/config-interval.ts'
import type { StoreOperation } from '../model/stored-holding.ts'

const identity = (h: Pick<Holding, 'address' | 'scope' | 'holder'>) => `${h.address}|${h.scope}|${h.holder.eniId}|${h.holder.instanceId ?? ''}`
const core = (h: Pick<Holding, 'start' | 'end'>): [number, number] => [h.start.by, h.end ? h.end.after : Number.POSITIVE_INFINITY]
const coresMeet = (a: Pick<Holding, 'start' | 'end'>, b: Pick<Holding, 'start' | 'end'>) => {
  const [a0, a1] = core(a)
  const [b0, b1] = core(b)
  return a0 <= a1 && b0 <= b1 && Math.max(a0, b0) <= Math.min(a1, b1)
}
const sameBound = (a: Bound | undefined, b: Bound | undefined) => a?.after === b?.after && a?.by === b?.by
/**
 * Some instant between start.by and end.after, in whichever order they come, was held: the core when
 * it is not empty, and otherwise the one sighting of a holding one poll saw (its start may be as late
 * as start.by, its end as early as end.after, and start ≤ end).
 */
const witness = (h: Pick<Holding, 'start' | 'end'>): [number, number] => {
  const [a, b] = core(h)
  return a <= b ? [a, b] : [b, a]
}
/** The holding's witness meets the interval's support, [start.after, end.by], where it may have held. */
const witnessMeetsSupport = (h: Pick<Holding, 'start' | 'end'>, c: Pick<Holding, 'start' | 'end'>) => {
  const [h0, h1] = witness(h)
  return Math.max(h0, c.start.after) <= Math.min(h1, c.end ? c.end.by : Number.POSITIVE_INFINITY)
}

/**
 * `readFrom`: the history was read from here on, so Config's record of every stretch with an instant
 * after it is complete; witness pairing (see the header) is used only there. Default: all of it.
 */
export function refineWithConfig(stored: readonly Holding[], intervals: readonly ConfigInterval[], readFrom = Number.NEGATIVE_INFINITY): StoreOperation[] {
  const storedBy = group(stored)
  const ops: StoreOperation[] = []
  for (const [id, list] of group(intervals)) {
    const cs = [...list].sort((a, b) => a.start.after - b.start.after)
    const hs = storedBy.get(id) ?? []
    const split = new Set<Holding>()
    // Intervals a split cut at: the pieces are they, so recording them too would list them twice.
    const cutAt = new Set<ConfigInterval>()
    for (const h of hs) {
      const cut = splitAtAbsences(h, cs)
      if (!cut) continue
      split.add(h)
      for (const c of cut.at) cutAt.add(c)
      ops.push({ kind: 'split', previous: h, pieces: cut.pieces.slice(0, -1), next: cut.pieces[cut.pieces.length - 1]! })
    }
    // Which intervals each stored holding may be: cores that meet are proof; otherwise the unique
    // interval whose support its core meets (see the header).
    // An interval whose start is unknown is a candidate too (its support reaches back to 0), so that a
    // stretch that began before the read is never mistaken for a later one.
    const candidates = (h: Holding) => cs.filter((x) => coresMeet(h, x) || sameBound(h.start, x.start) || witnessMeetsSupport(h, x))
    const pairOf = new Map<Holding, ConfigInterval | undefined>()
    for (const h of hs) {
      const proven = cs.filter((x) => coresMeet(h, x) || sameBound(h.start, x.start))
      const possible = candidates(h)
      const complete = witness(h)[0] >= readFrom
      const only = possible.length === 1 && possible[0]!.start.after > 0 && complete ? possible[0] : undefined
      pairOf.set(h, proven.length === 1 ? proven[0] : proven.length === 0 ? only : undefined)
    }
    for (const c of cs) {
      // A stored holding whose start is this interval's start was made from it (by a split or an earlier
      // record) even when their cores cannot meet: a stretch shorter than Config's capture delay has an
      // empty core ([start.by, end.after] runs backwards), and recording it again would give the open
      // holding a closed twin.
      const matches = hs.filter((h) => coresMeet(h, c) || sameBound(h.start, c.start) || pairOf.get(h) === c)
      if (matches.length === 0) {
        // Recorded by an earlier pass already: the same items give the same bounds.
        const known = hs.some((h) => sameBound(h.start, c.start) && sameBound(h.end, c.end))
        if (c.end && c.start.after > 0 && !known && !cutAt.has(c)) ops.push({ kind: 'record', holding: c, closedAt: c.end.by })
        continue
      }
      const h = matches[0]!
      if (matches.length !== 1 || split.has(h) || pairOf.get(h) !== c) continue
      const start = narrowBound(h.start, c.start) ?? h.start
      const end = h.end && c.end ? (narrowBound(h.end, c.end) ?? h.end) : h.end
      if (!sameBound(start, h.start) || !sameBound(end, h.end)) {
        ops.push({ kind: 'refine', previous: h, next: { ...h, start, ...(end ? { end } : {}) } })
      }
    }
  }
  return ops
}

/**
 * The pieces of `h` between the absences Config saw inside its core, and the intervals it was cut
 * at, or undefined when there are none. An absence between consecutive intervals a and b happened somewhere in
 * [a.end.after, b.start.by]; when that lies wholly inside h's core, h was not held throughout.
 */
function splitAtAbsences(h: Holding, cs: readonly ConfigInterval[]): { pieces: Holding[]; at: ConfigInterval[] } | undefined {
  const [c0, c1] = core(h)
  const cuts: [ConfigInterval, ConfigInterval][] = []
  for (let i = 0; i + 1 < cs.length; i++) {
    const a = cs[i]!
    const b = cs[i + 1]!
    if (a.end && c0 <= a.end.after && b.start.by <= c1) cuts.push([a, b])
  }
  if (cuts.length === 0) return undefined
  const pieces: Holding[] = []
  let start = h.start
  for (const [a, b] of cuts) {
    pieces.push({ ...h, start, end: a.end! })
    start = b.start
  }
  const { end: _end, ...open } = h
  pieces.push(h.end ? { ...h, start, end: h.end } : { ...open, start })
  return { pieces, at: cuts.flat() }
}

function group<T extends Pick<Holding, 'address' | 'scope' | 'holder'>>(list: readonly T[]): Map<string, T[]> {
  const out = new Map<string, T[]>()
  for (const x of list) {
    const l = out.get(identity(x))
    if (l) l.push(x)
    else out.set(identity(x), [x])
  }
  return out
}
