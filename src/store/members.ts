// The member registry: which addresses (IPs and delegated-prefix blocks, as holdings store them) ever
// had a holding, and in which account. HoldingStore.apply registers an operation's addresses before it
// writes the holdings, so an address is a member from before its first holding can be read; the API's
// membership filter (api/membership.ts) loads the registry at start and catches up on it, and answers
// an address that is no member without reading the store. Keys: table.ts.
//
// Writes are in proportion to change: a process registers an (account, address) once and remembers it
// (a bounded memory: forgetting one costs a repeated, harmless entry, never a missing one).
import { type DynamoDBClient, GetItemCommand, QueryCommand, UpdateItemCommand, type WriteRequest } from '@aws-sdk/client-dynamodb'
import { marshall } from '@aws-sdk/util-dynamodb'
import { LRUCache } from 'lru-cache'
import { DAY } from '../model/time.ts'
import { batchWrite, type BatchOptions } from './batch.ts'
import { scanAll, type Item } from './paginate.ts'
import { ADDRESS_PK_PREFIX, MEMBERS_META, membersDay, membersPk, membersSk, timeKey } from './table.ts'

export interface Member {
  readonly address: string
  readonly accountId: string
}

export interface RegistryState {
  /** Every holding in the table is registered: the table was made with the registry, or was backfilled. */
  readonly complete: boolean
  /** The days (UTC, yyyy-mm-dd) that have entries. */
  readonly days: readonly string[]
}

/** How many registered (account, address) pairs a process remembers, so as not to register them again. */
const REMEMBERED = 20_000

/**
 * An entry is filed under its writer's clock when its write began, and is read from the time it is
 * written. A write that took longer than this is filed again under a later time, so that every entry
 * can be read within this long of the time it is filed under.
 */
export const REGISTRY_LATENESS_MS = 10_000
/** The clocks of one deployment's processes agree within this (NTP and Amazon Time Sync keep them within milliseconds). */
export const MAX_CLOCK_SKEW_MS = 20_000
/**
 * How far before its last catch-up's start a reader reads again: any entry it has not seen is filed
 * under a time no earlier than that (written late by at most the lateness bound, on a clock at most the
 * skew behind). Small, because a catch-up reads everything filed since: right after an initial sync,
 * that is every address.
 */
export const REGISTRY_MARGIN_MS = REGISTRY_LATENESS_MS + MAX_CLOCK_SKEW_MS
/** Refilings of one write before it gives up (the apply fails, and no holding is written unregistered). */
const REFILINGS = 3

export class MemberRegistry {
  private readonly registered = new LRUCache<string, true>({ max: REMEMBERED })
  private readonly daysListed = new Set<string>()

  constructor(
    private readonly client: DynamoDBClient,
    private readonly tableName: string,
    private readonly options: {
      readonly batch?: BatchOptions
      readonly now?: () => number
      /**
       * A client of its own for the filter's reads, so that a catch-up never waits behind the lookups
       * queued on the main client's sockets (when they pile up, the filter would fall behind its bound
       * and send every lookup to the store: more queueing, never catching up).
       */
      readonly readClient?: DynamoDBClient
    } = {},
  ) {}

  private get reader(): DynamoDBClient {
    return this.options.readClient ?? this.client
  }

  private now(): number {
    return (this.options.now ?? Date.now)()
  }

  /** Make these (address, account) pairs members; returns how many entries were written. */
  async register(members: readonly Member[]): Promise<number> {
    const fresh = new Map<string, Member>()
    for (const m of members) {
      const key = `${m.accountId}|${m.address}`
      if (!this.registered.has(key)) fresh.set(key, m)
    }
    if (fresh.size === 0) return 0
    for (let attempt = 0; ; attempt++) {
      const at = this.now()
      await this.file([...fresh.values()], at)
      const late = this.now() - at
      if (late <= REGISTRY_LATENESS_MS) break
      if (attempt >= REFILINGS) throw new Error(`the member registry's writes take ${Math.round(late / 1000)} s, longer than ${REGISTRY_LATENESS_MS / 1000} s: not writing holdings its readers might not see in time`)
    }
    for (const key of fresh.keys()) this.registered.set(key, true)
    return fresh.size
  }

  /** Writes the entries under `at` (its day listed first). */
  private async file(members: readonly Member[], at: number): Promise<void> {
    const day = membersDay(at)
    if (!this.daysListed.has(day)) {
      // The day is listed before its entries are written: a loader that reads the list finds them.
      await this.client.send(
        new UpdateItemCommand({
          TableName: this.tableName,
          Key: marshall(MEMBERS_META),
          UpdateExpression: 'ADD #days :day',
          ExpressionAttributeNames: { '#days': 'days' },
          ExpressionAttributeValues: { ':day': { SS: [day] } },
        }),
      )
      this.daysListed.add(day)
    }
    const puts: WriteRequest[] = members.map((m) => ({
      PutRequest: { Item: marshall({ pk: membersPk(day), sk: membersSk(at, m.accountId, m.address), address: m.address, accountId: m.accountId }) },
    }))
    await batchWrite(this.client, this.tableName, puts, this.options.batch)
  }

  /** Whether the registry is complete, and its days (a consistent read). */
  async state(): Promise<RegistryState> {
    const out = await this.reader.send(new GetItemCommand({ TableName: this.tableName, Key: marshall(MEMBERS_META), ConsistentRead: true }))
    return { complete: out.Item?.complete?.BOOL === true, days: [...(out.Item?.days?.SS ?? [])].sort() }
  }

  /** Say that every holding in the table is registered (a new table, or a finished backfill). */
  async markComplete(): Promise<void> {
    await this.client.send(
      new UpdateItemCommand({
        TableName: this.tableName,
        Key: marshall(MEMBERS_META),
        UpdateExpression: 'SET #complete = :true',
        ExpressionAttributeNames: { '#complete': 'complete' },
        ExpressionAttributeValues: { ':true': { BOOL: true } },
      }),
    )
  }

  /** Every entry of these days: one Query per day, consistent. */
  async entriesOf(days: readonly string[], onMember: (m: Member) => void): Promise<number> {
    let count = 0
    for (const day of days) {
      count += await this.queryDay(day, undefined, onMember)
    }
    return count
  }

  /** Every entry written at `since` (epoch ms) or later, up to now: one Query per day in between. */
  async entriesSince(since: number, onMember: (m: Member) => void): Promise<number> {
    let count = 0
    const today = membersDay(this.now())
    for (let t = since; ; t += DAY) {
      const day = membersDay(t)
      count += await this.queryDay(day, t === since ? since : undefined, onMember)
      if (day >= today) break
    }
    return count
  }

  private async queryDay(day: string, since: number | undefined, onMember: (m: Member) => void): Promise<number> {
    let count = 0
    let start: Item | undefined
    do {
      const page = await this.reader.send(
        new QueryCommand({
          TableName: this.tableName,
          ConsistentRead: true,
          KeyConditionExpression: since === undefined ? 'pk = :pk' : 'pk = :pk AND sk >= :since',
          ExpressionAttributeValues: { ':pk': { S: membersPk(day) }, ...(since === undefined ? {} : { ':since': { S: timeKey(since) } }) },
          ProjectionExpression: 'address, accountId',
          ExclusiveStartKey: start,
        }),
      )
      for (const item of page.Items ?? []) {
        const address = item.address?.S
        const accountId = item.accountId?.S
        if (address !== undefined && accountId !== undefined) {
          onMember({ address, accountId })
          count++
        }
      }
      start = page.LastEvaluatedKey
    } while (start)
    return count
  }

  /**
   * Backfill once if the registry is not complete (a table written by an older whohad), saying so; a
   * failure is told and leaves the registry as it was (the API's filter then never says "no").
   */
  async ensureComplete(log: (message: string) => void): Promise<void> {
    try {
      if ((await this.state()).complete) return
      log('member registry: registering the addresses of holdings written before it existed (once; a Scan of the table) …')
      const written = await this.backfill()
      log(`member registry: complete (${written} entries written); API processes may now answer never-held addresses from memory`)
    } catch (err) {
      log(`member registry: backfill failed (${(err as Error).message}); lookups keep reading the store, the next start tries again`)
    }
  }

  /**
   * Register the addresses of every holding already in the table, then mark the registry complete: once,
   * for a table written before the registry existed. A Scan (its cost grows with history), never on a
   * request path; holdings written meanwhile register themselves.
   */
  async backfill(progress?: (scanned: number) => void): Promise<number> {
    const items = await scanAll(this.client, {
      TableName: this.tableName,
      FilterExpression: 'begins_with(pk, :a)',
      ExpressionAttributeValues: { ':a': { S: ADDRESS_PK_PREFIX } },
      ProjectionExpression: 'address, holder.accountId',
    })
    progress?.(items.length)
    const members: Member[] = []
    for (const item of items) {
      const address = item.address?.S
      const accountId = item.holder?.M?.accountId?.S
      if (address !== undefined && accountId !== undefined) members.push({ address, accountId })
    }
    // In slices, so that a large table's backfill keeps a bounded number of writes in flight.
    let written = 0
    for (let i = 0; i < members.length; i += 2_500) written += await this.register(members.slice(i, i + 2_500))
    await this.markComplete()
    return written
  }
}
