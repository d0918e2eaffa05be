// Reconcile: the one place where what a poll saw becomes holdings. Pure: given the target's open
// holdings, a snapshot and when the target was last polled completely, it returns store operations.
//
// The rules, each pinned by a property test against a simulated ground truth:
// - Only a complete snapshot proves absence. A partial, failed, throttled or denied poll closes nothing
//   (it may still open what it saw: being seen is proof of holding).
// - A snapshot reads pages over [startedAt, finishedAt], so each thing it saw was there at some instant
//   in that window, and each thing it missed was missing at some instant in it. Hence a new holding
//   started in (last complete poll's start, this poll's finish], and a vanished one ended in
//   (last complete poll's start, this poll's finish]. Evidence from AWS (attach and launch times, state
//   transitions) narrows those windows only where it agrees with them.
// - A holding seen by two complete polls is taken to have held in between. Across a long silence (an
//   outage, a failure streak) the address may have left and come back unseen; the target's state
//   records such gaps (poll-state.ts) and classification treats the holding as only possible inside them.
//   Where AWS dates the current acquisition after the last poll that saw the holding (a restarted
//   instance's new launch time, a re-attached ENI's attach time), it left and came back: the holding
//   is closed before that time and a new one opened from it. An Elastic IP whose association id
//   changed was associated again: the holding is closed, and a new one opened, since the last
//   complete poll.
// - One open holding per (address, scope, ENI): the same ENI seen attached to another instance closes
//   the old holding and opens a new one, because "which instance" is what the abuse desk asks.
import { createHash } from 'node:crypto'
import { type Bound, type Evidence, type Holding, type Holder, narrowBound } from '../model/holding.ts'
import type { Observation, Snapshot } from '../model/observation.ts'
import type { StoreOperation } from '../model/stored-holding.ts'

export interface PollHistory {
  /** `startedAt` of the target's latest complete poll before this snapshot; absent before the first. */
  readonly lastCompletePoll?: number
}


/** The key an open holding is stored under: at most one open holding per (address, scope, ENI). */
export function openKey(h: Pick<Holding, 'address' | 'scope'> & { holder: Pick<Holder, 'eniId'> }): string {
  // Joined, not a template: join makes one flat string, where a template's result can be a rope of its
  // parts, several times the size in the memory the collector keeps (target-memory.ts).
  return [h.address, h.scope, h.holder.eniId].join('|')
}

export function reconcile(
  open: readonly Holding[],
  snapshot: Snapshot,
  history: PollHistory,
): StoreOperation[] {
  const seen = new Map<string, Observation>()
  for (const o of snapshot.observations) if (!seen.has(openKey(o))) seen.set(openKey(o), o)
  const current = new Map<string, Holding>()
  for (const h of open) current.set(openKey(h), h)

  const ops: StoreOperation[] = []
  const taken = new Set<string>()
  // Closes come before opens: a close and an open of the same key (an ENI moved to another instance,
  // or an address given up and taken again) must leave the new open holding in place.
  for (const [key, holding] of current) {
    const observation = seen.get(key)
    const again = observation && sameInstance(holding.holder, observation.holder) ? takenAgain(holding, observation, history) : undefined
    if (again) {
      taken.add(key)
      const end = endBound(holding, snapshot, history)
      // Dated by AWS: it ended before the new acquisition. A new association id is not dated: the
      // end is anywhere since the last complete poll that saw the old one.
      const closed = 'since' in again
        ? { ...end, by: Math.max(end.after, Math.min(end.by, again.since)), evidence: [...end.evidence, ...again.evidence] }
        : { ...end, evidence: [...end.evidence, { source: 'ec2-poll' as const, at: snapshot.finishedAt, ref: `associated again: ${holding.holder.associationId} became ${again.associationId}` }] }
      ops.push({ kind: 'close', holding: { ...holding, end: closed }, closedAt: snapshot.finishedAt })
      continue
    }
    if (observation && sameInstance(holding.holder, observation.holder)) {
      // Only a complete snapshot describes holders fully (a failed DescribeInstances leaves names out).
      if (snapshot.complete && !sameHolder(holding.holder, observation.holder)) {
        // Tags, names or descriptions changed: keep the record current, the bounds untouched.
        ops.push({ kind: 'refine', previous: holding, next: { ...holding, holder: observation.holder } })
      }
      continue
    }
    // Gone from a complete snapshot, or now held for another instance (proof of change, even in a
    // partial snapshot, since the ENI was read whole).
    if (!snapshot.complete && !observation) continue
    const end = endBound(holding, snapshot, history)
    ops.push({ kind: 'close', holding: { ...holding, end }, closedAt: snapshot.finishedAt })
  }
  for (const [key, observation] of seen) {
    const holding = current.get(key)
    if (holding && sameInstance(holding.holder, observation.holder) && !taken.has(key)) continue
    ops.push({ kind: 'open', holding: openHolding(observation, snapshot, history) })
  }
  return ops
}

/**
 * Whether the holder gave the address up and took it again since the open holding began, unseen by
 * the polls. Two polls that both saw the address are otherwise taken to have seen one holding; here
 * that would be a confident wrong answer for the time in between. AWS says so in two ways:
 * - its own time for the current acquisition (the launch time, for an auto-assigned public IPv4,
 *   released at every stop; the attach time, for an ENI's addresses with its instance) is later than
 *   both the time the holding is known to have held and the last complete poll that saw it;
 * - an Elastic IP's association id differs from the one recorded (each association gets a new one).
 */
function takenAgain(holding: Holding, observation: Observation, history: PollHistory): { readonly since: number; readonly evidence: readonly Evidence[] } | { readonly associationId: string } | undefined {
  if (datedAgain(holding.start.by, observation, history)) return { since: observation.start!.after, evidence: observation.start!.evidence }
  const was = holding.holder.associationId
  const now = observation.holder.associationId
  if (was !== undefined && now !== undefined && was !== now) return { associationId: now }
  return undefined
}

/** AWS dates the current acquisition after the holding was known to hold and after the last complete poll. */
function datedAgain(startBy: number, observation: Observation, history: PollHistory): boolean {
  const since = observation.start?.after
  return since !== undefined && since > startBy && since > (history.lastCompletePoll ?? Number.NEGATIVE_INFINITY)
}

/**
 * What reconcile needs to know of an open holding to tell that a snapshot leaves it alone: its holder
 * (as a digest) and when it began at the latest, as one short flat string. The collector keeps this
 * much (not the holding) per open holding of the targets it polls, under the holding's `openKey`:
 * about 140 bytes with its key and its place in a Map.
 */
export type OpenSummary = string

const DIGEST_LENGTH = 12

export function openSummary(h: Pick<Holding, 'start' | 'holder'>): OpenSummary {
  return [holderDigest(h.holder), String(h.start.by)].join('')
}

/**
 * A holder's whole record as a digest: 72 bits of SHA-1 of its canonical JSON, so equal digests are
 * equal holders (a collision, at odds of one in 2^72, would only keep a renamed holder's old name).
 */
export function holderDigest(holder: Holder): string {
  return createHash('sha1').update(stableJson(holder)).digest('base64').slice(0, DIGEST_LENGTH)
}

/**
 * The open holdings (by `openKey`) whose full records reconcile needs for this snapshot: those it
 * could close or rewrite. For every other one the snapshot saw it unchanged (same holder, not taken
 * again) or, being partial, missed it: reconcile writes nothing for it, so
 * `reconcile(needed, snapshot without their keys' observations)` equals `reconcile(all, snapshot)`
 * (reconcile.test.ts pins it). It may name more than reconcile will change (a partial snapshot's changed
 * holder is refined only by a complete one), never fewer.
 */
export function holdingsToRead(open: ReadonlyMap<string, OpenSummary>, snapshot: Snapshot, history: PollHistory): Set<string> {
  const seen = new Map<string, Observation>()
  for (const o of snapshot.observations) if (!seen.has(openKey(o))) seen.set(openKey(o), o)
  const needed = new Set<string>()
  for (const [key, summary] of open) {
    const observation = seen.get(key)
    if (!observation) {
      if (snapshot.complete) needed.add(key)
      continue
    }
    // The same holder record means the same instance (sameInstance) and the same association id (a
    // new one is a changed holder), and reconcile then acts only when AWS dates a new acquisition.
    if (!summary.startsWith(holderDigest(observation.holder)) || datedAgain(Number(summary.slice(DIGEST_LENGTH)), observation, history)) needed.add(key)
  }
  return needed
}

function pollEvidence(snapshot: Snapshot, at: number): Evidence {
  return { source: 'ec2-poll', at, ref: `${snapshot.accountId}/${snapshot.region}/${snapshot.pollId}` }
}

function openHolding(observation: Observation, snapshot: Snapshot, history: PollHistory): Holding {
  const window: Bound = {
    // Absent from the last complete poll (it is not open), so it started after that poll began.
    after: history.lastCompletePoll ?? 0,
    by: snapshot.finishedAt,
    evidence: [
      ...(history.lastCompletePoll !== undefined
        ? [{ source: 'ec2-poll' as const, at: history.lastCompletePoll, ref: 'absent from the previous complete poll' }]
        : []),
      pollEvidence(snapshot, snapshot.finishedAt),
    ],
  }
  // AWS's own times win where they fit the window; where they contradict it (a poll that read pages
  // late, an attach time for an address added later), the window is what was observed, so it stays.
  const start = observation.start ? (narrowBound(window, observation.start) ?? window) : window
  return {
    address: observation.address,
    addressKind: observation.addressKind,
    scope: observation.scope,
    holder: observation.holder,
    start: { ...start, by: Math.min(start.by, snapshot.finishedAt) },
  }
}

function endBound(holding: Holding, snapshot: Snapshot, history: PollHistory): Bound {
  // Seen by every complete poll since it opened, the latest of which began at lastCompletePoll.
  const provenUntil = Math.max(holding.start.after, history.lastCompletePoll ?? holding.start.after)
  const window: Bound = {
    after: provenUntil,
    by: Math.max(provenUntil, snapshot.finishedAt),
    evidence: [
      { source: 'ec2-poll', at: provenUntil, ref: 'present in the previous complete poll' },
      pollEvidence(snapshot, snapshot.finishedAt),
    ],
  }
  // An instance's stop or termination time (snapshot.instanceStops) is deliberately not used here: it
  // bounds only holdings proven to last until the transition, and a poll cannot tell those from a
  // secondary IP, Elastic IP or public IP that went earlier between the same two polls. Using it would
  // make the end too late, and a lookup confidently wrong.
  return window
}

function sameInstance(a: Holder, b: Holder): boolean {
  return (a.instanceId ?? '') === (b.instanceId ?? '')
}

function sameHolder(a: Holder, b: Holder): boolean {
  return stableJson(a) === stableJson(b)
}

function stableJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([x], [y]) => (x < y ? -1 : 1)))
      : v,
  )
}

/**
 * `reconcile` when of the open holdings only those `holdingsToRead` named were read in full (`read`),
 * the rest known by their summaries: the snapshot's observations of the rest are left out, and the
 * operations are the same as reconcile over every open holding.
 */
export function reconcileSummarised(open: ReadonlyMap<string, OpenSummary>, read: readonly Holding[], snapshot: Snapshot, history: PollHistory): StoreOperation[] {
  const readKeys = new Set(read.map(openKey))
  const observations = snapshot.observations.filter((o) => !open.has(openKey(o)) || readKeys.has(openKey(o)))
  return reconcile(read, observations.length === snapshot.observations.length ? snapshot : { ...snapshot, observations }, history)
}
