// Which lease shards a collector process should hold: pure. Targets are hashed into a fixed number of
// shards and processes lease shards, not targets, so lease traffic grows with the number of
// processes, not with the size of the organisation. Each process aims at its fair share of shards;
// one that holds more than its share (a new process joined) gives the extras back, and a dead
// process's shards are free once its leases expire.
import { createHash } from 'node:crypto'
import type { Lease } from '../model/lease.ts'

export interface LeasePlan {
  /** Shards this process holds and keeps (renews). */
  readonly renew: number[]
  /** Free or expired shards to try to take, in order. */
  readonly acquire: number[]
  /** Shards to give back. */
  readonly release: number[]
}

export function shardOf(target: { accountId: string; region: string }, shards: number): number {
  const digest = createHash('sha1').update(`${target.accountId}#${target.region}`).digest()
  return digest.readUInt32BE(0) % shards
}

export function planLeases(input: {
  readonly me: string
  readonly now: number
  readonly shards: number
  /** Live processes, this one included. */
  readonly members: readonly string[]
  readonly leases: readonly Lease[]
}): LeasePlan {
  const { me, now, shards } = input
  const members = [...new Set([...input.members, me])].sort()
  const live = new Map<number, Lease>()
  for (const lease of input.leases) if (lease.until > now) live.set(lease.shard, lease)
  const mine = [...live.values()].filter((l) => l.owner === me).map((l) => l.shard).sort((a, b) => a - b)
  // Fair share: the first (shards mod members) processes in name order take one more, so the shares
  // add up to exactly the number of shards.
  const shareAt = (i: number) => Math.floor(shards / members.length) + (i < shards % members.length ? 1 : 0)
  const share = shareAt(members.indexOf(me))
  if (mine.length > share) {
    return { renew: mine.slice(0, share), acquire: [], release: mine.slice(share) }
  }
  const free: number[] = []
  for (let s = 0; s < shards; s++) if (!live.has(s)) free.push(s)
  // Deal the free shards out to every process short of its share, in name order: processes that read
  // the same leases compute the same deal and so try different shards instead of racing for the same
  // ones (a lost race costs the loser a whole tick; LeaseKeeper retries once it has lost one).
  const held = new Map<string, number>()
  for (const lease of live.values()) held.set(lease.owner, (held.get(lease.owner) ?? 0) + 1)
  let next = 0
  for (const [i, member] of members.entries()) {
    const need = Math.max(0, shareAt(i) - (held.get(member) ?? 0))
    if (member === me) return { renew: mine, acquire: free.slice(next, next + need), release: [] }
    next += need
  }
  /* c8 ignore next */
  throw new Error('unreachable: me is a member')
}
