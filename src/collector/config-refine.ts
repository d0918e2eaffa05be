// What Config history adds to the holdings the polls made: pure. Config records every change, so it
// knows what happened between two polls; its times are capture times, a little after each change.
// For one holder of one address (same address, scope, ENI, instance), holdings whose proven parts
// (cores: [start.by, end.after]) meet describe the same stretch of holding, because one holder's
// stretches never overlap. From that:
// - split: a stored holding whose core spans an absence Config saw (the address left and came back
//   between two polls) is cut there, so it is not `certain` across the absence;
// - narrow: a stored holding and a Config interval whose cores meet each other and nothing else get
//   each end narrowed to what both allow;
// - record: a closed Config interval whose core meets no stored holding is one the polls missed
//   (it lived between two polls, or before whohad ran), unless its start is unknown (it began
//   before the history read, and an earlier pass or the polls had it).
import { type Bound, type Holding, narrowBound } from '../model/holding.ts'
import type { StoreOperation } from '../store/holdings.ts'
import type { ConfigInterval } from './config-source.ts'

const identity = (h: Pick<Holding, 'address' | 'scope' | 'holder'>) => `${h.address}|${h.scope}|${h.holder.eniId}|${h.holder.instanceId ?? ''}`
const core = (h: Pick<Holding, 'start' | 'end'>): [number, number] => [h.start.by, h.end ? h.end.after : Number.POSITIVE_INFINITY]
const coresMeet = (a: Pick<Holding, 'start' | 'end'>, b: Pick<Holding, 'start' | 'end'>) => {
  const [a0, a1] = core(a)
  const [b0, b1] = core(b)
  return a0 <= a1 && b0 <= b1 && Math.max(a0, b0) <= Math.min(a1, b1)
}
const sameBound = (a: Bound | undefined, b: Bound | undefined) => a?.after === b?.after && a?.by === b?.by

export function refineWithConfig(stored: readonly Holding[], intervals: readonly ConfigInterval[]): StoreOperation[] {
  const storedBy = group(stored)
  const ops: StoreOperation[] = []
  for (const [id, list] of group(intervals)) {
    const cs = [...list].sort((a, b) => a.start.after - b.start.after)
    const hs = storedBy.get(id) ?? []
    const split = new Set<Holding>()
    for (const h of hs) {
      const pieces = splitAtAbsences(h, cs)
      if (!pieces) continue
      split.add(h)
      ops.push({ kind: 'split', previous: h, pieces: pieces.slice(0, -1), next: pieces[pieces.length - 1]! })
    }
    for (const c of cs) {
      // A stored holding whose start is this interval's start was made from it (by a split or an earlier
      // record) even when their cores cannot meet: a stretch shorter than Config's capture delay has an
      // empty core ([start.by, end.after] runs backwards), and recording it again would give the open
      // holding a closed twin.
      const matches = hs.filter((h) => coresMeet(h, c) || sameBound(h.start, c.start))
      if (matches.length === 0) {
        // Recorded by an earlier pass already: the same items give the same bounds.
        const known = hs.some((h) => sameBound(h.start, c.start) && sameBound(h.end, c.end))
        if (c.end && c.start.after > 0 && !known) ops.push({ kind: 'record', holding: c, closedAt: c.end.by })
        continue
      }
      const h = matches[0]!
      if (matches.length !== 1 || split.has(h) || cs.filter((x) => coresMeet(h, x)).length !== 1) continue
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
 * The pieces of `h` between the absences Config saw inside its core, or undefined when there are
 * none. An absence between consecutive intervals a and b happened somewhere in
 * [a.end.after, b.start.by]; when that lies wholly inside h's core, h was not held throughout.
 */
function splitAtAbsences(h: Holding, cs: readonly ConfigInterval[]): Holding[] | undefined {
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
  return pieces
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
