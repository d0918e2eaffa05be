// Answers to "who held X at T", read through the cache. An answer is the store's holdings classified
// against the targets' watch record, plus the coverage block; it is cached as the JSON text it is sent as.
import { classifyWatched } from '../model/holding.ts'
import { parseIp } from '../model/ip.ts'
import { formatTime } from '../model/time.ts'
import type { HoldingLookup, StoredHolding } from '../model/stored-holding.ts'
import type { TargetState } from '../model/target.ts'
import { byDistance, type Placed, placeAt } from '../model/verdict.ts'
import { type AnswerCache, type CacheRead, type Cached, CONFIG_COVERAGE } from '../cache/types.ts'
import { isoBound } from './bounds.ts'
import { type Coverage, CoverageOverTime, type Stretch, watchOfHolding } from './coverage.ts'
import { verdictBlock } from './verdict.ts'

export interface PointQuery {
  /** Canonical IP text. */
  readonly ip: string
  readonly at: number
  readonly windowMs: number
  readonly vpc?: string | undefined
  readonly account?: string | undefined
  /** The asking key's accounts (sorted): only their holdings and coverage are answered; unset: all. */
  readonly visible?: readonly string[] | undefined
}

/** What an answer may show: an explicit account filter, and the asking key's accounts. */
interface Filter {
  readonly vpc?: string | undefined
  readonly account?: string | undefined
  readonly visible?: readonly string[] | undefined
}

export interface AnswerOptions {
  readonly store: HoldingLookup
  readonly cache: AnswerCache
  readonly targetStates: () => Promise<TargetState[]>
  readonly maxGapMs: number
  /** Time to live of answers touching the present (they change with every poll): the staleness bound. */
  readonly staleMs: number
  /** Time to live of answers wholly before every target's last complete poll. */
  readonly settledMs: number
  readonly onCache?: (hit: boolean) => void
  /** Which addresses ever had a holding (api/membership.ts): one that never did is answered from memory. */
  readonly membership?: { mayHold(keys: readonly string[], accounts?: readonly string[]): boolean; whenCurrent?(maxWaitMs: number): Promise<void> }
  /** Told how many lookups the membership filter answered. */
  readonly onFiltered?: (count: number) => void
}

export type Rendered = ReturnType<typeof render>

export class Answers {
  private readonly inFlight = new Map<string, Promise<string>>()
  private readonly overs = new WeakMap<readonly TargetState[], Map<string, CoverageOverTime>>()

  constructor(private readonly o: AnswerOptions) {}

  /** The cache key and dependencies of a point lookup. */
  read(q: PointQuery, format: 'whohad' | 'ecs' = 'whohad'): CacheRead {
    return {
      // The asking key's accounts are part of the key: an answer built for one scope is never served to another.
      // The prefix names the answer's form and its version: a shared cache never serves a form an older
      // release wrote (version 2 added the ISO-8601 bounds; 3 the verdict, and holdings nearest T first).
      key: `${format === 'ecs' ? 'e3' : 'p3'}|${q.ip}|${q.at}|${q.windowMs}|${q.vpc ?? ''}|${q.account ?? ''}${q.visible ? `|${q.visible.join('+')}` : ''}`,
      // The coverage block's Config note changes with a target's Config state, not with a write.
      dependsOn: [...this.o.store.addressKeys(parseIp(q.ip)), CONFIG_COVERAGE],
    }
  }

  /** Point lookups, each answered from the cache or the store; texts in order. */
  async points(all: readonly PointQuery[], format: 'whohad' | 'ecs' = 'whohad', concurrency = 32): Promise<string[]> {
    const result: string[] = new Array(all.length)
    // An address that never had a holding (in the accounts asked about) is answered from memory, before
    // the cache: most of what a SIEM asks about was never ours, and each asks at its own time.
    const asked = await this.filtered(all, format, result)
    if (asked.length === 0) return result
    const queries = asked.map((i) => all[i]!)
    const texts = await this.cachedPoints(queries, format, concurrency)
    asked.forEach((i, j) => (result[i] = texts[j]!))
    return result
  }

  /** Answers what the membership filter can into `out`; returns the indices it could not. */
  private async filtered(queries: readonly PointQuery[], format: 'whohad' | 'ecs', out: string[]): Promise<number[]> {
    const membership = this.o.membership
    if (!membership) return queries.map((_, i) => i)
    // A late catch-up is waited for (at most the staleness bound), not answered by the store.
    await membership.whenCurrent?.(this.o.staleMs)
    const rest: number[] = []
    let states: TargetState[] | undefined
    // A batch's items share the asking key's accounts (one array) and mostly their account filter.
    let over: { readonly of: PointQuery; readonly coverage: CoverageOverTime } | undefined
    for (let i = 0; i < queries.length; i++) {
      const q = queries[i]!
      if (membership.mayHold(this.o.store.addressKeys(parseIp(q.ip)), accountsAsked(q))) {
        rest.push(i)
        continue
      }
      states ??= await this.o.targetStates()
      if (over === undefined || over.of.visible !== q.visible || over.of.account !== q.account) over = { of: q, coverage: this.coverageOver(states, q) }
      out[i] = this.emptyText(q, format, over.coverage)
    }
    if (rest.length < queries.length) this.o.onFiltered?.(queries.length - rest.length)
    return rest
  }

  private async cachedPoints(queries: readonly PointQuery[], format: 'whohad' | 'ecs', concurrency: number): Promise<string[]> {
    const reads = queries.map((q) => this.read(q, format))
    const cached = await this.o.cache.getMany(reads)
    const out: string[] = new Array(queries.length)
    // Batches repeat lookups: each distinct one that missed is answered once.
    const missed = new Map<string, number[]>()
    cached.forEach((c, i) => {
      if (c.value !== undefined) out[i] = c.value
      else missed.set(reads[i]!.key, [...(missed.get(reads[i]!.key) ?? []), i])
    })
    const misses = [...missed.values()]
    this.count(queries.length - misses.length, misses.length)
    if (misses.length === 0) return out
    const states = await this.o.targetStates()
    // One address asked about at several nearby times is read from the store once for all of them.
    const units = this.o.store.lookupWindows ? readTogether(misses.map((same) => same[0]!), queries) : misses.map((same) => [same[0]!])
    const sameAs = new Map(misses.map((same) => [same[0]!, same]))
    let next = 0
    const worker = async () => {
      while (next < units.length) {
        const unit = units[next++]!
        const windows = unit.map((i) => ({ from: queries[i]!.at - queries[i]!.windowMs, to: queries[i]!.at + queries[i]!.windowMs }))
        const q0 = queries[unit[0]!]!
        let read: Promise<StoredHolding[][]> | undefined
        const together = () => (read ??= this.o.store.lookupWindows!({ ip: q0.ip, ...(q0.vpc ? { vpcId: q0.vpc } : {}), ...(q0.account ? { accountId: q0.account } : {}) }, windows))
        await Promise.all(
          unit.map(async (i, k) => {
            const key = reads[i]!.key
            // Requests that miss on the same key at once (an entry just expired under load) share one read.
            let flight = this.inFlight.get(key)
            if (!flight) {
              const found = unit.length > 1 ? together().then((all) => all[k]!) : undefined
              flight = this.compute(queries[i]!, format, reads[i]!, cached[i]!, states, found).finally(() => this.inFlight.delete(key))
              this.inFlight.set(key, flight)
            }
            const text = await flight
            for (const j of sameAs.get(i)!) out[j] = text
          }),
        )
      }
    }
    await Promise.all(Array.from({ length: Math.min(concurrency, units.length) }, worker))
    return out
  }

  private async compute(q: PointQuery, format: 'whohad' | 'ecs', read: CacheRead, cached: Cached, states: TargetState[], found?: Promise<StoredHolding[]>): Promise<string> {
    const from = q.at - q.windowMs
    const to = q.at + q.windowMs
    const { holdings, coverage } = await this.classified(q.ip, from, to, q, states, found, q.at)
    const text = this.text(q, format, holdings, coverage)
    // Immutable unless the collector writes this address (which invalidates it): every target has polled
    // since the window, and no holding in it is open (an open one's provenUntil moves with every poll).
    const settled = settledBefore(states) > to && holdings.every((h) => 'end' in h)
    await this.o.cache.set(read, cached.stamp, text, settled ? this.o.settledMs : this.o.staleMs)
    return text
  }

  /** Every holding overlapping [from, to], oldest first (not cached: timelines are rare and wide). */
  async timeline(ip: string, from: number, to: number, filter: Filter) {
    const { holdings, coverage } = await this.classified(ip, from, to, filter, await this.o.targetStates())
    holdings.sort((a, b) => a.start.after - b.start.after)
    return { ip, from: formatTime(from), to: formatTime(to), holdings, coverage }
  }

  private text(q: PointQuery, format: 'whohad' | 'ecs', holdings: Rendered[], coverage: Coverage): string {
    const body = answerBody(q, holdings, coverage)
    return JSON.stringify(format === 'ecs' ? toEcs(body) : body)
  }

  /**
   * `text` with no holdings: from fragments of text kept per stretch of coverage where it can
   * (emptyTextByTemplate), else with the coverage written as JSON once per stretch.
   */
  private emptyText(q: PointQuery, format: 'whohad' | 'ecs', over: CoverageOverTime): string {
    return emptyTextByTemplate(q, format, over, this.fragments) ?? emptyTextByParts(q, format, over)
  }

  /** Per stretch of coverage, the parts of a never-held answer that are the same for all its lookups. */
  private readonly fragments = new WeakMap<Stretch, Fragments>()

  /**
   * The coverage of the targets a query may see (its key's accounts), over the states as last read:
   * one per states read, key scope and account, so that a batch computes each stretch of time once.
   */
  private coverageOver(all: readonly TargetState[], filter: Filter): CoverageOverTime {
    let scopes = this.overs.get(all)
    if (!scopes) this.overs.set(all, (scopes = new Map()))
    const key = `${filter.visible?.join('+') ?? '*'}|${filter.account ?? ''}`
    let over = scopes.get(key)
    if (!over) {
      over = new CoverageOverTime(visibleStates(all, filter.visible ? new Set(filter.visible) : undefined), this.o.maxGapMs, { account: filter.account })
      // A long-lived states read asked for by many keys and accounts keeps a bounded number of them.
      if (scopes.size >= 256) scopes.clear()
      scopes.set(key, over)
    }
    return over
  }

  /** With `at` (a point lookup), each holding is placed against T and they come nearest T first. */
  private async classified(ip: string, from: number, to: number, filter: Filter, all: TargetState[], read?: Promise<StoredHolding[]>, at?: number) {
    // A key limited to accounts sees their holdings, and coverage of their targets only: whether another
    // account was watched is not its business.
    const visible = filter.visible ? new Set(filter.visible) : undefined
    const states = visibleStates(all, visible)
    const byTarget = new Map(states.map((s) => [`${s.accountId}/${s.region}`, s]))
    const found = await (read ?? this.o.store.lookup({ ip, from, to, ...(filter.vpc ? { vpcId: filter.vpc } : {}), ...(filter.account ? { accountId: filter.account } : {}) }))
    const holdings = found
      .filter((h) => !visible || visible.has(h.holder.accountId))
      .map((h) => {
        const state = byTarget.get(`${h.holder.accountId}/${h.holder.region}`)
        // A quiet spell with no Config history is unwatched at the poll interval's resolution: no `certain` inside it.
        const watch = watchOfHolding(h, state)
        const certainty = classifyWatched(h, from, to, watch)
        return certainty ? render(h, certainty, state, at === undefined ? undefined : placeAt(h, at, watch)) : undefined
      })
      .filter((x) => x !== undefined)
      .sort(at === undefined ? certainFirst : nearestFirst)
    return { holdings, coverage: this.coverageOver(all, filter).of(from, to) }
  }

  private count(hits: number, misses: number) {
    if (!this.o.onCache) return
    for (let i = 0; i < hits; i++) this.o.onCache(true)
    for (let i = 0; i < misses; i++) this.o.onCache(false)
  }
}

/** The answer to a point lookup: the verdict first (what the desk reads), then the holdings that defend it. */
function answerBody(q: PointQuery, holdings: Rendered[], coverage: Coverage) {
  const at = formatTime(q.at)
  const verdict = verdictBlock(q.ip, q.at, holdings.map((h) => ({ atT: h.atT ?? 'outside', scope: h.scope, holder: h.holder })), coverage, narrowedBy(q), at)
  return { ip: q.ip, at, window: q.windowMs / 1000, verdict, holdings, coverage }
}

/** The question's own filter, which a "none of ours" is about: "in vpc-0abc", "in account 1234…". */
function narrowedBy(q: Filter): string {
  return [q.vpc && `in ${q.vpc}`, q.account && `in account ${q.account}`].filter(Boolean).join(' ')
}

/** The answer with no holdings, as the general path writes it (`text`), reached through the JSON of the whole body. */
export function emptyTextInFull(q: PointQuery, format: 'whohad' | 'ecs', coverage: Coverage): string {
  const body = answerBody(q, [], coverage)
  return JSON.stringify(format === 'ecs' ? toEcs(body) : body)
}

/**
 * `emptyTextInFull`, the coverage written as JSON once per stretch of time: the same text, key for key
 * (test/api/membership.test.ts compares them), without stringifying the coverage each time.
 */
export function emptyTextByParts(q: PointQuery, format: 'whohad' | 'ecs', over: CoverageOverTime): string {
  const from = q.at - q.windowMs
  const to = q.at + q.windowMs
  const body = answerBody(q, [], over.of(from, to))
  if (format === 'ecs') return JSON.stringify(toEcs(body))
  // The coverage is the body's last key.
  const { coverage: _, ...rest } = body
  return `${JSON.stringify(rest).slice(0, -1)},"coverage":${over.json(from, to)}}`
}

/** Whether JSON.stringify writes this text between quotes as it is: no quote, backslash, control character or lone surrogate. */
function jsonPlain(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (c === 34 || c === 92 || c < 32 || (c >= 0xd800 && c <= 0xdfff)) return false
  }
  return true
}

/** What a never-held answer shares with every other lookup in its stretch of coverage. */
interface Fragments {
  /** whohad form, after the verdict's text: the rest of the verdict, no holdings, and the coverage up to `watched`'s content. */
  readonly tail: string
  /** ECS form, after the verdict's text. */
  readonly ecsTail: string
  /** The coverage's detail as JSON string content (an unknown verdict quotes it). */
  readonly detail: string
}

function fragmentsOf(stretch: Stretch): Fragments {
  const c = stretch.coverage
  return {
    tail: `","held":[],"mayHave":[]},"holdings":[],"coverage":${stretch.before}`,
    ecsTail: `","whohad.coverage":${JSON.stringify(c.state)},"whohad.coverage_detail":${JSON.stringify(c.detail)},"whohad.config_coverage":${JSON.stringify(c.config.state)},"whohad.config_coverage_detail":${JSON.stringify(c.config.detail)},"holders":[]}`,
    detail: JSON.stringify(c.detail).slice(1, -1),
  }
}

/**
 * The never-held answer written from fragments: most of a SIEM's lookups are never-held addresses,
 * and this is the whole of their answer's cost. A range within one stretch of coverage has its
 * stretch's coverage, `watched` aside (the range itself if every target watched the stretch, else
 * nothing); everything else in the text is the question's own (address, time, window, filter) or
 * follows from `watched` (the verdict: "none" when T lies in it, else "unknown"). Undefined where the
 * question's text would need escaping or the range crosses an edge of coverage: the caller writes
 * those as JSON. Equal to `emptyTextInFull` (test/api/answers-template.test.ts).
 */
export function emptyTextByTemplate(q: PointQuery, format: 'whohad' | 'ecs', over: CoverageOverTime, memo: WeakMap<Stretch, Fragments>): string | undefined {
  const from = q.at - q.windowMs
  const to = q.at + q.windowMs
  const stretch = over.stretchOf(from, to)
  if (stretch === undefined) return undefined
  const narrowed = q.vpc || q.account ? narrowedBy(q) : ''
  if (!jsonPlain(q.ip) || !jsonPlain(narrowed)) return undefined
  let f = memo.get(stretch)
  if (f === undefined) memo.set(stretch, (f = fragmentsOf(stretch)))
  const at = formatTime(q.at)
  const fromIso = from === q.at ? at : formatTime(from)
  const toIso = to === q.at ? at : formatTime(to)
  // As verdictBlock decides and words it (watchedAt compares the texts).
  const none = stretch.watching && fromIso <= at && at <= toIso
  const text = none ? `At ${at}, ${q.ip} was held by none of ours${narrowed ? ` ${narrowed}` : ''} (complete coverage)` : `At ${at}, ${q.ip}: unknown: not watched (${f.detail})`
  const window = q.windowMs / 1000
  if (format === 'ecs') return `{"source.ip":"${q.ip}","@timestamp":"${at}","whohad.window":${window},"whohad.verdict":"${none ? 'none' : 'unknown'}","whohad.verdict_text":"${text}${f.ecsTail}`
  const head = `{"ip":"${q.ip}","at":"${at}","window":${window},"verdict":{"state":"${none ? 'none' : 'unknown'}","text":"${text}${f.tail}`
  return stretch.watching ? `${head}{"from":"${fromIso}","to":"${toIso}"}${stretch.after}}` : `${head}${stretch.after}}`
}

/** Lookups of one address (and VPC and account) whose windows all fit in this span are read together. */
export const READ_TOGETHER_SPAN_MS = 60 * 60_000
const READ_TOGETHER_MAX = 64

/**
 * The lookups (indices into `queries`) grouped into store reads: those of the same address, VPC and
 * account whose windows together span at most READ_TOGETHER_SPAN_MS (a wider read costs more than it
 * saves), at most READ_TOGETHER_MAX to a read. Pure.
 */
export function readTogether(indices: readonly number[], queries: readonly PointQuery[]): number[][] {
  const byAddress = new Map<string, number[]>()
  for (const i of indices) {
    const q = queries[i]!
    const key = `${q.ip}|${q.vpc ?? ''}|${q.account ?? ''}`
    const list = byAddress.get(key)
    if (list) list.push(i)
    else byAddress.set(key, [i])
  }
  const units: number[][] = []
  for (const list of byAddress.values()) {
    list.sort((a, b) => queries[a]!.at - queries[a]!.windowMs - (queries[b]!.at - queries[b]!.windowMs))
    let unit: number[] = []
    let unitFrom = 0
    for (const i of list) {
      const q = queries[i]!
      if (unit.length > 0 && (q.at + q.windowMs - unitFrom > READ_TOGETHER_SPAN_MS || unit.length >= READ_TOGETHER_MAX)) {
        units.push(unit)
        unit = []
      }
      if (unit.length === 0) unitFrom = q.at - q.windowMs
      unit.push(i)
    }
    if (unit.length > 0) units.push(unit)
  }
  return units
}

/** The targets of the accounts a key may see (all of them for an unlimited key). */
function visibleStates(all: readonly TargetState[], visible: ReadonlySet<string> | undefined): readonly TargetState[] {
  return visible ? all.filter((s) => visible.has(s.accountId)) : all
}

/** The accounts a point lookup may find holdings in (undefined: every account). */
export function accountsAsked(q: { readonly account?: string | undefined; readonly visible?: readonly string[] | undefined }): readonly string[] | undefined {
  if (q.account === undefined) return q.visible
  return !q.visible || q.visible.includes(q.account) ? [q.account] : []
}

/**
 * Before this time nothing the collector does can change an answer's holdings' watch record: every
 * polled target has completed a poll after it (gaps are recorded when the poll that ends them lands).
 * Holdings themselves are guarded by the cache's per-address versions, not by this.
 */
export function settledBefore(states: readonly TargetState[]): number {
  let min = Number.POSITIVE_INFINITY
  for (const s of states) if (s.lastCompletePoll !== undefined) min = Math.min(min, s.lastCompletePoll)
  return min === Number.POSITIVE_INFINITY ? Number.NEGATIVE_INFINITY : min
}

/** A range's holdings: certain first, then by start. */
const certainFirst = (a: Rendered, b: Rendered) => (a.certainty === b.certainty ? a.start.after - b.start.after : a.certainty === 'certain' ? -1 : 1)
/** A point answer's holdings (each placed against T): nearest T first. */
const nearestFirst = (a: Rendered, b: Rendered) => byDistance(a as Rendered & Placed, b as Rendered & Placed)

export function render(h: StoredHolding, certainty: 'certain' | 'possible', state: TargetState | undefined, placed?: Placed) {
  return {
    certainty,
    // Point answers: where T itself lies in the holding, and how far outside its bounds.
    ...(placed ? { atT: placed.atT, distanceMs: placed.distanceMs } : {}),
    address: h.address,
    addressKind: h.addressKind,
    scope: h.scope,
    holder: h.holder,
    start: isoBound(h.start),
    ...(h.end ? { end: isoBound(h.end) } : provenUntil(state?.lastCompletePoll ?? h.start.by)),
  }
}

function provenUntil(ms: number) {
  return { provenUntil: ms, provenUntilIso: formatTime(ms) }
}

/**
 * Elastic Common Schema field names, for SIEM enrichment pipelines that index what they get as-is. ECS
 * has no field for an uncertain time, so `whohad.start` and `whohad.end` are the widest interval (the
 * earliest the holding may have started, the latest it may have ended) and the four bound fields beside
 * them say how wide each end is; `whohad.certainty` says whether the time asked about is surely inside.
 * Names use `_` (`whohad.start_after`), not a deeper dot: `whohad.start` is already a date, and a field
 * cannot also be an object in an index mapping.
 */
export function toEcs(body: { ip: string; at: string; window: number; verdict: { state: string; text: string }; holdings: Rendered[]; coverage: { state: string; detail: string; config: { state: string; detail: string } } }) {
  return {
    'source.ip': body.ip,
    '@timestamp': body.at,
    'whohad.window': body.window,
    'whohad.verdict': body.verdict.state,
    'whohad.verdict_text': body.verdict.text,
    'whohad.coverage': body.coverage.state,
    'whohad.coverage_detail': body.coverage.detail,
    'whohad.config_coverage': body.coverage.config.state,
    'whohad.config_coverage_detail': body.coverage.config.detail,
    holders: body.holdings.map((h) => ({
      'cloud.provider': 'aws',
      'cloud.account.id': h.holder.accountId,
      'cloud.region': h.holder.region,
      ...(h.holder.instanceId ? { 'cloud.instance.id': h.holder.instanceId } : {}),
      ...(h.holder.instanceId && h.holder.name ? { 'cloud.instance.name': h.holder.name } : {}),
      ...(h.holder.instanceType ? { 'cloud.machine.type': h.holder.instanceType } : {}),
      'cloud.service.name': serviceOf(h.holder),
      ...(h.holder.tags ? { labels: h.holder.tags } : {}),
      'whohad.certainty': h.certainty,
      ...(h.atT ? { 'whohad.at_time': h.atT } : {}),
      'whohad.eni.id': h.holder.eniId,
      'whohad.holder.kind': h.holder.kind,
      ...(h.holder.resource ? { 'whohad.resource.type': h.holder.resource.type } : {}),
      ...(h.holder.resource?.id ? { 'whohad.resource.id': h.holder.resource.id } : {}),
      ...(h.holder.resource?.name ? { 'whohad.resource.name': h.holder.resource.name } : {}),
      ...(h.holder.vpcId ? { 'whohad.vpc.id': h.holder.vpcId } : {}),
      ...(h.holder.subnetId ? { 'whohad.subnet.id': h.holder.subnetId } : {}),
      'whohad.start': h.start.afterIso,
      'whohad.start_after': h.start.afterIso,
      'whohad.start_by': h.start.byIso,
      ...('end' in h ? { 'whohad.end': h.end.byIso, 'whohad.end_after': h.end.afterIso, 'whohad.end_by': h.end.byIso } : { 'whohad.proven_until': h.provenUntilIso }),
    })),
  }
}

/** The AWS service behind a holder; the values of kinds that existed before resources are kept as they were. */
function serviceOf(holder: { readonly kind: string; readonly resource?: { readonly type: string } | undefined }): string {
  if (holder.resource?.type === 'resource-gateway') return 'vpc-lattice'
  const kind = holder.kind
  if (kind === 'instance') return 'ec2'
  if (kind === 'load-balancer') return 'elb'
  if (kind === 'nat-gateway' || kind === 'transit-gateway') return 'vpc'
  return kind
}
