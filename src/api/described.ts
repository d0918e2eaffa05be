// What /ec2/ answers from in whohad serve: the descriptions the collector recorded (store.descriptions),
// each account and region as of its last complete poll. An instance comes back with its reservation's
// own fields, so DescribeInstances groups instances as EC2 did.
//
// Listings are memoised in process (listing-memo.ts) under their target's lastCompletePoll, which the
// app reads at most once a second: a call reads the store only when a new complete poll has been seen
// (or the listing was evicted), so an answer is never older than the target's last complete poll plus
// that second. The collector writes a poll's descriptions before its target state, so a new
// lastCompletePoll always finds its descriptions in the store.
import type { Address, NetworkInterface } from '@aws-sdk/client-ec2'
import type { DescriptionKind, DescriptionSource, InstanceDescription } from '../model/description.ts'
import type { TargetState } from '../model/target.ts'
import type { DescriptionStore } from '../store/descriptions.ts'
import type { AccountListing } from './ec2/actions.ts'
import { ListingMemo } from './listing-memo.ts'

type Described = InstanceDescription | NetworkInterface | Address

/**
 * How many descriptions the memo holds at most, over all listings (an instance's description is a few
 * kilobytes in memory, so the default is some hundreds of megabytes at most).
 */
export const DEFAULT_MEMO_ITEMS = 100_000

/** How many accounts' listings one call reads at once (each a DynamoDB Query on a miss). */
const READ_CONCURRENCY = 8

async function readListing(descriptions: Pick<DescriptionStore, 'list' | 'reservations'>, kind: DescriptionKind, accountId: string, region: string): Promise<readonly Described[]> {
  if (kind !== 'instance') return descriptions.list(kind, accountId, region)
  const reservations = await descriptions.reservations(accountId, region)
  return reservations.flatMap((r) =>
    (r.Instances ?? []).map((i): InstanceDescription => ({
      ...i,
      ...(r.ReservationId !== undefined ? { ReservationId: r.ReservationId } : {}),
      ...(r.OwnerId !== undefined ? { OwnerId: r.OwnerId } : {}),
      ...(r.RequesterId !== undefined ? { RequesterId: r.RequesterId } : {}),
    })),
  )
}

/** Target states by `account\nregion`, built once per list the app reads (it reads one a second at most). */
const statesByTarget = new WeakMap<readonly TargetState[], Map<string, TargetState>>()

function stateOf(states: readonly TargetState[], accountId: string, region: string): TargetState | undefined {
  let index = statesByTarget.get(states)
  if (!index) statesByTarget.set(states, (index = new Map(states.map((s) => [`${s.accountId}\n${s.region}`, s]))))
  return index.get(`${accountId}\n${region}`)
}

export function storedDescriptions(
  descriptions: Pick<DescriptionStore, 'list' | 'reservations'>,
  targetStates: () => Promise<readonly TargetState[]>,
  options: { readonly memoItems?: number } = {},
): DescriptionSource {
  const memo = new ListingMemo<Described>(options.memoItems ?? DEFAULT_MEMO_ITEMS)
  return {
    async list(kind: DescriptionKind, accountId: string, region: string) {
      const asOf = stateOf(await targetStates(), accountId, region)?.lastCompletePoll
      const items = await memo.get(`${kind}\n${accountId}\n${region}`, asOf, () => readListing(descriptions, kind, accountId, region))
      return asOf === undefined ? { items } : { items, asOf }
    },
  }
}

/** The accounts a request may see: those whohad watches, less those its key is not limited to. */
export async function watchedAccounts(targetStates: () => Promise<readonly TargetState[]>, visible: ReadonlySet<string> | 'all'): Promise<string[]> {
  const all = [...new Set((await targetStates()).map((s) => s.accountId))]
  return visible === 'all' ? all : all.filter((a) => visible.has(a))
}

/**
 * Each account's listing of one kind in one region, in the accounts' order, read a few accounts at a
 * time; `asOf` per account as the source gave it.
 */
export async function listAccounts(
  source: DescriptionSource,
  kind: DescriptionKind,
  accounts: readonly string[],
  region: string,
): Promise<{ listings: AccountListing[]; asOfs: (number | undefined)[] }> {
  const listings: AccountListing[] = new Array<AccountListing>(accounts.length)
  const asOfs: (number | undefined)[] = new Array<number | undefined>(accounts.length)
  let next = 0
  const worker = async () => {
    while (next < accounts.length) {
      const i = next++
      const accountId = accounts[i]!
      const listed = await source.list(kind, accountId, region)
      listings[i] = { accountId, items: listed.items }
      asOfs[i] = listed.asOf
    }
  }
  await Promise.all(Array.from({ length: Math.min(READ_CONCURRENCY, accounts.length) }, worker))
  return { listings, asOfs }
}
