// Reads and writes of holdings. Every read here costs a fixed number of requests or requests in
// proportion to its answer; every write is idempotent (deterministic keys, content from the holding
// alone), so a replayed poll or a restart after a crash leaves the table as it would have been.
import type { DynamoDBClient, QueryCommandInput, WriteRequest } from '@aws-sdk/client-dynamodb'
import type { Holding } from '../model/holding.ts'
import type { HoldingLookup, StoredHolding, StoreOperation, WindowQuery } from '../model/stored-holding.ts'
import { containingCidr, type Ip, isVpcScoped, parseIp } from '../model/ip.ts'
import { batchGet, batchWrite, type BatchOptions } from './batch.ts'
import { entriesOf, HolderDirectory } from './holder-directory.ts'
import type { Member, MemberRegistry } from './members.ts'
import { queryAll, scanAll } from './paginate.ts'
import {
  closedTwinKeys,
  holdingIdentity,
  holdingKey,
  holdingToItem,
  type Item,
  itemToHolding,
  itemToHoldings,
  pendingPieces,
  toKey,
} from './items.ts'
import {
  ADDRESS_PK_PREFIX,
  addressPk,
  eniPk,
  holderSk,
  INDEX_BY_ENI,
  INDEX_BY_TARGET,
  type Level,
  LEVELS,
  openSk,
  TARGET_OPEN_PREFIX,
  targetOpenEniPrefix,
  targetPk,
  timeKey,
} from './table.ts'

export interface HoldingStoreOptions {
  readonly tableName: string
  /** How long closed holdings are kept, for DynamoDB TTL (a store without TTL keeps them). */
  readonly retentionMs?: number
  /**
   * Prefix lengths delegated to ENIs (EKS prefix delegation uses /28 for IPv4, /80 for IPv6). A lookup
   * of an address also looks up the block of each length that contains it.
   */
  readonly delegatedPrefixLengths?: { readonly v4: readonly number[]; readonly v6: readonly number[] }
  readonly batch?: BatchOptions
  /** Where the addresses written are registered first (without it, nothing is: tests of holdings alone). */
  readonly members?: MemberRegistry
}

const DEFAULT_PREFIX_LENGTHS = { v4: [28], v6: [80] }
const TOP = '\uffff'

export class HoldingStore implements HoldingLookup {
  readonly tableName: string
  private readonly retentionMs: number | undefined
  private readonly prefixLengths: { readonly v4: readonly number[]; readonly v6: readonly number[] }
  private readonly batchOptions: BatchOptions
  private readonly members: MemberRegistry | undefined
  /** Where an ENI's open holdings are filed, and an instance's ENIs (holder-directory.ts). */
  readonly directory: HolderDirectory

  constructor(
    readonly client: DynamoDBClient,
    options: HoldingStoreOptions,
  ) {
    this.tableName = options.tableName
    this.retentionMs = options.retentionMs
    this.prefixLengths = options.delegatedPrefixLengths ?? DEFAULT_PREFIX_LENGTHS
    this.batchOptions = options.batch ?? {}
    this.members = options.members
    this.directory = new HolderDirectory(client, this.tableName, this.batchOptions)
  }

  /**
   * Apply operations: every put first, then every delete. A crash between the two leaves a closed
   * holding beside its open item, never neither; reads prefer the closed one and
   * `openHoldingsOfTarget` removes the leftover, so nothing is lost and nothing is doubled.
   *
   * A split of an open holding keeps its open item (same key) but gives it a later start, and adds
   * closed pieces that begin where it used to: a crash after some of those writes would leave the old
   * open item beside a piece of the same identity (hiding the current holder) or the new one without
   * its pieces (losing a stretch). So its writes go ahead: first the new open item carrying the pieces
   * inside it (readers see them there), then the pieces as items, then the open item without them.
   * Any state a crash leaves answers the same; `openHoldingsOfTarget` finishes an unfinished split.
   */
  async apply(operations: readonly StoreOperation[], options: { readonly settledEnis?: ReadonlySet<string> } = {}): Promise<void> {
    // Members first: an address can be read from the store only once the registry says it may be;
    // and a holding can be found by its holder only once the directory says where (holder-directory.ts).
    await Promise.all([this.members?.register(membersOf(operations)), this.directory.register(entriesOf(operations, options.settledEnis))])
    const { ahead, puts, deletes, settle } = planWrites(operations, this.retentionMs)
    await batchWrite(this.client, this.tableName, ahead, this.batchOptions)
    await batchWrite(this.client, this.tableName, puts, this.batchOptions)
    await batchWrite(this.client, this.tableName, deletes, this.batchOptions)
    await batchWrite(this.client, this.tableName, settle, this.batchOptions)
  }

  /**
   * Holdings of an address that may have held it at some time in [from, to] (their bounds overlap the
   * window), optionally narrowed to a VPC or account. Costs one query per level per address key
   * (the address and, for delegated prefixes, the blocks containing it), whatever its history.
   */
  async lookup(query: WindowQuery): Promise<StoredHolding[]> {
    return (await this.lookupWindows(query, [{ from: query.from, to: query.to }]))[0]!
  }

  /**
   * `lookup` at several windows of one address, with one read: each level is queried once over the
   * windows' union, and each window then keeps exactly the items its own query would have returned
   * (the same sort-key range), so every answer equals its own `lookup`'s. For a batch that asks about
   * one address at many nearby times.
   */
  async lookupWindows(query: Omit<WindowQuery, 'from' | 'to'>, windows: readonly { readonly from: number; readonly to: number }[]): Promise<StoredHolding[][]> {
    const from = Math.min(...windows.map((w) => w.from))
    const to = Math.max(...windows.map((w) => w.to))
    const addresses = this.addressKeys(typeof query.ip === 'string' ? parseIp(query.ip) : query.ip)
    const read = await Promise.all(
      addresses.flatMap((address) =>
        LEVELS.map(async (level) => ({ level, items: (await this.queryItems(this.levelQuery(address, level, from, to))).map((item) => ({ sk: item.sk!.S!, holdings: itemToHoldings(item) })) })),
      ),
    )
    return windows.map((w) => {
      const picked: StoredHolding[] = []
      for (const { level, items } of read) {
        const range = levelRange(level, w.from, w.to)
        for (const item of items) if (!range || (item.sk >= range.lo && item.sk <= range.hi)) picked.push(...item.holdings)
      }
      return dedupe(picked).filter(
        (h) =>
          overlaps(h, w.from, w.to) &&
          (query.vpcId === undefined || h.holder.vpcId === query.vpcId) &&
          (query.accountId === undefined || h.holder.accountId === query.accountId),
      )
    })
  }

  /** Every holding of an address (or CIDR key) overlapping [from, to], oldest start first. */
  async timeline(query: WindowQuery): Promise<StoredHolding[]> {
    const found = await this.lookup(query)
    return found.sort((a, b) => a.start.after - b.start.after || a.scope.localeCompare(b.scope))
  }

  /** The store addresses a lookup of `ip` reads: the IP and each delegated-prefix block containing it. */
  addressKeys(ip: Ip): string[] {
    // Public IPv4, most of what is asked about, sits in no delegated prefix (every lookup asks this).
    if (ip.version === 4 && !isVpcScoped(ip)) return [ip.text]
    return [ip.text, ...this.containingPrefixes(ip)]
  }

  private containingPrefixes(ip: Ip): string[] {
    // Only private IPv4 is delegated as prefixes; a public IPv4 never sits inside one.
    if (ip.version === 4) return isVpcScoped(ip) ? this.prefixLengths.v4.map((n) => containingCidr(ip, n).text) : []
    return this.prefixLengths.v6.map((n) => containingCidr(ip, n).text)
  }

  private levelQuery(address: string, level: Level, from: number, to: number): QueryCommandInput {
    const range = levelRange(level, from, to)
    return range === undefined
      ? {
          TableName: this.tableName,
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
          ExpressionAttributeValues: { ':pk': { S: addressPk(address) }, ':prefix': { S: `${level.tag}#` } },
        }
      : {
          TableName: this.tableName,
          KeyConditionExpression: 'pk = :pk AND sk BETWEEN :lo AND :hi',
          ExpressionAttributeValues: { ':pk': { S: addressPk(address) }, ':lo': { S: range.lo }, ':hi': { S: range.hi } },
        }
  }

  /**
   * The open holdings of a target: what a snapshot is diffed against. Leftovers of a crash between
   * a close's put and its delete (an open item whose closed twin exists) are deleted here, and splits
   * a crash left unfinished are finished, so a restarted collector sees exactly the holdings that are
   * still open. A close keeps the holding's start, so its twin has one of a few keys (one per level):
   * those are read for every open item, with strongly consistent reads, whenever the target is read
   * whole (when a process takes its lease, or no longer trusts what it kept).
   */
  async openHoldingsOfTarget(accountId: string, region: string): Promise<StoredHolding[]> {
    const openItems = await this.openItemsOfTarget(accountId, region)
    const unfinished = openItems.filter((item) => item.pieces !== undefined)
    if (unfinished.length > 0) {
      const { puts, settle } = planWrites(
        unfinished.map((item) => {
          const open = itemToHolding(item)
          return { kind: 'split', previous: open, pieces: pendingPieces(item), next: open }
        }),
        this.retentionMs,
      )
      await batchWrite(this.client, this.tableName, puts, this.batchOptions)
      await batchWrite(this.client, this.tableName, settle, this.batchOptions)
    }
    const open = openItems.map(itemToHolding)
    const twins = await batchGet(this.client, this.tableName, open.flatMap((h) => closedTwinKeys(h).map(toKey)), { consistent: true })
    const closedIds = new Set(twins.map(itemToHolding).filter((h) => h.end).map(holdingIdentity))
    const leftovers = open.filter((h) => closedIds.has(holdingIdentity(h)))
    if (leftovers.length > 0) {
      await batchWrite(
        this.client,
        this.tableName,
        leftovers.map((h) => ({ DeleteRequest: { Key: toKey(holdingKey(h)) } })),
        this.batchOptions,
      )
    }
    return open.filter((h) => !closedIds.has(holdingIdentity(h)))
  }

  /**
   * Open holdings by (address, scope, ENI), with strongly consistent reads of their items: what a
   * collector that keeps a target's open holdings in memory reads of the few a poll may change. One
   * BatchGetItem per 100; a key with no open item is left out.
   */
  async openHoldingsByKey(keys: readonly { readonly address: string; readonly scope: string; readonly eniId: string }[]): Promise<StoredHolding[]> {
    if (keys.length === 0) return []
    const items = await batchGet(this.client, this.tableName, keys.map((k) => toKey({ pk: addressPk(k.address), sk: openSk(k.scope, k.eniId) })), { consistent: true })
    return items.map(itemToHolding)
  }

  /** The open holdings of a target as stored, without crash repair: for readers such as the API. */
  async currentOfTarget(accountId: string, region: string): Promise<StoredHolding[]> {
    // Each open item's own holding: the closed pieces of an unfinished split inside it are not current.
    return (await this.openItemsOfTarget(accountId, region)).map(itemToHolding)
  }

  /** The open items of a target (or of one of its ENIs), from the byTarget index, where only open holdings are. */
  private openItemsOfTarget(accountId: string, region: string, eniId?: string): Promise<Item[]> {
    return this.queryItems({
      TableName: this.tableName,
      IndexName: INDEX_BY_TARGET,
      KeyConditionExpression: 'tpk = :tpk AND begins_with(tsk, :p)',
      ExpressionAttributeValues: { ':tpk': { S: targetPk(accountId, region) }, ':p': { S: eniId === undefined ? TARGET_OPEN_PREFIX : targetOpenEniPrefix(eniId) } },
    })
  }

  /**
   * Holdings of these ENIs closed at `since` or later (by when they were closed): what an AWS Config
   * pass may refine. One query of the byEni index per ENI.
   */
  async closedOfEnis(eniIds: readonly string[], since: number): Promise<StoredHolding[]> {
    const read = await Promise.all([...new Set(eniIds)].map((eniId) => this.closedOfEni(eniId)))
    return read.flat().filter((h) => h.end && (h.closedAt ?? h.end.by) >= since)
  }

  /** Every closed holding of an ENI (and, in a table written by an earlier version, its open ones too). */
  private closedOfEni(eniId: string): Promise<StoredHolding[]> {
    return this.queryAll({
      TableName: this.tableName,
      IndexName: INDEX_BY_ENI,
      KeyConditionExpression: 'epk = :pk',
      ExpressionAttributeValues: { ':pk': { S: eniPk(eniId) } },
    })
  }

  /**
   * Every address an ENI held, oldest first: its closed holdings by ENI, and its open ones in its
   * target, which the holder directory names (its entry is written with the ENI's first holding; an
   * ENI whose first holding an earlier version wrote has none, but its holdings in `byEni` say it).
   */
  async holdingsOfEni(eniId: string): Promise<StoredHolding[]> {
    const [closed, entry] = await Promise.all([this.closedOfEni(eniId), this.directory.targetOfEni(eniId)])
    const where = entry ?? closed[0]?.holder
    const open = where ? (await this.openItemsOfTarget(where.accountId, where.region, eniId)).flatMap(itemToHoldings) : []
    return holderOrder(dedupe([...closed, ...open]))
  }

  /**
   * Every address an instance's ENIs held while attached to it, oldest first: the ENIs the holder
   * directory lists for it, and `knownEnis` (its record's, which also covers holdings written before
   * the directory was).
   */
  async holdingsOfInstance(instanceId: string, knownEnis: readonly string[] = []): Promise<StoredHolding[]> {
    const enis = new Set([...(await this.directory.enisOfInstance(instanceId)), ...knownEnis])
    const read = await Promise.all([...enis].map((eniId) => this.holdingsOfEni(eniId)))
    return holderOrder(dedupe(read.flat().filter((h) => h.holder.instanceId === instanceId)))
  }

  /** Every holding the items a query matches store, pieces of unfinished splits included. */
  private async queryAll(input: QueryCommandInput): Promise<StoredHolding[]> {
    return (await this.queryItems(input)).flatMap(itemToHoldings)
  }

  private queryItems(input: QueryCommandInput): Promise<Item[]> {
    return queryAll(this.client, input)
  }

  /**
   * Every holding in the table (pieces of unfinished splits included, a crash's leftovers not yet
   * removed too), address by address: a Scan, for the demo's tour and the ground-truth check, never
   * on a request path.
   */
  async everyHolding(): Promise<StoredHolding[]> {
    const items = await scanAll(this.client, {
      TableName: this.tableName,
      FilterExpression: 'begins_with(pk, :a)',
      ExpressionAttributeValues: { ':a': { S: ADDRESS_PK_PREFIX } },
    })
    return sortByKey(items).flatMap(itemToHoldings)
  }

  /** Every item in the table, in key order: for tests and exports, never on a request path. */
  async scanAll(): Promise<Item[]> {
    return sortByKey(await scanAll(this.client, { TableName: this.tableName }))
  }
}

/**
 * The (address, account) pairs operations write new holdings of: opens, and closed holdings recorded
 * from AWS Config. A close, a refinement or a split rewrites a holding that is already stored, so its
 * address was registered before that holding was first written; registering it again would cost a
 * write per change for nothing (a process forgets what it registered when it restarts).
 */
export function membersOf(operations: readonly StoreOperation[]): Member[] {
  return operations.flatMap((op) => (op.kind === 'open' || op.kind === 'record' ? [{ address: op.holding.address, accountId: op.holding.holder.accountId }] : []))
}

function sortByKey(items: Item[]): Item[] {
  const key = (i: Item) => `${i.pk?.S}\n${i.sk?.S}`
  return items.sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0))
}

/**
 * The writes that carry out operations, in four phases, each finished before the next begins: open
 * items written ahead with the pieces of their split inside, puts, deletes, and those open items
 * settled without their pieces. Pure.
 */
export function planWrites(
  operations: readonly StoreOperation[],
  retentionMs?: number,
): { ahead: WriteRequest[]; puts: WriteRequest[]; deletes: WriteRequest[]; settle: WriteRequest[] } {
  const ahead = new Map<string, Item>()
  const puts = new Map<string, Item>()
  const deletes = new Map<string, { pk: string; sk: string }>()
  const settle = new Map<string, Item>()
  const keyText = (k: { pk: string; sk: string }) => `${k.pk}\n${k.sk}`
  // Later operations win: a key written then deleted is deleted, deleted then written is written.
  // An item written ahead is only ever rewritten after the pieces are down, in the last phase.
  const put = (k: { pk: string; sk: string }, item: Item) => {
    deletes.delete(keyText(k))
    if (ahead.has(keyText(k))) settle.set(keyText(k), item)
    else puts.set(keyText(k), item)
  }
  const del = (k: { pk: string; sk: string }) => {
    puts.delete(keyText(k))
    settle.delete(keyText(k))
    deletes.set(keyText(k), k)
  }
  for (const op of operations) {
    if (op.kind === 'open') {
      if (op.holding.end) throw new Error(`open of ${holdingIdentity(op.holding)} has an end bound`)
      put(holdingKey(op.holding), holdingToItem(op.holding, retentionMs))
    } else if (op.kind === 'record') {
      if (!op.holding.end) throw new Error(`record of ${holdingIdentity(op.holding)} has no end bound`)
      put(holdingKey(op.holding), holdingToItem({ ...op.holding, closedAt: op.closedAt }, retentionMs))
    } else if (op.kind === 'close') {
      if (!op.holding.end) throw new Error(`close of ${holdingIdentity(op.holding)} has no end bound`)
      put(holdingKey(op.holding), holdingToItem({ ...op.holding, closedAt: op.closedAt }, retentionMs))
      del(holdingKey({ ...op.holding, end: undefined }))
    } else if (op.kind === 'refine') {
      replace(op.previous, op.next)
    } else {
      const pieces = op.pieces.map((p): StoredHolding => {
        if (!p.end) throw new Error(`split of ${holdingIdentity(op.previous)} has a piece with no end bound`)
        return { ...p, closedAt: (p as StoredHolding).closedAt ?? p.end.by }
      })
      if (!op.previous.end && !op.next.end) {
        // The open item keeps its key: written ahead with the pieces inside, settled without them.
        const k = holdingKey(op.next)
        puts.delete(keyText(k))
        deletes.delete(keyText(k))
        ahead.set(keyText(k), holdingToItem(op.next, retentionMs, pieces))
        settle.set(keyText(k), holdingToItem(op.next, retentionMs))
      } else {
        // Closed pieces and a closed rest: readers prefer the pieces over the old item meanwhile. The
        // old item goes first: the first piece may have its very key (same level, same start), and a
        // later put of that key must cancel the delete, not the other way round.
        replace(op.previous, op.next)
      }
      for (const p of pieces) put(holdingKey(p), holdingToItem(p, retentionMs))
    }
  }
  return {
    ahead: [...ahead.values()].map((Item) => ({ PutRequest: { Item } })),
    puts: [...puts.values()].map((Item) => ({ PutRequest: { Item } })),
    deletes: [...deletes.values()].map((k) => ({ DeleteRequest: { Key: toKey(k) } })),
    settle: [...settle.values()].map((Item) => ({ PutRequest: { Item } })),
  }

  /** Write `next` in place of `previous` (another key when its level or start changed). */
  function replace(previous: Holding, nextHolding: Holding) {
    const next = holdingKey(nextHolding)
    const closedAt = (previous as StoredHolding).closedAt
    const stored: StoredHolding = nextHolding.end && closedAt !== undefined ? { ...nextHolding, closedAt } : nextHolding
    const prev = holdingKey(previous)
    if (keyText(prev) !== keyText(next)) del(prev)
    put(next, holdingToItem(stored, retentionMs))
  }
}

/**
 * The sort keys of a level that a lookup of [from, to] reads: within a level a holding lasts at most
 * `maxSpan`, so one overlapping the window started in [from - maxSpan, to]. The last level: all of it.
 */
function levelRange(level: Level, from: number, to: number): { lo: string; hi: string } | undefined {
  if (level.maxSpan === Number.POSITIVE_INFINITY) return undefined
  return { lo: `${level.tag}#${timeKey(from - level.maxSpan)}`, hi: `${level.tag}#${timeKey(to)}#${TOP}` }
}

/** A holder's holdings in the order the byEni index keeps them: by start, then address and scope. */
function holderOrder(holdings: StoredHolding[]): StoredHolding[] {
  const key = (h: StoredHolding) => holderSk(h.start.after, h.address, h.scope)
  return holdings.sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0))
}

function overlaps(h: Holding, from: number, to: number): boolean {
  return h.start.after <= to && (h.end === undefined || h.end.by >= from)
}

/**
 * One entry per holding. A closed item outranks an open one left behind by an interrupted close; of two
 * closed ones, the one that ends first is the later word (a refinement only narrows, a split piece ends
 * before the item it was cut from, and a crash may leave the old item beside either).
 */
function dedupe(holdings: StoredHolding[]): StoredHolding[] {
  const byId = new Map<string, StoredHolding>()
  for (const h of holdings) {
    const id = holdingIdentity(h)
    const seen = byId.get(id)
    if (!seen || (!seen.end && h.end) || (seen.end && h.end && h.end.by < seen.end.by)) byId.set(id, h)
  }
  return [...byId.values()].sort((a, b) => a.start.after - b.start.after)
}
