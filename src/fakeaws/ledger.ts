// The ground truth: every assignment of an address (or delegated prefix) to an ENI, with exact times.
// The world's ENIs hold their open entries directly, so what the API shows and what the ledger says
// cannot drift apart; tests measure whohad against this, never against hand-written expectations.
import { canonicalIp, containingPrefix } from './addresses.ts'

export type AddressKind = 'private-ipv4' | 'public-ipv4' | 'ipv6' | 'ipv4-prefix' | 'ipv6-prefix'

export const GLOBAL_SCOPE = 'global'

/** Prefix lengths the world delegates (EKS prefix mode); a lookup checks each containing block. */
export const IPV4_PREFIX_LENGTH = 28
export const IPV6_PREFIX_LENGTH = 80

export interface LedgerEntry {
  /** Order of opening; stable under a seed. */
  readonly id: number
  /** Canonical address text, or canonical CIDR text when `kind` is a prefix (same as a Holding's `address`). */
  readonly ip: string
  readonly kind: AddressKind
  /** `global` for public IPv4 and all IPv6; the VPC id for private IPv4 (addresses and prefixes). */
  readonly scope: string
  readonly eniId: string
  /** The instance the ENI is attached to; an ENI's instance never changes in this world. */
  readonly instanceId?: string
  readonly accountId: string
  readonly region: string
  readonly vpcId: string
  readonly subnetId: string
  /** For a public IPv4 that is an Elastic IP. */
  readonly allocationId?: string
  /** The Elastic IP's association that put it on this ENI (a new one each time it is associated). */
  readonly associationId?: string
  /** Epoch ms when the ENI started holding it (inclusive). */
  readonly start: number
  /** Epoch ms when it stopped (exclusive): [start, end). Absent while the holding is open. */
  readonly end?: number
}

type MutableEntry = { -readonly [K in keyof LedgerEntry]: LedgerEntry[K] }

export type NewEntry = Omit<LedgerEntry, 'id' | 'end'>

export class Ledger {
  private readonly all: MutableEntry[] = []
  private readonly byIp = new Map<string, MutableEntry[]>()
  private openCount = 0

  /** Called before every read so a realtime world catches up with the clock first. */
  constructor(private readonly sync: () => void = () => {}) {}

  /** Opens an entry. Only the world calls this. */
  begin(fields: NewEntry): LedgerEntry {
    const entry: MutableEntry = { id: this.all.length, ...fields }
    this.all.push(entry)
    const list = this.byIp.get(entry.ip)
    if (list) list.push(entry)
    else this.byIp.set(entry.ip, [entry])
    this.openCount++
    return entry
  }

  /** Closes an open entry at `t`. Only the world calls this. */
  end(entry: LedgerEntry, t: number): void {
    const e = entry as MutableEntry
    if (e.end !== undefined) throw new Error(`ledger entry ${e.id} (${e.ip} on ${e.eniId}) closed twice`)
    if (t < e.start) throw new Error(`ledger entry ${e.id} would end before it started`)
    e.end = t
    this.openCount--
  }

  get size(): number {
    return this.all.length
  }

  get openSize(): number {
    return this.openCount
  }

  /** Every entry ever opened, in opening order. The array is live: copy it to keep a snapshot. */
  entries(): readonly LedgerEntry[] {
    this.sync()
    return this.all
  }

  /** Entries open now (the holdings a complete snapshot of every target would show). */
  current(): LedgerEntry[] {
    this.sync()
    return this.all.filter((e) => e.end === undefined)
  }

  /**
   * Who held `ip` at `t`: entries for the address itself and for any delegated prefix containing it,
   * with start <= t < end. `ip` may be any valid spelling; a CIDR finds that exact prefix's entries.
   */
  at(ip: string, t: number): LedgerEntry[] {
    return this.history(ip).filter((e) => e.start <= t && (e.end === undefined || t < e.end))
  }

  /** Every entry for `ip` (and prefixes containing it), oldest first. */
  history(ip: string): LedgerEntry[] {
    this.sync()
    const canonical = canonicalIp(ip)
    if (canonical === undefined) throw new Error(`not an IP address or CIDR: ${JSON.stringify(ip)}`)
    const found = [...(this.byIp.get(canonical) ?? [])]
    if (!canonical.includes('/')) {
      const prefix = containingPrefix(canonical, canonical.includes(':') ? IPV6_PREFIX_LENGTH : IPV4_PREFIX_LENGTH)
      if (prefix !== undefined) found.push(...(this.byIp.get(prefix) ?? []))
    }
    return found.sort((a, b) => a.start - b.start || a.id - b.id)
  }

  /** Entries of one ENI, oldest first. */
  forEni(eniId: string): LedgerEntry[] {
    this.sync()
    return this.all.filter((e) => e.eniId === eniId)
  }
}
