// npm run bench:collect — the collector against a 100k-ENI simulated organisation (100 accounts ×
// 4 regions × 250 ENIs), through the real AWS SDK, into AWS DynamoDB Local. Prints three figures:
//   1. initial sync wall time ÷ the floor the simulated AWS allows (goal ≤ 1.2)
//   2. DynamoDB writes per changed holding in steady state at ~1% churn per poll (goal ≤ 1.2, plus
//      one write per target per poll for its poll state and one per changed instance record, both
//      counted and printed apart)
//   3. the collector's peak RSS (goal ≤ 256 MB)
// The fake AWS runs in a child process (`whohad fakeaws`) so this process's RSS is the collector's own;
// DynamoDB Local is a Java process of its own. BENCH_SCALE (e.g. 0.1) shrinks the number of accounts
// for a quick run; BENCH_POLLS sets the steady-state polls (default 5). Exit status is non-zero only when
// the run itself failed (a target not polled completely, a process not starting), never for a missed goal.
import { spawn } from 'node:child_process'
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb'
import { readFileSync } from 'node:fs'
import os from 'node:os'
import { performance } from 'node:perf_hooks'
import { collectOnce } from '../src/collector/collector.ts'
import type { PollResult } from '../src/model/poll-result.ts'
import type { Target } from '../src/model/target.ts'
import { wireCollector } from '../src/collector/wiring.ts'
import { loadConfig } from '../src/config.ts'
import { DEFAULT_BUCKETS } from '../src/fakeaws/faults.ts'
import { createDynamoClient, ensureTable } from '../src/store/dynamodb.ts'
import { storeOver } from '../src/store/open.ts'
import { tableDefinition } from '../src/store/table.ts'
import { compiledCli } from '../support/cli.ts'
import { startDynamoDbLocal } from '../support/dynamodb-local.ts'

const SCALE = Number(process.env.BENCH_SCALE ?? 1)
if (!(SCALE > 0)) throw new Error(`BENCH_SCALE must be a number > 0, not ${process.env.BENCH_SCALE}`)
const ACCOUNTS = Math.max(2, Math.round(100 * SCALE))
const REGIONS = 4
const ENIS_PER_REGION = 250
const STEADY_POLLS = Math.max(1, Number(process.env.BENCH_POLLS ?? 5))
const MB = 1e6
const INDEX_COUNT = tableDefinition('bench').GlobalSecondaryIndexes?.length ?? 0
// The collector's defaults (poll every 60 s, 8 targets at a time), as `whohad collect` runs with no configuration.
const defaults = loadConfig({}).collector
// The fake's churn is events per target per virtual hour; one event changes about one ENI. ~1% of a
// target's ENIs per poll interval is therefore 0.01 × ENIs × (polls per hour) events per hour.
const CHURN = 0.01 * ENIS_PER_REGION * (3_600_000 / defaults.intervalMs)

const log = (m: string) => process.stderr.write(`bench:collect: ${m}\n`)

// Peak RSS of this process (the collector, its SDK clients and this harness), sampled every 50 ms, with
// the peak of the live-plus-garbage JS heap beside it to tell data from GC headroom and loaded code.
let peakRss = 0
let peakHeap = 0
const sample = () => {
  const m = process.memoryUsage()
  peakRss = Math.max(peakRss, m.rss)
  peakHeap = Math.max(peakHeap, m.heapUsed)
}
sample()
setInterval(sample, 50).unref()

interface FakeProcess {
  readonly endpoint: string
  readonly accountId: string
  readonly keys: { readonly accessKeyId: string; readonly secretAccessKey: string }
  readonly pid: number
  /** ENIs the world was built with (churn steering makes it differ from the nominal count by a few). */
  readonly enis: number
  stop(): Promise<void>
}

/** `whohad fakeaws` in a child process (virtual clock, AWS's default token buckets refilling in real time). */
async function startFakeProcess(): Promise<FakeProcess> {
  const args = [compiledCli(), 'fakeaws', '--seed', '7', '--accounts', String(ACCOUNTS), '--regions', String(REGIONS),
    '--enis-per-region', String(ENIS_PER_REGION), '--churn', String(CHURN)]
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] })
  process.once('exit', () => child.kill('SIGKILL'))
  let out = ''
  await new Promise<void>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`whohad fakeaws exited (${code}) before it was ready:\n${out}`)))
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString()
      if (/\nworld: .*\n/.test(out)) resolve() // the last line of its banner
    })
  })
  const endpoint = /listening on (\S+)/.exec(out)?.[1]
  const mgmt = /management account (\d{12}): AWS_ACCESS_KEY_ID=(\S+) AWS_SECRET_ACCESS_KEY=(\S+)/.exec(out)
  if (!endpoint || !mgmt) throw new Error(`cannot read the fakeaws banner:\n${out}`)
  log(out.trim().split('\n').at(-1)!)
  child.removeAllListeners('exit')
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  return {
    endpoint,
    accountId: mgmt[1]!,
    keys: { accessKeyId: mgmt[2]!, secretAccessKey: mgmt[3]! },
    pid: child.pid!,
    enis: Number(/ (\d+) ENIs,/.exec(out)?.[1] ?? NaN),
    stop: async () => {
      if (child.exitCode === null) child.kill('SIGTERM')
      await exited
    },
  }
}

/** Resident memory of another process (Linux), for context only. */
function rssOf(pid: number): number | undefined {
  try {
    const kb = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]
    return kb === undefined ? undefined : Number(kb) * 1024
  } catch {
    return undefined
  }
}

/** One AWS query-protocol request to the fake. It authenticates by access key, so no real signature is needed. */
async function awsQuery(fake: FakeProcess, service: 'ec2' | 'sts', region: string, creds: Creds, params: Record<string, string>): Promise<string> {
  const res = await fetch(fake.endpoint, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: `AWS4-HMAC-SHA256 Credential=${creds.accessKeyId}/20261120/${region}/${service}/aws4_request, SignedHeaders=host, Signature=0`,
      ...(creds.sessionToken ? { 'x-amz-security-token': creds.sessionToken } : {}),
    },
    body: new URLSearchParams(params).toString(),
  })
  const text = await res.text()
  if (res.status !== 200) throw new Error(`${params.Action}: HTTP ${res.status}: ${text.slice(0, 200)}`)
  return text
}

interface Creds { readonly accessKeyId: string; readonly secretAccessKey?: string; readonly sessionToken?: string }

/**
 * The request-cost floor: the same EC2 requests a snapshot needs (every page of DescribeNetworkInterfaces
 * and DescribeInstances at MaxResults 1000, one DescribeAddresses) for every target, sent as bare HTTP by
 * a client that parses nothing but the NextToken, at the collector's concurrency. Role credentials are
 * fetched before the clock starts, as the collector's discovery has them before its sync starts.
 */
async function rawSweep(fake: FakeProcess, targets: readonly Target[], concurrency: number, homeRegion: string) {
  const creds = new Map<string, Creds>([[fake.accountId, fake.keys]])
  for (const accountId of new Set(targets.map((t) => t.accountId))) {
    if (creds.has(accountId)) continue
    const xml = await awsQuery(fake, 'sts', homeRegion, fake.keys, {
      Action: 'AssumeRole', Version: '2011-06-15', RoleArn: `arn:aws:iam::${accountId}:role/whohad-read`, RoleSessionName: 'bench',
    })
    const field = (name: string) => new RegExp(`<${name}>([^<]+)</${name}>`).exec(xml)?.[1] ?? ''
    creds.set(accountId, { accessKeyId: field('AccessKeyId'), secretAccessKey: field('SecretAccessKey'), sessionToken: field('SessionToken') })
  }
  const requestsPerTarget: number[] = []
  const queue = [...targets]
  const began = performance.now()
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (let t = queue.shift(); t; t = queue.shift()) {
        const c = creds.get(t.accountId)!
        let requests = 0
        for (const Action of ['DescribeNetworkInterfaces', 'DescribeInstances']) {
          let token: string | undefined
          do {
            const xml = await awsQuery(fake, 'ec2', t.region, c, { Action, Version: '2016-11-15', MaxResults: '1000', ...(token ? { NextToken: token } : {}) })
            requests++
            token = /<nextToken>([^<]+)<\/nextToken>/.exec(xml)?.[1]
          } while (token)
        }
        await awsQuery(fake, 'ec2', t.region, c, { Action: 'DescribeAddresses', Version: '2016-11-15' })
        requestsPerTarget.push(requests + 1)
      }
    }),
  )
  return { ms: performance.now() - began, requestsPerTarget }
}

/**
 * The rate-limit floor: every request above is non-mutating EC2 (paginated or DescribeAddresses), so it
 * draws on the per-target bucket DEFAULT_BUCKETS['ec2:non-mutating'] (capacity C, refill r/s). A target
 * needing n requests must wait at least max(0, n − C) / r; buckets are per target, so the whole sync can
 * be no faster than the slowest target, nor than the total wait spread over the collector's workers.
 */
function rateLimitFloorMs(requestsPerTarget: readonly number[], concurrency: number): number {
  const { capacity, refillPerSecond } = DEFAULT_BUCKETS['ec2:non-mutating']!
  const waits = requestsPerTarget.map((n) => (Math.max(0, n - capacity) / refillPerSecond) * 1000)
  return Math.max(0, ...waits, waits.reduce((a, b) => a + b, 0) / concurrency)
}

/**
 * Counts DynamoDB write requests by item (each BatchWriteItem item, PutItem, UpdateItem, DeleteItem), and
 * the write capacity units DynamoDB Local says they consumed (base table and every index: what DynamoDB
 * bills), by asking each write for its ConsumedCapacity. Instance records (their own batches, items of
 * kind `instance`) are counted apart as well, so that holdings' writes per change can be told from them.
 */
function countWrites(client: DynamoDBClient) {
  const counts = { items: 0, putItem: 0, units: 0, putItemUnits: 0, instanceItems: 0, instanceUnits: 0 }
  type Consumed = { CapacityUnits?: number }
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const input = args.input as { RequestItems?: Record<string, unknown[]>; ReturnConsumedCapacity?: string }
      switch (context.commandName) {
        case 'BatchWriteItemCommand':
          for (const items of Object.values(input.RequestItems ?? {})) {
            counts.items += items.length
            counts.instanceItems += items.filter(isInstanceWrite).length
          }
          break
        case 'PutItemCommand':
          counts.putItem++
          counts.items++
          break
        case 'UpdateItemCommand':
        case 'DeleteItemCommand':
          counts.items++
          break
        default:
          return next(args)
      }
      input.ReturnConsumedCapacity = 'TOTAL'
      const result = await next(args)
      const consumed = (result.output as { ConsumedCapacity?: Consumed | Consumed[] }).ConsumedCapacity
      for (const c of Array.isArray(consumed) ? consumed : consumed ? [consumed] : []) {
        counts.units += c.CapacityUnits ?? 0
        if (context.commandName === 'PutItemCommand') counts.putItemUnits += c.CapacityUnits ?? 0
        if (context.commandName === 'BatchWriteItemCommand' && Object.values(input.RequestItems ?? {}).flat().every(isInstanceWrite)) counts.instanceUnits += c.CapacityUnits ?? 0
      }
      return result
    },
    { step: 'initialize', name: 'benchWriteCounter' },
  )
  return counts
}

function isInstanceWrite(request: unknown): boolean {
  return (request as { PutRequest?: { Item?: { kind?: { S?: string } } } }).PutRequest?.Item?.kind?.S === 'instance'
}

const sum = (rs: readonly PollResult[], k: 'opened' | 'closed' | 'refined' | 'observations') => rs.reduce((n, r) => n + r[k], 0)

function requireComplete(what: string, results: readonly PollResult[]): void {
  const failed = results.filter((r) => !r.complete)
  if (failed.length > 0) throw new Error(`${what}: ${failed.length} targets incomplete, e.g. ${failed[0]!.target.accountId} ${failed[0]!.target.region}: ${failed[0]!.error}`)
}

async function main(): Promise<void> {
  const wallStart = performance.now()
  const baselineRss = process.memoryUsage().rss
  log(`starting fakeaws (${ACCOUNTS} accounts × ${REGIONS} regions × ${ENIS_PER_REGION} ENIs, churn ${CHURN}/target/h) and DynamoDB Local`)
  // A DynamoDB Local already serving the test run (scripts/test.ts) is reused; the table is our own.
  const sharedDynamo = process.env.WHOHAD_TEST_DYNAMODB_ENDPOINT
  const [fake, local] = await Promise.all([startFakeProcess(), sharedDynamo ? undefined : startDynamoDbLocal()])
  const client = createDynamoClient({ endpoint: sharedDynamo ?? local!.endpoint, region: 'us-east-1', localCredentials: true })
  const session: { destroy(): void }[] = []
  try {
    const tableName = `bench-collect-${process.pid}-${Date.now()}`
    await ensureTable(client, tableName)
    const store = storeOver(client, { tableName, retentionMs: 400 * 86_400_000 }, { location: 'AWS DynamoDB Local', table: 'created' })
    const writes = countWrites(client)
    // The collector reads the fake's virtual clock, which moves only when we advance it.
    let now = ((await (await fetch(`${fake.endpoint}/_fake/clock`)).json()) as { now: number }).now
    const settings = { ...defaults, endpoint: fake.endpoint, selfAccountId: fake.accountId, homeRegion: 'us-east-1' }
    let snapshotMs = 0
    const wired = wireCollector(store, settings, { credentials: fake.keys, now: () => now })
    session.push(wired.session)
    const { options } = wired
    const deps = {
      ...wired.deps,
      takeSnapshot: async (t: Target) => {
        const began = performance.now()
        try {
          return await wired.deps.takeSnapshot(t)
        } finally {
          snapshotMs += performance.now() - began
        }
      },
    }

    const { targets, failures } = await deps.discover()
    if (failures.length > 0) throw new Error(`discovery failed: ${JSON.stringify(failures[0])}`)
    log(`${targets.length} targets; measuring the request-cost floor (bare HTTP sweep, twice, best kept)`)
    const sweeps = [await rawSweep(fake, targets, options.concurrency, settings.homeRegion), await rawSweep(fake, targets, options.concurrency, settings.homeRegion)]
    const sweep = sweeps.reduce((a, b) => (a.ms <= b.ms ? a : b))
    const rateFloor = rateLimitFloorMs(sweep.requestsPerTarget, options.concurrency)
    // The fake's buckets are on (AWS's defaults, real-time refill), but at 250 ENIs a target needs 3
    // requests against 100 tokens, so they cannot bind: the floor is what the requests themselves cost.
    const floorMs = Math.max(rateFloor, sweep.ms)
    const requests = sweep.requestsPerTarget.reduce((a, b) => a + b, 0)

    log('initial sync')
    const syncStart = performance.now()
    const initial = await collectOnce(deps, options, targets)
    const syncMs = performance.now() - syncStart
    requireComplete('initial sync', initial)
    const pollMs = initial.reduce((n, r) => n + r.durationMs, 0)
    const holdings = sum(initial, 'opened')
    const syncWrites = writes.items
    const syncSnapshotMs = snapshotMs
    sample()
    const syncPeakRss = peakRss

    log(`${STEADY_POLLS} steady-state polls, the fake advanced ${defaults.intervalMs / 1000} s before each`)
    const steady = { opened: 0, closed: 0, refined: 0, observations: 0 }
    const before = { ...writes }
    const steadyStart = performance.now()
    for (let i = 0; i < STEADY_POLLS; i++) {
      const res = await fetch(`${fake.endpoint}/_fake/advance?ms=${defaults.intervalMs}`, { method: 'POST' })
      now = ((await res.json()) as { now: number }).now
      const results = await collectOnce(deps, options, targets)
      requireComplete(`steady poll ${i + 1}`, results)
      for (const k of ['opened', 'closed', 'refined', 'observations'] as const) steady[k] += sum(results, k)
    }
    const steadyPollMs = (performance.now() - steadyStart) / STEADY_POLLS
    const steadyWrites = writes.items - before.items
    const steadyChanged = steady.opened + steady.closed + steady.refined
    const stateWrites = STEADY_POLLS * targets.length
    // Instance records are written only when an instance changes (launched, stopped, started, gone):
    // counted in the writes, and reported apart from the holdings' per-change figure.
    const instanceWrites = writes.instanceItems - before.instanceItems
    const perChange = (steadyWrites - stateWrites - instanceWrites) / Math.max(1, steadyChanged)
    // Not a goal: what DynamoDB bills for the same writes (every index included), per changed holding.
    const unitsPerChange =
      (writes.units - before.units - (writes.putItemUnits - before.putItemUnits) - (writes.instanceUnits - before.instanceUnits)) / Math.max(1, steadyChanged)
    const fakeRss = rssOf(fake.pid)
    sample()
    const runPeakRss = peakRss
    const runPeakHeap = peakHeap

    // Not a goal: the same snapshots through the SDK with no store, to tell the SDK's cost from the store's.
    log('snapshots alone (SDK, no store)')
    const snapStart = performance.now()
    const queue = [...targets]
    await Promise.all(Array.from({ length: options.concurrency }, async () => {
      for (let t = queue.shift(); t; t = queue.shift()) if (!(await wired.deps.takeSnapshot(t)).complete) throw new Error(`snapshot of ${t.accountId} ${t.region} incomplete`)
    }))
    const snapOnlyMs = performance.now() - snapStart

    const f = (n: number, d = 2) => n.toFixed(d)
    const ratio = syncMs / floorMs
    const row = (figure: string, value: string, goal: string, ok: boolean) =>
      `  ${figure.padEnd(44)} ${value.padStart(9)}   ${goal.padEnd(8)} ${ok ? 'met' : 'MISSED'}\n`
    process.stdout.write(
      `collector bench: ${targets.length} targets (${ACCOUNTS} accounts × ${REGIONS} regions), ${holdings} holdings from ` +
        `${fake.enis} ENIs; concurrency ${options.concurrency}; AWS DynamoDB Local; ` +
        `${os.cpus().length} CPUs shared by the collector, the fake and DynamoDB Local\n` +
        `floor: ${f(floorMs / 1000)} s = max(rate-limit floor ${f(rateFloor / 1000)} s, request-cost floor ${f(sweep.ms / 1000)} s)\n` +
        `  rate limits: ${requests} EC2 requests (${Math.max(...sweep.requestsPerTarget)} at most per target, MaxResults 1000) against a ` +
        `${DEFAULT_BUCKETS['ec2:non-mutating']!.capacity}-token bucket per target refilling ${DEFAULT_BUCKETS['ec2:non-mutating']!.refillPerSecond}/s: no target waits\n` +
        `  request cost: the same requests as bare HTTP to the fake, ${options.concurrency} targets at a time, best of 2 sweeps\n` +
        `initial sync: ${f(syncMs / 1000)} s wall; per target ${f(syncSnapshotMs / Math.max(1, pollMs) * 100, 0)}% reading AWS, the rest DynamoDB ` +
        `(${syncWrites} writes); the snapshots alone (SDK, no store) take ${f(snapOnlyMs / 1000)} s = ${f(snapOnlyMs / floorMs)} × floor\n` +
        `steady state: ${STEADY_POLLS} polls, ${steadyChanged} holdings changed (${steady.opened} opened, ${steady.closed} closed, ${steady.refined} refined; ` +
        `${f((steadyChanged / Math.max(1, steady.observations)) * 100)}% of ${f(steady.observations / STEADY_POLLS, 0)} per poll), ${steadyWrites} writes of which ${stateWrites} poll states and ${instanceWrites} instance records; ` +
        `${f(steadyPollMs / 1000)} s wall per poll; DynamoDB Local counts ${f(unitsPerChange)} write units per changed holding ` +
        `(base table and its ${INDEX_COUNT} indexes; poll states and instance records apart)\n` +
        `memory: collector RSS ${f(baselineRss / MB, 0)} MB at start (loaded code), peak ${f(syncPeakRss / MB, 0)} MB in the sync, ` +
        `${f(runPeakRss / MB, 0)} MB overall (JS heap used at most ${f(runPeakHeap / MB, 0)} MB); fake AWS (own process) ` +
        `${fakeRss === undefined ? 'n/a' : `${f(fakeRss / MB, 0)} MB`}; DynamoDB Local is a Java process of its own\n\n` +
        `  ${'figure'.padEnd(44)} ${'value'.padStart(9)}   ${'goal'.padEnd(8)}\n` +
        row('1. initial sync ÷ floor', f(ratio), '<= 1.2', ratio <= 1.2) +
        row('2. writes per changed holding (steady state)', f(perChange), '<= 1.2', perChange <= 1.2) +
        row('3. collector peak RSS (MB)', f(runPeakRss / MB, 0), '<= 256', runPeakRss / MB <= 256) +
        `\nran in ${f((performance.now() - wallStart) / 1000, 1)} s\n`,
    )
  } finally {
    for (const s of session) s.destroy()
    client.destroy()
    await fake.stop()
    await local?.stop()
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`bench:collect: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`)
  process.exitCode = 1
})
