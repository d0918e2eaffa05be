// One read for an address asked about at many times: lookupWindows answers each window exactly as its
// own lookup would (property, over holdings of every level, open and closed, and a crash's leftover),
// and a batch that asks about one address at many nearby times reads the store once for them, with the
// same answers as single lookups.
import fc from 'fast-check'
import t from 'tap'
import { buildApp } from '../../src/api/app.ts'
import type { StoreOperation } from '../../src/model/stored-holding.ts'
import { makeHolding } from '../../support/holdings.ts'
import { openTestStore } from '../../support/stores.ts'

const MIN = 60_000
const HOUR = 60 * MIN
const DAY = 24 * HOUR
const T0 = Date.UTC(2026, 10, 1)
const IP = '203.0.113.7'

t.test('each window is answered as its own lookup (property)', async (t) => {
  const { store } = await openTestStore(t, 'dynamodb-local')
  // Holdings of one address across levels: minutes, hours, days and months long, some still open.
  const ops: StoreOperation[] = []
  const spans = [5 * MIN, 50 * MIN, 5 * HOUR, 3 * DAY, 70 * DAY]
  for (let k = 0; k < 60; k++) {
    const s = T0 + ((k * 7919 * MIN) % (90 * DAY))
    const span = spans[k % spans.length]!
    const holding = makeHolding({ address: IP, eni: `eni-${k}`, start: [s, s + MIN], ...(k % 9 === 0 ? {} : { end: [s + span, s + span + MIN] }) })
    ops.push(holding.end ? { kind: 'close', holding, closedAt: s + span + MIN } : { kind: 'open', holding })
  }
  // A crash's leftover: an open item beside its closed twin (reads must prefer the closed one).
  const twin = makeHolding({ address: IP, eni: 'eni-twin', start: [T0 + 10 * DAY, T0 + 10 * DAY + MIN] })
  ops.push({ kind: 'open', holding: twin })
  await store.holdings.apply(ops)
  await store.holdings.apply([{ kind: 'record', holding: { ...twin, end: { after: T0 + 10 * DAY + 30 * MIN, by: T0 + 10 * DAY + 31 * MIN, evidence: [] } }, closedAt: T0 + 10 * DAY + 31 * MIN }])

  const windowArb = fc.record({ at: fc.integer({ min: T0 - DAY, max: T0 + 100 * DAY }), w: fc.constantFrom(0, MIN, HOUR, DAY) })
  await fc.assert(
    fc.asyncProperty(fc.array(windowArb, { minLength: 1, maxLength: 6 }), async (ws) => {
      const windows = ws.map(({ at, w }) => ({ from: at - w, to: at + w }))
      const together = await store.holdings.lookupWindows({ ip: IP }, windows)
      const alone = await Promise.all(windows.map((w) => store.holdings.lookup({ ip: IP, ...w })))
      return JSON.stringify(together) === JSON.stringify(alone)
    }),
    { numRuns: 40 },
  )
  t.pass('lookupWindows equals lookup, window by window')
})

t.test('a batch reads one address asked at many nearby times once, and answers as single lookups do', async (t) => {
  const { store, requests } = await openTestStore(t, 'dynamodb-local')
  const ops: StoreOperation[] = []
  for (let k = 0; k < 6; k++) {
    const s = T0 + k * 10 * MIN
    ops.push({ kind: 'close', holding: makeHolding({ address: IP, eni: `eni-${k}`, start: [s, s + 30_000], end: [s + 8 * MIN, s + 8 * MIN + 30_000] }), closedAt: s + 9 * MIN })
  }
  await store.holdings.apply(ops)
  await store.targets.put({ accountId: '111111111111', region: 'eu-west-1', consecutiveFailures: 0, firstCompletePoll: T0 - HOUR, lastCompletePoll: T0 + 2 * HOUR })
  // No membership filter here: the store read is what is counted.
  const plainStore = { holdings: store.holdings, instances: store.instances, targets: store.targets }
  const batch = await buildApp({ store: plainStore })
  const single = await buildApp({ store: plainStore })
  t.teardown(async () => {
    await batch.fastify.close()
    await single.fastify.close()
  })
  const times = Array.from({ length: 30 }, (_, i) => T0 + i * 2 * MIN)
  requests.reset()
  const got = await batch.fastify.inject({ method: 'POST', url: '/v1/lookups', payload: { lookups: times.map((at) => ({ ip: IP, at: new Date(at).toISOString() })) } })
  t.equal(got.statusCode, 200)
  const queries = requests.count('QueryCommand')
  t.ok(queries <= 4 + 1, `30 lookups of one address within an hour: ${queries} Queries (one per level, and the target list)`)
  const results = got.json().results as unknown[]
  const alone = await Promise.all(times.map(async (at) => (await single.fastify.inject({ url: `/v1/ips/${IP}?at=${new Date(at).toISOString()}` })).json()))
  t.same(results, alone, 'each item equals its single lookup')
  t.ok(results.some((r) => (r as { holdings: unknown[] }).holdings.length > 0), 'and some found holders')
})
