// npm run bench:describe — EC2's Query API (/ec2/) under autocannon, against `whohad serve --api-only`
// in a child process on AWS DynamoDB Local and a real redis-server, every figure measured in this one run:
//   DescribeInstances by InstanceId.1= req/s ÷ hello-world (/healthz) req/s on the same server   (goal >= 0.5)
//   DescribeInstances by Filter private-ip-address req/s ÷ hello world                         (goal >= 0.5)
//   each beside AWS's own refill rate for DescribeInstances: 20 requests per second per account and region
//   the end-to-end rate of the real @aws-sdk/client-ec2 at 32 calls in flight (its own CPU included)
// The organisation: the real collector polls a simulated one (src/fakeaws, a few thousand instances)
// once into the store. The requests are the ones @aws-sdk/client-ec2 builds and signs with a whohad
// signing key (captured by a request handler that records them instead of sending them), replayed by
// autocannon, so that /healthz and /ec2/ are driven by the same load generator; one real SDK call of
// each kind checks that the answer parses and names the expected instance. BENCH_SECONDS (default 10)
// sets each run's length, BENCH_ROUNDS (default 2) the rounds of the three runs side by side; BENCH_CPU_PROF=<dir> has the server write a CPU profile there.
import { readFileSync } from 'node:fs'
import { DescribeInstancesCommand, EC2Client, type DescribeInstancesCommandInput, type Instance } from '@aws-sdk/client-ec2'
import autocannon from 'autocannon'
import { createDynamoClient, ensureTable } from '../src/store/dynamodb.ts'
import { storeOver } from '../src/store/open.ts'
import { startDynamoDbLocal } from '../support/dynamodb-local.ts'
import { fakeOrganisation } from '../support/fake-org.ts'
import { type Proc, startServer, stopProc } from '../support/processes.ts'
import { startRedis } from '../support/redis.ts'

const SECONDS = Number(process.env.BENCH_SECONDS ?? 10)
const CONNECTIONS = 32
/** AWS's token bucket for DescribeInstances (non-mutating actions): refilled at 20 per second per account and region. */
const AWS_REFILL_PER_SECOND = 20
/** Distinct requests of each kind, replayed in turn (all cached after the first round). */
const DISTINCT = 64
/** Rounds of (hello world, by id, by address), each run BENCH_SECONDS; the figures are their means. */
const ROUNDS = Math.max(1, Number(process.env.BENCH_ROUNDS ?? 2))
const KEY = { accessKeyId: 'AKIDBENCHDESCRIBE1', secretAccessKey: 'bench-describe-secret-0001' }

const log = (m: string) => process.stderr.write(`bench:describe: ${m}\n`)
const teardowns: (() => unknown)[] = []
let server: Proc | undefined
let openServer: Proc | undefined
try {
  const local = await startDynamoDbLocal()
  teardowns.push(() => local.stop())
  const redis = await startRedis({ teardown: (fn) => teardowns.push(fn) })
  const client = createDynamoClient({ endpoint: local.endpoint, region: 'us-east-1', localCredentials: true })
  teardowns.push(() => client.destroy())
  const tableName = 'benchdescribe'
  await ensureTable(client, tableName)
  const store = storeOver(client, { tableName })

  // The organisation: two accounts in one region, a few thousand instances, polled once by the collector.
  const { session, region, targets, poll } = await fakeOrganisation({ seed: 7, accounts: 2, regions: 1, enisPerRegion: 2_000, churn: 0 }, (fn) => teardowns.push(fn))
  const instances: Instance[] = []
  for (const target of targets) {
    if (!(await poll(store, target, 'bench')).complete) throw new Error(`the poll of ${target.accountId} was not complete`)
    for (const r of (await session.ec2(target).send(new DescribeInstancesCommand({}))).Reservations ?? []) instances.push(...(r.Instances ?? []))
  }
  const withIp = instances.filter((i) => i.InstanceId && i.PrivateIpAddress)
  if (withIp.length < DISTINCT) throw new Error(`only ${withIp.length} instances with a private address`)
  log(`${instances.length} instances in ${targets.length} accounts recorded`)

  const port = 19_000 + Math.floor(Math.random() * 1000)
  // BENCH_CPU_PROF=<dir>: the server writes a V8 CPU profile there when it stops (for `--cpu-prof` analysis).
  const profile = process.env.BENCH_CPU_PROF ? ['--cpu-prof', '--cpu-prof-dir', process.env.BENCH_CPU_PROF] : []
  const serverEnv: NodeJS.ProcessEnv = {
      ...process.env,
      WHOHAD_DYNAMODB_ENDPOINT: local.endpoint,
      WHOHAD_TABLE: tableName,
      WHOHAD_PORT: String(port),
      WHOHAD_RATE_LIMIT: '100000000',
      WHOHAD_SIGNING_KEYS: `bench:lookup:${KEY.accessKeyId}:${KEY.secretAccessKey}`,
      REDIS_URL: redis.url,
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      AWS_ACCESS_KEY_ID: '',
      AWS_PROFILE: '',
    }
  const started = { ...(await startServer(['--api-only'], serverEnv, profile)), env: serverEnv }
  server = started.proc
  const base = started.base
  const endpoint = `${base}/ec2/`
  // The same server open (no keys, loopback): it takes the same signed requests without checking
  // their signatures, so that what the check costs is seen beside the rest.
  const { WHOHAD_SIGNING_KEYS: _keys, ...openEnv } = started.env
  const open = await startServer(['--api-only'], { ...openEnv, WHOHAD_PORT: String(port + 1) })
  openServer = open.proc

  // The SDK's own requests, signed with the whohad key: recorded by a request handler that sends nothing.
  class Captured extends Error {}
  const captured: autocannon.Request[] = []
  const capturer = new EC2Client({
    region,
    endpoint,
    credentials: KEY,
    maxAttempts: 1,
    requestHandler: {
      handle: async (request: { method: string; path: string; query?: Record<string, unknown>; headers: Record<string, string>; body?: unknown }) => {
        if (request.query && Object.keys(request.query).length > 0) throw new Error('a query string was not expected')
        const headers = Object.fromEntries(Object.entries(request.headers).filter(([k]) => !['host', 'content-length'].includes(k.toLowerCase())))
        captured.push({ method: request.method as 'POST', path: request.path, headers, body: String(request.body ?? '') })
        throw new Captured()
      },
    },
  })
  const capture = async (inputs: readonly DescribeInstancesCommandInput[]) => {
    captured.length = 0
    for (const input of inputs) await capturer.send(new DescribeInstancesCommand(input)).catch((e: unknown) => {
      if (!(e instanceof Captured)) throw e
    })
    return [...captured]
  }
  const chosen = withIp.slice(0, DISTINCT)
  const byIdInput = (i: Instance): DescribeInstancesCommandInput => ({ InstanceIds: [i.InstanceId!] })
  const byIpInput = (i: Instance): DescribeInstancesCommandInput => ({ Filters: [{ Name: 'private-ip-address', Values: [i.PrivateIpAddress!] }] })
  const byIdRequests = await capture(chosen.map(byIdInput))
  const byIpRequests = await capture(chosen.map(byIpInput))
  capturer.destroy()

  // One real SDK call of each: the answer parses and names the expected instance.
  const sdk = new EC2Client({ region, endpoint, credentials: KEY, maxAttempts: 1 })
  teardowns.push(() => sdk.destroy())
  const idsOf = (out: { Reservations?: { Instances?: Instance[] }[] }) => (out.Reservations ?? []).flatMap((r) => (r.Instances ?? []).map((i) => i.InstanceId))
  const expected = chosen[0]!
  const checkById = idsOf(await sdk.send(new DescribeInstancesCommand(byIdInput(expected))))
  const checkByIp = idsOf(await sdk.send(new DescribeInstancesCommand(byIpInput(expected))))
  if (checkById.length !== 1 || checkById[0] !== expected.InstanceId) throw new Error(`by id: ${JSON.stringify(checkById)}, not ${expected.InstanceId}`)
  if (!checkByIp.includes(expected.InstanceId)) throw new Error(`by private address: ${JSON.stringify(checkByIp)} lacks ${expected.InstanceId}`)

  // The server's CPU time (user + system, /proc/<pid>/stat), so that its cost per request is seen apart
  // from the load generator's, which shares this machine.
  const ticksPerSecond = 100
  // The kernel's part (system time) is apart: on loopback, sending an answer also pays for receiving it.
  const serverCpuMs = (of: Proc) => {
    const fields = readFileSync(`/proc/${of.child.pid}/stat`, 'utf8').split(') ')[1]!.split(' ')
    return { user: (Number(fields[11]) / ticksPerSecond) * 1000, system: (Number(fields[12]) / ticksPerSecond) * 1000 }
  }
  const run = async (opts: Partial<autocannon.Options> & ({ path: string } | { requests: autocannon.Request[] }), on: { proc: Proc; base: string } = started) => {
    const cpu = serverCpuMs(on.proc)
    const result = await runAutocannon(opts, on.base)
    const after = serverCpuMs(on.proc)
    return Object.assign(result, { serverCpuMs: after.user + after.system - cpu.user - cpu.system, serverSystemMs: after.system - cpu.system })
  }
  const runAutocannon = (opts: Partial<autocannon.Options> & ({ path: string } | { requests: autocannon.Request[] }), at: string) =>
    autocannon({ url: 'requests' in opts ? `${at}/ec2/` : at + opts.path, connections: CONNECTIONS, duration: SECONDS, ...opts })
  const errors = (r: autocannon.Result) => r.errors + r.non2xx
  // Warm up: every request once (fills the caches), then the JIT on both sides.
  await run({ requests: byIdRequests, duration: 2 })
  await run({ requests: byIpRequests, duration: 2 })
  await run({ path: '/healthz', duration: 2 })
  await run({ requests: byIdRequests, duration: 2 }, open)

  // Rounds of the three side by side, so that whatever else runs on the machine weighs on each alike.
  type Run = Awaited<ReturnType<typeof run>>
  const results: { hello: Run[]; byId: Run[]; byIp: Run[]; byIdOpen: Run[] } = { hello: [], byId: [], byIp: [], byIdOpen: [] }
  for (let round = 0; round < ROUNDS; round++) {
    results.hello.push(await run({ path: '/healthz' }))
    results.byId.push(await run({ requests: byIdRequests }))
    results.byIp.push(await run({ requests: byIpRequests }))
    results.byIdOpen.push(await run({ requests: byIdRequests }, open))
  }
  const mean = (rs: Run[], of: (r: Run) => number) => rs.reduce((n, r) => n + of(r), 0) / rs.length
  const summary = (rs: Run[]) => ({
    cpuUs: (rs.reduce((n, r) => n + r.serverCpuMs, 0) * 1000) / rs.reduce((n, r) => n + r.requests.total, 0),
    systemUs: (rs.reduce((n, r) => n + r.serverSystemMs, 0) * 1000) / rs.reduce((n, r) => n + r.requests.total, 0),
    rate: mean(rs, (r) => r.requests.average),
    bytes: mean(rs, (r) => r.throughput.average) / mean(rs, (r) => r.requests.average),
    p99: Math.max(...rs.map((r) => r.latency.p99)),
    errors: rs.reduce((n, r) => n + errors(r), 0),
  })
  const hello = summary(results.hello)
  const byId = summary(results.byId)
  const byIp = summary(results.byIp)
  const byIdOpen = summary(results.byIdOpen)

  // The SDK client itself at 32 calls in flight: its own CPU (building, signing, parsing) included.
  let sdkCalls = 0
  const sdkEnd = Date.now() + SECONDS * 1000
  const sdkStart = Date.now()
  await Promise.all(
    Array.from({ length: CONNECTIONS }, async (_, c) => {
      for (let k = c; Date.now() < sdkEnd; k++) {
        await sdk.send(new DescribeInstancesCommand(byIdInput(chosen[k % chosen.length]!)))
        sdkCalls++
      }
    }),
  )
  const sdkRate = sdkCalls / ((Date.now() - sdkStart) / 1000)

  const f = (n: number, d = 0) => n.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d })
  const ratioId = byId.rate / hello.rate
  const ratioIp = byIp.rate / hello.rate
  const aws = (rate: number) => `${f(rate / AWS_REFILL_PER_SECOND)} × AWS's ${AWS_REFILL_PER_SECOND}/s`
  const rows: [string, string, string][] = [
    ['hello world (/healthz)', `${f(hello.rate)} req/s`, ''],
    ['DescribeInstances InstanceId.1=, cached', `${f(byId.rate)} req/s`, aws(byId.rate)],
    ['  ratio to hello world', f(ratioId, 2), `goal >= 0.5: ${ratioId >= 0.5 ? 'met' : 'MISSED'}`],
    ['DescribeInstances private-ip-address, cached', `${f(byIp.rate)} req/s`, aws(byIp.rate)],
    ['  ratio to hello world', f(ratioIp, 2), `goal >= 0.5: ${ratioIp >= 0.5 ? 'met' : 'MISSED'}`],
    ['server CPU per request (hello, id, address)', `${[hello, byId, byIp].map((r) => `${f(r.cpuUs)} µs`).join(', ')}`, `id ÷ hello ${f(byId.cpuUs / hello.cpuUs, 2)}, address ÷ hello ${f(byIp.cpuUs / hello.cpuUs, 2)}`],
    ['  of which in the kernel (system time)', `${[hello, byId, byIp].map((r) => `${f(r.systemUs)} µs`).join(', ')}`, ''],
    ['by id, signatures not checked (open server)', `${f(byIdOpen.rate)} req/s, ${f(byIdOpen.cpuUs)} µs CPU`, `ratio to hello world ${f(byIdOpen.rate / hello.rate, 2)}; the signature check: ${f(byId.cpuUs - byIdOpen.cpuUs)} µs a request`],
    ['bytes per answer (hello, id, address)', `${[hello, byId, byIp].map((r) => f(r.bytes)).join(', ')}`, ''],
    ['p99 latency, worst round (id, address)', `${f(byId.p99, 1)} ms, ${f(byIp.p99, 1)} ms`, ''],
    ['SDK client end to end (its CPU included)', `${f(sdkRate)} calls/s`, aws(sdkRate)],
  ]
  const w = [0, 1, 2].map((i) => Math.max(...rows.map((r) => r[i]!.length)))
  process.stdout.write(
    `describe bench: ${instances.length} instances in ${targets.length} accounts, one region; ${CONNECTIONS} connections, ${ROUNDS} rounds of ${SECONDS} s runs side by side, ` +
      `${DISTINCT} distinct signed requests of each kind replayed; server in a child process, AWS DynamoDB Local, Redis; ` +
      `AWS refills DescribeInstances at ${AWS_REFILL_PER_SECOND}/s per account and region\n`,
  )
  for (const r of rows) process.stdout.write(`  ${r.map((c, i) => c.padEnd(w[i]!)).join('  ').trimEnd()}\n`)
  const bad = hello.errors + byId.errors + byIp.errors + byIdOpen.errors
  if (bad > 0) {
    process.stdout.write(`  ${bad} errors or non-2xx answers during the runs\n`)
    process.exitCode = 1
  }
} finally {
  // Stopped with SIGTERM (given time to write its CPU profile when asked for one).
  if (server) await stopProc(server, 30_000)
  if (openServer) await stopProc(openServer)
  for (const fn of teardowns.reverse()) await fn()
}
