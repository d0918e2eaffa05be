// npm run bench:api — the API under autocannon, against `whohad serve --api-only` in a child process on
// AWS DynamoDB Local and a real redis-server, every figure measured in this one run on this machine:
//   cached point lookups/s ÷ hello-world (/healthz) requests/s on the same server   (goal >= 0.80)
//   p99 latency of cached point lookups at half that load
//   lookups/s through 1,000-item batches, cached                                   (goal >= 100,000)
//   uncached point lookup p50 (over HTTP) ÷ one GetItem p50 (SDK, same store)        (for reference)
// BENCH_SECONDS (default 10) sets each autocannon run's length.
import { performance } from 'node:perf_hooks'
import { GetItemCommand } from '@aws-sdk/client-dynamodb'
import autocannon from 'autocannon'
import { createDynamoClient, ensureTable } from '../src/store/dynamodb.ts'
import type { StoreOperation } from '../src/model/stored-holding.ts'
import { storeOver } from '../src/store/open.ts'
import { targetKey } from '../src/store/targets.ts'
import { startDynamoDbLocal } from '../support/dynamodb-local.ts'
import { makeHolding } from '../support/holdings.ts'
import { type Proc, startServer, stopProc } from '../support/processes.ts'
import { startRedis } from '../support/redis.ts'

const SECONDS = Number(process.env.BENCH_SECONDS ?? 10)
const CONNECTIONS = 32
const T0 = Date.UTC(2026, 10, 1)
const MIN = 60_000
const IPS = 1_000

const local = await startDynamoDbLocal()
// The API as deployed beside other processes: answers in Redis, a short first level in process.
const teardowns: (() => unknown)[] = []
const redis = await startRedis({ teardown: (fn) => teardowns.push(fn) })
const client = createDynamoClient({ endpoint: local.endpoint, region: 'us-east-1', localCredentials: true })
let server: Proc | undefined
try {
  const tableName = 'benchapi'
  await ensureTable(client, tableName)
  const store = storeOver(client, { tableName })
  // 1,000 public addresses, each with ten past holders and one current.
  const ops: StoreOperation[] = []
  for (let i = 0; i < IPS; i++) {
    const address = `198.51.${100 + (i >> 8)}.${i & 255}`
    for (let k = 0; k < 10; k++) {
      const s = T0 + k * 30 * MIN
      ops.push({ kind: 'close', holding: makeHolding({ address, eni: `eni-${i}x${k}`, instance: `i-${i}x${k}`, start: [s - 30_000, s], end: [s + 20 * MIN, s + 20 * MIN + 30_000] }), closedAt: s + 21 * MIN })
    }
    ops.push({ kind: 'open', holding: makeHolding({ address, eni: `eni-${i}xo`, instance: `i-${i}xo`, start: [T0 + 300 * MIN, T0 + 301 * MIN] }) })
  }
  await store.holdings.apply(ops)
  await store.targets.put({ accountId: '111111111111', region: 'eu-west-1', consecutiveFailures: 0, firstCompletePoll: T0 - MIN, lastCompletePoll: Date.now() })

  const port = 18_000 + Math.floor(Math.random() * 1000)
  const started = await startServer(['--api-only'], { ...process.env, WHOHAD_DYNAMODB_ENDPOINT: local.endpoint, WHOHAD_TABLE: tableName, WHOHAD_PORT: String(port), WHOHAD_RATE_LIMIT: '100000000', REDIS_URL: redis.url, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', AWS_ACCESS_KEY_ID: '', AWS_PROFILE: '' })
  server = started.proc
  const base = started.base

  const run = ({ path, ...opts }: Partial<autocannon.Options> & { path: string }) =>
    autocannon({ url: base + path, connections: CONNECTIONS, duration: SECONDS, ...opts })
  const errors = (r: autocannon.Result) => r.errors + r.non2xx
  const pointUrl = `/v1/ips/198.51.100.7?at=${T0 + 100 * MIN}`
  await fetch(base + pointUrl) // fill the cache
  await run({ path: '/healthz', duration: 2 }) // warm up the JIT on both sides
  await run({ path: pointUrl, duration: 2 })

  const hello = await run({ path: '/healthz' })
  const cached = await run({ path: pointUrl })
  const half = await run({ path: pointUrl, overallRate: Math.max(1, Math.floor(cached.requests.average / 2)) })

  const batch = JSON.stringify({ lookups: Array.from({ length: 1_000 }, (_, i) => ({ ip: `198.51.${100 + (i >> 8)}.${i & 255}`, at: T0 + 100 * MIN })) })
  const post = { method: 'POST' as const, path: '/v1/lookups', headers: { 'content-type': 'application/json' }, body: batch }
  await fetch(base + '/v1/lookups', { method: 'POST', headers: post.headers, body: batch }) // fill the cache
  const batches = await run({ ...post, connections: 8 })
  // Uncached: a new time each request (a miss in every cache level), one at a time, beside GetItem.
  const tHttp: number[] = []
  const tGet: number[] = []
  for (let i = 0; i < 300; i++) {
    let t = performance.now()
    const res = await fetch(`${base}/v1/ips/198.51.100.${i % 256}?at=${T0 + 100 * MIN + i + 1}`)
    await res.arrayBuffer()
    tHttp.push(performance.now() - t)
    t = performance.now()
    await client.send(new GetItemCommand({ TableName: tableName, Key: targetKey('111111111111', 'eu-west-1') }))
    tGet.push(performance.now() - t)
  }
  const p50 = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!

  const ratio = cached.requests.average / hello.requests.average
  const lookupsPerSecond = batches.requests.average * 1_000
  const f = (n: number, d = 0) => n.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d })
  const rows: [string, string, string][] = [
    ['hello world (/healthz)', `${f(hello.requests.average)} req/s`, ''],
    ['cached point lookup', `${f(cached.requests.average)} req/s`, ''],
    ['  ratio to hello world', f(ratio, 2), `goal >= 0.80: ${ratio >= 0.8 ? 'met' : 'MISSED'}`],
    [`cached lookup at ${f(Math.floor(cached.requests.average / 2))} req/s`, `p50 ${f(half.latency.p50, 1)} ms, p99 ${f(half.latency.p99, 1)} ms`, ''],
    ['1,000-item batches, cached', `${f(batches.requests.average, 1)} batches/s = ${f(lookupsPerSecond)} lookups/s`, `goal >= 100,000: ${lookupsPerSecond >= 100_000 ? 'met' : 'MISSED'}`],
    ['uncached lookup p50 (HTTP)', `${f(p50(tHttp), 2)} ms`, ''],
    ['GetItem p50 (SDK)', `${f(p50(tGet), 2)} ms`, ''],
    ['  ratio uncached/GetItem', f(p50(tHttp) / p50(tGet), 2), ''],
  ]
  const w = [0, 1, 2].map((i) => Math.max(...rows.map((r) => r[i]!.length)))
  process.stdout.write(`api bench: ${CONNECTIONS} connections, ${SECONDS} s per run, server in a child process, AWS DynamoDB Local, Redis\n`)
  for (const r of rows) process.stdout.write(`  ${r.map((c, i) => c.padEnd(w[i]!)).join('  ').trimEnd()}\n`)
  const bad = [hello, cached, half, batches].reduce((n, r) => n + errors(r), 0)
  if (bad > 0) {
    process.stdout.write(`  ${bad} errors or non-2xx answers during the runs\n`)
    process.exitCode = 1
  }
} finally {
  if (server) await stopProc(server)
  client.destroy()
  await local.stop()
  for (const fn of teardowns) await fn()
}
