// Reconcile against a simulated ground truth: random histories of who held which address, polled at
// random with skewed page reads, partial and failed polls. Whatever happens, the holdings must contain
// the truth within their bounds, never be certain of something false, never be doubled, and replaying
// a poll must change nothing.
import fc from 'fast-check'
import t from 'tap'
import { holdingsToRead, openKey, openSummary, reconcile, reconcileSummarised } from '../../src/collector/reconcile.ts'
import { afterPoll } from '../../src/collector/poll-state.ts'
import { type Bound, classifyWatched, type Holding, unwatched } from '../../src/model/holding.ts'
import type { Observation, Snapshot } from '../../src/model/observation.ts'
import type { StoreOperation } from '../../src/model/stored-holding.ts'
import type { TargetState } from '../../src/model/target.ts'

const I = 60_000 // poll interval
const MAX_GAP = 1.5 * I

interface Segment {
  readonly address: string
  readonly scope: string
  readonly eniId: string
  readonly instanceId?: string
  readonly start: number
  readonly end?: number
  /** AWS reports the exact start (an attach or launch time). */
  readonly exact: boolean
  /** An Elastic IP's association id: a new one each time it is associated. */
  readonly association?: string
}

const SLOTS = [
  { address: '203.0.113.7', scope: 'global' },
  { address: '10.0.0.5', scope: 'vpc-1' },
  { address: '10.0.0.5', scope: 'vpc-2' },
]
const ENIS = ['eni-a', 'eni-b'] // two, so a slot's holders alternate and an address comes back to an ENI

// A slot's history: holders one after another, each holding for at least two poll intervals (a
// shorter absence between two polls is invisible to any poller), with idle time between or none.
const arbSlotHistory = fc.array(
  fc.record({
    idle: fc.oneof(fc.constant(0), fc.integer({ min: 2 * I, max: 20 * I })),
    hold: fc.integer({ min: 2 * I, max: 12 * I }),
    eni: fc.constantFrom(...ENIS),
    instance: fc.option(fc.constantFrom('i-1', 'i-2'), { nil: undefined, freq: 1 }),
    exact: fc.boolean(),
    // The public slot is an Elastic IP: it may come back to the same ENI after a brief absence, which
    // only its new association id tells.
    again: fc.boolean(),
    brief: fc.integer({ min: 1, max: I }),
  }),
  { minLength: 1, maxLength: 8 },
)

function segmentsOf(histories: (typeof arbSlotHistory extends fc.Arbitrary<infer T> ? T : never)[], horizon: number) {
  const out: Segment[] = []
  histories.forEach((steps, i) => {
    const slot = SLOTS[i]!
    let t = 1_000
    let previous: string | undefined
    for (const s of steps) {
      const elastic = slot.scope === 'global'
      const again = elastic && s.again && previous !== undefined
      // Consecutive holders of one slot differ (the same one continuing is one holding), unless an
      // Elastic IP was associated with the same ENI again.
      const eni = again ? previous! : s.eni === previous ? ENIS[(ENIS.indexOf(s.eni) + 1) % ENIS.length]! : s.eni
      const start = t + (again ? s.brief : s.idle)
      if (start >= horizon) break
      const end = start + s.hold
      out.push({ ...slot, eniId: eni, start, ...(end < horizon ? { end } : {}), ...(s.instance ? { instanceId: s.instance } : {}), exact: s.exact, ...(elastic ? { association: `eipassoc-${out.length}` } : {}) })
      previous = eni
      t = end
      if (end >= horizon) break
    }
  })
  return out
}

const heldAt = (s: Segment, r: number) => s.start <= r && (s.end === undefined || r < s.end)

const arbPolls = fc.array(
  fc.record({
    skew: fc.integer({ min: 0, max: 5_000 }),
    jitter: fc.integer({ min: 0, max: 10_000 }),
    outcome: fc.constantFrom('complete', 'complete', 'complete', 'complete', 'partial', 'failed'),
    reads: fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: ENIS.length, maxLength: ENIS.length }),
    keep: fc.array(fc.boolean(), { minLength: 16, maxLength: 16 }),
  }),
  { minLength: 5, maxLength: 60 },
)

function snapshotAt(k: number, poll: PollSpec, truth: Segment[]): { snapshot: Snapshot; seen: Segment[] } {
  const startedAt = k * I + poll.jitter
  const finishedAt = startedAt + poll.skew
  // Each ENI's page is read at its own instant within the poll.
  const readAt = (eni: string) => startedAt + Math.round(poll.reads[ENIS.indexOf(eni)]! * poll.skew)
  let seen: { s: Segment; o: Observation }[] = []
  if (poll.outcome !== 'failed') {
    for (const s of truth) {
      if (!heldAt(s, readAt(s.eniId))) continue
      seen.push({ s, o: {
        address: s.address,
        addressKind: s.scope === 'global' ? 'public-ipv4' : 'private-ipv4',
        scope: s.scope,
        holder: { eniId: s.eniId, kind: s.instanceId ? 'instance' : 'interface', accountId: '111111111111', region: 'eu-west-1', ...(s.instanceId ? { instanceId: s.instanceId } : {}), ...(s.association ? { associationId: s.association } : {}) },
        ...(s.exact ? { start: { after: s.start, by: s.start, evidence: [{ source: 'ec2-attach-time', at: s.start, ref: s.eniId }] } } : {}),
      } })
    }
    if (poll.outcome === 'partial') seen = seen.filter((_, i) => poll.keep[i % poll.keep.length])
  }
  const snapshot: Snapshot = {
    accountId: '111111111111',
    region: 'eu-west-1',
    pollId: `p${k}`,
    startedAt,
    finishedAt,
    complete: poll.outcome === 'complete',
    ...(poll.outcome === 'complete' ? {} : { error: poll.outcome }),
    observations: seen.map((x) => x.o),
    instanceStops: new Map(),
  }
  return { snapshot, seen: seen.map((x) => x.s) }
}
type PollSpec = { skew: number; jitter: number; outcome: string; reads: number[]; keep: boolean[] }

/** A minimal store with the same semantics as HoldingStore.apply, kept in memory. */
class MemoryStore {
  readonly open = new Map<string, Holding>()
  readonly closed: Holding[] = []
  apply(ops: readonly StoreOperation[]): string[] {
    const problems: string[] = []
    const closedHere = new Set<string>()
    for (const op of ops) {
      if (op.kind === 'open') {
        const k = openKey(op.holding)
        if (this.open.has(k) && !closedHere.has(k)) problems.push(`duplicate open holding ${k}`)
        this.open.set(k, op.holding)
      } else if (op.kind === 'close') {
        const k = openKey(op.holding)
        if (!this.open.has(k)) problems.push(`close of ${k}, which is not open`)
        this.open.delete(k)
        closedHere.add(k)
        this.closed.push(op.holding)
      } else if (op.kind === 'refine') {
        this.open.set(openKey(op.previous), op.next)
      } else {
        problems.push('reconcile never records history')
      }
    }
    return problems
  }
  all(): Holding[] {
    return [...this.closed, ...this.open.values()]
  }
}

const within = (b: Bound, x: number) => b.after <= x && x <= b.by
const sameIdentity = (h: Holding, s: Segment) =>
  h.address === s.address && h.scope === s.scope && h.holder.eniId === s.eniId && (h.holder.instanceId ?? '') === (s.instanceId ?? '')

function simulate(histories: Parameters<typeof segmentsOf>[0], polls: PollSpec[]) {
  const horizon = polls.length * I
  const truth = segmentsOf(histories, horizon)
  const store = new MemoryStore()
  let state: TargetState = { accountId: '111111111111', region: 'eu-west-1', consecutiveFailures: 0 }
  const problems: string[] = []
  const observed = new Set<Segment>()
  let outage = 0
  polls.forEach((spec, k) => {
    // Some failures start an outage: the next several polls fail too, long enough for an address
    // to leave its holder and come back unseen.
    if (outage === 0 && spec.outcome === 'failed' && spec.jitter < 4_000) outage = 8
    const poll = outage > 0 ? { ...spec, outcome: 'failed' } : spec
    if (outage > 0) outage--
    const { snapshot, seen } = snapshotAt(k, poll, truth)
    for (const s of seen) observed.add(s)
    const ops = reconcile([...store.open.values()], snapshot, { lastCompletePoll: state.lastCompletePoll })
    // The collector reads in full only the open holdings this snapshot may change: the same operations.
    const summaries = new Map([...store.open].map(([k, h]) => [k, openSummary(h)]))
    const needed = holdingsToRead(summaries, snapshot, { lastCompletePoll: state.lastCompletePoll })
    const summarised = reconcileSummarised(summaries, [...store.open.values()].filter((h) => needed.has(openKey(h))), snapshot, { lastCompletePoll: state.lastCompletePoll })
    if (JSON.stringify(summarised) !== JSON.stringify(ops)) problems.push(`poll ${k}: reading only ${needed.size} of ${summaries.size} open holdings gave other operations: ${JSON.stringify(summarised)} instead of ${JSON.stringify(ops)}`)
    problems.push(...store.apply(ops))
    // Replaying the same poll against the result changes nothing.
    const again = reconcile([...store.open.values()], snapshot, { lastCompletePoll: state.lastCompletePoll })
    if (again.length > 0) problems.push(`poll ${k} replayed gave ${again.length} more operations: ${JSON.stringify(again)} history ${state.lastCompletePoll} snapshot ${snapshot.startedAt}-${snapshot.finishedAt} complete ${snapshot.complete}`)
    state = afterPoll(state, snapshot, { maxGapMs: MAX_GAP })
  })
  return { truth, store, state, problems, observed, horizon }
}

t.test('reconcile keeps holdings true to a random history under random poll failures', async (t) => {
  let checkedCertain = 0
  fc.assert(
    fc.property(fc.tuple(arbSlotHistory, arbSlotHistory, arbSlotHistory), arbPolls, fc.array(fc.nat(), { minLength: 40, maxLength: 40 }), (histories, polls, samples) => {
      const { truth, store, state, problems, observed, horizon } = simulate(histories, polls)
      if (problems.length > 0) throw new Error(problems.join('\n'))
      const holdings = store.all()
      // Every holding is a true one: its start and (once closed) its end inside its bounds. Across a gap
      // the holding may join two true ones of the same holder: its start is one's, its end a later one's.
      for (const h of holdings) {
        const mine = truth.filter((s) => sameIdentity(h, s))
        const startOk = mine.some((s) => within(h.start, s.start))
        const endOk = !h.end || mine.some((s) => s.end !== undefined && within(h.end!, s.end))
        if (!startOk || !endOk) throw new Error(`holding with no true counterpart: ${JSON.stringify(h)}`)
      }
      const classifyAt = (h: Holding, T: number) =>
        classifyWatched(h, T, T, { openUntil: h.end ? undefined : state.lastCompletePoll, gaps: unwatched(state) })
      // Random instants, and the one just after each true holding ended (inside any absence that follows).
      const instants = [...samples.map((raw) => raw % horizon), ...truth.filter((s) => s.end !== undefined && s.end + 1 < horizon).map((s) => s.end! + 1)]
      for (const T of instants) {
        // Recall: every observed true holder at T is returned.
        for (const s of truth) {
          if (!observed.has(s) || !heldAt(s, T)) continue
          if (!holdings.some((h) => sameIdentity(h, s) && classifyAt(h, T) !== undefined)) {
            throw new Error(`missed ${s.eniId} holding ${s.address} in ${s.scope} at ${T}`)
          }
        }
        // Precision: everything certain at T is true at T (a handover instant counts for both).
        for (const h of holdings) {
          if (classifyAt(h, T) !== 'certain') continue
          checkedCertain++
          if (!truth.some((s) => sameIdentity(h, s) && s.start <= T && (s.end === undefined || T <= s.end))) {
            throw new Error(`certain but false at ${T}: ${JSON.stringify(h)}`)
          }
        }
      }
    }),
    { numRuns: 500, ...(process.env.FC_SEED ? { seed: Number(process.env.FC_SEED) } : {}) },
  )
  t.ok(checkedCertain > 1000, `certain answers were checked (${checkedCertain})`)
})

t.test('a failed or partial poll closes nothing', async (t) => {
  const holding: Holding = {
    address: '203.0.113.9',
    addressKind: 'public-ipv4',
    scope: 'global',
    holder: { eniId: 'eni-x', kind: 'interface', accountId: '111111111111', region: 'eu-west-1' },
    start: { after: 0, by: 1000, evidence: [] },
  }
  const base = { accountId: '111111111111', region: 'eu-west-1', pollId: 'p', startedAt: 5000, finishedAt: 6000, observations: [], instanceStops: new Map() }
  t.same(reconcile([holding], { ...base, complete: false, error: 'AccessDenied' }, { lastCompletePoll: 2000 }), [])
  const closed = reconcile([holding], { ...base, complete: true }, { lastCompletePoll: 2000 })
  t.equal(closed.length, 1)
  t.match(closed[0], { kind: 'close', closedAt: 6000, holding: { end: { after: 2000, by: 6000 } } })
})

t.test('an ENI moved to another instance closes one holding and opens the next', async (t) => {
  const holder = { eniId: 'eni-x', kind: 'instance' as const, accountId: '111111111111', region: 'eu-west-1', instanceId: 'i-old' }
  const holding: Holding = { address: '10.1.2.3', addressKind: 'private-ipv4', scope: 'vpc-1', holder, start: { after: 0, by: 1000, evidence: [] } }
  const snapshot: Snapshot = {
    accountId: '111111111111', region: 'eu-west-1', pollId: 'p', startedAt: 5000, finishedAt: 6000, complete: false,
    observations: [{ address: '10.1.2.3', addressKind: 'private-ipv4', scope: 'vpc-1', holder: { ...holder, instanceId: 'i-new' } }],
    instanceStops: new Map(),
  }
  const ops = reconcile([holding], snapshot, { lastCompletePoll: 2000 })
  t.same(ops.map((o) => o.kind), ['close', 'open'], 'proof of change even in a partial poll')
  t.match(ops[1], { holding: { holder: { instanceId: 'i-new' }, start: { after: 2000, by: 6000 } } })
})

t.test('holder metadata changes refine in place, only from complete polls', async (t) => {
  const holder = { eniId: 'eni-x', kind: 'instance' as const, accountId: '111111111111', region: 'eu-west-1', instanceId: 'i-1', name: 'web-1' }
  const holding: Holding = { address: '10.1.2.3', addressKind: 'private-ipv4', scope: 'vpc-1', holder, start: { after: 0, by: 1000, evidence: [] } }
  const observation: Observation = { address: '10.1.2.3', addressKind: 'private-ipv4', scope: 'vpc-1', holder: { ...holder, name: 'web-2' } }
  const snap = (complete: boolean): Snapshot => ({ accountId: '111111111111', region: 'eu-west-1', pollId: 'p', startedAt: 5000, finishedAt: 6000, complete, observations: [observation], instanceStops: new Map() })
  t.same(reconcile([holding], snap(false), { lastCompletePoll: 2000 }), [])
  t.match(reconcile([holding], snap(true), { lastCompletePoll: 2000 }), [{ kind: 'refine', next: { holder: { name: 'web-2' }, start: holding.start } }])
  // Known only by its summary, the holding is read in full because its holder changed.
  const summaries = new Map([[openKey(holding), openSummary(holding)]])
  t.same([...holdingsToRead(summaries, snap(true), { lastCompletePoll: 2000 })], [openKey(holding)], 'a changed holder is read in full')
  t.same([...holdingsToRead(summaries, { ...snap(true), observations: [{ ...observation, holder }] }, { lastCompletePoll: 2000 })], [], 'an unchanged one is not')
  t.same(reconcileSummarised(summaries, [], { ...snap(true), observations: [{ ...observation, holder }] }, { lastCompletePoll: 2000 }), [], 'and its observation opens nothing')
})

t.test('evidence that contradicts the poll window is not trusted', async (t) => {
  const snapshot: Snapshot = {
    accountId: '111111111111', region: 'eu-west-1', pollId: 'p', startedAt: 5000, finishedAt: 6000, complete: true,
    observations: [{
      address: '203.0.113.9', addressKind: 'public-ipv4', scope: 'global',
      holder: { eniId: 'eni-x', kind: 'interface', accountId: '111111111111', region: 'eu-west-1' },
      start: { after: 100, by: 100, evidence: [{ source: 'ec2-attach-time', at: 100, ref: 'eni-x' }] },
    }],
    instanceStops: new Map(),
  }
  const [op] = reconcile([], snapshot, { lastCompletePoll: 2000 })
  t.match(op, { kind: 'open', holding: { start: { after: 2000, by: 6000 } } }, 'absent at 2000, so it started after')
  const [first] = reconcile([], snapshot, {})
  t.match(first, { holding: { start: { after: 100, by: 100 } } }, 'on a first poll the exact time stands')
})

t.test('poll state: failures counted, complete polls recorded', async (t) => {
  const s0: TargetState = { accountId: 'a', region: 'r', consecutiveFailures: 0 }
  const snap = (startedAt: number, complete: boolean): Snapshot => ({ accountId: 'a', region: 'r', pollId: 'p', startedAt, finishedAt: startedAt + 500, complete, observations: [], instanceStops: new Map(), ...(complete ? {} : { error: 'throttled' }) })
  const s1 = afterPoll(s0, snap(1000, true), { maxGapMs: MAX_GAP })
  t.match(s1, { firstCompletePoll: 1000, lastCompletePoll: 1000, consecutiveFailures: 0 })
  const s2 = afterPoll(s1, snap(61_000, false), { maxGapMs: MAX_GAP })
  t.match(s2, { firstCompletePoll: 1000, lastCompletePoll: 1000, consecutiveFailures: 1, lastError: 'throttled', lastAttempt: 61_000 })
  const s3 = afterPoll(s2, snap(91_000, true), { maxGapMs: MAX_GAP })
  t.match(s3, { firstCompletePoll: 1000, lastCompletePoll: 91_000, consecutiveFailures: 0 })
  t.equal(s3.lastError, undefined)
  t.equal(s3.gaps, undefined, 'a gap-length apart is no gap')
  const s4 = afterPoll(s3, snap(400_000, true), { maxGapMs: MAX_GAP })
  t.same(s4.gaps, [{ from: 91_000, to: 400_500 }], 'a long silence is a gap')
  t.same(afterPoll(s4, snap(460_000, true), { maxGapMs: MAX_GAP }).gaps, s4.gaps)
})


t.test('an address given up and taken again between two polls: AWS dates the new acquisition, so the holding closes before it and a new one opens from it', async (t) => {
  // An auto-assigned public IPv4 on an instance that stopped and started between two polls and got the
  // same address back (as a small pool can): both polls see it, and only the new launch time says so.
  const holder = { eniId: 'eni-x', kind: 'instance' as const, accountId: '111111111111', region: 'eu-west-1', instanceId: 'i-1' }
  const holding: Holding = { address: '3.80.0.18', addressKind: 'public-ipv4', scope: 'global', holder, start: { after: 14_000, by: 60_000, evidence: [] } }
  const launch = 192_000
  const snap = (since: number): Snapshot => ({
    accountId: '111111111111', region: 'eu-west-1', pollId: 'p', startedAt: 240_000, finishedAt: 241_000, complete: true,
    observations: [{ address: '3.80.0.18', addressKind: 'public-ipv4', scope: 'global', holder, start: { after: since, by: Number.POSITIVE_INFINITY, evidence: [{ source: 'ec2-launch-time', at: since, ref: 'i-1' }] } }],
    instanceStops: new Map(),
  })
  const ops = reconcile([holding], snap(launch), { lastCompletePoll: 60_000 })
  t.same(ops.map((o) => o.kind), ['close', 'open'])
  t.match(ops[0], { holding: { start: holding.start, end: { after: 60_000, by: launch } } }, 'held when last seen, gone before the new launch')
  t.match(ops[1], { holding: { start: { after: launch, by: 241_000 } } }, 'the new holding starts at the launch')
  const classifyAt = (h: Holding, T: number) => classifyWatched(h, T, T, { gaps: [] })
  t.equal(classifyAt((ops[0] as { holding: Holding }).holding, 120_000), 'possible', 'in between, the old holding is no longer certain')

  t.same(reconcile([holding], snap(30_000), { lastCompletePoll: 60_000 }), [], 'a launch before the holding was seen: the same holding')
  t.same(reconcile([holding], snap(launch), { lastCompletePoll: 200_000 }), [], 'a launch before the last poll that saw it: that poll may have seen the new one; nothing to conclude')
  const opened = ops[1] as { holding: Holding }
  t.same(reconcile([opened.holding], snap(launch), { lastCompletePoll: 240_000 }), [], 'the next poll sees the same launch: nothing changes')
})

t.test('an Elastic IP associated again with the same ENI between two polls: its new association id closes the holding and opens another', async (t) => {
  // AWS dates no association; only the id changes. Without it, two polls that both saw the address on
  // eni-x would be one holding, certain in between, while another ENI held it.
  const holder = { eniId: 'eni-x', kind: 'instance' as const, accountId: '111111111111', region: 'eu-west-1', instanceId: 'i-1', allocationId: 'eipalloc-1', associationId: 'eipassoc-1' }
  const holding: Holding = { address: '198.51.100.4', addressKind: 'public-ipv4', scope: 'global', holder, start: { after: 14_000, by: 60_000, evidence: [] } }
  const attached = { after: 5_000, by: 5_000, evidence: [{ source: 'ec2-attach-time' as const, at: 5_000, ref: 'eni-x' }] }
  const snap = (associationId: string | undefined, complete = true): Snapshot => ({
    accountId: '111111111111', region: 'eu-west-1', pollId: 'p', startedAt: 240_000, finishedAt: 241_000, complete,
    observations: [{ address: '198.51.100.4', addressKind: 'public-ipv4', scope: 'global', holder: { ...holder, associationId }, start: { ...attached, by: Number.POSITIVE_INFINITY } }],
    instanceStops: new Map(),
  })
  const ops = reconcile([holding], snap('eipassoc-2'), { lastCompletePoll: 180_000 })
  t.same(ops.map((o) => o.kind), ['close', 'open'])
  t.match(ops[0], { holding: { start: holding.start, end: { after: 180_000, by: 241_000 } } }, 'held when last seen; gone some time before this poll ended (the attach time says nothing of it)')
  t.match(ops[1], { holding: { start: { after: 180_000, by: 241_000 }, holder: { associationId: 'eipassoc-2' } } })
  const classifyAt = (h: Holding, T: number) => classifyWatched(h, T, T, { gaps: [] })
  t.equal(classifyAt((ops[0] as { holding: Holding }).holding, 200_000), 'possible', 'in between, the old association is no longer certain')
  t.equal(classifyAt((ops[0] as { holding: Holding }).holding, 170_000), 'certain', 'until the last poll that saw it, it is')
  t.same(reconcile([holding], snap('eipassoc-2', false), { lastCompletePoll: 180_000 }).map((o) => o.kind), ['close', 'open'], 'a partial poll that read the ENI proves the change too')

  t.same(reconcile([holding], snap('eipassoc-1'), { lastCompletePoll: 180_000 }), [], 'the same association: the same holding')
  t.same(reconcile([holding], snap(undefined), { lastCompletePoll: 180_000 }).map((o) => o.kind), ['refine'], 'no id stated this time: nothing to conclude (the record follows what was seen)')
  const { associationId: _, ...unstated } = holder
  t.same(reconcile([{ ...holding, holder: unstated }], snap('eipassoc-2'), { lastCompletePoll: 180_000 }).map((o) => o.kind), ['refine'], 'no id recorded before: it is recorded now')
  const opened = (ops[1] as { holding: Holding }).holding
  t.same(reconcile([opened], snap('eipassoc-2'), { lastCompletePoll: 240_000 }), [], 'the next poll sees the same association: nothing changes')
})
