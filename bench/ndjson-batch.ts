// A quick side-by-side: the same 10,000 lookups as one JSON batch and as an NDJSON stream, against one
// in-process server on the embedded store, alternating, every figure from this one run:
//   NDJSON lookups/s ÷ batch lookups/s      (goal >= 0.80)
// Answers are cached after the first round (as SIEM batches repeat addresses), so this measures the
// forms, not the store. ROUNDS (default 10) sets how many of each are timed.
import { performance } from 'node:perf_hooks'
import { buildApp } from '../src/api/app.ts'
import type { StoreOperation } from '../src/model/stored-holding.ts'
import { makeHolding } from '../support/holdings.ts'
import { openTestStore } from '../support/stores.ts'

const ROUNDS = Number(process.env.ROUNDS ?? 10)
const ITEMS = 10_000
const IPS = 100
const T0 = Date.UTC(2026, 10, 1)
const MIN = 60_000

const teardowns: (() => unknown)[] = []
try {
  const { store } = await openTestStore({ teardown: (fn) => teardowns.push(fn) }, 'embedded')
  const ops: StoreOperation[] = []
  for (let i = 0; i < IPS; i++) {
    ops.push({ kind: 'open', holding: makeHolding({ address: `198.51.${100 + (i >> 8)}.${i & 255}`, eni: `eni-${i.toString(16).padStart(6, '0')}`, instance: `i-${i.toString(16).padStart(6, '0')}`, start: [T0 - 60 * MIN, T0 - 59 * MIN] }) })
  }
  await store.holdings.apply(ops)
  await store.targets.put({ accountId: '111111111111', region: 'eu-west-1', consecutiveFailures: 0, firstCompletePoll: T0 - 120 * MIN, lastCompletePoll: T0 + 60 * MIN })
  const app = await buildApp({ store, staleMs: 60 * MIN, settledMs: 60 * MIN })
  teardowns.unshift(() => app.fastify.close())
  const url = `${await app.fastify.listen({ host: '127.0.0.1', port: 0 })}/v1/lookups`

  const lookups = Array.from({ length: ITEMS }, (_, i) => ({ ip: `198.51.${100 + ((i % IPS) >> 8)}.${i % IPS & 255}`, at: T0 }))
  const batchBody = JSON.stringify({ lookups })
  const ndjsonBody = lookups.map((l) => JSON.stringify(l)).join('\n')
  const batch = async () => {
    const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: batchBody })
    const n = ((await res.json()) as { results: unknown[] }).results.length
    if (n !== ITEMS) throw new Error(`batch: ${n} results`)
  }
  const ndjson = async () => {
    const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/x-ndjson' }, body: ndjsonBody })
    // Read as a pipeline reads it: line by line, each parsed.
    const n = (await res.text()).split('\n').filter(Boolean).map((l) => JSON.parse(l) as unknown).length
    if (n !== ITEMS) throw new Error(`ndjson: ${n} lines`)
  }
  await batch()
  await ndjson()
  const spent = { batch: 0, ndjson: 0 }
  for (let r = 0; r < ROUNDS; r++) {
    // Alternating, so that both forms see the same machine.
    for (const [name, run] of [['batch', batch], ['ndjson', ndjson]] as const) {
      const start = performance.now()
      await run()
      spent[name] += performance.now() - start
    }
  }
  const rate = (ms: number) => (ROUNDS * ITEMS) / (ms / 1000)
  console.log(`batch:  ${Math.round(rate(spent.batch)).toLocaleString('en')} lookups/s (${ROUNDS} × ${ITEMS.toLocaleString('en')}, cached)`)
  console.log(`ndjson: ${Math.round(rate(spent.ndjson)).toLocaleString('en')} lookups/s`)
  console.log(`ndjson ÷ batch: ${(rate(spent.ndjson) / rate(spent.batch)).toFixed(2)} (goal >= 0.80)`)
} finally {
  for (const fn of teardowns) await fn()
}
