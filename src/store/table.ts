// The one definition of whohad's DynamoDB table: key schema, indexes and every key the code builds.
// docs/table-design.md explains the reasoning; deploy/ templates are checked against this file.
import type { CreateTableCommandInput, Projection } from '@aws-sdk/client-dynamodb'
import type { StoredHolding } from '../model/stored-holding.ts'
import { DAY, HOUR } from '../model/time.ts'

export const INDEX_BY_TARGET = 'byTarget'
export const INDEX_BY_ENI = 'byEni'
/**
 * An index of holdings by instance that tables created by earlier versions have: nothing reads it and
 * no item written now is filed in it (an instance's holdings are its ENIs', see `holderDirectoryKeys`).
 */
export const RETIRED_INDEX_BY_INSTANCE = 'byInstance'

/**
 * What each index carries besides the keys (every index has the table's and its own): what its
 * readers use. DynamoDB bills an index write by the size of what it projects (1 unit per KB, at least
 * 1), so a holding near 1 KB costs 2 units in an index that projects all of it and 1 in one that
 * leaves out the other indexes' keys, `state` and `expiresAt`.
 *
 * - byTarget: every attribute. Its readers read whole items of three kinds (a target's open holdings,
 *   the list of target states, a target's instance records), and a list would make every new
 *   target-state field an index rebuild, during which collectors cannot read.
 * - byEni: a holding's fields, for the ENI and instance routes. The list is checked against the type
 *   (`satisfies`): a field added to a holding and not projected would come back missing from those
 *   routes, so it fails to compile.
 */
const HOLDING_ATTRIBUTES = Object.keys({
  address: true, addressKind: true, scope: true, holder: true, start: true, end: true, closedAt: true,
} satisfies Record<keyof StoredHolding, true>)

/** A holding's item also carries the closed pieces of a split not yet finished (store/items.ts); every read expands them. */
const HOLDER_INDEX_ATTRIBUTES = [...HOLDING_ATTRIBUTES, 'pieces'].sort()

/** Each index's projection; `undefined`: every attribute. */
export const INDEX_PROJECTIONS: Readonly<Record<string, readonly string[] | undefined>> = {
  [INDEX_BY_TARGET]: undefined,
  [INDEX_BY_ENI]: HOLDER_INDEX_ATTRIBUTES,
}

function projectionOf(indexName: string): Projection {
  const attributes = INDEX_PROJECTIONS[indexName]
  return attributes ? { ProjectionType: 'INCLUDE', NonKeyAttributes: [...attributes] } : { ProjectionType: 'ALL' }
}

export function tableDefinition(tableName: string): CreateTableCommandInput {
  const index = (name: string, pk: string, sk: string) => ({
    IndexName: name,
    KeySchema: [
      { AttributeName: pk, KeyType: 'HASH' as const },
      { AttributeName: sk, KeyType: 'RANGE' as const },
    ],
    Projection: projectionOf(name),
  })
  return {
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: ['pk', 'sk', 'tpk', 'tsk', 'epk', 'esk'].map((name) => ({
      AttributeName: name,
      AttributeType: 'S' as const,
    })),
    KeySchema: [
      { AttributeName: 'pk', KeyType: 'HASH' },
      { AttributeName: 'sk', KeyType: 'RANGE' },
    ],
    GlobalSecondaryIndexes: [
      index(INDEX_BY_TARGET, 'tpk', 'tsk'),
      index(INDEX_BY_ENI, 'epk', 'esk'),
    ],
  }
}

/** The attribute DynamoDB's TTL may use to expire closed holdings past retention (epoch seconds). */
export const TTL_ATTRIBUTE = 'expiresAt'

/**
 * Closed holdings are filed by how long they may have lasted (end.by - start.after). Within a level
 * every holding is at most `maxSpan` long, so one that overlaps [from, to] started in
 * [from - maxSpan, to]: one bounded range query per level finds all of them, however long the
 * address's history is. The last level holds the rare very long holdings and every open holding.
 */
export interface Level {
  readonly tag: string
  readonly maxSpan: number
}

export const LEVELS: readonly Level[] = [
  { tag: 'h', maxSpan: HOUR },
  { tag: 'd', maxSpan: DAY },
  { tag: 'm', maxSpan: 64 * DAY },
  { tag: 'z', maxSpan: Number.POSITIVE_INFINITY },
]

export const LAST_LEVEL = LEVELS[LEVELS.length - 1]!

export function levelFor(span: number): Level {
  return LEVELS.find((level) => span <= level.maxSpan) ?? LAST_LEVEL
}

/** Epoch ms as fixed-width text, so that string order is time order. */
export function timeKey(ms: number): string {
  return Math.max(0, Math.floor(ms)).toString().padStart(15, '0')
}

/** What every address partition's key begins with, and nothing else's. */
export const ADDRESS_PK_PREFIX = 'A#'

/** Partition of everything held at one address (an IP, or a delegated prefix's CIDR). */
export function addressPk(address: string): string {
  return `${ADDRESS_PK_PREFIX}${address}`
}

export function openSk(scope: string, eniId: string): string {
  return `${LAST_LEVEL.tag}#open#${scope}#${eniId}`
}

export function closedSk(level: Level, startAfter: number, scope: string, eniId: string): string {
  return `${level.tag}#${timeKey(startAfter)}#${scope}#${eniId}`
}

export function targetPk(accountId: string, region: string): string {
  return `T#${accountId}#${region}`
}

export const TARGET_STATE_SK = 'state'

/**
 * Target states also sit in the byTarget index under one partition, so that listing them is a Query of
 * a few hundred items, never a Scan of the whole table (which grows with every holding ever recorded).
 */
export const TARGET_LIST_TPK = 'TARGETS'

export function targetListTsk(accountId: string, region: string): string {
  return `${accountId}#${region}`
}

/** What every open holding's sort key in the byTarget index begins with (closed ones are not there). */
export const TARGET_OPEN_PREFIX = 'open#'

/**
 * Sort key of an open holding in the byTarget index: a target's open holdings are what a reconcile
 * diffs against, and one ENI's are a prefix of them (what the ENI route reads as its current ones).
 */
export function targetOpenSk(eniId: string, address: string, scope: string): string {
  return `${TARGET_OPEN_PREFIX}${eniId}#${address}#${scope}`
}

export function targetOpenEniPrefix(eniId: string): string {
  return `${TARGET_OPEN_PREFIX}${eniId}#`
}

export function eniPk(eniId: string): string {
  return `E#${eniId}`
}

export function instancePk(instanceId: string): string {
  return `I#${instanceId}`
}

export function holderSk(startAfter: number, address: string, scope: string): string {
  return `${timeKey(startAfter)}#${address}#${scope}`
}

/**
 * The holder directory (store/holder-directory.ts): an ENI's target, and an instance's ENIs, each an
 * item of its own written before the first holding that needs it. Open holdings are filed by target
 * only and closed ones by ENI only (a holding is in one index, not three), so the ENI route learns
 * where an ENI's open holdings are from here, and the instance route which ENIs to read.
 */
export function eniDirectoryKey(eniId: string): { pk: string; sk: string } {
  return { pk: eniPk(eniId), sk: 'eni' }
}

/** An instance's ENIs sort under this beside its record (`INSTANCE_SK`), one item each. */
export const INSTANCE_ENI_PREFIX = 'eni#'

export function instanceEniKey(instanceId: string, eniId: string): { pk: string; sk: string } {
  return { pk: instancePk(instanceId), sk: `${INSTANCE_ENI_PREFIX}${eniId}` }
}

/**
 * An instance record (store/instances.ts): one item per instance, under `instancePk(id)` (beside the
 * instance's ENI list, `instanceEniKey`), so that reading one by id is a
 * consistent GetItem. It is also filed in its target's byTarget partition, listed instances apart from
 * gone ones: a poll compares its snapshot with the listed part alone, so its read grows with the fleet,
 * never with the history of instances that came and went. Marking one gone rewrites `tsk` (one write;
 * the item keeps its key). None of these sort keys begins like a holding's (`open#`).
 */
export const INSTANCE_SK = 'instance'

export type InstancePart = 'listed' | 'gone'

export const TARGET_INSTANCE_PREFIX = 'instance#'

export function targetInstanceTsk(part: InstancePart, instanceId: string): string {
  return `${TARGET_INSTANCE_PREFIX}${part}#${instanceId}`
}

/** The prefix of one part of a target's instances, or of both. */
export function targetInstancePrefix(part: InstancePart | 'all'): string {
  return part === 'all' ? TARGET_INSTANCE_PREFIX : `${TARGET_INSTANCE_PREFIX}${part}#`
}

/**
 * Leases of collector processes (store/leases.ts): one item per shard under `LEASE_PK`, one per live
 * process under `WORKER_PK`. Each partition holds tens or hundreds of items, read with one query.
 */
export const LEASE_PK = 'LEASE'
export const WORKER_PK = 'WORKER'

export function leaseKey(shard: number): { pk: string; sk: string } {
  return { pk: LEASE_PK, sk: `shard#${String(shard).padStart(5, '0')}` }
}

export function workerKey(owner: string): { pk: string; sk: string } {
  return { pk: WORKER_PK, sk: owner }
}

/**
 * Descriptions as AWS gave them (store/descriptions.ts): one partition per target and kind, one item
 * per resource. Current ones sort under `c#`, removed ones (kept for history until the retention TTL)
 * under `r#`, so that listing the current ones is one consistent Query of a key prefix whose cost never
 * grows with the resources that came and went. No index: nothing reads them by anything else.
 */
export const DESCRIPTION_PK_PREFIX = 'D#'

export type DescriptionPart = 'current' | 'removed'

export function descriptionPk(accountId: string, region: string, kind: string): string {
  return `${DESCRIPTION_PK_PREFIX}${accountId}#${region}#${kind}`
}

export function descriptionSkPrefix(part: DescriptionPart): string {
  return part === 'current' ? 'c#' : 'r#'
}

export function descriptionSk(part: DescriptionPart, id: string): string {
  return `${descriptionSkPrefix(part)}${id}`
}

/**
 * The member registry (store/members.ts): which addresses ever had a holding, and in which account, so
 * that an API process can answer "never ours" from memory (api/membership.ts). One item per address
 * first written by a process, filed by the day it was written: `M#<yyyy-mm-dd>` / `<time>#<account>#<address>`.
 * Loading it is one Query per day that has entries (the days are listed in one item, `MEMBERS_META`),
 * its cost in proportion to the addresses ever held, never to the holdings; catching up is a Query of
 * today's partition from a time on. Entries never expire: an address held for years is still a member.
 */
export const MEMBERS_PK_PREFIX = 'M#'

export const MEMBERS_META = { pk: 'M', sk: 'registry' } as const

/** The day (UTC) an entry written at `ms` is filed under. */
export function membersDay(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10)
}

export function membersPk(day: string): string {
  return `${MEMBERS_PK_PREFIX}${day}`
}

export function membersSk(at: number, accountId: string, address: string): string {
  return `${timeKey(at)}#${accountId}#${address}`
}
