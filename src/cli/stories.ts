// The demo's "addresses with a story": picked from what was collected, each with a time at which the
// holder it names is the certain verdict. A time is taken from inside the proven stretch of the holding
// (model/verdict.ts), never from the middle of its raw bounds: a holding known only from sources that
// disagree can have start.by after end.after, and the middle of that is a time nobody is proven to hold
// it. Pure.
import { holderWords } from '../api/holder-words.ts'
import type { Gap, Holding } from '../model/holding.ts'
import { placeAt, provenStretch, type Watch } from '../model/verdict.ts'

export interface Story {
  readonly ip: string
  /** Why the address is interesting, naming the holder(s) (by ENI) the verdict at `at` names. */
  readonly why: string
  readonly at: number
  /** The ENIs the verdict at `at` must name as held. */
  readonly holders: readonly string[]
}

export interface StoryWorld<H extends Holding> {
  readonly holdings: readonly H[]
  /** What the holding's target's polls proved (its last complete poll, its gaps). */
  readonly watchOf: (h: H) => Watch
  /** Whether every target was watched at this time (a story's answer must have complete coverage). */
  readonly everyWatched: (at: number) => boolean
}

const named = (h: Holding) => `${holderWords(h.holder)} on ${h.holder.eniId}`

/**
 * A time in every one of `hs`'s proven stretches (the middle of their overlap) at which each is certain,
 * every target was watched, and no other holding of the address in their scopes may hold it.
 */
function storyTime<H extends Holding>(hs: readonly H[], w: StoryWorld<H>, sameAddress: readonly H[]): number | undefined {
  let overlap: Gap = { from: Number.NEGATIVE_INFINITY, to: Number.POSITIVE_INFINITY }
  for (const h of hs) {
    const s = provenStretch(h, w.watchOf(h))
    if (!s) return undefined
    overlap = { from: Math.max(overlap.from, s.from), to: Math.min(overlap.to, s.to) }
  }
  if (!(overlap.to >= overlap.from) || !Number.isFinite(overlap.from) || !Number.isFinite(overlap.to)) return undefined
  const at = Math.round((overlap.from + overlap.to) / 2)
  if (!w.everyWatched(at)) return undefined
  if (hs.some((h) => placeAt(h, at, w.watchOf(h)).atT !== 'certain')) return undefined
  const scopes = new Set(hs.map((h) => h.scope))
  const others = sameAddress.filter((o) => !hs.includes(o) && scopes.has(o.scope))
  if (others.some((o) => placeAt(o, at, w.watchOf(o)).atT !== 'outside')) return undefined
  return at
}

/** A reassigned public address, a NAT gateway's, a private one in two VPCs at once: those found. */
export function storiesOf<H extends Holding>(w: StoryWorld<H>): Story[] {
  const byAddress = new Map<string, H[]>()
  for (const h of w.holdings) byAddress.set(h.address, [...(byAddress.get(h.address) ?? []), h])
  const stories: Story[] = []
  const enis = (hs: readonly H[]) => new Set(hs.map((h) => h.holder.eniId)).size

  // The public address held by the most ENIs in turn; told at the middle one of its holdings with a story.
  const reassigned = [...byAddress.values()].filter((hs) => hs[0]!.addressKind === 'public-ipv4' && enis(hs) >= 2).sort((a, b) => enis(b) - enis(a))
  for (const hs of reassigned) {
    const told = [...hs].sort((a, b) => a.start.after - b.start.after).map((h) => ({ h, at: storyTime([h], w, hs) })).filter((x) => x.at !== undefined)
    const middle = told[Math.floor(told.length / 2)]
    if (!middle) continue
    stories.push({ ip: middle.h.address, why: `public, held by ${enis(hs)} ENIs in turn; then by ${named(middle.h)}`, at: middle.at!, holders: [middle.h.holder.eniId] })
    break
  }

  // A NAT gateway's address (a public one first: complaints name those).
  const nats = w.holdings.filter((h) => h.holder.kind === 'nat-gateway' && !h.address.includes('/')).sort((a, b) => Number(b.addressKind === 'public-ipv4') - Number(a.addressKind === 'public-ipv4'))
  for (const h of nats) {
    const at = storyTime([h], w, byAddress.get(h.address)!)
    if (at === undefined) continue
    stories.push({ ip: h.address, why: `a NAT gateway's (${h.holder.name ?? h.holder.resource?.id ?? h.holder.eniId}), on ${h.holder.eniId}`, at, holders: [h.holder.eniId] })
    break
  }

  // A private address held in two VPCs at the same time: a holding of each at a time both are proven.
  for (const hs of byAddress.values()) {
    if (hs[0]!.addressKind !== 'private-ipv4') continue
    const byScope = new Map<string, H[]>()
    for (const h of hs) if (provenStretch(h, w.watchOf(h))) byScope.set(h.scope, [...(byScope.get(h.scope) ?? []), h])
    if (byScope.size < 2) continue
    const [first, second] = [...byScope.values()] as [H[], H[]]
    const pair = first.flatMap((a) => second.map((b) => [a, b])).map((p) => ({ p, at: storyTime(p, w, hs) })).find((x) => x.at !== undefined)
    if (!pair) continue
    // Every VPC's holder then, not only the two that gave the time: the verdict names them all.
    const placed = hs.map((h) => ({ h, atT: placeAt(h, pair.at!, w.watchOf(h)).atT }))
    if (placed.some((x) => x.atT === 'possible')) continue
    const held = placed.filter((x) => x.atT === 'certain').map((x) => x.h)
    stories.push({ ip: hs[0]!.address, why: `private, held in ${held.length} VPCs at once: ${held.map((h) => `${h.holder.eniId} in ${h.scope}`).join(' and ')}`, at: pair.at!, holders: held.map((h) => h.holder.eniId) })
    break
  }
  return stories
}
