// npm run bench:collect — the collector against a 100k-ENI simulated organisation (100 accounts ×
// 4 regions × 250 ENIs), through the real AWS SDK, into AWS DynamoDB Local. Prints five figures:
//   1. initial sync wall time ÷ the floor the simulated AWS allows (goal ≤ 1.2)
//   2. DynamoDB writes per changed holding in steady state at ~1% churn per poll (goal ≤ 1.2, plus
//      one write per target per poll for its poll state, one per changed instance record and one per
//      changed description (two per removed one), all counted and printed apart)
//   3. the collector's peak RSS (goal ≤ 256 MB)
//   4. store items read per steady poll ÷ changed holdings (goal ≤ 2), and
//   5. steady poll cycle ÷ fetch-only cycle (goal ≤ 1.3): both from one process that keeps what it
//      knows of its targets between polls, as the lease holder does (see steadyCycles)
//   6. write units per changed holding as DynamoDB Local counts them (goal ≤ 3.5)
//   7. an organisation of many empty regions (1,000 accounts × 17 regions, 95% empty): the collector's
//      CPU seconds per minute of steady polling (goal ≤ 30), with the AWS requests per minute it sent
//      (measureQuietOrganisation: a continuous `whohad collect`, minutes of wall clock)
// The collector runs as users run it: the compiled `node dist/cli.js collect --once --json`, a child
// process with no V8 flags (NODE_OPTIONS is not passed on), one for the initial sync and one per
// steady-state poll. Its peak RSS is the kernel's high-water mark (VmHWM in /proc/<pid>/status), read
// every 50 ms while it runs. Its DynamoDB writes are counted by a proxy in this process that stands
// between it and DynamoDB Local. The fake AWS runs in a child process of its own (`whohad fakeaws
// --realtime`: the collector's credentials and poll windows follow the wall clock, so the fake's must
// too); DynamoDB Local is a Java process. The request-cost floor and "the snapshots alone" run in this
// process (they are not the collector, and their memory is not counted). BENCH_SCALE (e.g. 0.1)
// shrinks the number of accounts for a quick run; BENCH_POLLS sets the steady-state polls (default 5).
// BENCH_ONLY=quiet measures figure 7 alone (no 100k-ENI organisation, figures 1–6 not printed), to
// iterate on the collector's CPU quickly. BENCH_COLLECTOR_CLI runs that figure's collector from another
// build (e.g. a copy of an older dist/cli.js, to compare two builds on the same machine in one period);
// BENCH_CPU_PROF=<dir> has that collector write a V8 CPU profile there (node --cpu-prof) when it stops.
// Exit status is non-zero only when the run itself failed (a target not polled completely, a process
// not starting), never for a missed goal.
import { spawn } from 'node:child_process'
import { readFileSync } from 'node:fs'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import os from 'node:os'
import { performance } from 'node:perf_hooks'
import { collectOnce } from '../src/collector/collector.ts'
import { TargetMemory } from '../src/collector/target-memory.ts'
import { wireCollector } from '../src/collector/wiring.ts'
import { loadConfig } from '../src/config.ts'
import { parseDuration } from '../src/model/time.ts'
import { DEFAULT_BUCKETS } from '../src/fakeaws/faults.ts'
import type { PollResult } from '../src/model/poll-result.ts'
import type { Target } from '../src/model/target.ts'
import { createDynamoClient, ensureTable } from '../src/store/dynamodb.ts'
import { DESCRIPTION_PK_PREFIX, MEMBERS_META, MEMBERS_PK_PREFIX, tableDefinition } from '../src/store/table.ts'
import { storeOver } from '../src/store/open.ts'
import { compiledCli, ROOT } from '../support/cli.ts'
import { dynamoClientAs } from '../support/stores.ts'
import { QUIET_AFTER_POLLS } from '../src/collector/cadence.ts'
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

interface FakeProcess {
  readonly endpoint: string
  readonly accountId: string
  readonly keys: { readonly accessKeyId: string; readonly secretAccessKey: string }
  readonly pid: number
  /** ENIs the world was built with (churn steering makes it differ from the nominal count by a few). */
  readonly enis: number
  stop(): Promise<void>
}

/** `whohad fakeaws --realtime` in a child process (AWS's default token buckets refilling in real time); `world` replaces the 100k-ENI organisation's options. */
async function startFakeProcess(world?: readonly string[]): Promise<FakeProcess> {
  const args = [compiledCli(), 'fakeaws', '--realtime', '--seed', '7',
    ...(world ?? ['--accounts', String(ACCOUNTS), '--regions', String(REGIONS), '--enis-per-region', String(ENIS_PER_REGION), '--churn', String(CHURN)])]
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

/** A field of /proc/<pid>/status in bytes (Linux: VmRSS now, VmHWM the peak so far), or undefined once the process is gone. */
function procStatus(pid: number, field: 'VmRSS' | 'VmHWM'): number | undefined {
  try {
    const kb = new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]
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
 * An HTTP proxy in front of DynamoDB Local that counts the collector's write requests by item (each
 * BatchWriteItem item, PutItem, UpdateItem, DeleteItem), and the write capacity units DynamoDB Local
 * says they consumed (base table and every index: what DynamoDB bills), by adding ReturnConsumedCapacity
 * to each write. Instance records (their own batches, items of kind `instance`) and descriptions
 * (their own batches, items of kind `description` and the deletes in their partitions) are counted
 * apart as well, so that holdings' writes per change can be told from them. DynamoDB Local does not check
 * request signatures, so the rewritten body still passes; responses go back untouched (the SDK checks
 * their CRC32).
 */
async function startWriteCounter(upstream: string) {
  const counts = { items: 0, putItem: 0, units: 0, putItemUnits: 0, instanceItems: 0, instanceUnits: 0, descriptionItems: 0, descriptionUnits: 0, registryItems: 0, registryUnits: 0 }
  const target = new URL(upstream)
  const agent = new http.Agent({ keepAlive: true })
  type Consumed = { CapacityUnits?: number }
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      const op = String(req.headers['x-amz-target'] ?? '').split('.')[1] ?? ''
      let body = Buffer.concat(chunks)
      let instancesOnly = false
      let descriptionsOnly = false
      let registryOnly = false
      const isWrite = ['BatchWriteItem', 'PutItem', 'UpdateItem', 'DeleteItem'].includes(op)
      if (isWrite) {
        const input = JSON.parse(body.toString()) as { RequestItems?: Record<string, unknown[]>; ReturnConsumedCapacity?: string; Key?: { pk?: { S?: string } } }
        if (op === 'BatchWriteItem') {
          const items = Object.values(input.RequestItems ?? {}).flat()
          counts.items += items.length
          counts.instanceItems += items.filter(isInstanceWrite).length
          instancesOnly = items.every(isInstanceWrite)
          counts.descriptionItems += items.filter(isDescriptionWrite).length
          descriptionsOnly = items.every(isDescriptionWrite)
          counts.registryItems += items.filter(isRegistryWrite).length
          registryOnly = items.every(isRegistryWrite)
        } else {
          counts.items++
          if (op === 'PutItem') counts.putItem++
          // The member registry's list of days (members.ts): updated once per process and day.
          registryOnly = op === 'UpdateItem' && input.Key?.pk?.S === MEMBERS_META.pk
          if (registryOnly) counts.registryItems++
        }
        input.ReturnConsumedCapacity = 'TOTAL'
        body = Buffer.from(JSON.stringify(input))
      }
      const headers = { ...req.headers, host: target.host, 'content-length': String(body.length) }
      const up = http.request({ host: target.hostname, port: target.port, path: req.url, method: req.method, headers, agent }, (upRes) => {
        const out: Buffer[] = []
        upRes.on('data', (c: Buffer) => out.push(c))
        upRes.on('end', () => {
          const text = Buffer.concat(out)
          if (isWrite && upRes.statusCode === 200) {
            const consumed = (JSON.parse(text.toString()) as { ConsumedCapacity?: Consumed | Consumed[] }).ConsumedCapacity
            for (const c of Array.isArray(consumed) ? consumed : consumed ? [consumed] : []) {
              counts.units += c.CapacityUnits ?? 0
              if (op === 'PutItem') counts.putItemUnits += c.CapacityUnits ?? 0
              if (op === 'BatchWriteItem' && instancesOnly) counts.instanceUnits += c.CapacityUnits ?? 0
              if (op === 'BatchWriteItem' && descriptionsOnly) counts.descriptionUnits += c.CapacityUnits ?? 0
              if (registryOnly) counts.registryUnits += c.CapacityUnits ?? 0
            }
          }
          res.writeHead(upRes.statusCode ?? 502, upRes.headers)
          res.end(text)
        })
      })
      up.on('error', (err) => {
        res.writeHead(502)
        res.end(String(err))
      })
      up.end(body)
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    counts,
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: async () => {
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
      agent.destroy()
    },
  }
}

function isInstanceWrite(request: unknown): boolean {
  return (request as { PutRequest?: { Item?: { kind?: { S?: string } } } }).PutRequest?.Item?.kind?.S === 'instance'
}

/** An entry of the member registry (members.ts): written once per address a process opens a holding of. */
function isRegistryWrite(request: unknown): boolean {
  return ((request as { PutRequest?: { Item?: { pk?: { S?: string } } } }).PutRequest?.Item?.pk?.S ?? '').startsWith(MEMBERS_PK_PREFIX)
}

/** A description put (its kind) or the delete that moves a removed one aside (its partition). */
function isDescriptionWrite(request: unknown): boolean {
  const r = request as { PutRequest?: { Item?: { kind?: { S?: string } } }; DeleteRequest?: { Key?: { pk?: { S?: string } } } }
  return r.PutRequest?.Item?.kind?.S === 'description' || (r.DeleteRequest?.Key?.pk?.S ?? '').startsWith(DESCRIPTION_PK_PREFIX)
}

/** What `whohad collect --once --json` prints (PollResult without its state). */
interface OncePass {
  readonly wallMs: number
  readonly discoveryFailures: readonly unknown[]
  readonly results: readonly PollResult[]
}

/**
 * One `node dist/cli.js collect --once --json` with `env`, no V8 flags. Its VmHWM is read every 50 ms
 * (the kernel's own peak, so nothing between two reads is missed; only the last 50 ms before it exits,
 * spent printing the summary, can go unseen).
 */
async function collectProcess(env: NodeJS.ProcessEnv): Promise<OncePass & { peakRss: number }> {
  const child = spawn(process.execPath, [compiledCli(), 'collect', '--once', '--json'], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] })
  let peakRss = 0
  const read = () => {
    peakRss = Math.max(peakRss, procStatus(child.pid!, 'VmHWM') ?? 0)
  }
  const timer = setInterval(read, 50)
  let out = ''
  let err = ''
  child.stdout.on('data', (d: Buffer) => (out += d.toString()))
  child.stderr.on('data', (d: Buffer) => (err += d.toString()))
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve))
  clearInterval(timer)
  if (code !== 0) throw new Error(`whohad collect --once exited ${code}:\n${err.slice(-2000)}`)
  if (peakRss === 0) throw new Error('could not read the collector\'s VmHWM (is this Linux?)')
  return { ...(JSON.parse(out) as OncePass), peakRss }
}

/**
 * RSS of `node dist/cli.js collect --help` as it exits: the collector's code loaded (src/cli.ts imports
 * the command before running it) under its heap policy, and nothing done. A preloaded one-liner reads it.
 */
async function loadedCodeRss(env: NodeJS.ProcessEnv): Promise<number> {
  const probe = `data:text/javascript,process.on('exit',()=>process.stderr.write('rss='+process.memoryUsage().rss+'\\n'))`
  const child = spawn(process.execPath, ['--import', probe, compiledCli(), 'collect', '--help'], { cwd: ROOT, env, stdio: ['ignore', 'ignore', 'pipe'] })
  let err = ''
  child.stderr.on('data', (d: Buffer) => (err += d.toString()))
  await new Promise((resolve) => child.once('exit', resolve))
  const rss = /rss=(\d+)\n*$/.exec(err)?.[1]
  if (rss === undefined) throw new Error(`whohad collect --help did not report its RSS:\n${err}`)
  return Number(rss)
}

/**
 * The organisation of many empty regions: 1,000 accounts × 17 regions (BENCH_SCALE shrinks the
 * accounts), 95% of the account-regions empty, the rest 40 ENIs churning ~1% per poll, no AWS Config
 * recorder (below). The collector runs as `whohad collect` runs (continuous,
 * leases, the default cadence: quiet targets every WHOHAD_QUIET_INTERVAL) in a child process of its
 * own. Once every target has been polled completely and quiet targets have had QUIET_AFTER_POLLS
 * polls to settle, its CPU time (utime + stime, /proc/<pid>/stat) and the AWS requests the fake
 * answered are read over BENCH_QUIET_MINUTES (default 2 quiet intervals) of wall clock.
 */
const QUIET_CONCURRENCY = 64

async function measureQuietOrganisation(baseEnv: NodeJS.ProcessEnv, dynamoEndpoint: string) {
  const accounts = Math.max(2, Math.round(1000 * SCALE))
  const regions = 17
  const enis = 40
  const fake = await startFakeProcess(['--accounts', String(accounts), '--regions', String(regions), '--enis-per-region', String(enis),
    '--empty-share', '0.95', '--churn', String(0.01 * enis * (3_600_000 / defaults.intervalMs))])
  // (the churn stays ~1% per default interval: what a shorter interval changes is only how often it looks)
  // No AWS Config recorder anywhere: a Config pass reads every ENI's history one request at a time at
  // Config's 2 requests/s, in the target's poll turn (about 45 s for a 40-ENI target), which 8 slots
  // cannot keep up with at this size; what is measured here is the polls' own cost. Without Config,
  // answers over a quiet spell are `partial` (api/coverage.ts).
  await fetch(`${fake.endpoint}/_fake/config-recorders`, { method: 'POST', body: JSON.stringify({ mode: 'off' }) })
  const tableName = `bench-quiet-${process.pid}-${Date.now()}`
  // BENCH_QUIET_POLL_INTERVAL (e.g. 2s) shortens every interval alike, for a quick check that the bench runs; its figure is then not the goal's.
  const cadence = process.env.BENCH_QUIET_POLL_INTERVAL ? loadConfig({ WHOHAD_POLL_INTERVAL: process.env.BENCH_QUIET_POLL_INTERVAL, WHOHAD_MAX_GAP: `${5 * parseDuration(process.env.BENCH_QUIET_POLL_INTERVAL)}ms` }).collector : defaults
  const env: NodeJS.ProcessEnv = {
    ...baseEnv, WHOHAD_DYNAMODB_ENDPOINT: dynamoEndpoint, WHOHAD_TABLE: tableName,
    WHOHAD_POLL_INTERVAL: `${cadence.intervalMs}ms`, WHOHAD_MAX_GAP: `${cadence.maxGapMs}ms`,
    // A poll waits on AWS, not on this process: 17,000 targets a minute at ~0.2 s each need more than
    // the default 8 in flight, whatever the cadence. What is measured is CPU, not waiting.
    WHOHAD_CONCURRENCY: String(QUIET_CONCURRENCY),
    WHOHAD_AWS_ENDPOINT: fake.endpoint, WHOHAD_SELF_ACCOUNT: fake.accountId,
    AWS_ACCESS_KEY_ID: fake.keys.accessKeyId, AWS_SECRET_ACCESS_KEY: fake.keys.secretAccessKey,
  }
  const profile = process.env.BENCH_CPU_PROF ? ['--cpu-prof', '--cpu-prof-dir', process.env.BENCH_CPU_PROF] : []
  const child = spawn(process.execPath, [...profile, process.env.BENCH_COLLECTOR_CLI ?? compiledCli(), 'collect'], { cwd: ROOT, env, stdio: ['ignore', 'ignore', 'pipe'] })
  let err = ''
  child.stderr.on('data', (d: Buffer) => (err = (err + d.toString()).slice(-20_000)))
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve))
  // The collector writes with the fake's keys (DynamoDB Local keeps one database per key): read as it.
  const reader = dynamoClientAs(dynamoEndpoint, 'us-east-1', fake.keys)
  const states = storeOver(reader, { tableName }).targets
  const quietEveryMs = cadence.quietEveryMs
  try {
    const summary = async () => (await (await fetch(`${fake.endpoint}/_fake/summary`)).json()) as { targets: number; awsRequests: number }
    const { targets } = await summary()
    const began = performance.now()
    for (let round = 1; ; round++) {
      if (child.exitCode !== null) throw new Error(`whohad collect exited (${child.exitCode}):\n${err}`)
      const done = (await states.list().catch(() => [])).filter((x) => x.lastCompletePoll !== undefined).length
      if (done >= targets) break
      if (round % 12 === 0) log(`quiet organisation: ${done} of ${targets} targets polled completely`)
      await new Promise((r) => setTimeout(r, 5_000))
    }
    const syncMs = performance.now() - began
    log(`quiet organisation: ${targets} targets polled completely in ${(syncMs / 1000).toFixed(0)} s; settling for ${QUIET_AFTER_POLLS + 1} poll intervals`)
    await new Promise((r) => setTimeout(r, (QUIET_AFTER_POLLS + 1) * cadence.intervalMs))
    const measureMs = Number(process.env.BENCH_QUIET_MINUTES ?? 2 * quietEveryMs / 60_000) * 60_000
    const gaps0 = new Map((await states.list()).map((x) => [`${x.accountId}/${x.region}`, x.gaps?.length ?? 0]))
    const cpu0 = cpuSeconds(child.pid!)
    const requests0 = (await summary()).awsRequests
    const t0 = performance.now()
    log(`quiet organisation: measuring ${(measureMs / 60_000).toFixed(1)} minutes of steady polling`)
    await new Promise((r) => setTimeout(r, measureMs))
    const minutes = (performance.now() - t0) / 60_000
    const cpu = (cpuSeconds(child.pid!) - cpu0) / minutes
    const requests = ((await summary()).awsRequests - requests0) / minutes
    const end = await states.list()
    // Kept up: no target's complete polls came further apart than WHOHAD_MAX_GAP while measured.
    const gapped = end.filter((x) => (x.gaps?.length ?? 0) > (gaps0.get(`${x.accountId}/${x.region}`) ?? 0)).length
    return { accounts, regions, targets, syncMs, minutes, cpu, requests, quiet: end.filter((x) => x.quietSince !== undefined).length, quietEveryMs, gapped }
  } finally {
    if (child.exitCode === null) child.kill('SIGTERM')
    await exited
    reader.destroy()
    await fake.stop()
  }
}

/** CPU seconds a process has used (user and system), from /proc/<pid>/stat (clock ticks of 1/100 s, Linux's USER_HZ). */
function quietLine(q: Awaited<ReturnType<typeof measureQuietOrganisation>>): string {
  return `quiet organisation: ${q.targets} targets (${q.accounts} accounts × ${q.regions} regions, 95% empty, the rest 40 ENIs at ~1% churn per poll, no AWS Config recorder), ` +
    `first complete poll of every target in ${(q.syncMs / 1000).toFixed(0)} s; over ${q.minutes.toFixed(1)} minutes of steady polling (whohad collect, continuous) ` +
    `the collector (${QUIET_CONCURRENCY} polls in flight) used ${q.cpu.toFixed(2)} CPU s per minute and sent ${q.requests.toFixed(0)} AWS requests per minute; ` +
    `${q.quiet} targets quiet at the end (polled every ${q.quietEveryMs / 1000} s); ${q.gapped} targets left a gap (polls further apart than WHOHAD_MAX_GAP) meanwhile\n`
}

function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
  // Fields after the command name (which may hold spaces, so it is skipped by its closing parenthesis): utime is the 12th, stime the 13th.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  return (Number(fields[11]) + Number(fields[12])) / 100
}

const sum = (rs: readonly PollResult[], k: 'opened' | 'closed' | 'refined' | 'observations') => rs.reduce((n, r) => n + r[k], 0)

/**
 * Figures 4 and 5: steady polls as the continuous collector makes them, by one process that keeps its
 * targets' open holdings between polls (as the holder of their leases does), here in this process over
 * the collector's own table (DynamoDB Local keeps a database per access key: it signs as the collector
 * does). A first cycle takes the targets over (reads them in full); then each steady cycle, a poll
 * interval of the fake's time after the last, is followed by a fetch-only cycle: the same targets'
 * snapshots through the SDK, no store. Store items read are what DynamoDB returned or scanned for this
 * client (GetItem, BatchGetItem, Query, Scan), counted by a middleware, by command.
 */
async function steadyCycles(fake: FakeProcess, dynamoEndpoint: string, tableName: string, targets: readonly Target[], cycles: number) {
  const client = createDynamoClient({ endpoint: dynamoEndpoint, region: 'us-east-1', credentials: fake.keys })
  const reads = new Map<string, number>()
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const out = await next(args)
      const o = out.output as { Item?: unknown; Responses?: Record<string, unknown[]>; ScannedCount?: number; Count?: number }
      const n = o.Responses ? Object.values(o.Responses).reduce((a, r) => a + r.length, 0) : o.ScannedCount ?? o.Count ?? (o.Item ? 1 : 0)
      const name = context.commandName ?? 'unknown'
      if (/^(Get|BatchGet|Query|Scan)/.test(name)) reads.set(name, (reads.get(name) ?? 0) + n)
      return out
    },
    { step: 'initialize', name: 'benchReadCounter' },
  )
  const store = storeOver(client, { tableName, retentionMs: 400 * 86_400_000 }, { location: 'AWS DynamoDB Local', table: 'exists' })
  const settings = { ...defaults, endpoint: fake.endpoint, selfAccountId: fake.accountId, homeRegion: 'us-east-1' }
  const wired = wireCollector(store, settings, { credentials: fake.keys })
  const deps = { ...wired.deps, memory: new TargetMemory(store.holdings) }
  const totalReads = () => [...reads.values()].reduce((a, b) => a + b, 0)
  try {
    let cycleStarted = performance.now()
    requireComplete('taking the targets over', await collectOnce(deps, wired.options, targets))
    const steady = { reads: 0, changed: 0, ms: 0, fetchOnlyMs: 0, byCommand: new Map<string, number>() }
    for (let i = 0; i < cycles; i++) {
      const behind = defaults.intervalMs - (performance.now() - cycleStarted)
      if (behind > 0) await fetch(`${fake.endpoint}/_fake/advance?ms=${Math.round(behind)}`, { method: 'POST' })
      cycleStarted = performance.now()
      const before = new Map(reads)
      const results = await collectOnce(deps, wired.options, targets)
      steady.ms += performance.now() - cycleStarted
      requireComplete(`steady cycle ${i + 1}`, results)
      steady.changed += sum(results, 'opened') + sum(results, 'closed') + sum(results, 'refined')
      for (const [k, v] of reads) steady.byCommand.set(k, (steady.byCommand.get(k) ?? 0) + v - (before.get(k) ?? 0))
      const fetchStart = performance.now()
      const queue = [...targets]
      await Promise.all(Array.from({ length: wired.options.concurrency }, async () => {
        for (let t = queue.shift(); t; t = queue.shift()) if (!(await wired.deps.takeSnapshot(t)).complete) throw new Error(`snapshot of ${t.accountId} ${t.region} incomplete`)
      }))
      steady.fetchOnlyMs += performance.now() - fetchStart
    }
    steady.reads = [...steady.byCommand.values()].reduce((a, b) => a + b, 0)
    return { ...steady, kept: deps.memory.size(), takeoverReads: totalReads() - steady.reads }
  } finally {
    wired.session.destroy()
    client.destroy()
  }
}

function requireComplete(what: string, results: readonly PollResult[]): void {
  const failed = results.filter((r) => !r.complete)
  if (failed.length > 0) throw new Error(`${what}: ${failed.length} targets incomplete, e.g. ${failed[0]!.target.accountId} ${failed[0]!.target.region}: ${failed[0]!.error}`)
}

/**
 * The collector's environment as `whohad collect` runs with no configuration but where the store is: the
 * parent's environment without NODE_OPTIONS (no V8 flags) and without any WHOHAD_ or AWS_ setting of its
 * own, except WHOHAD_MAX_HEAP_MB, passed on so that a run can compare heap policies (0: V8's defaults).
 * Where AWS and the table are is added by each measurement.
 */
function baseCollectorEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' }
  for (const [k, v] of Object.entries(process.env)) if (k !== 'NODE_OPTIONS' && !k.startsWith('WHOHAD_') && !k.startsWith('AWS_') && !k.startsWith('TAP') && !k.startsWith('_TAPJS_')) env[k] = v
  if (process.env.WHOHAD_MAX_HEAP_MB !== undefined) env.WHOHAD_MAX_HEAP_MB = process.env.WHOHAD_MAX_HEAP_MB
  return { ...env, WHOHAD_STORE: 'dynamodb', WHOHAD_RETENTION_DAYS: '400', AWS_REGION: 'us-east-1' }
}

/** BENCH_ONLY=quiet: figure 7 alone. */
async function quietOnly(): Promise<void> {
  const wallStart = performance.now()
  const sharedDynamo = process.env.WHOHAD_TEST_DYNAMODB_ENDPOINT
  const local = sharedDynamo ? undefined : await startDynamoDbLocal()
  try {
    const q = await measureQuietOrganisation(baseCollectorEnv(), sharedDynamo ?? local!.endpoint)
    process.stdout.write(quietLine(q) + `  7. collector CPU s per minute, ${q.targets} targets: ${q.cpu.toFixed(2)} (goal <= 30: ${q.cpu <= 30 ? 'met' : 'MISSED'})\n` +
      `ran in ${((performance.now() - wallStart) / 1000).toFixed(1)} s\n`)
  } finally {
    await local?.stop()
  }
}

async function main(): Promise<void> {
  if (process.env.BENCH_ONLY !== undefined) {
    if (process.env.BENCH_ONLY !== 'quiet') throw new Error(`BENCH_ONLY takes only 'quiet', not ${process.env.BENCH_ONLY}`)
    return quietOnly()
  }
  const wallStart = performance.now()
  log(`starting fakeaws (${ACCOUNTS} accounts × ${REGIONS} regions × ${ENIS_PER_REGION} ENIs, churn ${CHURN}/target/h) and DynamoDB Local`)
  // A DynamoDB Local already serving the test run (scripts/test.ts) is reused; the table is our own.
  const sharedDynamo = process.env.WHOHAD_TEST_DYNAMODB_ENDPOINT
  const [fake, local] = await Promise.all([startFakeProcess(), sharedDynamo ? undefined : startDynamoDbLocal()])
  const dynamoEndpoint = sharedDynamo ?? local!.endpoint
  const writes = await startWriteCounter(dynamoEndpoint)
  const client = createDynamoClient({ endpoint: dynamoEndpoint, region: 'us-east-1', localCredentials: true })
  const session: { destroy(): void }[] = []
  try {
    const tableName = `bench-collect-${process.pid}-${Date.now()}`
    // The collector as `whohad collect` runs with no configuration but where AWS and the table are.
    const collectorEnv: NodeJS.ProcessEnv = {
      ...baseCollectorEnv(),
      WHOHAD_DYNAMODB_ENDPOINT: writes.endpoint, WHOHAD_TABLE: tableName,
      WHOHAD_AWS_ENDPOINT: fake.endpoint, WHOHAD_SELF_ACCOUNT: fake.accountId,
      AWS_ACCESS_KEY_ID: fake.keys.accessKeyId, AWS_SECRET_ACCESS_KEY: fake.keys.secretAccessKey,
    }
    const startRss = await loadedCodeRss(collectorEnv)

    // This process's own view of the organisation, for the floor and the snapshots alone.
    await ensureTable(client, tableName)
    const store = storeOver(client, { tableName, retentionMs: 400 * 86_400_000 }, { location: 'AWS DynamoDB Local', table: 'created' })
    const settings = { ...defaults, endpoint: fake.endpoint, selfAccountId: fake.accountId, homeRegion: 'us-east-1' }
    const wired = wireCollector(store, settings, { credentials: fake.keys })
    session.push(wired.session)
    const { options } = wired
    const { targets, failures } = await wired.deps.discover()
    if (failures.length > 0) throw new Error(`discovery failed: ${JSON.stringify(failures[0])}`)
    log(`${targets.length} targets; measuring the request-cost floor (bare HTTP sweep, twice, best kept)`)
    const sweeps = [await rawSweep(fake, targets, options.concurrency, settings.homeRegion), await rawSweep(fake, targets, options.concurrency, settings.homeRegion)]
    const sweep = sweeps.reduce((a, b) => (a.ms <= b.ms ? a : b))
    const rateFloor = rateLimitFloorMs(sweep.requestsPerTarget, options.concurrency)
    // The fake's buckets are on (AWS's defaults, real-time refill), but at 250 ENIs a target needs 3
    // requests against 100 tokens, so they cannot bind: the floor is what the requests themselves cost.
    const floorMs = Math.max(rateFloor, sweep.ms)
    const requests = sweep.requestsPerTarget.reduce((a, b) => a + b, 0)

    log('initial sync (node dist/cli.js collect --once)')
    let pollStarted = performance.now()
    const initial = await collectProcess(collectorEnv)
    if (initial.discoveryFailures.length > 0) throw new Error(`the collector's discovery failed: ${JSON.stringify(initial.discoveryFailures[0])}`)
    requireComplete('initial sync', initial.results)
    const syncMs = initial.wallMs
    const holdings = sum(initial.results, 'opened')
    const syncWrites = writes.counts.items
    const syncDescriptionWrites = writes.counts.descriptionItems
    let runPeakRss = initial.peakRss

    log(`${STEADY_POLLS} steady-state polls, ${defaults.intervalMs / 1000} s of the fake's time apart (each a collect --once process)`)
    const steady = { opened: 0, closed: 0, refined: 0, observations: 0 }
    const before = { ...writes.counts }
    let steadyWallMs = 0
    for (let i = 0; i < STEADY_POLLS; i++) {
      // The fake follows the wall clock; it is moved ahead by whatever of a poll interval has not passed.
      const behind = defaults.intervalMs - (performance.now() - pollStarted)
      if (behind > 0) await fetch(`${fake.endpoint}/_fake/advance?ms=${Math.round(behind)}`, { method: 'POST' })
      pollStarted = performance.now()
      const pass = await collectProcess(collectorEnv)
      requireComplete(`steady poll ${i + 1}`, pass.results)
      for (const k of ['opened', 'closed', 'refined', 'observations'] as const) steady[k] += sum(pass.results, k)
      steadyWallMs += pass.wallMs
      runPeakRss = Math.max(runPeakRss, pass.peakRss)
    }
    const steadyPollMs = steadyWallMs / STEADY_POLLS
    const steadyWrites = writes.counts.items - before.items
    const steadyChanged = steady.opened + steady.closed + steady.refined
    const stateWrites = writes.counts.putItem - before.putItem
    // Instance records are written only when an instance changes (launched, stopped, started, gone):
    // counted in the writes, and reported apart from the holdings' per-change figure.
    const instanceWrites = writes.counts.instanceItems - before.instanceItems
    // Descriptions likewise: an instance, ENI or Elastic IP is rewritten when anything AWS says of it changes.
    const descriptionWrites = writes.counts.descriptionItems - before.descriptionItems
    // And the member registry's entries (one per address a process opens a holding of, so each
    // `collect --once` pass writes one per opened address again): the API's list of addresses, apart.
    const registryWrites = writes.counts.registryItems - before.registryItems
    const registryUnits = writes.counts.registryUnits - before.registryUnits
    const perChange = (steadyWrites - stateWrites - instanceWrites - descriptionWrites - registryWrites) / Math.max(1, steadyChanged)
    // Not a goal: what DynamoDB bills for the same writes (every index included), per changed holding.
    const unitsPerChange =
      (writes.counts.units - before.units - (writes.counts.putItemUnits - before.putItemUnits) - (writes.counts.instanceUnits - before.instanceUnits) -
        (writes.counts.descriptionUnits - before.descriptionUnits) - registryUnits) /
      Math.max(1, steadyChanged)
    const fakeRss = procStatus(fake.pid, 'VmRSS')

    // Not a goal: the same snapshots through the SDK with no store, to tell the SDK's cost from the store's.
    log('snapshots alone (SDK, no store, in this process)')
    const snapStart = performance.now()
    const queue = [...targets]
    await Promise.all(Array.from({ length: options.concurrency }, async () => {
      for (let t = queue.shift(); t; t = queue.shift()) if (!(await wired.deps.takeSnapshot(t)).complete) throw new Error(`snapshot of ${t.accountId} ${t.region} incomplete`)
    }))
    const snapOnlyMs = performance.now() - snapStart
    log(`steady cycles of one process keeping its open holdings, each beside a fetch-only cycle (in this process)`)
    const kept = await steadyCycles(fake, dynamoEndpoint, tableName, targets, STEADY_POLLS)
    const readsPerChange = kept.reads / Math.max(1, kept.changed)
    const cycleRatio = kept.ms / kept.fetchOnlyMs

    log('the quiet organisation (1,000 accounts × 17 regions, 95% empty; whohad collect, continuous)')
    const quietOrg = await measureQuietOrganisation(collectorEnv, dynamoEndpoint)

    const f = (n: number, d = 2) => n.toFixed(d)
    const ratio = syncMs / floorMs
    const row = (figure: string, value: string, goal: string, ok: boolean) =>
      `  ${figure.padEnd(56)} ${value.padStart(9)}   ${goal.padEnd(8)} ${ok ? 'met' : 'MISSED'}\n`
    process.stdout.write(
      `collector bench: ${targets.length} targets (${ACCOUNTS} accounts × ${REGIONS} regions), ${holdings} holdings from ` +
        `${fake.enis} ENIs; concurrency ${options.concurrency}; AWS DynamoDB Local; ` +
        `${os.cpus().length} CPUs shared by the collector, the fake and DynamoDB Local\n` +
        `floor: ${f(floorMs / 1000)} s = max(rate-limit floor ${f(rateFloor / 1000)} s, request-cost floor ${f(sweep.ms / 1000)} s)\n` +
        `  rate limits: ${requests} EC2 requests (${Math.max(...sweep.requestsPerTarget)} at most per target, MaxResults 1000) against a ` +
        `${DEFAULT_BUCKETS['ec2:non-mutating']!.capacity}-token bucket per target refilling ${DEFAULT_BUCKETS['ec2:non-mutating']!.refillPerSecond}/s: no target waits\n` +
        `  request cost: the same requests as bare HTTP to the fake, ${options.concurrency} targets at a time, best of 2 sweeps\n` +
        `initial sync: ${f(syncMs / 1000)} s wall (node dist/cli.js collect --once, discovery not counted), ${syncWrites} writes ` +
        `(${syncDescriptionWrites} of them descriptions); ` +
        `the snapshots alone (SDK, no store) take ${f(snapOnlyMs / 1000)} s = ${f(snapOnlyMs / floorMs)} × floor\n` +
        `steady state: ${STEADY_POLLS} polls, ${steadyChanged} holdings changed (${steady.opened} opened, ${steady.closed} closed, ${steady.refined} refined; ` +
        `${f((steadyChanged / Math.max(1, steady.observations)) * 100)}% of ${f(steady.observations / STEADY_POLLS, 0)} per poll), ${steadyWrites} writes of which ${stateWrites} poll states, ${instanceWrites} instance records, ${descriptionWrites} descriptions and ${registryWrites} member-registry entries (${f(registryUnits / Math.max(1, steadyChanged))} units per changed holding); ` +
        `${f(steadyPollMs / 1000)} s wall per poll; DynamoDB Local counts ${f(unitsPerChange)} write units per changed holding ` +
        `(base table and its ${INDEX_COUNT} indexes, holdings and the holder directory; poll states, instance records, descriptions and member registry apart)\n` +
        `memory: collector (node dist/cli.js collect, no V8 flags, heap policy WHOHAD_MAX_HEAP_MB=${process.env.WHOHAD_MAX_HEAP_MB ?? 'default'}) ` +
        `RSS ${f(startRss / MB, 0)} MB with its code loaded, peak (VmHWM) ` +
        `${f(initial.peakRss / MB, 0)} MB in the initial sync, ${f(runPeakRss / MB, 0)} MB over every pass; fake AWS (own process) ` +
        `${fakeRss === undefined ? 'n/a' : `${f(fakeRss / MB, 0)} MB`}; DynamoDB Local is a Java process of its own\n` +
        `kept open holdings: one process polling ${STEADY_POLLS} steady cycles after taking the targets over (${kept.takeoverReads} items read), ` +
        `${kept.changed} holdings changed, ${kept.reads} store items read (${[...kept.byCommand].map(([c, n]) => `${n} ${c}`).join(', ')}); ` +
        `${f(kept.ms / STEADY_POLLS / 1000)} s per cycle against ${f(kept.fetchOnlyMs / STEADY_POLLS / 1000)} s fetching alone; ${kept.kept.holdings} open holdings, ${kept.kept.instances} instance records and ${kept.kept.descriptions} descriptions kept\n` +
        quietLine(quietOrg) + '\n' +
        `  ${'figure'.padEnd(56)} ${'value'.padStart(9)}   ${'goal'.padEnd(8)}\n` +
        row('1. initial sync ÷ floor', f(ratio), '<= 1.2', ratio <= 1.2) +
        row('2. writes per changed holding (steady state)', f(perChange), '<= 1.2', perChange <= 1.2) +
        row('3. collector peak RSS (MB)', f(runPeakRss / MB, 0), '<= 256', runPeakRss / MB <= 256) +
        row('4. store items read per steady poll ÷ changed holdings', f(readsPerChange), '<= 2', readsPerChange <= 2) +
        row('5. steady poll cycle ÷ fetch-only cycle', f(cycleRatio), '<= 1.3', cycleRatio <= 1.3) +
        row('6. write units per changed holding (DynamoDB Local)', f(unitsPerChange), '<= 3.5', unitsPerChange <= 3.5) +
        row(`7. collector CPU s per minute, ${quietOrg.targets} targets`, f(quietOrg.cpu), '<= 30', quietOrg.cpu <= 30) +
        `\nran in ${f((performance.now() - wallStart) / 1000, 1)} s\n`,
    )
  } finally {
    for (const s of session) s.destroy()
    client.destroy()
    await writes.close()
    await fake.stop()
    await local?.stop()
  }
}

main().catch((err: unknown) => {
  // fetch's own message ("fetch failed") says nothing: the cause (a refused or reset connection) does.
  const cause = err instanceof Error && err.cause !== undefined ? `\ncaused by: ${err.cause instanceof Error ? (err.cause.stack ?? err.cause.message) : String(err.cause)}` : ''
  process.stderr.write(`bench:collect: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}${cause}\n`)
  process.exitCode = 1
})
