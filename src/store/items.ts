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
  levelFor,
  LEVELS,
  openSk,
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

/**
 * The keys a closed twin of this open holding may have: a close keeps the start, so one per level. What
 * crash repair reads (HoldingStore.openHoldingsOfTarget).
 */
export function closedTwinKeys(open: Holding): { pk: string; sk: string }[] {
  const pk = addressPk(open.address)
  return LEVELS.map((level) => ({ pk, sk: closedSk(level, open.start.after, open.scope, open.holder.eniId) }))
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
    // Each holding is in one index: open ones by target (what reconcile diffs against, and an ENI's
    // current ones), closed ones by ENI (history). An index write costs at least a unit, so this is
    // what a change costs (docs/table-design.md, "What a change costs").
    tpk: open ? targetPk(holder.accountId, holder.region) : undefined,
    tsk: open ? targetOpenSk(holder.eniId, holding.address, holding.scope) : undefined,
    epk: open ? undefined : eniPk(holder.eniId),
    esk: open ? undefined : holderSk(holding.start.after, holding.address, holding.scope),
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
