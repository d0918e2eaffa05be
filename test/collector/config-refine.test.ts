// refineWithConfig is pure: what AWS Config history adds to the holdings the polls made. Each case is
// a small history with a known truth; the ground-truth suites exercise it against the simulator.
import t from 'tap'
import { refineWithConfig } from '../../src/collector/config-refine.ts'
import type { Holding } from '../../src/model/holding.ts'
import { makeHolding } from '../../support/holdings.ts'

const MIN = 60_000
const T0 = Date.UTC(2026, 10, 1)
const at = (m: number) => T0 + m * MIN

// Polls every 10 minutes saw 10.0.0.5 on eni-a from the poll at 10 (not at 0) onwards, still open.
const polled = makeHolding({ address: '10.0.0.5', eni: 'eni-a', start: [at(0), at(10)] })
// Config, captured a little after each change: the address arrived at 3, left at 22, came back at 27.
const arrived = { ...polled, start: { after: at(3), by: at(4), evidence: [] } }
const before = { ...arrived, end: { after: at(22), by: at(23), evidence: [] } }
const after: Holding = { ...polled, start: { after: at(27), by: at(28), evidence: [] } }

t.test('an absence Config saw inside a polled holding splits it: a closed piece and the open rest', async (t) => {
  const ops = refineWithConfig([polled], [before, after])
  t.equal(ops.length, 1)
  const op = ops[0]!
  if (op.kind !== 'split') return t.fail(`a split, not ${op.kind}`)
  t.same(op.previous, polled)
  t.same(op.pieces.map((p) => [p.start, p.end]), [[polled.start, before.end]], 'the piece keeps the polls\' start and ends where Config saw it leave')
  t.same([op.next.start, op.next.end], [after.start, undefined], 'the rest starts where Config saw it come back, still open')
  t.same(refineWithConfig([op.pieces[0]!, op.next], [before, after]).filter((o) => o.kind === 'split' || o.kind === 'record'), [], 'once split, the same history splits and records nothing more')
})

t.test('an interval that meets one stored holding narrows both of its ends', async (t) => {
  const closedByPolls = { ...polled, end: { after: at(20), by: at(30), evidence: [] } }
  const ops = refineWithConfig([closedByPolls], [before])
  t.equal(ops.length, 1)
  const op = ops[0]!
  if (op.kind !== 'refine') return t.fail(`a refine, not ${op.kind}`)
  t.same([op.next.start.after, op.next.start.by, op.next.end?.after, op.next.end?.by], [at(3), at(4), at(22), at(23)])
})

t.test('a closed interval no poll saw is recorded; one whose start is unknown is not', async (t) => {
  const missed = makeHolding({ address: '10.0.0.6', eni: 'eni-b', start: [at(1), at(2)], end: [at(5), at(6)] })
  const ops = refineWithConfig([], [missed])
  t.same(ops.map((o) => o.kind), ['record'])
  const unknownStart = { ...missed, start: { after: 0, by: at(2), evidence: [] } }
  t.same(refineWithConfig([], [unknownStart]), [], 'began before the history read: an earlier pass or the polls had it')
  t.same(refineWithConfig([missed], [missed]), [], 'recorded by an earlier pass: nothing to do')
})

t.test('another holder of the same address is not touched', async (t) => {
  const other = makeHolding({ address: '10.0.0.5', eni: 'eni-z', start: [at(0), at(10)] })
  t.same(refineWithConfig([other], [before, after]).filter((o) => o.kind !== 'record'), [], 'no split or narrowing of eni-z by eni-a\'s history')
})

t.test('a stretch shorter than Config\'s capture delay is the open holding a split left, not a new one', async (t) => {
  // Found by the long stress run: the rest of a split (open, its start from Config) later ends, and
  // Config's interval for it has an empty core (start.by after end.after); it used to be recorded again,
  // a closed twin beside the open holding.
  const rest: Holding = { ...polled, start: { after: at(27), by: at(29), evidence: [] } }
  const ended = { ...rest, end: { after: at(28), by: at(30), evidence: [] } }
  t.same(refineWithConfig([rest], [ended]).filter((o) => o.kind === 'record'), [], 'no record of the same stretch')
})

t.test('a stretch shorter than the capture delay that the polls saw is one holding, narrowed, not recorded twice', async (t) => {
  // Polls every minute saw it from 10 to 14 (closed between 14 and 15). Config, assuming captures up to
  // 15 minutes late, bounds it wider: its core [start.by, end.after] is empty.
  const byPolls = makeHolding({ address: '10.0.0.7', eni: 'eni-c', start: [at(9), at(10)], end: [at(14), at(15)] })
  const byConfig = { ...byPolls, start: { after: at(-5), by: at(10.5), evidence: [] }, end: { after: at(0), by: at(14.5), evidence: [] } }
  const ops = refineWithConfig([byPolls], [byConfig])
  t.same(ops.map((o) => o.kind), ['refine'], 'paired: narrowed, never recorded beside it')
  const op = ops[0]!
  if (op.kind !== 'refine') return
  t.same([op.next.start.after, op.next.start.by, op.next.end?.after, op.next.end?.by], [at(9), at(10), at(14), at(14.5)])
})

t.test('a holding whose core meets two intervals\' supports pairs with neither: both are recorded', async (t) => {
  // Two short stretches a few minutes apart, both within Config's delay of the polls' sighting: which
  // one the polls saw is unknowable, so nothing is narrowed, and recall keeps both.
  const byPolls = makeHolding({ address: '10.0.0.8', eni: 'eni-d', start: [at(9), at(10)], end: [at(11), at(12)] })
  const first = { ...byPolls, start: { after: at(-5), by: at(10), evidence: [] }, end: { after: at(-3), by: at(12), evidence: [] } }
  const second = { ...byPolls, start: { after: at(-2), by: at(13), evidence: [] }, end: { after: at(0), by: at(15), evidence: [] } }
  const ops = refineWithConfig([byPolls], [first, second])
  t.same(ops.map((o) => o.kind).sort(), ['record', 'record'])
})

t.test('the intervals a split cuts at are its pieces: none is recorded beside them', async (t) => {
  // Config saw a short absence inside the polls' open holding, and the stretch before it ended within
  // the capture delay of its start (an empty core).
  const open = makeHolding({ address: '10.0.0.9', eni: 'eni-e', start: [at(0), at(10)] })
  const first = { ...open, start: { after: at(1), by: at(12), evidence: [] }, end: { after: at(11), by: at(21), evidence: [] } }
  const second = { ...open, start: { after: at(30), by: at(31), evidence: [] } }
  const ops = refineWithConfig([open], [first, second])
  t.same(ops.map((o) => o.kind), ['split'], 'one split, no record of the interval it was cut at')
})

t.test('a holding one poll saw (an empty core) pairs with the interval its sighting lies in', async (t) => {
  // Found by the ground-truth run: seen by one poll that read over [9, 12], closed by the next; its core
  // runs backwards, and the Config interval of the same stretch was recorded beside it.
  const once = makeHolding({ address: '10.0.0.10', eni: 'eni-f', start: [at(9), at(12)], end: [at(9), at(18)] })
  const byConfig = { ...once, start: { after: at(8), by: at(10), evidence: [] }, end: { after: at(13), by: at(15), evidence: [] } }
  const ops = refineWithConfig([once], [byConfig])
  t.same(ops.map((o) => o.kind), ['refine'], 'narrowed, not recorded twice')
})

t.test('no pairing by support where the history read does not cover the sighting, or a stretch older than the read may be it', async (t) => {
  const once = makeHolding({ address: '10.0.0.11', eni: 'eni-g', start: [at(9), at(12)], end: [at(9), at(18)] })
  const byConfig = { ...once, start: { after: at(8), by: at(10), evidence: [] }, end: { after: at(13), by: at(15), evidence: [] } }
  t.same(refineWithConfig([once], [byConfig], at(10)).map((o) => o.kind), ['record'], 'read from after the sighting: Config may not have seen its stretch')
  const older = { ...once, start: { after: 0, by: at(5), evidence: [] }, end: { after: at(6), by: at(9.5), evidence: [] } }
  t.same(refineWithConfig([once], [older, byConfig]).filter((o) => o.kind === 'refine'), [], 'a stretch of unknown start may be the one the poll saw: nothing narrowed')
})
