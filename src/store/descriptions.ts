// Descriptions as AWS gave them (model/description.ts): per target and kind, the SDK's object for each
// instance, ENI and Elastic IP from the target's last complete poll, one item per resource, written only
// when its content hash changes. A resource a complete poll no longer lists is moved from the current
// part of its partition to the removed part, with the time it was last seen, and kept for history until
// the retention TTL, as closed holdings are. Keys: table.ts; costs: docs/table-design.md.
//
// An instance's item also keeps its reservation (without the reservation's Instances) as `context`,
// so that `reservations` gives DescribeInstances' own shape back.
//
// The body is stored as JSON text. The SDK's objects are plain data but for Date members (LaunchTime,
// AttachTime, …): each is written as `{"$date": "<ISO 8601>"}` and read back as a Date, so that what
// `list` and `get` return is the SDK's object as the SDK parsed it, whatever member holds a date.
import type { Address, Instance, NetworkInterface, Reservation } from '@aws-sdk/client-ec2'
import { type AttributeValue, type DynamoDBClient, GetItemCommand, QueryCommand } from '@aws-sdk/client-dynamodb'
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb'
import { type Description, DESCRIPTION_KINDS, type DescriptionKind, type DescriptionSet } from '../model/description.ts'
import type { Target } from '../model/target.ts'
import { batchGet, batchWrite, type BatchOptions } from './batch.ts'
import { contentHash } from './content-hash.ts'
import type { Key } from './items.ts'
import { type DescriptionPart, descriptionPk, descriptionSk, descriptionSkPrefix, TTL_ATTRIBUTE } from './table.ts'

/** The SDK's type of each kind's description. */
export interface DescriptionOf {
  readonly instance: Instance
  readonly 'network-interface': NetworkInterface
  readonly address: Address
}

export interface DescriptionStoreOptions {
  readonly tableName: string
  /** How long a removed description is kept, for DynamoDB TTL (a store without TTL keeps it). */
  readonly retentionMs?: number
  readonly batch?: BatchOptions
}

export interface DescriptionPoll {
  /** The poll's start: the `lastSeen` of what it writes. */
  readonly seenAt: number
  /** The poll's end: what it no longer lists was removed by then. */
  readonly removedAt: number
  /** Start of the target's previous complete poll, which still listed what this one misses. */
  readonly lastCompletePoll?: number | undefined
}

/** Per kind, a digest of (id, content hash) of every current description: what a poll compares first. */
export type DescriptionDigests = Partial<Record<DescriptionKind, string>>

export interface DescriptionSync {
  /** Descriptions written: new or changed, and removed (each removal is a put and a delete). */
  readonly written: number
  readonly removed: number
  /** The digests of what is now stored, for the target's state. */
  readonly digests: DescriptionDigests
  /** Per kind, the (id → hash) of what is now stored as current: what a caller may keep as `known`. */
  readonly current: KnownDescriptions
}

/** Per kind, each current description's id and content hash, as a caller last read or wrote them. */
export type KnownDescriptions = ReadonlyMap<DescriptionKind, ReadonlyMap<string, string>>

/** A removed resource's last description, kept for history. */
export interface RemovedDescription<K extends DescriptionKind> {
  readonly description: DescriptionOf[K]
  /** Start of the last complete poll that listed it. */
  readonly lastSeen: number
  /** End of the first complete poll that no longer listed it: it went in (lastSeen, removedAt]. */
  readonly removedAt: number
}

/** What a poll compares with: each current description's hash and lastSeen, and the body of those it will remove. */
export interface StoredHash {
  readonly hash: string
  readonly lastSeen: number
}

type Item = Record<string, AttributeValue>

export class DescriptionStore {
  readonly tableName: string
  private readonly retentionMs: number | undefined
  private readonly batchOptions: BatchOptions

  constructor(
    readonly client: DynamoDBClient,
    options: DescriptionStoreOptions,
  ) {
    this.tableName = options.tableName
    this.retentionMs = options.retentionMs
    this.batchOptions = options.batch ?? {}
  }

  /**
   * Bring a target's descriptions in line with a complete poll's (only a complete poll may be given:
   * only it proves a resource gone). A kind whose digest equals `previous` (the target's state) is
   * unchanged and costs no request at all; any other kind is read (its current part) and only what
   * differs is written. With `known` (what the caller kept of a kind's current descriptions: the
   * collector keeps it between polls), only the descriptions the poll removes are read, by key.
   */
  async sync(target: Target, seen: DescriptionSet, poll: DescriptionPoll, previous: DescriptionDigests = {}, known?: KnownDescriptions): Promise<DescriptionSync> {
    let written = 0
    let removed = 0
    const digests: Record<string, string> = {}
    const current = new Map<DescriptionKind, ReadonlyMap<string, string>>()
    // Each kind in its own partition, side by side.
    await Promise.all(
      DESCRIPTION_KINDS.map(async (kind) => {
        const hashed = seen[kind].map((d) => ({ ...d, hash: descriptionHash(d) }))
        const digest = setDigest(hashed)
        digests[kind] = digest
        if (previous[kind] === digest) {
          // Equal digests, equal stored content: what is stored is what was seen.
          current.set(kind, known?.get(kind) ?? new Map(hashed.map((d) => [d.id, d.hash])))
          return
        }
        const changes = await this.syncKind(target, kind, hashed, poll, known?.get(kind))
        written += changes.written
        removed += changes.removed
        current.set(kind, changes.current)
      }),
    )
    return { written, removed, digests, current }
  }

  /** The current descriptions of one kind in one target, as the SDK returns them, in id order. */
  async list<K extends DescriptionKind>(kind: K, accountId: string, region: string): Promise<DescriptionOf[K][]> {
    const out: DescriptionOf[K][] = []
    await this.readPart(accountId, region, kind, 'current', (item) => {
      out.push(decodeBody(item.body!.S!) as DescriptionOf[K])
    })
    return out
  }

  /**
   * The current instances of a target in their reservations, as DescribeInstances lists them: one
   * Reservation per ReservationId (instances in id order, reservations in the order of their first
   * instance id). An instance stored without its reservation is left out.
   */
  async reservations(accountId: string, region: string): Promise<Reservation[]> {
    const out = new Map<string, Reservation & { Instances: Instance[] }>()
    await this.readPart(accountId, region, 'instance', 'current', (item) => {
      if (item.context?.S === undefined) return
      const reservation = decodeBody(item.context.S) as Omit<Reservation, 'Instances'>
      const key = reservation.ReservationId ?? ''
      const group = out.get(key) ?? { ...reservation, Instances: [] }
      group.Instances.push(decodeBody(item.body!.S!) as Instance)
      out.set(key, group)
    })
    return [...out.values()]
  }

  /** One current description by id (a consistent read), or undefined if the last complete poll did not list it. */
  async get<K extends DescriptionKind>(kind: K, accountId: string, region: string, id: string): Promise<DescriptionOf[K] | undefined> {
    const item = await this.getItem(accountId, region, kind, 'current', id)
    return item ? (decodeBody(item.body!.S!) as DescriptionOf[K]) : undefined
  }

  /** A removed resource's last description, while retention keeps it. */
  async removed<K extends DescriptionKind>(kind: K, accountId: string, region: string, id: string): Promise<RemovedDescription<K> | undefined> {
    const item = await this.getItem(accountId, region, kind, 'removed', id)
    if (!item) return undefined
    const { lastSeen, removedAt } = unmarshall(item) as { lastSeen: number; removedAt: number }
    return { description: decodeBody(item.body!.S!) as DescriptionOf[K], lastSeen, removedAt }
  }

  private async syncKind(target: Target, kind: DescriptionKind, seen: readonly HashedDescription[], poll: DescriptionPoll, known?: ReadonlyMap<string, string>) {
    const seenIds = new Set(seen.map((d) => d.id))
    const pk = descriptionPk(target.accountId, target.region, kind)
    let stored = new Map<string, StoredHash>()
    // Bodies are kept only of what this poll no longer lists (to move them): memory stays one page.
    const leaving = new Map<string, { body: string; context: string | undefined }>()
    const take = (item: Item) => {
      const id = item.id!.S!
      stored.set(id, { hash: item.hash!.S!, lastSeen: Number(item.lastSeen!.N!) })
      if (!seenIds.has(id)) leaving.set(id, { body: item.body!.S!, context: item.context?.S })
    }
    const gone = known ? [...known.keys()].filter((id) => !seenIds.has(id)) : []
    const read = known ? await batchGet(this.client, this.tableName, gone.map((id) => marshall({ pk, sk: descriptionSk('current', id) }) as Key), { consistent: true }) : []
    if (known && read.length === gone.length && read.every((item) => known.get(item.id!.S!) === item.hash!.S!)) {
      // Only the leaving ones' lastSeen and bodies are used; the others' hashes are known.
      for (const [id, hash] of known) stored.set(id, { hash, lastSeen: 0 })
      read.forEach(take)
    } else {
      stored = new Map()
      leaving.clear()
      await this.readPart(target.accountId, target.region, kind, 'current', take)
    }
    const plan = planDescriptionWrites(stored, seen)
    const puts = plan.puts.map((d) => ({
      PutRequest: {
        Item: marshall(
          {
            pk,
            sk: descriptionSk('current', d.id),
            kind: 'description',
            type: kind,
            id: d.id,
            hash: d.hash,
            lastSeen: poll.seenAt,
            body: encodeBody(d.body),
            context: d.context !== undefined ? encodeBody(d.context) : undefined,
          },
          { removeUndefinedValues: true },
        ),
      },
    }))
    const moves = plan.removed.map((id) => {
      const was = stored.get(id)!
      return {
        PutRequest: {
          Item: marshall(
            {
              pk,
              sk: descriptionSk('removed', id),
              kind: 'description',
              type: kind,
              id,
              hash: was.hash,
              // It was unchanged since it was written, so every complete poll up to the previous one listed it.
              lastSeen: Math.max(was.lastSeen, poll.lastCompletePoll ?? was.lastSeen),
              removedAt: poll.removedAt,
              ...leaving.get(id)!,
              [TTL_ATTRIBUTE]: this.retentionMs !== undefined ? Math.ceil((poll.removedAt + this.retentionMs) / 1000) : undefined,
            },
            { removeUndefinedValues: true },
          ),
        },
      }
    })
    // The removed copy is written before the current one is deleted: a crash in between leaves it
    // current, and the replayed poll moves it again (the same item), never losing it.
    await batchWrite(this.client, this.tableName, [...puts, ...moves], this.batchOptions)
    const deletes = plan.removed.map((id) => ({ DeleteRequest: { Key: marshall({ pk, sk: descriptionSk('current', id) }) } }))
    await batchWrite(this.client, this.tableName, deletes, this.batchOptions)
    const current = new Map([...stored].map(([id, h]) => [id, h.hash]))
    for (const d of plan.puts) current.set(d.id, d.hash)
    for (const id of plan.removed) current.delete(id)
    return { written: plan.puts.length + plan.removed.length, removed: plan.removed.length, current }
  }

  private async readPart(accountId: string, region: string, kind: DescriptionKind, part: DescriptionPart, each: (item: Item) => void): Promise<void> {
    let start: Item | undefined
    do {
      const page = await this.client.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :p)',
          ExpressionAttributeValues: { ':pk': { S: descriptionPk(accountId, region, kind) }, ':p': { S: descriptionSkPrefix(part) } },
          ConsistentRead: true,
          ExclusiveStartKey: start,
        }),
      )
      for (const item of page.Items ?? []) each(item)
      start = page.LastEvaluatedKey
    } while (start)
  }

  private async getItem(accountId: string, region: string, kind: DescriptionKind, part: DescriptionPart, id: string): Promise<Item | undefined> {
    const out = await this.client.send(
      new GetItemCommand({
        TableName: this.tableName,
        Key: marshall({ pk: descriptionPk(accountId, region, kind), sk: descriptionSk(part, id) }),
        ConsistentRead: true,
      }),
    )
    return out.Item
  }
}

export interface HashedDescription extends Description {
  readonly hash: string
}

/**
 * What a poll writes of one kind. Pure. A seen description is put when it is new or its hash differs
 * from the stored one; a stored one the poll does not list is removed. Replaying a poll plans nothing.
 */
export function planDescriptionWrites(stored: ReadonlyMap<string, StoredHash>, seen: readonly HashedDescription[]): { puts: HashedDescription[]; removed: string[] } {
  const seenIds = new Set(seen.map((d) => d.id))
  return {
    puts: seen.filter((d) => stored.get(d.id)?.hash !== d.hash),
    removed: [...stored.keys()].filter((id) => !seenIds.has(id)),
  }
}

/** A description's content hash: its body and what it was listed within. */
export function descriptionHash(d: Description): string {
  return contentHash(d.context === undefined ? d.body : { body: d.body, context: d.context })
}

/** A digest of a kind's (id, hash) pairs, whatever their order: equal digests, equal stored content. */
export function setDigest(hashed: readonly { readonly id: string; readonly hash: string }[]): string {
  return contentHash(hashed.map((d) => `${d.id}:${d.hash}`).sort())
}

/** JSON text, each Date written as `{"$date": ISO}` (JSON.stringify hands the replacer its ISO text; `this[key]` is still the Date). */
export function encodeBody(body: object): string {
  return JSON.stringify(body, function (this: Record<string, unknown>, key: string, value: unknown) {
    return this[key] instanceof Date ? { $date: value } : value
  })
}

export function decodeBody(text: string): object {
  return JSON.parse(text, (_key, value: unknown) => {
    if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
      const v = value as Record<string, unknown>
      if (typeof v.$date === 'string' && Object.keys(v).length === 1) return new Date(v.$date)
    }
    return value
  }) as object
}
