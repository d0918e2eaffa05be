// The ground-truth check: sample (ip, T) pairs from the simulated organisation's ledger, including T
// right at reassignments, and compare what whohad answers with what was true. Recall: every true
// holder is returned. Precision: every `certain` answer is true. Used by the collector's ground-truth
// test and by the stress runs.
import ipaddr from 'ipaddr.js'
import type { LedgerEntry } from '../src/fakeaws/index.ts'
import { classifyWatched, type Holding, unwatched } from '../src/model/holding.ts'
import { containingCidr, parseIp } from '../src/model/ip.ts'
import type { StoredHolding } from '../src/model/stored-holding.ts'
import type { TargetState } from '../src/model/target.ts'
import type { Store } from '../src/store/open.ts'
import { seededRandom } from './random.ts'

export interface GroundTruthReport {
  readonly samples: number
  /** (sample, true holder) pairs checked for recall. */
  readonly truePairs: number
  /** True pairs skipped as unknowable (see the option). */
  readonly unknowable: number
  readonly missed: string[]
  readonly certainChecked: number
  readonly certainFalse: string[]
  readonly possible: number
  readonly duplicateOpen: string[]
  /**
   * One ENI's one interval listed twice: two holdings of one holder (address, scope, ENI, instance)
   * whose supports each overlap the same single true interval of that holder and no other. Over every
   * stored holding, and over every sampled answer.
   */
  readonly listedTwice: string[]
  /** Samples also answered through HoldingStore.lookup, and how many disagreed with the scan. */
  readonly lookedUp: number
  readonly lookupMismatches: string[]
}


/** An address a lookup would use for an entry: the IP, or an address inside a delegated prefix. */
function probeAddress(entry: LedgerEntry): string {
  if (!entry.ip.includes('/')) return entry.ip
  const [base] = ipaddr.parseCIDR(entry.ip)
  const bytes = base.toByteArray()
  bytes[bytes.length - 1] = (bytes[bytes.length - 1]! | 1) & 0xff
  return ipaddr.fromByteArray(bytes).toString()
}

function contains(holdingAddress: string, ip: string): boolean {
  if (holdingAddress === ip) return true
  if (!holdingAddress.includes('/')) return false
  const addr = ipaddr.parse(ip)
  const [range, bits] = ipaddr.parseCIDR(holdingAddress)
  return addr.kind() === range.kind() && addr.match([range, bits])
}

const targetOf = (h: Holding) => `${h.holder.accountId}/${h.holder.region}`
const describe = (e: LedgerEntry) => `${e.ip} ${e.scope} ${e.eniId} (${e.accountId} ${e.region}) [${new Date(e.start).toISOString()}, ${e.end === undefined ? 'open' : new Date(e.end).toISOString()})`

export async function checkGroundTruth(input: {
  readonly store: Pick<Store, 'holdings'>
  readonly entries: readonly LedgerEntry[]
  readonly states: ReadonlyMap<string, TargetState> // by `${accountId}/${region}`
  /** Sample times in [from, to]. */
  readonly from: number
  readonly to: number
  readonly samples: number
  readonly seed?: number
  /**
   * Entries no collector could know: they began in a target after its last complete poll (an account
   * that denies access now). Recall skips them and counts them; whohad's coverage says "not watching".
   */
  readonly unknowable?: (entry: LedgerEntry) => boolean
  /** How many samples also go through HoldingStore.lookup (slower: real queries). */
  readonly viaLookup?: number
}): Promise<GroundTruthReport> {
  const random = seededRandom(input.seed ?? 1)
  const holdings = await input.store.holdings.everyHolding()
  const byAddress = new Map<string, StoredHolding[]>()
  for (const h of holdings) {
    const list = byAddress.get(h.address)
    if (list) list.push(h)
    else byAddress.set(h.address, [h])
  }

  // Duplicate open holdings: two open items for one (address, scope, ENI), or an open item beside its closed twin.
  const duplicateOpen: string[] = []
  const openIds = new Map<string, number>()
  for (const h of holdings) if (!h.end) openIds.set(`${h.address}|${h.scope}|${h.holder.eniId}`, (openIds.get(`${h.address}|${h.scope}|${h.holder.eniId}`) ?? 0) + 1)
  for (const [id, n] of openIds) if (n > 1) duplicateOpen.push(`${id} open ${n} times`)
  const closedIds = new Set(holdings.filter((h) => h.end).map((h) => `${h.address}|${h.scope}|${h.holder.eniId}|${h.start.after}`))
  for (const h of holdings) if (!h.end && closedIds.has(`${h.address}|${h.scope}|${h.holder.eniId}|${h.start.after}`)) duplicateOpen.push(`${h.address} ${h.holder.eniId} open beside its closed twin`)

  const watch = (h: Holding) => {
    const state = input.states.get(targetOf(h))
    return { openUntil: h.end ? undefined : state?.lastCompletePoll, gaps: unwatched(state) }
  }
  const answer = (ip: string, T: number, pool: readonly StoredHolding[]) => {
    const out: { h: StoredHolding; c: 'certain' | 'possible' }[] = []
    for (const h of pool) {
      if (!contains(h.address, ip)) continue
      const c = classifyWatched(h, T, T, watch(h))
      if (c) out.push({ h, c })
    }
    return out
  }
  // The keys an address's holders live under: itself and the delegated-prefix block containing it.
  const keysOf = (ip: string) => {
    const parsed = parseIp(ip)
    return [ip, containingCidr(parsed, parsed.version === 4 ? 28 : 80).text]
  }
  const poolFor = (ip: string) => keysOf(ip).flatMap((k) => byAddress.get(k) ?? [])

  // Samples: every third at a reassignment instant (an entry's start, its last held millisecond, its
  // end), the rest uniform in the window over entries alive in it.
  const relevant = input.entries.filter((e) => e.start <= input.to && (e.end === undefined || e.end >= input.from))
  const samples: { ip: string; T: number }[] = []
  for (let i = 0; i < input.samples && relevant.length > 0; i++) {
    const e = relevant[Math.floor(random() * relevant.length)]!
    const lo = Math.max(e.start, input.from)
    const hi = Math.min(e.end ?? input.to, input.to)
    let T: number
    const kind = i % 6
    if (kind === 0) T = e.start
    else if (kind === 1 && e.end !== undefined) T = e.end - 1
    else if (kind === 2 && e.end !== undefined) T = e.end
    else T = Math.floor(lo + random() * Math.max(0, hi - lo))
    if (T < input.from || T > input.to) T = lo
    samples.push({ ip: probeAddress(e), T })
  }

  const truthIndex = new Map<string, LedgerEntry[]>()
  for (const e of input.entries) {
    const list = truthIndex.get(e.ip)
    if (list) list.push(e)
    else truthIndex.set(e.ip, [e])
  }
  const truthAt = (ip: string, T: number) =>
    keysOf(ip)
      .flatMap((k) => truthIndex.get(k) ?? [])
      .filter((e) => contains(e.ip, ip) && e.start <= T && (e.end === undefined || T < e.end) && e.start <= input.to && (e.end === undefined || e.end >= input.from))
  const sameHolder = (h: Holding, e: LedgerEntry) => h.address === e.ip && h.scope === e.scope && h.holder.eniId === e.eniId

  // The true intervals a holding's support overlaps, among its own holder's (instance included).
  const overlapped = (h: Holding) =>
    (truthIndex.get(h.address) ?? [])
      .filter((e) => sameHolder(h, e) && (e.instanceId ?? '') === (h.holder.instanceId ?? ''))
      .filter((e) => e.start <= (h.end ? h.end.by : Number.POSITIVE_INFINITY) && (e.end === undefined || e.end >= h.start.after))
      .map((e) => e.id)
  const twice = (rows: readonly Holding[], where: string): string[] => {
    const seen = new Map<string, Holding>()
    const out: string[] = []
    for (const h of rows) {
      const hit = overlapped(h)
      if (hit.length !== 1) continue
      const key = `${h.holder.instanceId ?? ''}|${hit[0]}`
      const other = seen.get(key)
      const span = (x: Holding) => `[${x.start.after},${x.start.by}]–${x.end ? `[${x.end.after},${x.end.by}]` : 'open'} (${[...new Set([...x.start.evidence, ...(x.end?.evidence ?? [])].map((e) => e.source))].join('+')})`
      if (other) out.push(`${where}: ${h.address} ${h.scope} ${h.holder.eniId} twice: ${span(other)} and ${span(h)}; truth ${JSON.stringify((truthIndex.get(h.address) ?? []).filter((e) => e.id === hit[0]).map((e) => [e.start, e.end]))}`)
      else seen.set(key, h)
    }
    return out
  }
  const listedTwice: string[] = []
  for (const list of byAddress.values()) listedTwice.push(...twice(list, 'stored'))

  const missed: string[] = []
  const certainFalse: string[] = []
  let truePairs = 0
  let unknowable = 0
  let certainChecked = 0
  let possible = 0
  const poolCache = new Map<string, StoredHolding[]>()
  for (const { ip, T } of samples) {
    const pool = poolCache.get(ip) ?? poolFor(ip)
    poolCache.set(ip, pool)
    const got = answer(ip, T, pool)
    listedTwice.push(...twice(got.map(({ h }) => h), `answer for ${ip} at ${new Date(T).toISOString()}`))
    for (const e of truthAt(ip, T)) {
      if (input.unknowable?.(e)) {
        unknowable++
        continue
      }
      truePairs++
      if (!got.some(({ h }) => sameHolder(h, e))) missed.push(`${ip} at ${new Date(T).toISOString()}: ${describe(e)} not returned`)
    }
    for (const { h, c } of got) {
      if (c === 'possible') {
        possible++
        continue
      }
      certainChecked++
      // A handover instant belongs to both holders: closed interval on the truth side.
      const ok = (truthIndex.get(h.address) ?? []).some((e) => sameHolder(h, e) && e.start <= T && (e.end === undefined || T <= e.end))
      if (!ok) certainFalse.push(`${ip} at ${new Date(T).toISOString()}: ${h.holder.eniId} certain but did not hold it (start ${JSON.stringify([h.start.after, h.start.by])} end ${JSON.stringify(h.end ? [h.end.after, h.end.by] : 'open')})`)
    }
  }

  // The same answers through the real lookup path, for a subset.
  const lookupMismatches: string[] = []
  const viaLookup = Math.min(input.viaLookup ?? 0, samples.length)
  for (let i = 0; i < viaLookup; i++) {
    const { ip, T } = samples[Math.floor((i * samples.length) / viaLookup)]!
    const fromStore = await input.store.holdings.lookup({ ip, from: T, to: T })
    const a = answer(ip, T, fromStore).map(({ h, c }) => `${h.address}|${h.scope}|${h.holder.eniId}|${h.start.after}|${c}`).sort()
    const b = answer(ip, T, poolCache.get(ip) ?? poolFor(ip)).map(({ h, c }) => `${h.address}|${h.scope}|${h.holder.eniId}|${h.start.after}|${c}`).sort()
    if (a.join() !== b.join()) lookupMismatches.push(`${ip} at ${T}: lookup ${a.join(' ')} vs scan ${b.join(' ')}`)
  }

  return { samples: samples.length, truePairs, unknowable, missed, certainChecked, certainFalse, possible, duplicateOpen, listedTwice, lookedUp: viaLookup, lookupMismatches }
}

export function formatReport(r: GroundTruthReport): string {
  const pct = (a: number, b: number) => (b === 0 ? 'n/a' : `${((100 * a) / b).toFixed(3)}%`)
  return [
    `ground truth: ${r.samples} samples, ${r.truePairs} true (ip, T, holder) pairs (+${r.unknowable} unknowable: no complete poll fell inside them and their Config history was unreadable)`,
    `  recall            ${pct(r.truePairs - r.missed.length, r.truePairs)} (${r.missed.length} missed)`,
    `  certain precision ${pct(r.certainChecked - r.certainFalse.length, r.certainChecked)} (${r.certainChecked} certain answers, ${r.certainFalse.length} false)`,
    `  possible answers  ${r.possible}`,
    `  duplicate open    ${r.duplicateOpen.length}`,
    `  listed twice      ${r.listedTwice.length}`,
    `  via lookup        ${r.lookedUp} samples, ${r.lookupMismatches.length} disagreements with the scan`,
  ].join('\n')
}
