// Instance records (model/instance.ts), one item per instance, written only when they change: a poll
// compares each record's content hash (everything but `lastSeen`) with the stored one, so a steady poll
// of an unchanged fleet writes nothing here, and a target's state item (one write per poll) is what
// says a listed instance was still listed (see targets.ts). An instance a complete poll no longer lists
// is marked gone and kept for history (until the retention TTL), never deleted. Keys: table.ts.
import { type AttributeValue, type DynamoDBClient, GetItemCommand, QueryCommand, type QueryCommandInput } from '@aws-sdk/client-dynamodb'
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb'
import type { InstanceRecord } from '../model/instance.ts'
import { batchGet, batchWrite, type BatchOptions } from './batch.ts'
import type { Key } from './items.ts'
import { contentHash } from './content-hash.ts'
import {
  INDEX_BY_TARGET,
  INSTANCE_SK,
  type InstancePart,
  instancePk,
  targetInstancePrefix,
  targetInstanceTsk,
  targetPk,
  TTL_ATTRIBUTE,
} from './table.ts'

export interface InstanceStoreOptions {
  readonly tableName: string
  /** How long a gone instance's record is kept, for DynamoDB TTL (a store without TTL keeps it). */
  readonly retentionMs?: number
  readonly batch?: BatchOptions
}

/** A record as stored, with the hash of its content it was written with. */
export interface StoredInstance {
  readonly record: InstanceRecord
  readonly hash: string
}

export interface InstancePoll {
  /** The poll's end: a record it no longer lists went by then. */
  readonly goneAt: number
  /** Start of the target's previous complete poll, which still listed what this one misses. */
  readonly lastCompletePoll?: number | undefined
}

export interface InstancePage {
  readonly records: InstanceRecord[]
  /** Where the next page of this target starts (an opaque key), when there may be more. */
  readonly next?: string
}

type Item = Record<string, AttributeValue>

export class InstanceStore {
  readonly tableName: string
  private readonly retentionMs: number | undefined
  private readonly batchOptions: BatchOptions

  constructor(
    readonly client: DynamoDBClient,
    options: InstanceStoreOptions,
  ) {
    this.tableName = options.tableName
    this.retentionMs = options.retentionMs
    this.batchOptions = options.batch ?? {}
  }

  /**
   * Bring a target's records in line with a complete poll's: write what changed, mark gone what it no
   * longer lists. Only a complete poll may be given (only it proves absence). Returns the writes made.
   */
  async sync(target: { readonly accountId: string; readonly region: string }, seen: readonly InstanceRecord[], poll: InstancePoll): Promise<number> {
    return (await this.syncKnown(target, seen, poll)).written
  }

  /**
   * `sync`, given what is known of the target's listed records (id → hash, as the caller last read or
   * wrote them: the collector keeps it between polls): only the records the poll may change are read,
   * by key. Falls back to reading the listed part when those disagree with `known`. Returns the writes
   * made and the listed records' hashes after them.
   */
  async syncKnown(target: { readonly accountId: string; readonly region: string }, seen: readonly InstanceRecord[], poll: InstancePoll, known?: ReadonlyMap<string, string>): Promise<{ written: number; listed: Map<string, string> }> {
    let plan: { stored: readonly StoredInstance[]; seen: readonly InstanceRecord[]; listed: Map<string, string> } | undefined
    if (known) {
      const seenHash = new Map(seen.map((r) => [r.instanceId, instanceHash(r)]))
      const changing = new Set([...known].filter(([id, hash]) => seenHash.get(id) !== hash).map(([id]) => id))
      const read = await this.getMany([...changing])
      // A record seen with the hash it has is left alone by planInstanceWrites: it need not be read.
      if (read.length === changing.size && read.every((r) => r.record.gone === undefined && known.get(r.record.instanceId) === r.hash)) {
        plan = { stored: read, seen: seen.filter((r) => !known.has(r.instanceId) || changing.has(r.instanceId)), listed: new Map(known) }
      }
    }
    if (!plan) {
      const stored = await this.listedOfTarget(target.accountId, target.region)
      plan = { stored, seen, listed: new Map(stored.map((s) => [s.record.instanceId, s.hash])) }
    }
    const puts = planInstanceWrites(plan.stored, plan.seen, poll)
    await batchWrite(this.client, this.tableName, puts.map((r) => ({ PutRequest: { Item: instanceToItem(r, this.retentionMs) } })), this.batchOptions)
    for (const r of puts) {
      if (r.gone === undefined) plan.listed.set(r.instanceId, instanceHash(r))
      else plan.listed.delete(r.instanceId)
    }
    return { written: puts.length, listed: plan.listed }
  }

  /** Records by id with consistent reads (one BatchGetItem per 100); an id with no record is left out. */
  private async getMany(ids: readonly string[]): Promise<StoredInstance[]> {
    if (ids.length === 0) return []
    return (await batchGet(this.client, this.tableName, ids.map((id) => marshall({ pk: instancePk(id), sk: INSTANCE_SK }) as Key), { consistent: true })).map(itemToStored)
  }

  /**
   * The listed (not gone) records of a target with their hashes: what a poll is compared with. The
   * byTarget index is eventually consistent, as for open holdings: a read that lags a write can only
   * make the poll write a record again, unless a record changed and changed back within the lag.
   */
  async listedOfTarget(accountId: string, region: string): Promise<StoredInstance[]> {
    const out: StoredInstance[] = []
    let next: string | undefined
    do {
      const page = await this.queryPart(accountId, region, 'listed', next, undefined)
      out.push(...page.items.map(itemToStored))
      next = page.next
    } while (next)
    return out
  }

  /** Up to `limit` records of one part of a target (or both), in instance id order within each part. */
  async pageOfTarget(accountId: string, region: string, part: InstancePart | 'all', options: { readonly after?: string; readonly limit: number }): Promise<InstancePage> {
    const page = await this.queryPart(accountId, region, part, options.after, options.limit)
    return { records: page.items.map((i) => itemToStored(i).record), ...(page.next ? { next: page.next } : {}) }
  }

  /** One instance's record by id (a consistent read), gone or not. */
  async get(instanceId: string): Promise<InstanceRecord | undefined> {
    const out = await this.client.send(
      new GetItemCommand({ TableName: this.tableName, Key: marshall({ pk: instancePk(instanceId), sk: INSTANCE_SK }), ConsistentRead: true }),
    )
    return out.Item ? itemToStored(out.Item).record : undefined
  }

  private async queryPart(accountId: string, region: string, part: InstancePart | 'all', after: string | undefined, limit: number | undefined) {
    const tpk = targetPk(accountId, region)
    const input: QueryCommandInput = {
      TableName: this.tableName,
      IndexName: INDEX_BY_TARGET,
      KeyConditionExpression: 'tpk = :tpk AND begins_with(tsk, :p)',
      ExpressionAttributeValues: { ':tpk': { S: tpk }, ':p': { S: targetInstancePrefix(part) } },
      ...(limit !== undefined ? { Limit: limit } : {}),
      // The index's key is the item's table key and its index key: rebuilt from the last index key.
      ...(after !== undefined ? { ExclusiveStartKey: marshall({ pk: instancePk(after.slice(after.lastIndexOf('#') + 1)), sk: INSTANCE_SK, tpk, tsk: after }) } : {}),
    }
    const page = await this.client.send(new QueryCommand(input))
    const last = page.LastEvaluatedKey?.tsk?.S
    return { items: page.Items ?? [], ...(last !== undefined ? { next: last } : {}) }
  }
}

/**
 * The records a poll writes. Pure. A seen record is written when it is new or its content differs from
 * what is stored (by hash); a listed one the poll misses is written once more, gone, its `lastSeen`
 * moved to the previous complete poll (which still listed it), so that it went in (lastSeen, gone].
 * Replaying a poll writes nothing: its records are what it stored.
 */
export function planInstanceWrites(stored: readonly StoredInstance[], seen: readonly InstanceRecord[], poll: InstancePoll): InstanceRecord[] {
  const byId = new Map(stored.map((s) => [s.record.instanceId, s]))
  const puts: InstanceRecord[] = []
  const seenIds = new Set<string>()
  for (const r of seen) {
    if (seenIds.has(r.instanceId)) continue
    seenIds.add(r.instanceId)
    const previous = byId.get(r.instanceId)
    const next = carryPlacement(previous?.record, r)
    if (!previous || previous.record.gone !== undefined || previous.hash !== instanceHash(next)) puts.push(next)
  }
  for (const { record } of stored) {
    if (seenIds.has(record.instanceId) || record.gone !== undefined) continue
    puts.push({ ...record, lastSeen: Math.max(record.lastSeen, poll.lastCompletePoll ?? record.lastSeen), gone: poll.goneAt })
  }
  return puts
}

/**
 * EC2 stops stating a terminated instance's subnet and VPC (its ENIs are gone), but where it ran does
 * not change: keep what was stored rather than forget it, so that a VPC filter still finds it.
 */
function carryPlacement(previous: InstanceRecord | undefined, next: InstanceRecord): InstanceRecord {
  if (!previous) return next
  const carried = {
    ...(next.subnetId === undefined && previous.subnetId !== undefined ? { subnetId: previous.subnetId } : {}),
    ...(next.vpcId === undefined && previous.vpcId !== undefined ? { vpcId: previous.vpcId } : {}),
    ...(next.availabilityZone === undefined && previous.availabilityZone !== undefined ? { availabilityZone: previous.availabilityZone } : {}),
  }
  return Object.keys(carried).length === 0 ? next : { ...next, ...carried }
}

/** The hash of a record's content: every field but `lastSeen` and `gone`, in a canonical order. */
export function instanceHash(record: InstanceRecord): string {
  const { lastSeen: _lastSeen, gone: _gone, ...content } = record
  return contentHash(content)
}

/** The item a record is stored as. Its content is a function of the record alone, so a replay rewrites it identically. */
export function instanceToItem(record: InstanceRecord, retentionMs?: number): Item {
  const part: InstancePart = record.gone === undefined ? 'listed' : 'gone'
  return marshall(
    {
      pk: instancePk(record.instanceId),
      sk: INSTANCE_SK,
      tpk: targetPk(record.accountId, record.region),
      tsk: targetInstanceTsk(part, record.instanceId),
      kind: 'instance',
      hash: instanceHash(record),
      record,
      [TTL_ATTRIBUTE]: record.gone !== undefined && retentionMs !== undefined ? Math.ceil((record.gone + retentionMs) / 1000) : undefined,
    },
    { removeUndefinedValues: true },
  )
}

function itemToStored(item: Item): StoredInstance {
  const { record, hash } = unmarshall(item) as { record: InstanceRecord; hash: string }
  return { record, hash }
}
