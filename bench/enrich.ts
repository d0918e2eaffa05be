// npm run bench:enrich — SIEM enrichment against `whohad serve --api-only` (compiled, a child process),
// once over AWS DynamoDB Local and once over the embedded store, every figure measured in this run:
//   an organisation of 100,000 holdings (20,000 public addresses, five holders each over 30 days),
//   200,000 lookups in 1,000-item batches (4 in flight), 9 in 10 for random public addresses never held,
//   1 in 10 for held addresses at random times over the 30 days, nothing cached beforehand:
//     lookups/s and store requests per lookup (the server's own count, /metrics), and the same 1,000
//     lookups compared item by item with the plain path (the same server, WHOHAD_MEMBERSHIP_FILTER=off);
//   the same for never-held addresses only                      (goal >= 100,000 lookups/s, no store request)
//   the mix                                                     (goal <= 0.5 store requests per lookup, and
//                                                                 lookups/s >= 0.8 x store floor / requests per lookup)
//   the store floor: Queries/s the backend itself serves at the same concurrency (the SDK, this process)
//   the mix as NDJSON streams (4 of 50,000 lines) beside the batches (goal: within 20%)
// The load generator shares the two cores with the server: it reads every answer whole but parses only
// one batch in 16 (checked in full) and each stream's first line (the rest counted), as autocannon
// parses none; the comparisons with the plain path parse everything.
// BENCH_ENRICH_LOOKUPS (default 200,000) sets the number of lookups per run.
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { QueryCommand } from '@aws-sdk/client-dynamodb'
import { createDynamoClient, ensureTable } from '../src/store/dynamodb.ts'
import { startEmbeddedDynamo } from '../src/store/embedded.ts'
import type { StoreOperation } from '../src/model/stored-holding.ts'
import { REGISTRY_MARGIN_MS } from '../src/store/members.ts'
import { storeOver } from '../src/store/open.ts'
import { addressPk } from '../src/store/table.ts'
import { compiledCli } from '../support/cli.ts'
import { startDynamoDbLocal } from '../support/dynamodb-local.ts'
import { makeHolding } from '../support/holdings.ts'
import { seededRandom } from '../support/random.ts'

const LOOKUPS = Number(process.env.BENCH_ENRICH_LOOKUPS ?? 200_000)
const BATCH = 1_000
const IN_FLIGHT = 4
const ADDRESSES = Number(process.env.BENCH_ENRICH_ADDRESSES ?? 20_000)
const HOLDERS = 5
const DAY = 86_400_000
const NOW = Date.now()
const T0 = NOW - 30 * DAY
const ACCOUNT = '111111111111'
const REGION = 'eu-west-1'


/** Held: 100.64.0.0/10 is not public, so held addresses come from 198.18.0.0/15 and 203.0.113.0/24 … kept apart from never-held ones by construction. */
const heldAddress = (i: number) => `198.18.${(i >> 8) & 255}.${i & 255}`
const neverHeld = (r: () => number) => `${1 + Math.floor(r() * 90)}.${Math.floor(r() * 256)}.${Math.floor(r() * 256)}.${1 + Math.floor(r() * 254)}`

interface Lookup {
  readonly ip: string
  readonly at: string
}

function lookups(seed: number, count: number, heldShare: number): Lookup[] {
  const r = seededRandom(seed)
  return Array.from({ length: count }, () => {
    const at = new Date(T0 + Math.floor(r() * 30 * DAY)).toISOString()
    return r() < heldShare ? { ip: heldAddress(Math.floor(r() * ADDRESSES)), at } : { ip: neverHeld(r), at }
  })
}

function organisation(): StoreOperation[] {
  const ops: StoreOperation[] = []
  const span = (30 * DAY) / HOLDERS
  for (let i = 0; i < ADDRESSES; i++) {
    for (let k = 0; k < HOLDERS; k++) {
      const s = T0 + k * span + (i % 97) * 60_000
      const holding = makeHolding({ address: heldAddress(i), eni: `eni-${i.toString(16)}x${k}`, instance: `i-${i.toString(16)}x${k}`, account: ACCOUNT, region: REGION, start: [s, s + 60_000], ...(k < HOLDERS - 1 ? { end: [s + span - 3_600_000, s + span - 3_540_000] } : {}) })
      ops.push(holding.end ? { kind: 'close', holding, closedAt: holding.end.by } : { kind: 'open', holding })
    }
  }
  return ops
}

interface Server {
  readonly base: string
  readonly child: ChildProcess
}

async function startServer(env: NodeJS.ProcessEnv): Promise<Server> {
  const port = 19_000 + Math.floor(Math.random() * 1000)
  const child = spawn(process.execPath, [compiledCli(), 'serve', '--api-only'], {
    env: { ...process.env, WHOHAD_PORT: String(port), WHOHAD_RATE_LIMIT: '100000000', AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', AWS_ACCESS_KEY_ID: '', AWS_PROFILE: '', ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  const base = await new Promise<string>((resolve, reject) => {
    let out = ''
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString()
      const m = /API and page at (http:\/\/\S+)/.exec(out)
      if (m) resolve(m[1]!)
    })
    child.once('exit', (code) => reject(new Error(`server exited (${code}): ${out}`)))
  })
  return { base, child }
}

async function stopServer(s: Server): Promise<void> {
  const exited = new Promise((r) => s.child.once('exit', r))
  s.child.kill('SIGTERM')
  await exited
}

/** The server's store requests so far (whohad_store_requests_total, every command). */
async function storeRequests(base: string): Promise<number> {
  const text = await (await fetch(`${base}/metrics`)).text()
  let n = 0
  for (const m of text.matchAll(/^whohad_store_requests_total\{command="(\w+)"\} (\d+)/gm)) n += Number(m[2])
  return n
}

async function postBatch(base: string, items: readonly Lookup[]): Promise<unknown[]> {
  const res = await fetch(`${base}/v1/lookups`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ lookups: items }) })
  if (res.status !== 200) throw new Error(`batch answered ${res.status}: ${await res.text()}`)
  return ((await res.json()) as { results: unknown[] }).results
}

/**
 * A batch's answer read whole but parsed only now and then: the load generator shares the machine's two
 * cores with the server, and parsing every answer (autocannon parses none) would take the server's
 * share. One batch in PARSED is parsed and checked in full.
 */
const PARSED = 16
async function postBatchLightly(base: string, items: readonly Lookup[], parse: boolean): Promise<void> {
  if (parse) {
    const results = await postBatch(base, items)
    if (results.length !== items.length || results.some((r) => typeof r !== 'object' || r === null || !('verdict' in r))) throw new Error('a batch answered other than one answer per lookup')
    return
  }
  const res = await fetch(`${base}/v1/lookups`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ lookups: items }) })
  const body = await res.arrayBuffer()
  if (res.status !== 200 || body.byteLength < items.length * 100) throw new Error(`batch answered ${res.status} with ${body.byteLength} bytes`)
}

/** Batches of BATCH, IN_FLIGHT at a time; lookups per second and store requests per lookup. */
async function runBatches(base: string, all: readonly Lookup[]) {
  const before = await storeRequests(base)
  const began = performance.now()
  let next = 0
  const worker = async () => {
    while (next < all.length) {
      const at = next
      next += BATCH
      await postBatchLightly(base, all.slice(at, at + BATCH), (at / BATCH) % PARSED === 0)
    }
  }
  await Promise.all(Array.from({ length: IN_FLIGHT }, worker))
  const seconds = (performance.now() - began) / 1000
  const requests = (await storeRequests(base)) - before
  return { perSecond: all.length / seconds, requestsPerLookup: requests / all.length, requests, seconds }
}

/** The same lookups as NDJSON streams (IN_FLIGHT of them), answers read as they come. */
async function runStreams(base: string, all: readonly Lookup[]) {
  const before = await storeRequests(base)
  const began = performance.now()
  const per = Math.ceil(all.length / IN_FLIGHT)
  await Promise.all(
    Array.from({ length: IN_FLIGHT }, async (_, s) => {
      const part = all.slice(s * per, (s + 1) * per)
      const body = part.map((l) => JSON.stringify(l)).join('\n') + '\n'
      const res = await fetch(`${base}/v1/lookups`, { method: 'POST', headers: { 'content-type': 'application/x-ndjson' }, body })
      // Read as it streams, lines counted (as lightly as the batches are read); the first line parsed.
      let lines = 0
      let head = ''
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        if (lines === 0) head += Buffer.from(chunk).toString('utf8')
        for (let i = chunk.indexOf(10); i >= 0; i = chunk.indexOf(10, i + 1)) lines++
      }
      if (res.status !== 200 || lines !== part.length || !('verdict' in (JSON.parse(head.slice(0, head.indexOf('\n'))) as object))) throw new Error(`stream answered ${res.status} with ${lines} of ${part.length} lines`)
    }),
  )
  const seconds = (performance.now() - began) / 1000
  return { perSecond: all.length / seconds, requestsPerLookup: ((await storeRequests(base)) - before) / all.length }
}

/** Queries per second the backend serves at IN_FLIGHT × 8 concurrency (what a server with that many batches in flight asks of it). */
async function storeFloor(endpoint: string, tableName: string): Promise<number> {
  const client = createDynamoClient({ endpoint, region: 'us-east-1', localCredentials: true })
  const r = seededRandom(9)
  const count = 4_000
  const began = performance.now()
  let next = 0
  const worker = async () => {
    while (next++ < count) {
      const ip = r() < 0.5 ? heldAddress(Math.floor(r() * ADDRESSES)) : neverHeld(r)
      await client.send(new QueryCommand({ TableName: tableName, KeyConditionExpression: 'pk = :pk AND begins_with(sk, :p)', ExpressionAttributeValues: { ':pk': { S: addressPk(ip) }, ':p': { S: 'h#' } } }))
    }
  }
  await Promise.all(Array.from({ length: 32 }, worker))
  client.destroy()
  return count / ((performance.now() - began) / 1000)
}

/** Holdings of every answer, provenUntil aside (each server reads target states on its own clock). */
function holdersOf(results: readonly unknown[]): string {
  return JSON.stringify(results.map((r) => (r as { holdings: { provenUntil?: number; provenUntilIso?: string }[] }).holdings.map(({ provenUntil: _p, provenUntilIso: _i, ...h }) => h)))
}

const f = (n: number, d = 0) => n.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d })

/**
 * `endpoint` serves the store while this process writes the organisation and measures the floor;
 * `release` lets the server have it meanwhile (the embedded store is one process's at a time) and
 * gives the endpoint to use afterwards.
 */
async function benchBackend(name: string, endpoint: string, env: NodeJS.ProcessEnv, tableName: string, release: () => Promise<{ reopen: () => Promise<{ endpoint: string; close: () => Promise<void> }> }>) {
  const client = createDynamoClient({ endpoint, region: 'us-east-1', localCredentials: true })
  await ensureTable(client, tableName)
  const store = storeOver(client, { tableName })
  const ops = organisation()
  const wrote = performance.now()
  for (let i = 0; i < ops.length; i += 2_000) await store.holdings.apply(ops.slice(i, i + 2_000))
  const written = performance.now()
  await store.targets.put({ accountId: ACCOUNT, region: REGION, consecutiveFailures: 0, firstCompletePoll: T0 - DAY, lastCompletePoll: NOW })
  process.stderr.write(`bench:enrich ${name}: ${ops.length} holdings written in ${f((performance.now() - wrote) / 1000, 0)} s\n`)
  client.destroy()
  const { reopen } = await release()

  const rows: [string, string, string][] = []
  const compare = lookups(5, 1_000, 0.1)
  const mix = lookups(1, LOOKUPS, 0.1)
  const never = lookups(2, LOOKUPS, 0)
  const mixForStreams = lookups(3, LOOKUPS, 0.1)

  // The plain path first: the same store through a server without the filter.
  const plain = await startServer({ ...env, WHOHAD_MEMBERSHIP_FILTER: 'off' })
  const want = holdersOf(await postBatch(plain.base, compare))
  await stopServer(plain)

  const server = await startServer(env)
  try {
    const got = holdersOf(await postBatch(server.base, compare))
    const held = (JSON.parse(got) as unknown[][]).filter((h) => h.length > 0).length
    rows.push(['1,000 lookups vs the plain path', got === want ? `equal, item by item (${held} found holders)` : 'DIFFERENT', ''])
    if (got !== want) process.exitCode = 1
    await postBatch(server.base, lookups(4, 2_000, 0.1)) // warm up the JIT
    const n = await runBatches(server.base, never)
    // The server reads the target list and the member registry's newest entries about once a second
    // each, whatever it is asked: those are all the store requests a run of never-held addresses may make.
    const periodic = n.requests <= 3 * n.seconds + 2
    rows.push(['never-held only, batches', `${f(n.perSecond)} lookups/s, ${f(n.requests)} store requests in ${f(n.seconds, 1)} s (${periodic ? 'the periodic reads only' : 'MORE than the periodic reads'})`, `goal >= 100,000/s, none per lookup: ${n.perSecond >= 100_000 && periodic ? 'met' : 'MISSED'}`])
    const m = await runBatches(server.base, mix)
    rows.push(['the mix (1 in 10 held), batches', `${f(m.perSecond)} lookups/s, ${f(m.requestsPerLookup, 3)} store requests/lookup`, `goal <= 0.5 requests/lookup: ${m.requestsPerLookup <= 0.5 ? 'met' : 'MISSED'}`])
    const s = await runStreams(server.base, mixForStreams)
    rows.push(['the mix, NDJSON streams', `${f(s.perSecond)} lookups/s, ${f(s.requestsPerLookup, 3)} store requests/lookup`, `ratio to batches ${f(s.perSecond / m.perSecond, 2)}, goal >= 0.80: ${s.perSecond / m.perSecond >= 0.8 ? 'met' : 'MISSED'}`])
    // The first never-held run follows the organisation's writing by less than the registry's catch-up
    // margin (30 s): each catch-up (every second) re-reads every address written in it. The same run
    // again, once the last write is older than the margin, shows what those reads cost.
    const sinceWrites = performance.now() - written
    if (sinceWrites < REGISTRY_MARGIN_MS + 2_000) await new Promise((r) => setTimeout(r, REGISTRY_MARGIN_MS + 2_000 - sinceWrites))
    const again = await runBatches(server.base, never)
    rows.push([`never-held again, ${f((performance.now() - written) / 1000)} s after the last write`, `${f(again.perSecond)} lookups/s, ${f(again.requests)} store requests in ${f(again.seconds, 1)} s`, `ratio to the first run ${f(again.perSecond / n.perSecond, 2)}`])
    await stopServer(server)
    const engine = await reopen()
    const floor = await storeFloor(engine.endpoint, tableName).finally(() => engine.close())
    const bound = (0.8 * floor) / Math.max(m.requestsPerLookup, 1e-9)
    rows.push(['store floor (Query, 32 in flight)', `${f(floor)} Queries/s`, ''])
    rows.push(['  the mix ÷ (floor ÷ requests/lookup)', f(m.perSecond / (floor / Math.max(m.requestsPerLookup, 1e-9)), 2), `goal >= 0.80: ${m.perSecond >= bound ? 'met' : 'MISSED'}`])
  } finally {
    if (server.child.exitCode === null) await stopServer(server)
  }
  const w = [0, 1, 2].map((i) => Math.max(...rows.map((r) => r[i]!.length)))
  process.stdout.write(`${name}:\n`)
  for (const r of rows) process.stdout.write(`  ${r.map((c, i) => c.padEnd(w[i]!)).join('  ').trimEnd()}\n`)
}

process.stdout.write(`enrich bench: ${f(ADDRESSES * HOLDERS)} holdings over 30 days, ${f(LOOKUPS)} lookups a run in ${f(BATCH)}-item batches (${IN_FLIGHT} in flight), nothing cached before; server: whohad serve --api-only in a child process, in-process cache\n`)
const local = await startDynamoDbLocal()
try {
  const shared = { endpoint: local.endpoint, close: async () => {} }
  await benchBackend('AWS DynamoDB Local', local.endpoint, { WHOHAD_DYNAMODB_ENDPOINT: local.endpoint, WHOHAD_TABLE: 'enrich' }, 'enrich', async () => ({ reopen: async () => shared }))
} finally {
  await local.stop()
}
// The embedded store: written here through its engine (dynalite on disk), then opened by the server.
const dir = mkdtempSync(path.join(os.tmpdir(), 'whohad-enrich-'))
try {
  const engine = await startEmbeddedDynamo(dir)
  const release = async () => {
    await engine.close()
    return { reopen: () => startEmbeddedDynamo(dir) }
  }
  await benchBackend('embedded store', engine.endpoint, { WHOHAD_STORE: 'embedded', WHOHAD_DATA_DIR: dir, WHOHAD_TABLE: 'enrich' }, 'enrich', release)
} finally {
  rmSync(dir, { recursive: true, force: true })
}
