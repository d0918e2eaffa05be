// Holdings to DynamoDB items and back. Pure: the keys come from table.ts, nothing here does I/O.
// An item's content is a function of the holding alone (no write timestamps), so that replaying a
// write leaves the table byte-for-byte the same.
import type { AttributeValue } from '@aws-sdk/client-dynamodb'
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb'
import type { Holding } from '../model/holding.ts'
import { maxSpan } from '../model/holding.ts'
import type { StoredHolding } from '../model/stored-holding.ts'
import {
  addressPk,
  closedSk,
  eniPk,
  holderSk,
  instancePk,
  levelFor,
  openSk,
  targetClosedSk,
  targetOpenSk,
  targetPk,
  TTL_ATTRIBUTE,
} from './table.ts'

export type Item = Record<string, AttributeValue>
export type Key = { pk: AttributeValue; sk: AttributeValue }

/** The key of the item a holding is stored under: one per (address, scope, ENI) while open. */
export function holdingKey(holding: Holding): { pk: string; sk: string } {
  const pk = addressPk(holding.address)
  if (!holding.end) return { pk, sk: openSk(holding.scope, holding.holder.eniId) }
  const level = levelFor(maxSpan(holding))
  return { pk, sk: closedSk(level, holding.start.after, holding.scope, holding.holder.eniId) }
}

export function toKey(key: { pk: string; sk: string }): Key {
  return { pk: { S: key.pk }, sk: { S: key.sk } }
}

/**
 * `pieces`: closed holdings cut off this open one (a split, see HoldingStore.apply) that are written
 * ahead inside it, so that a crash before they are filed as items of their own loses none of them.
 */
export function holdingToItem(holding: StoredHolding, retentionMs?: number, pieces?: readonly StoredHolding[]): Item {
  const { pk, sk } = holdingKey(holding)
  const { holder } = holding
  const open = !holding.end
  const record = {
    pk,
    sk,
    tpk: targetPk(holder.accountId, holder.region),
    tsk: open
      ? targetOpenSk(holding.address, holding.scope, holder.eniId)
      : targetClosedSk(holding.closedAt ?? holding.end!.by, holding.address, holding.scope, holder.eniId),
    epk: eniPk(holder.eniId),
    esk: holderSk(holding.start.after, holding.address, holding.scope),
    ipk: holder.instanceId ? instancePk(holder.instanceId) : undefined,
    isk: holder.instanceId ? holderSk(holding.start.after, holding.address, holding.scope) : undefined,
    state: open ? 'open' : 'closed',
    address: holding.address,
    addressKind: holding.addressKind,
    scope: holding.scope,
    holder,
    start: holding.start,
    end: holding.end,
    closedAt: open ? undefined : (holding.closedAt ?? holding.end!.by),
    [TTL_ATTRIBUTE]:
      !open && retentionMs !== undefined ? Math.ceil((holding.end!.by + retentionMs) / 1000) : undefined,
    pieces: pieces && pieces.length > 0 ? pieces.map(holdingFields) : undefined,
  }
  return marshall(record, { removeUndefinedValues: true })
}

/**
 * A holding's own fields and nothing else: what an item's attributes are read back into, and what a
 * piece written ahead inside an open item is stored as (a StoredHolding has the same fields).
 */
function holdingFields(r: StoredHolding): StoredHolding {
  return {
    address: r.address,
    addressKind: r.addressKind,
    scope: r.scope,
    holder: r.holder,
    start: r.start,
    ...(r.end ? { end: r.end } : {}),
    ...(r.closedAt !== undefined ? { closedAt: r.closedAt } : {}),
  }
}

/** The holding an item stores (without any pieces written ahead inside it). */
export function itemToHolding(item: Item): StoredHolding {
  return holdingFields(unmarshall(item) as StoredHolding)
}

/** Every holding an item stores: its own, then the closed pieces of a split written ahead inside it. */
export function itemToHoldings(item: Item): StoredHolding[] {
  const r = unmarshall(item) as StoredHolding & { pieces?: StoredHolding[] }
  return [holdingFields(r), ...(r.pieces ?? []).map(holdingFields)]
}

/** The closed pieces written ahead inside an open item: a split not yet finished (rare: checked without unmarshalling). */
export function pendingPieces(item: Item): StoredHolding[] {
  return item.pieces === undefined ? [] : itemToHoldings(item).slice(1)
}

/** One holding's identity across its open and closed items: it started once, at one ENI, in one scope. */
export function holdingIdentity(holding: Holding): string {
  return `${holding.address}|${holding.scope}|${holding.holder.eniId}|${holding.start.after}`
}
