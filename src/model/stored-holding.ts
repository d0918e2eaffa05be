// A holding as the store gives it back, what a lookup asks for, and what the collector asks the store
// to do. Pure nouns: the reconciler and the API's answers use them without importing the store.
import type { Holding } from './holding.ts'
import type { Ip } from './ip.ts'

export interface StoredHolding extends Holding {
  /** When the collector closed it (the poll or config item that proved its end); only when closed. */
  readonly closedAt?: number
}

export interface WindowQuery {
  readonly ip: string | Ip
  readonly from: number
  readonly to: number
  readonly vpcId?: string
  readonly accountId?: string
}

/** What answering a lookup needs of the store (store/holdings.ts implements it). */
export interface HoldingLookup {
  /** The store addresses a lookup of `ip` reads: the IP and each delegated-prefix block containing it. */
  addressKeys(ip: Ip): string[]
  /** Holdings of an address that may have held it at some time in the query's window. */
  lookup(query: WindowQuery): Promise<StoredHolding[]>
  /** `lookup` at several windows of one address with one read; each answer equals its own `lookup`'s. */
  lookupWindows?(query: Omit<WindowQuery, 'from' | 'to'>, windows: readonly { readonly from: number; readonly to: number }[]): Promise<StoredHolding[][]>
}

/** What the collector asks the store to do; the reconciler computes these as a pure function. */
export type StoreOperation =
  /** A holding seen for the first time (no end). */
  | { readonly kind: 'open'; readonly holding: Holding }
  /** An open holding proven ended: the closed holding replaces the open one. */
  | { readonly kind: 'close'; readonly holding: Holding; readonly closedAt: number }
  /** Narrower bounds for a holding already stored (AWS Config evidence, say). */
  | { readonly kind: 'refine'; readonly previous: Holding; readonly next: Holding }
  /** A closed holding learnt after the fact (AWS Config history of one the polls missed): no open twin. */
  | { readonly kind: 'record'; readonly holding: Holding; readonly closedAt: number }
  /**
   * A stored holding cut where AWS Config saw the address leave and come back between two polls: the
   * closed `pieces` before the last cut (each ends where its absence began), and `next`, what remains.
   */
  | { readonly kind: 'split'; readonly previous: Holding; readonly pieces: readonly Holding[]; readonly next: Holding }
