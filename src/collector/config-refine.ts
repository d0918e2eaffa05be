// What Config history adds to the holdings the polls made: pure.
// - A holding Config saw begin and end that no stored holding of the same holder overlaps is one the
//   polls missed (it lived between two polls, or before whohad ran): it is recorded.
// - A stored holding and a Config interval of the same holder that overlap each other and nothing
//   else describe the same stretch of holding: each end is narrowed to what both allow. Where more
//   than one could match (an address that left and came back between two polls), nothing is narrowed:
//   a wrong pairing would move a bound off the truth.
import { type Holding, narrowBound } from '../model/holding.ts'
import type { StoreOperation } from '../store/holdings.ts'
import type { ConfigInterval } from './config-source.ts'

const identity = (h: Pick<Holding, 'address' | 'scope' | 'holder'>) => `${h.address}|${h.scope}|${h.holder.eniId}|${h.holder.instanceId ?? ''}`
const support = (h: Pick<Holding, 'start' | 'end'>): [number, number] => [h.start.after, h.end ? h.end.by : Number.POSITIVE_INFINITY]
const overlap = (a: Pick<Holding, 'start' | 'end'>, b: Pick<Holding, 'start' | 'end'>) => {
  const [a0, a1] = support(a)
  const [b0, b1] = support(b)
  return a0 <= b1 && b0 <= a1
}

export function refineWithConfig(stored: readonly Holding[], intervals: readonly ConfigInterval[]): StoreOperation[] {
  const storedBy = group(stored)
  const intervalsBy = group(intervals)
  const ops: StoreOperation[] = []
  for (const [id, list] of intervalsBy) {
    const mine = storedBy.get(id) ?? []
    const recorded: Holding[] = []
    for (const interval of list) {
      const matches = mine.filter((h) => overlap(h, interval))
      if (matches.length === 0) {
        if (interval.end && !recorded.some((r) => overlap(r, interval))) {
          ops.push({ kind: 'record', holding: interval, closedAt: interval.end.by })
          recorded.push(interval)
        }
        continue
      }
      const [h] = matches
      if (matches.length !== 1 || list.filter((i) => overlap(h!, i)).length !== 1) continue
      const start = narrowBound(h!.start, interval.start) ?? h!.start
      const end = h!.end && interval.end ? (narrowBound(h!.end, interval.end) ?? h!.end) : h!.end
      if (start.after !== h!.start.after || start.by !== h!.start.by || end?.after !== h!.end?.after || end?.by !== h!.end?.by) {
        ops.push({ kind: 'refine', previous: h!, next: { ...h!, start, ...(end ? { end } : {}) } })
      }
    }
  }
  return ops
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
